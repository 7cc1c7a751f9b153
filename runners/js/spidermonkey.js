// wasmgate engine worker for SpiderMonkey, run by its shell (Debian's `js102`):
// the host part (after js/portable.js); js/core.js follows it in the script
// wasmgate writes (runners/src/js/mod.rs).
//
//   js102 [--wasm-compiler=baseline|ion] worker.js --name spidermonkey-ion --version "SpiderMonkey 102.15.1"
//
// The shell reads a line with `readline()` (null once stdin is closed) and
// writes one with `print()`; neither is UTF-8, so both directions carry
// ASCII-only JSON (`\u` escapes). Its arguments are in `scriptArgs`.

const HOST = (() => {
  const args = typeof scriptArgs === "undefined" ? [] : Array.from(scriptArgs);
  const arg = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
  return {
    name: arg("--name", "spidermonkey"),
    version: arg("--version", "SpiderMonkey"),
    ...portableBytes,
    // The shell has a wall clock in milliseconds (microsecond fraction), no CPU clock.
    clock: () => [performance.now() * 1e6, null],
    serve: serveShellLines,
  };
})();
