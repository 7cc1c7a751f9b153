// wasmgate engine worker for V8, run by node: the host part; js/core.js
// follows it in the script wasmgate writes (runners/src/external.rs).
//
//   node [V8 flags] worker.mjs --name v8-turbofan

import { createInterface } from "node:readline";

const HOST = (() => {
  const args = process.argv.slice(2);
  return {
    name: args.includes("--name") ? args[args.indexOf("--name") + 1] : "v8",
    version: `node ${process.versions.node} / V8 ${process.versions.v8}`,
    features: ["mutable-global", "saturating-float-to-int", "sign-extension", "multi-value", "bulk-memory", "reference-types", "simd"],
    fromBase64: (text) => Buffer.from(text, "base64"),
    toBase64: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64"),
    equal: (a, b) => Buffer.compare(a, b) === 0,
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

