/* A small text library as a team might ship it to wasm: callers allocate
 * with the exported `malloc`, write their input into memory, call, and read
 * the output back (wasi-libc's malloc; no other imports). Built by build.sh;
 * its scenarios are in scenarios.toml. */

#include <stdlib.h>
#include <stdint.h>
#include <stddef.h>

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(alloc) void *alloc(size_t n) { return malloc(n); }

EXPORT(release) void release(void *p) { free(p); }

/* FNV-1a over n bytes. */
EXPORT(fnv1a) uint32_t fnv1a(const unsigned char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 16777619u;
    }
    return h;
}

/* ASCII upper case, in place; returns how many bytes changed. (Release 1.0
 * also changed the byte after 'z', a bug 1.1 fixed.) */
EXPORT(upcase) int upcase(unsigned char *s, size_t n) {
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
#ifdef PREVIOUS_RELEASE
        if (s[i] >= 'a' && s[i] <= '{') {
#else
        if (s[i] >= 'a' && s[i] <= 'z') {
#endif
            s[i] -= 32;
            changed++;
        }
    }
    return changed;
}

/* A new buffer holding the n bytes of s reversed (the caller releases it). */
EXPORT(reversed) unsigned char *reversed(const unsigned char *s, size_t n) {
    unsigned char *out = malloc(n ? n : 1);
    if (!out) return 0;
    for (size_t i = 0; i < n; i++) out[i] = s[n - 1 - i];
    return out;
}

/* Sum of n little-endian i32s at p, as i64. */
EXPORT(sum_i32) int64_t sum_i32(const int32_t *p, size_t n) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += p[i];
    return sum;
}
