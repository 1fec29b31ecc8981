// A worker whose assertion fails when it runs before main publishes: the run must end with
// status "assert" and the assertion's text, on the schedules that run it early.
#include <cassert>
#include <thread>

int published = 0;

int main() {
  std::thread worker([] { assert(published == 1 && "worker ran before publication"); });
  published = 1;
  worker.join();
  return 0;
}
