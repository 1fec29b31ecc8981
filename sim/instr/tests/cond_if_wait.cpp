// A consumer that checks its condition with `if` instead of `while`: correct only without
// spurious wakeups. With IPCSIM_SPURIOUS_ONE_IN set, some schedule must fail its assertion; the
// `while` version in the same file (argv[1] == "while") must pass.
#include <pthread.h>

#include <cassert>
#include <cstring>

pthread_mutex_t item_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t item_ready = PTHREAD_COND_INITIALIZER;
int item = 0;
bool use_while = false;

void* producer(void*) {
  pthread_mutex_lock(&item_lock);
  item = 42;
  pthread_cond_signal(&item_ready);
  pthread_mutex_unlock(&item_lock);
  return nullptr;
}

int main(int argc, char** argv) {
  use_while = argc > 1 && std::strcmp(argv[1], "while") == 0;
  pthread_t thread;
  pthread_create(&thread, nullptr, producer, nullptr);
  pthread_mutex_lock(&item_lock);
  if (use_while) {
    while (item == 0) {
      pthread_cond_wait(&item_ready, &item_lock);
    }
  } else if (item == 0) {
    pthread_cond_wait(&item_ready, &item_lock);
  }
  assert(item == 42);
  pthread_mutex_unlock(&item_lock);
  pthread_join(thread, nullptr);
  return 0;
}
