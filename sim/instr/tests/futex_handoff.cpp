// A handoff through raw futex system calls, as code written against Linux (not pthreads) does:
// main fills `handed`, stores 1 to `word` with release and wakes; the waiter sleeps with
// FUTEX_WAIT while the word is 0, then reads `handed` after an acquire load. The runtime must
// turn the system calls into simulated waits (a real FUTEX_WAIT would put every fiber to sleep).
// With -DLOST_WAKE main never wakes the waiter and never sets the word: a deadlock whose report
// names the futex word.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstdint>

std::atomic<std::uint32_t> word{0};
int handed = 0;

long futex(std::atomic<std::uint32_t>& target, int operation, std::uint32_t value) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&target), operation, value, nullptr,
                 nullptr, 0);
}

void* waiter(void*) {
  while (word.load(std::memory_order_acquire) == 0) {
    const long result = futex(word, FUTEX_WAIT_PRIVATE, 0);
    assert(result == 0 || errno == EAGAIN);
  }
  assert(handed == 42);
  return nullptr;
}

int main() {
  pthread_t thread;
  pthread_create(&thread, nullptr, waiter, nullptr);
#ifndef LOST_WAKE
  handed = 42;
  word.store(1, std::memory_order_release);
  futex(word, FUTEX_WAKE_PRIVATE, 1);
#endif
  pthread_join(thread, nullptr);
  // An unrelated system call still reaches the kernel.
  assert(syscall(SYS_getpid) == getpid());
  return 0;
}
