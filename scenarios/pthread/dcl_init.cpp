// Double-checked locking without acquire: get() reads the instance pointer outside the lock and,
// when it is set, uses the object without taking the lock. The creator publishes the pointer with
// a release store, but the fast path loads it with memory_order_relaxed, so nothing orders the
// creator's initialisation of the object before the reader's use of it. On a weakly ordered CPU
// (or after compiler reordering) the reader can see the pointer and a half-built object.
//
// A sequentially consistent schedule never shows it: the value read is always the initialised
// one. ipcsim's happens-before race detector does: the reader's plain read of `value` is not
// ordered after the creator's plain write, which is a data race on the first schedule in which
// the second thread takes the fast path.
// The fix (-DFIXED): the fast-path load is memory_order_acquire, which synchronises with the
// release store and orders the object's initialisation before every use.
#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

struct settings {
  int value = 0;
};

settings storage;
std::atomic<settings*> instance{nullptr};
pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

#ifdef FIXED
constexpr std::memory_order fast_path_order = std::memory_order_acquire;
#else
constexpr std::memory_order fast_path_order = std::memory_order_relaxed;
#endif

settings* get() {
  settings* current = instance.load(fast_path_order);
  if (current != nullptr) {
    return current;
  }
  pthread_mutex_lock(&create_lock);
  current = instance.load(std::memory_order_relaxed);
  if (current == nullptr) {
    storage.value = 42;
    current = &storage;
    instance.store(current, std::memory_order_release);
  }
  pthread_mutex_unlock(&create_lock);
  return current;
}

int seen[2];

void* use(void* slot) {
  seen[*static_cast<int*>(slot)] = get()->value;
  return nullptr;
}

int main() {
  int slots[2] = {0, 1};
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, use, &slots[0]);
  pthread_create(&second, nullptr, use, &slots[1]);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  if (seen[0] != 42 || seen[1] != 42) {
    std::fprintf(stderr, "dcl_init: a thread saw a half-built object\n");
    std::abort();
  }
  std::printf("dcl_init: both threads saw the initialised object\n");
  return 0;
}
