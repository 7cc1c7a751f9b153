// Byte helpers for JavaScript hosts without node's `Buffer` (the `jsc` and
// SpiderMonkey shells, a browser page): base64 through atob/btoa (or, where
// the host has neither, as SpiderMonkey's shell, the same in plain
// JavaScript), and a byte comparison.

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const base64Raw = {
  decode(text) {
    const value = new Uint8Array(128);
    for (let i = 0; i < 64; i++) value[BASE64.charCodeAt(i)] = i;
    const clean = text.replace(/=+$/, "");
    let raw = "", bits = 0, acc = 0;
    for (let i = 0; i < clean.length; i++) {
      acc = (acc << 6) | value[clean.charCodeAt(i)];
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        raw += String.fromCharCode((acc >> bits) & 0xff);
      }
    }
    return raw;
  },
  encode(raw) {
    let out = "";
    for (let i = 0; i < raw.length; i += 3) {
      const n = raw.length - i;
      const x = (raw.charCodeAt(i) << 16) | (n > 1 ? raw.charCodeAt(i + 1) << 8 : 0) | (n > 2 ? raw.charCodeAt(i + 2) : 0);
      out += BASE64[(x >> 18) & 63] + BASE64[(x >> 12) & 63] + (n > 1 ? BASE64[(x >> 6) & 63] : "=") + (n > 2 ? BASE64[x & 63] : "=");
    }
    return out;
  },
};
const fromBase64Raw = typeof atob === "function" ? atob : base64Raw.decode;
const toBase64Raw = typeof btoa === "function" ? btoa : base64Raw.encode;

const portableBytes = {
  fromBase64(text) {
    const raw = fromBase64Raw(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  },
  toBase64(bytes) {
    let raw = "";
    for (let i = 0; i < bytes.length; i += 0x8000) raw += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return toBase64Raw(raw);
  },
  equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  },
};


// The request loop of a JavaScript shell (`jsc`, SpiderMonkey's `js102`): a
// line read with `readline()` (empty or null once stdin is closed: wasmgate
// never sends an empty line), one answered with `print()`. Neither shell's
// input and output is UTF-8, so both directions carry ASCII-only JSON (`\u`
// escapes).
function serveShellLines(handle) {
  for (;;) {
    const line = readline();
    if (line === null || line === undefined || line === "") return;
    let response;
    try { response = handle(JSON.parse(line)); } catch (e) { response = { ok: false, error: String(e && e.message || e) }; }
    print(JSON.stringify(response).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")));
  }
}
