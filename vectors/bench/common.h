/* Shared by the workloads: fixed-width types and a deterministic generator. */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;

#define EXPORT(name) __attribute__((export_name(name)))

static u32 lcg_state;
static void lcg_seed(u32 s) { lcg_state = s; }
static u32 lcg(void) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return lcg_state;
}
static u64 mix(u64 h, u64 v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}
