/* Block copies, moves and fills in a 1 MiB buffer, n*64 rounds (memory.copy
   and memory.fill with bulk memory), then a checksum of the buffer. */
#include "common.h"
#define SIZE (1 << 20)
static unsigned char buf[SIZE];
EXPORT("run") u64 run(u32 n) {
  lcg_seed(13);
  for (u32 i = 0; i < SIZE; i += 4) {
    u32 r = lcg();
    __builtin_memcpy(buf + i, &r, 4);
  }
  for (u32 round = 0; round < n * 64; round++) {
    u32 len = 1024 + lcg() % (64 * 1024);
    u32 from = lcg() % (SIZE - len), to = lcg() % (SIZE - len);
    if (round % 5 == 4) __builtin_memset(buf + to, (int)(round & 0xff), len / 4);
    else __builtin_memmove(buf + to, buf + from, len);
  }
  u64 h = 0;
  for (u32 i = 0; i < SIZE; i += 8) {
    u64 w;
    __builtin_memcpy(&w, buf + i, 8);
    h = mix(h, w);
  }
  return h;
}
