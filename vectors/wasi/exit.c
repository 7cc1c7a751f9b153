// Ends the way its first argument says: `exit N` (proc_exit), `return N`
// (from main), `trap` (abort: unreachable), `divide` (integer division by
// zero), `deep` (unbounded recursion: stack overflow is not compared),
// `stderr` (writes to stderr and exits 1).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int zero = 0;
static int deep(int n) { volatile char pad[256]; pad[0] = (char)n; return deep(n + 1) + pad[0]; }

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: exit exit|return|trap|divide|deep|stderr [N]\n"); return 2; }
  int n = argc > 2 ? atoi(argv[2]) : 0;
  printf("ending by %s %d\n", argv[1], n);
  fflush(stdout);
  if (!strcmp(argv[1], "exit")) exit(n);
  if (!strcmp(argv[1], "return")) return n;
  if (!strcmp(argv[1], "trap")) abort();
  if (!strcmp(argv[1], "divide")) return 10 / zero;
  if (!strcmp(argv[1], "deep")) return deep(0);
  if (!strcmp(argv[1], "stderr")) { fprintf(stderr, "something went wrong: %d\n", n); return 1; }
  fprintf(stderr, "unknown ending %s\n", argv[1]);
  return 2;
}
