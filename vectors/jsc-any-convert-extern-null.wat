;; JavaScriptCore 2.50.6 (every tier) rejects this valid module:
;; `any.convert_extern` of a `ref.null noextern` — the bottom of the `extern`
;; hierarchy, a subtype of `externref` — fails validation with
;; "any.convert_extern reference to type (ref null noextern) expected
;; Externref". `any.convert_extern` of `ref.null extern`, and
;; `extern.convert_any` of `ref.null none`, are accepted. wasmtime and
;; Chromium's V8 accept it, and `f` returns a null anyref.
;; Found by `wasmgate run --profile wasm3` (seeds 1134 and 1142).
;; Replay: wasmgate repro --wasm vectors/jsc-any-convert-extern-null.wat
(module
  (func (export "f") (result anyref)
    (any.convert_extern (ref.null noextern))))
