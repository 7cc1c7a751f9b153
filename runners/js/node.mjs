// wasmgate engine worker for V8, run by node: the host part; js/core.js
// follows it in the script wasmgate writes (runners/src/external.rs).
//
//   node [V8 flags] worker.mjs --name v8-turbofan

import { createInterface } from "node:readline";
import { WASI } from "node:wasi";
import { openSync, closeSync } from "node:fs";

// The deterministic environment of runners/src/wasi.rs, mirrored: fixed
// clocks and the same random byte stream (splitmix64 words, little-endian).
const WASI_REALTIME_NS = 1577836800000000000n;
const WASI_MONOTONIC_NS = 1000000000n;
const WASI_RESOLUTION_NS = 1000n;
const WASI_RANDOM_PERIOD = 4096;
const M64 = (1n << 64n) - 1n;
function randomByte(n) {
  n %= WASI_RANDOM_PERIOD;
  let z = (BigInt(Math.floor(n / 8) + 1) * 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  z ^= z >> 31n;
  return Number((z >> BigInt(8 * (n % 8))) & 0xffn);
}
const RANDOM_STREAM = Uint8Array.from({ length: WASI_RANDOM_PERIOD }, (_, i) => randomByte(i));
const EFAULT = 21;

// One run of a WASI command program with node:wasi, stdio through files the
// harness made, clocks and random replaced by the fixed ones.
function runWasi(req, modules) {
  const module = modules.get(req.module);
  if (!module) return { ok: false, error: `no module ${req.module}` };
  const fds = [openSync(req.stdin, "r"), openSync(req.stdout, "w"), openSync(req.stderr, "w")];
  try {
    const preopens = {};
    for (const [guest, host] of req.dirs) preopens[guest] = host;
    const wasi = new WASI({
      version: "preview1", args: req.args, env: Object.fromEntries(req.env), preopens,
      stdin: fds[0], stdout: fds[1], stderr: fds[2], returnOnExit: true,
    });
    const p1 = Object.assign({}, wasi.getImportObject().wasi_snapshot_preview1);
    let memory = null;
    let position = 0;
    const view = () => new DataView(memory.buffer);
    const clock = (id) => (id === 0 ? WASI_REALTIME_NS : id === 1 ? WASI_MONOTONIC_NS : null);
    const nodeTime = p1.clock_time_get;
    const nodeRes = p1.clock_res_get;
    p1.clock_time_get = (id, precision, ptr) => {
      const value = clock(id);
      if (value === null) return nodeTime(id, precision, ptr);
      try { view().setBigUint64(ptr, value, true); } catch { return EFAULT; }
      return 0;
    };
    p1.clock_res_get = (id, ptr) => {
      if (clock(id) === null) return nodeRes(id, ptr);
      try { view().setBigUint64(ptr, WASI_RESOLUTION_NS, true); } catch { return EFAULT; }
      return 0;
    };
    p1.random_get = (buf, len) => {
      let bytes;
      try { bytes = new Uint8Array(memory.buffer, buf, len); } catch { return EFAULT; }
      for (let i = 0; i < len; i++) bytes[i] = RANDOM_STREAM[(position++) % WASI_RANDOM_PERIOD];
      return 0;
    };
    let instance;
    try {
      instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: p1 });
      memory = instance.exports.memory;
      const code = wasi.start(instance);
      return { ok: true, end: "exit", code: code === undefined ? 0 : code };
    } catch (e) {
      return { ok: true, end: "failed", failure: failure(e) };
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

const HOST = (() => {
  const args = process.argv.slice(2);
  return {
    name: args.includes("--name") ? args[args.indexOf("--name") + 1] : "v8",
    version: `node ${process.versions.node} / V8 ${process.versions.v8}`,
    fromBase64: (text) => Buffer.from(text, "base64"),
    toBase64: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64"),
    equal: (a, b) => Buffer.compare(a, b) === 0,
    ops: { wasi: runWasi },
    // Wall and CPU time (user + system, every thread: V8 compiles on helper threads).
    clock: () => { const c = process.cpuUsage(); return [Number(process.hrtime.bigint()), (c.user + c.system) * 1000]; },
    peakRss: () => process.resourceUsage().maxRSS * 1024,
    serve(handle) {
      const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
      rl.on("line", (line) => {
        let response;
        try { response = handle(JSON.parse(line)); } catch (e) { response = { ok: false, error: String(e && e.message || e) }; }
        process.stdout.write(JSON.stringify(response) + "\n");
      });
      rl.on("close", () => process.exit(0));
    },
  };
})();

