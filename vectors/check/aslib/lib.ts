// A small AssemblyScript library as a team might ship it to wasm, built with
// `--exportRuntime`: callers make managed objects with `__new(size, id)`
// (id 1 is ArrayBuffer, 2 is String), `__pin` them while they hold them,
// write their contents, call, and read results back (a String's byte length
// sits 4 bytes before it). Built by build.sh; scenarios in scenarios.toml.

/** How many ASCII vowels the string has. */
export function vowels(s: string): i32 {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c == 97 || c == 101 || c == 105 || c == 111 || c == 117) n++;
  }
  return n;
}

/** The string in upper case (a new String). */
export function shout(s: string): string {
  return s.toUpperCase() + "!";
}

/** The sum of a buffer's bytes, each weighted by its position (from 1). */
export function weighted(buf: ArrayBuffer): u32 {
  const bytes = Uint8Array.wrap(buf);
  let sum: u32 = 0;
  for (let i = 0; i < bytes.length; i++) sum += <u32>bytes[i] * <u32>(i + 1);
  return sum;
}

/** A new ArrayBuffer of n little-endian u16 squares 0, 1, 4, 9, … */
export function squares(n: i32): ArrayBuffer {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = <u16>(i * i);
  return out.buffer;
}
