// Order violation (the shape of the Mozilla nsThread bug in Lu et al., ASPLOS 2008): main starts
// a worker and only then publishes the configuration the worker reads. The programmer assumed
// that the new thread starts "later"; nothing enforces it.
//
// Both sides take the lock, so there is no data race: the bug is only the order. A schedule in
// which the worker runs its critical section before main's finds the configuration missing and
// aborts (the check stands in for the NULL dereference of the original).
// The fix (-DFIXED): main publishes the configuration before pthread_create, which orders it
// before everything the worker does.
#include <pthread.h>

#include <cstdio>
#include <cstdlib>

struct config {
  int port = 0;
};

config storage;
config* current = nullptr;
pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
int port_seen = 0;

void publish_config() {
  pthread_mutex_lock(&config_lock);
  storage.port = 8080;
  current = &storage;
  pthread_mutex_unlock(&config_lock);
}

void* worker(void*) {
  pthread_mutex_lock(&config_lock);
  if (current == nullptr) {
    std::fprintf(stderr, "order_violation: the worker ran before the config was published\n");
    std::abort();
  }
  port_seen = current->port;
  pthread_mutex_unlock(&config_lock);
  return nullptr;
}

int main() {
  pthread_t thread;
#ifdef FIXED
  publish_config();
  pthread_create(&thread, nullptr, worker, nullptr);
#else
  pthread_create(&thread, nullptr, worker, nullptr);
  publish_config();
#endif
  pthread_join(thread, nullptr);
  std::printf("order_violation: worker saw port %d\n", port_seen);
  return 0;
}
