// A mutex-protected counter (std::thread, std::mutex, plus a recursive and an error-checking
// mutex): no race may be reported and the final count must be exact.
#include <pthread.h>

#include <cassert>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

namespace {

std::mutex guard;
pthread_mutex_t recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
pthread_mutex_t checking = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
int counter = 0;
int nested = 0;

void work() {
  for (int i = 0; i < 3; ++i) {
    std::lock_guard<std::mutex> lock(guard);
    counter = counter + 1;
  }
  pthread_mutex_lock(&recursive);
  pthread_mutex_lock(&recursive);
  nested = nested + 1;
  pthread_mutex_unlock(&recursive);
  pthread_mutex_unlock(&recursive);
}

}  // namespace

int main() {
  pthread_mutex_lock(&checking);
  assert(pthread_mutex_lock(&checking) == EDEADLK);
  assert(pthread_mutex_trylock(&checking) == EBUSY);
  pthread_mutex_unlock(&checking);
  assert(pthread_mutex_unlock(&checking) == EPERM);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back(work);
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  assert(counter == 9);
  assert(nested == 3);
  std::printf("counter=%d\n", counter);
  return 0;
}
