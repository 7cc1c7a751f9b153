// Integer and float arithmetic on two unsigned arguments: the target of
// seeded argument sweeps (`--random-args u32,u32`). Exit code 0, or 2 for a
// bad argument count, 3 for an argument that is not a number.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int parse(const char *s, unsigned long long *out) {
  char *end;
  errno = 0;
  *out = strtoull(s, &end, 10);
  return errno == 0 && *end == '\0' && end != s;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s A B\n", argv[0]);
    return 2;
  }
  unsigned long long a, b;
  if (!parse(argv[1], &a) || !parse(argv[2], &b)) {
    fprintf(stderr, "not a number: %s %s\n", argv[1], argv[2]);
    return 3;
  }
  unsigned ua = (unsigned)a, ub = (unsigned)b;
  int sa = (int)ua, sb = (int)ub;
  printf("sum %u\nproduct %u\nwide %llu\n", ua + ub, ua * ub, (unsigned long long)ua * ub);
  printf("xor %08x shl %08x rotl %08x\n", ua ^ ub, ua << (ub & 31), (ua << (ub & 31)) | (ua >> ((32 - (ub & 31)) & 31)));
  if (ub != 0) {
    printf("div %u rem %u\n", ua / ub, ua % ub);
  } else {
    printf("div by zero\n");
  }
  if (sb != 0 && !(sa == -2147483647 - 1 && sb == -1)) {
    printf("sdiv %d srem %d\n", sa / sb, sa % sb);
  }
  double q = (double)ua / (double)(ub ? ub : 1);
  float f = (float)ua * 1.5f - (float)ub;
  printf("quot %.17g %e %a\nfloat %.9g\n", q, q, q, (double)f);
  printf("clz %d popcount %d\n", ua ? __builtin_clz(ua) : 32, __builtin_popcount(ua ^ ub));
  return 0;
}
