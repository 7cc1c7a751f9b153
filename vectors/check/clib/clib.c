/* A small C library a team might ship as wasm: no libc, two host imports
 * (`env.log_value`, `env.next_random`) and an imported memory. Built by
 * build.sh; its imports are declared in imports.toml, its golden vectors in
 * golden.toml. */

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(log_value) void log_value(int value);
IMPORT(next_random) unsigned next_random(void);

static unsigned char buffer[256];

EXPORT(gcd) int gcd(int a, int b) {
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a < 0 ? -a : a;
}

EXPORT(clamp_add) int clamp_add(int a, int b) {
    long long sum = (long long)a + (long long)b;
    if (sum > 2147483647LL) return 2147483647;
    if (sum < -2147483647LL - 1) return -2147483647 - 1;
    return (int)sum;
}

EXPORT(checked_div) int checked_div(int a, int b) {
    if (b == 0) {
        log_value(-1);
        return 0;
    }
    return a / b; /* INT_MIN / -1 traps in wasm */
}

EXPORT(crc32_random) unsigned crc32_random(int n) {
    unsigned crc = 0xffffffffu;
    for (int i = 0; i < n && i < 256; i++) {
        buffer[i] = (unsigned char)next_random();
        crc ^= buffer[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    log_value((int)crc);
    return ~crc;
}

EXPORT(mean3) double mean3(double a, double b, double c) { return (a + b + c) / 3.0; }

EXPORT(to_int) int to_int(float x) { return (int)x; /* out of range traps in wasm */ }

#ifndef PREVIOUS_RELEASE /* 1.1 adds popcount64; clib-1.0.wasm is built without it */
EXPORT(popcount64) int popcount64(long long x) { return __builtin_popcountll((unsigned long long)x); }
#endif
