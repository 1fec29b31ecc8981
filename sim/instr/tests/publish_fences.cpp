// Relaxed flag accesses made safe by a release fence before the store and an acquire fence after
// the load: must pass.
#include <atomic>
#include <cassert>
#include <thread>

namespace {

int payload = 0;
std::atomic<int> ready{0};

void writer() {
  payload = 42;
  std::atomic_thread_fence(std::memory_order_release);
  ready.store(1, std::memory_order_relaxed);
}

void reader() {
  while (ready.load(std::memory_order_relaxed) == 0) {
    std::this_thread::yield();
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  assert(payload == 42);
}

}  // namespace

int main() {
  std::thread consumer(reader);
  std::thread producer(writer);
  producer.join();
  consumer.join();
  return 0;
}
