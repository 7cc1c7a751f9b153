/* Dense n×n double matrix multiply (n at most 160): float arithmetic in nested loops. */
#include "common.h"
#define N 160
static double a[N * N], b[N * N], c[N * N];
EXPORT("run") u64 run(u32 n) {
  if (n > N) n = N;
  lcg_seed(7);
  for (u32 i = 0; i < n * n; i++) {
    a[i] = (double)(lcg() % 1000) / 100.0 - 5.0;
    b[i] = (double)(lcg() % 1000) / 100.0 - 5.0;
  }
  for (u32 i = 0; i < n; i++)
    for (u32 j = 0; j < n; j++) {
      double s = 0.0;
      for (u32 k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  u64 h = 0;
  for (u32 i = 0; i < n * n; i++) {
    union { double d; u64 u; } bits = { c[i] };
    h = mix(h, bits.u);
  }
  return h;
}
