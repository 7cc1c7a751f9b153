/* Sieve of Eratosthenes over n*1024 numbers (at most 4 MiB): byte stores in a loop. */
#include "common.h"
#define MAX (4u << 20)
static unsigned char composite[MAX];
EXPORT("run") u64 run(u32 n) {
  u32 limit = n * 1024u;
  if (limit > MAX) limit = MAX;
  for (u32 i = 0; i < limit; i++) composite[i] = 0;
  u64 count = 0, sum = 0;
  for (u32 i = 2; i < limit; i++) {
    if (composite[i]) continue;
    count++;
    sum += i;
    for (u64 j = (u64)i * i; j < limit; j += i) composite[j] = 1;
  }
  return (count << 32) ^ sum;
}
