/* Quicksort of n*1024 generated integers: compares, swaps, recursion. */
#include "common.h"
#define MAX (256 * 1024)
static i32 v[MAX];
static void sort(i32 *a, i32 lo, i32 hi) {
  while (lo < hi) {
    i32 pivot = a[lo + (hi - lo) / 2], i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { i32 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { sort(a, lo, j); lo = i; } else { sort(a, i, hi); hi = j; }
  }
}
EXPORT("run") u64 run(u32 n) {
  u32 len = n * 1024u;
  if (len > MAX) len = MAX;
  lcg_seed(11);
  for (u32 i = 0; i < len; i++) v[i] = (i32)lcg();
  sort(v, 0, (i32)len - 1);
  u64 h = 0;
  for (u32 i = 0; i < len; i += 7) h = mix(h, (u32)v[i]);
  return h;
}
