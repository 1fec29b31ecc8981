// A plain data race: two threads increment a global without synchronisation. The runtime must
// report it naming both accesses.
#include <pthread.h>

#include <cstdio>

int counter = 0;

void* bump(void*) {
  counter = counter + 1;
  return nullptr;
}

int main() {
  pthread_t first;
  pthread_t second;
  pthread_create(&first, nullptr, bump, nullptr);
  pthread_create(&second, nullptr, bump, nullptr);
  pthread_join(first, nullptr);
  pthread_join(second, nullptr);
  std::printf("counter=%d\n", counter);
  return 0;
}
