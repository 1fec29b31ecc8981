// Every interposed primitive used correctly: condition variable hand-off, rwlock, barrier, once,
// semaphore, detach, pthread_exit, sleeping and virtual clocks, a shared_ptr shared between
// threads, distinct pthread_self values and per-thread errno. Must pass on every seed: a race
// reported here is a false positive of the runtime.
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <memory>
#include <thread>

namespace {

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_barrier_t barrier;
pthread_once_t once = PTHREAD_ONCE_INIT;
sem_t tokens;

int queue_item = 0;
bool queue_full = false;
int table = 0;
int once_runs = 0;
int phase_data[3] = {0, 0, 0};
int sem_data = 0;
pthread_t selves[3];

void init_once() { once_runs = once_runs + 1; }

pthread_key_t slot_key;
int destructed = 0;

void count_destructor(void* value) {
  assert(value != nullptr);
  pthread_mutex_lock(&lock);
  destructed = destructed + 1;
  pthread_mutex_unlock(&lock);
}

void* worker(void* argument) {
  const long index = reinterpret_cast<long>(argument);
  selves[index] = pthread_self();
  assert(pthread_getspecific(slot_key) == nullptr);
  pthread_setspecific(slot_key, argument == nullptr ? &destructed : argument);
  char name[16];
  assert(pthread_getname_np(pthread_self(), name, sizeof name) == 0 && name[0] == 't');
  pthread_once(&once, init_once);
  errno = static_cast<int>(100 + index);
  pthread_rwlock_rdlock(&table_lock);
  const int seen = table;
  pthread_rwlock_unlock(&table_lock);
  assert(seen >= 0);
  phase_data[index] = static_cast<int>(index) + 1;
  pthread_barrier_wait(&barrier);
  assert(phase_data[(index + 1) % 3] == static_cast<int>((index + 1) % 3) + 1);
  assert(errno == 100 + index);
  assert(pthread_getspecific(slot_key) == (argument == nullptr ? &destructed : argument));
  return argument;
}

void* producer(void*) {
  pthread_mutex_lock(&lock);
  queue_item = 7;
  queue_full = true;
  pthread_cond_signal(&changed);
  pthread_mutex_unlock(&lock);
  pthread_rwlock_wrlock(&table_lock);
  table = table + 1;
  pthread_rwlock_unlock(&table_lock);
  sem_data = 5;
  sem_post(&tokens);
  pthread_exit(nullptr);
}

/// Heap blocks freed by one thread and reused by another must not look like races.
void* churn_heap(void*) {
  for (int i = 0; i < 20; ++i) {
    int* block = new int[4];
    block[0] = i;
    block[3] = block[0] + 1;
    delete[] block;
  }
  return nullptr;
}

/// Timed waits that nobody ends time out in virtual time.
void check_timeouts() {
  timespec deadline{};
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 1000000;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&lock);
  assert(pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT);
  pthread_mutex_unlock(&lock);
  assert(sem_timedwait(&tokens, &deadline) == -1 && errno == ETIMEDOUT);
  assert(sem_trywait(&tokens) == -1 && errno == EAGAIN);
}

void check_clocks() {
  timespec before{};
  timespec after{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  usleep(1000);
  clock_gettime(CLOCK_MONOTONIC, &after);
  const long long elapsed = (after.tv_sec - before.tv_sec) * 1000000000LL +
                            (after.tv_nsec - before.tv_nsec);
  assert(elapsed >= 1000000);
}

}  // namespace

int main() {
  pthread_barrier_init(&barrier, nullptr, 3);
  pthread_key_create(&slot_key, count_destructor);
  sem_init(&tokens, 0, 0);
  pthread_t helper;
  pthread_create(&helper, nullptr, producer, nullptr);
  pthread_mutex_lock(&lock);
  while (!queue_full) {
    pthread_cond_wait(&changed, &lock);
  }
  assert(queue_item == 7);
  pthread_mutex_unlock(&lock);
  sem_wait(&tokens);
  assert(sem_data == 5);
  pthread_join(helper, nullptr);
  pthread_t workers[3];
  for (long i = 0; i < 3; ++i) {
    pthread_create(&workers[i], nullptr, worker, reinterpret_cast<void*>(i));
  }
  for (long i = 0; i < 3; ++i) {
    void* result = nullptr;
    pthread_join(workers[i], &result);
    assert(result == reinterpret_cast<void*>(i));
  }
  assert(once_runs == 1);
  assert(destructed == 3);
  assert(!pthread_equal(selves[0], selves[1]) && !pthread_equal(selves[1], selves[2]));
  assert(!pthread_equal(selves[0], pthread_self()));
  auto shared = std::make_shared<int>(3);
  std::thread copier([copy = shared] { assert(*copy == 3); });
  shared.reset();
  copier.join();
  check_clocks();
  check_timeouts();
  pthread_t churners[2];
  for (pthread_t& churner : churners) {
    pthread_create(&churner, nullptr, churn_heap, nullptr);
  }
  for (pthread_t churner : churners) {
    pthread_join(churner, nullptr);
  }
  return 0;
}
