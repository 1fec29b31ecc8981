// A worker dereferences a pointer that main publishes only later: on the schedules that run the
// worker first, the run crashes with SIGSEGV, which must become status "crash" with a trace.
#include <thread>

int* volatile target = nullptr;
int storage = 0;

int main() {
  std::thread worker([] { *target = 1; });
  target = &storage;
  worker.join();
  return 0;
}
