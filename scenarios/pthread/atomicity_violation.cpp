// Atomicity violation (the shape of the MySQL/Apache log bugs in Lu et al., "Learning from
// Mistakes", ASPLOS 2008): a logger checks that the log buffer is open in one critical section
// and writes to it in another. A closer thread may close the log (set the buffer to NULL)
// between the check and the use, and the write then dereferences NULL.
//
// Every access is under the lock, so there is no data race: only a schedule that runs the closer
// between the two critical sections shows the bug. The check before the write stands in for the
// NULL dereference, so the failure is an abort with a message rather than a segfault.
// The fix (-DFIXED): the check and the write are one critical section.
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

struct log_file {
  char* buffer = nullptr;
  int length = 0;
};

char storage[64];
log_file app_log;
pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void write_entry(char entry) {
  if (app_log.buffer == nullptr) {
    std::fprintf(stderr, "atomicity_violation: the log was closed between check and write\n");
    std::abort();
  }
  app_log.buffer[app_log.length++] = entry;
}

void* logger(void*) {
  for (int i = 0; i < 2; ++i) {
#ifdef FIXED
    pthread_mutex_lock(&log_lock);
    if (app_log.buffer != nullptr) {
      write_entry(static_cast<char>('a' + i));
    }
    pthread_mutex_unlock(&log_lock);
#else
    pthread_mutex_lock(&log_lock);
    const bool open = app_log.buffer != nullptr;
    pthread_mutex_unlock(&log_lock);
    if (open) {
      pthread_mutex_lock(&log_lock);
      write_entry(static_cast<char>('a' + i));
      pthread_mutex_unlock(&log_lock);
    }
#endif
  }
  return nullptr;
}

void* closer(void*) {
  pthread_mutex_lock(&log_lock);
  app_log.buffer = nullptr;
  pthread_mutex_unlock(&log_lock);
  return nullptr;
}

int main() {
  app_log.buffer = storage;
  pthread_t writer;
  pthread_t close_thread;
  pthread_create(&writer, nullptr, logger, nullptr);
  pthread_create(&close_thread, nullptr, closer, nullptr);
  pthread_join(writer, nullptr);
  pthread_join(close_thread, nullptr);
  std::printf("atomicity_violation: %d entries written\n", app_log.length);
  return 0;
}
