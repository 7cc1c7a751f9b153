;; SpiderMonkey 102.15.1 (both tiers; the shell of Debian's libmozjs-102-dev)
;; cuts an export name at its first U+0000: `a\00b` is exported as `a`, so
;; this valid module — two exports, "a\00b" and "a" — is rejected with
;; "duplicate export", and a module exporting only "a\00b" has no such
;; export (calling it: "f is not a function"). Export names are any UTF-8
;; text; wasmtime, wasmer, wasmi, V8 and JavaScriptCore keep the whole name.
;; Found by `wasmgate run` (seeds 16 and 32 among others: three signatures,
;; validation, global and error, all of cause "spidermonkey: U+0000 in an
;; export name").
;; Replay: wasmgate repro --wasm vectors/spidermonkey-export-nul.wat
(module
  (func (export "a\00b") (result i32) (i32.const 1))
  (func (export "a") (result i32) (i32.const 2)))
