/* A string-keyed hash map: n*1024 inserts and lookups of decimal keys in an
   open-addressing table (FNV-1a hashes, byte compares). */
#include "common.h"
#define SLOTS (1 << 17)
#define KEYLEN 12
static char keys[SLOTS][KEYLEN];
static u32 values[SLOTS];
static unsigned char used[SLOTS];
static u32 format(char *out, u32 v) {
  char tmp[KEYLEN];
  u32 n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < KEYLEN - 2);
  out[0] = 'k';
  for (u32 i = 0; i < n; i++) out[1 + i] = tmp[n - 1 - i];
  out[1 + n] = 0;
  return n + 1;
}
static u32 fnv(const char *s) {
  u32 h = 2166136261u;
  while (*s) { h ^= (unsigned char)*s++; h *= 16777619u; }
  return h;
}
static int same(const char *a, const char *b) {
  while (*a && *a == *b) { a++; b++; }
  return *a == *b;
}
static u32 *slot(const char *key, int insert) {
  u32 i = fnv(key) & (SLOTS - 1);
  while (used[i]) {
    if (same(keys[i], key)) return &values[i];
    i = (i + 1) & (SLOTS - 1);
  }
  if (!insert) return 0;
  used[i] = 1;
  for (u32 k = 0; k < KEYLEN; k++) keys[i][k] = key[k];
  values[i] = 0;
  return &values[i];
}
EXPORT("run") u64 run(u32 n) {
  u32 count = n * 1024u;
  if (count > SLOTS / 2) count = SLOTS / 2;
  for (u32 i = 0; i < SLOTS; i++) used[i] = 0;
  char key[KEYLEN];
  lcg_seed(5);
  for (u32 i = 0; i < count; i++) {
    format(key, lcg() % (count * 2));
    *slot(key, 1) += i;
  }
  u64 h = 0, hits = 0;
  for (u32 i = 0; i < count; i++) {
    format(key, i);
    u32 *v = slot(key, 0);
    if (v) { hits++; h = mix(h, *v); }
  }
  return h ^ (hits << 40);
}
