// Instrumented code for ipcsim-bench-instr (compiled with the thread-sanitizer instrumentation,
// run in-process by the benchmark): a loop of plain stores, one hook per iteration, and a small
// classic program (two threads adding to a mutex-protected counter) whose schedules per second
// are measured.

#include <pthread.h>

extern "C" void ipcsim_bench_access_loop(int* data, long count) {
  for (long i = 0; i < count; ++i) {
    data[i & 63] = static_cast<int>(i);
  }
}

namespace {

pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
int counter = 0;

void* add_three(void*) {
  for (int i = 0; i < 3; ++i) {
    pthread_mutex_lock(&counter_lock);
    counter = counter + 1;
    pthread_mutex_unlock(&counter_lock);
  }
  return nullptr;
}

}  // namespace

extern "C" void* ipcsim_bench_counter_main(void*) {
  counter = 0;
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, add_three, nullptr);
  pthread_create(&second, nullptr, add_three, nullptr);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  return counter == 6 ? nullptr : &counter;
}
