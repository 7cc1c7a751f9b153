/* A compile-time workload: 250 distinct functions (loops, a br_table switch,
   64-bit and f64 arithmetic, each with its own constants), called through a
   table. Little work per call: its compile phase is what it measures. */
#include "common.h"
static u64 rotl(u64 x, u32 r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
#define F(k)                                                                  \
  __attribute__((noinline)) static u64 f##k(u64 x, u64 y) {                   \
    double d = (double)(x & 0xffff) * (1.0 + (k) / 4096.0);                   \
    for (u32 i = 0; i < (u32)(y & 3) + 1; i++) {                              \
      x = x * (0x9e3779b97f4a7c15ull ^ ((u64)(k) * 0x100000001b3ull)) + (k);  \
      x ^= x >> (((k) % 29) + 3);                                             \
      switch ((u32)(x >> ((k) % 7)) & 7) {                                    \
        case 0: x = rotl(x, (k) % 63 + 1); break;                             \
        case 1: x -= (u64)(k) << ((k) % 13); break;                           \
        case 2: x += (u64)(d * (k)); d += 0.5; break;                         \
        case 3: x = ~x ^ ((u64)(k) * 2654435761u); break;                     \
        case 4: d = d * 1.25 - (k); x ^= (u64)(i64)d; break;                  \
        case 5: x = (x >> 1) | ((u64)(k) << 48); break;                       \
        case 6: x = x * (k) + (y ^ (k)); break;                               \
        default: x = mix(x, (k) + i); break;                                  \
      }                                                                       \
    }                                                                         \
    return x ^ (u64)(i64)(d * 3.0);                                           \
  }
#define F10(p) F(p##0) F(p##1) F(p##2) F(p##3) F(p##4) F(p##5) F(p##6) F(p##7) F(p##8) F(p##9)
#define F100(p) F10(p##0) F10(p##1) F10(p##2) F10(p##3) F10(p##4) F10(p##5) F10(p##6) F10(p##7) F10(p##8) F10(p##9)
F100(1) F100(2) F10(30) F10(31) F10(32) F10(33) F10(34)
#define E(k) f##k,
#define E10(p) E(p##0) E(p##1) E(p##2) E(p##3) E(p##4) E(p##5) E(p##6) E(p##7) E(p##8) E(p##9)
#define E100(p) E10(p##0) E10(p##1) E10(p##2) E10(p##3) E10(p##4) E10(p##5) E10(p##6) E10(p##7) E10(p##8) E10(p##9)
static u64 (*const table[])(u64, u64) = {E100(1) E100(2) E10(30) E10(31) E10(32) E10(33) E10(34)};
EXPORT("run") i64 run(i32 n) {
  u64 h = 0;
  u32 count = sizeof table / sizeof table[0];
  for (i32 i = 0; i < n; i++) h = mix(h, table[(u32)i % count](h, (u64)i));
  return (i64)h;
}
