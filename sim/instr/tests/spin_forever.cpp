// A thread spins on a plain flag that nobody sets while main waits in join: the step budget must
// end the run as a timeout instead of hanging.
#include <pthread.h>

volatile int never_set = 0;

void* spin(void*) {
  while (never_set == 0) {
  }
  return nullptr;
}

int main() {
  pthread_t spinner;
  pthread_create(&spinner, nullptr, spin, nullptr);
  pthread_join(spinner, nullptr);
  return 0;
}
