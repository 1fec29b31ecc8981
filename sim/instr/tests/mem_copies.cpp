// Message passing where both sides copy through the C library: the writer clears `message` with
// memset and fills it with memcpy, then sets `ready`; the reader waits for `ready` and copies the
// message out with memcpy. At -O0 both compilers leave these as calls to the C library, so only
// the runtime's interposed memcpy/memset make them visible. With -DORDERED the flag is
// release/acquire and the copies are ordered; without it the flag is relaxed and the copies race.
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cassert>
#include <cstring>

// Global (not in an anonymous namespace) so that the report can name it through dladdr.
char message[64];
std::atomic<int> ready{0};

#ifdef ORDERED
constexpr std::memory_order store_order = std::memory_order_release;
constexpr std::memory_order load_order = std::memory_order_acquire;
#else
constexpr std::memory_order store_order = std::memory_order_relaxed;
constexpr std::memory_order load_order = std::memory_order_relaxed;
#endif

void* copy_writer(void*) {
  char pattern[sizeof message];
  for (unsigned index = 0; index < sizeof pattern; ++index) {
    pattern[index] = static_cast<char>('a' + index % 26);
  }
  std::memset(message, 0, sizeof message);
  std::memcpy(message, pattern, sizeof message);
  ready.store(1, store_order);
  return nullptr;
}

void* copy_reader(void*) {
  while (ready.load(load_order) == 0) {
    sched_yield();
  }
  char copy[sizeof message];
  std::memcpy(copy, message, sizeof message);
  for (unsigned index = 0; index < sizeof copy; ++index) {
    assert(copy[index] == static_cast<char>('a' + index % 26));
  }
  return nullptr;
}

int main() {
  pthread_t reader;
  pthread_t writer;
  pthread_create(&reader, nullptr, copy_reader, nullptr);
  pthread_create(&writer, nullptr, copy_writer, nullptr);
  pthread_join(writer, nullptr);
  pthread_join(reader, nullptr);
  return 0;
}
