// ABBA: two threads take two mutexes in opposite orders. Some schedules deadlock, and the report
// must say who waits on which mutex.
#include <pthread.h>

namespace {

pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t second_lock = PTHREAD_MUTEX_INITIALIZER;
int shared_value = 0;

void* forward(void*) {
  pthread_mutex_lock(&first_lock);
  pthread_mutex_lock(&second_lock);
  shared_value = shared_value + 1;
  pthread_mutex_unlock(&second_lock);
  pthread_mutex_unlock(&first_lock);
  return nullptr;
}

void* backward(void*) {
  pthread_mutex_lock(&second_lock);
  pthread_mutex_lock(&first_lock);
  shared_value = shared_value + 1;
  pthread_mutex_unlock(&first_lock);
  pthread_mutex_unlock(&second_lock);
  return nullptr;
}

}  // namespace

int main() {
  pthread_t a;
  pthread_t b;
  pthread_create(&a, nullptr, forward, nullptr);
  pthread_create(&b, nullptr, backward, nullptr);
  pthread_join(a, nullptr);
  pthread_join(b, nullptr);
  return 0;
}
