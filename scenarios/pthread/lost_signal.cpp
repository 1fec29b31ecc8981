// Lost condition-variable signal: the waiter tests the "ready" flag before taking the mutex and
// then waits unconditionally. If the signaller sets the flag and signals between the waiter's
// test and its pthread_cond_wait, the signal reaches nobody and the waiter sleeps forever; ipcsim
// reports a deadlock (no thread can run and no timer is pending).
//
// The flag is a std::atomic so that the bug is the lost wakeup itself, not a data race.
// The fix (-DFIXED): the textbook pattern: test the predicate under the mutex, in a loop around
// pthread_cond_wait, so a signal sent before the wait is seen as the flag being set.
#include <pthread.h>

#include <atomic>
#include <cstdio>

std::atomic<int> ready{0};
pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ready_changed = PTHREAD_COND_INITIALIZER;

void* waiter(void*) {
#ifdef FIXED
  pthread_mutex_lock(&ready_lock);
  while (ready.load() == 0) {
    pthread_cond_wait(&ready_changed, &ready_lock);
  }
  pthread_mutex_unlock(&ready_lock);
#else
  if (ready.load() == 0) {
    pthread_mutex_lock(&ready_lock);
    pthread_cond_wait(&ready_changed, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
  }
#endif
  return nullptr;
}

void* signaller(void*) {
  pthread_mutex_lock(&ready_lock);
  ready.store(1);
  pthread_cond_signal(&ready_changed);
  pthread_mutex_unlock(&ready_lock);
  return nullptr;
}

int main() {
  pthread_t wait_thread;
  pthread_t signal_thread;
  pthread_create(&wait_thread, nullptr, waiter, nullptr);
  pthread_create(&signal_thread, nullptr, signaller, nullptr);
  pthread_join(wait_thread, nullptr);
  pthread_join(signal_thread, nullptr);
  std::printf("lost_signal: the waiter saw the signal\n");
  return 0;
}
