// Prints its arguments, the variables named by them, the whole environment
// (in the order the runtime gives it), the clocks and random bytes.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  for (int i = 1; i < argc; i++) {
    const char *v = getenv(argv[i]);
    printf("%s %s\n", argv[i], v ? v : "(unset)");
  }
  for (char **e = environ; *e; e++) printf("env %s\n", *e);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("realtime %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("monotonic %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  clock_getres(CLOCK_MONOTONIC, &ts);
  printf("resolution %ld ns\n", ts.tv_nsec);
  unsigned char r[16];
  if (getentropy(r, sizeof r) == 0) {
    printf("random");
    for (unsigned i = 0; i < sizeof r; i++) printf(" %02x", r[i]);
    printf("\n");
  }
  return 0;
}
