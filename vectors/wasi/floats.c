// printf of floats and integers in every common format, from a fixed table
// and from the arguments (strtod).
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void show(double v) {
  printf("%.17g | %f | %e | %g | %a | %.3f | %10.4e\n", v, v, v, v, v, v, v);
  float f = (float)v;
  printf("  f32 %.9g %a rint %g floor %g trunc %g\n", (double)f, (double)f, rint(v), floor(v), trunc(v));
}

int main(int argc, char **argv) {
  const double table[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.1, 1.0 / 3.0, 1e308, DBL_MIN, 5e-324,
                          DBL_MAX, 2147483648.0, 9223372036854775808.0, INFINITY, -INFINITY, NAN};
  for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) show(table[i]);
  for (int i = 1; i < argc; i++) show(strtod(argv[i], NULL));
  printf("%d %u %lld %llu %" PRIx64 " %o %+d %05d\n", INT32_MIN, UINT32_MAX, (long long)INT64_MIN,
         (unsigned long long)UINT64_MAX, (uint64_t)0xdeadbeefcafe, 511, 42, -42);
  printf("sqrt2 %.17g exp1 %.17g log10 %.17g pow %.17g fmod %.17g\n", sqrt(2.0), exp(1.0), log(10.0),
         pow(2.0, 0.5), fmod(10.0, 3.3));
  return 0;
}
