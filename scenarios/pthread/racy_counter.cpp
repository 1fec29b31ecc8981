// Racy counter: two threads each add 1 to a shared counter 50 times with a plain `counter++`,
// which is a load, an add and a store. When the threads interleave between one thread's load
// and its store, an update is lost and main sees less than 100.
//
// The bug: the increment is neither atomic nor under a lock, so it is a data race; ipcsim's
// happens-before detector reports the two unordered accesses on the first schedule in which
// both threads touch the counter, before any update is actually lost.
// The fix (-DFIXED): the increment runs under a mutex, so every access to the counter is
// ordered by the lock and the total is always 100.
#include <pthread.h>

#include <cstdio>
#include <cstdlib>

constexpr int increments_per_thread = 50;

int counter = 0;
#ifdef FIXED
pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

void* add_many(void*) {
  for (int i = 0; i < increments_per_thread; ++i) {
#ifdef FIXED
    pthread_mutex_lock(&counter_lock);
    ++counter;
    pthread_mutex_unlock(&counter_lock);
#else
    ++counter;
#endif
  }
  return nullptr;
}

int main() {
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, add_many, nullptr);
  pthread_create(&second, nullptr, add_many, nullptr);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  if (counter != 2 * increments_per_thread) {
    std::fprintf(stderr, "racy_counter: lost updates: counter is %d, expected %d\n", counter,
                 2 * increments_per_thread);
    std::abort();
  }
  std::printf("racy_counter: counter is %d\n", counter);
  return 0;
}
