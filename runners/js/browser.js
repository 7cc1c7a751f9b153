// wasmgate engine worker for a browser page: the host part (after
// js/portable.js); js/core.js follows it. wasmgate's browser bridge (runners/src/browser.rs) evaluates
// this in a headless page over the browser's own remote protocol, then
// evaluates `__wasmgate(REQUEST)` per request, which answers with the JSON text.

const HOST = (() => ({
  name: globalThis.__wasmgateName || "browser",
  version: globalThis.__wasmgateVersion || navigator.userAgent,
  ...portableBytes,
  // A page has only the wall clock (coarsened to a few microseconds).
  clock: () => [performance.now() * 1e6, null],
  serve(handle) {
    globalThis.__wasmgate = (request) => {
      let response;
      try { response = handle(request); } catch (e) { response = { ok: false, error: String(e && e.message || e) }; }
      return JSON.stringify(response);
    };
  },
}))();

