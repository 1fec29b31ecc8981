// ABBA deadlock: one thread takes lock A then lock B, the other takes B then A. When each holds
// its first lock and waits for its second, neither can proceed; ipcsim reports a deadlock with
// every thread's blocking site.
//
// The fix (-DFIXED): a global lock order. Both threads take A before B, so a thread that holds
// B never waits for A.
#include <pthread.h>

#include <cstdio>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
int transfers = 0;

void* a_then_b(void*) {
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
  ++transfers;
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  return nullptr;
}

void* b_then_a(void*) {
#ifdef FIXED
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
#else
  pthread_mutex_lock(&lock_b);
  pthread_mutex_lock(&lock_a);
#endif
  ++transfers;
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  return nullptr;
}

int main() {
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, a_then_b, nullptr);
  pthread_create(&second, nullptr, b_then_a, nullptr);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  std::printf("abba_deadlock: %d transfers\n", transfers);
  return 0;
}
