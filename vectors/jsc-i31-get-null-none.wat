;; JavaScriptCore 2.50.6 (every tier) rejects this valid module: `i31.get_u`
;; (and `i31.get_s`) of a `ref.null none` — the bottom of the `any`
;; hierarchy, a subtype of `i31ref` — fails validation with "i31.get_u ref to
;; type (ref null none) expected I31ref". `array.len` of the same null, and
;; `i31.get_u` of `ref.null i31`, are accepted. wasmtime and Chromium's V8
;; accept it, and `f` traps with a null reference.
;; Found by `wasmgate run` (its wasm3 seeds; seed 2019 among others).
;; Replay: wasmgate repro --wasm vectors/jsc-i31-get-null-none.wat
(module
  (func (export "f") (result i32)
    (i31.get_u (ref.null none))))
