// wasmgate engine worker for JavaScriptCore, run by the `jsc` shell: the host
// part (after js/portable.js); js/core.js follows it in the script wasmgate writes
// (runners/src/external.rs).
//
//   jsc [JSC options] worker.js -- --name jsc-omg --version "JavaScriptCore 2.50.6"
//
// The shell reads a line with `readline()` (an empty string once stdin is
// closed: wasmgate never sends an empty line) and writes one with `print()`;
// neither is UTF-8, so both directions carry ASCII-only JSON (`\u` escapes).

const HOST = (() => {
  const args = typeof arguments === "undefined" ? [] : Array.from(arguments);
  const arg = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
  return {
    name: arg("--name", "jsc"),
    version: arg("--version", "JavaScriptCore"),
    ...portableBytes,
    // The shell has a precise wall clock, no CPU clock.
    clock: () => [preciseTime() * 1e9, null],
    serve: serveShellLines,
  };
})();

