/* The plain data race in C: two threads increment a global without synchronisation. */
#include <pthread.h>
#include <stdio.h>

int c_counter = 0;

static void* bump(void* unused) {
  (void)unused;
  c_counter = c_counter + 1;
  return NULL;
}

int main(void) {
  pthread_t first;
  pthread_t second;
  pthread_create(&first, NULL, bump, NULL);
  pthread_create(&second, NULL, bump, NULL);
  pthread_join(first, NULL);
  pthread_join(second, NULL);
  printf("c_counter=%d\n", c_counter);
  return 0;
}
