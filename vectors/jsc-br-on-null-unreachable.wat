;; JavaScriptCore 2.50.6 (every tier) rejects this valid module: a
;; `br_on_null` in unreachable code (after `br 0`), inside blocks opened
;; there, has its label checked against the control stack as it was when the
;; code became unreachable ("br / br_if's target 2 exceeds control stack
;; size 2"). `br_on_non_null`, `br_on_cast` and `br_on_cast_fail` in the same
;; place are rejected alike; `br_if` and `br_table` are not. wasmtime and
;; Chromium's V8 accept it, and `f` returns 7.
;; Found by `wasmgate run --profile wasm3` (seeds 2 and 28 among others).
;; Replay: wasmgate repro --wasm vectors/jsc-br-on-null-unreachable.wat
(module
  (func (export "f") (param funcref) (result i32)
    block
      br 0
      block
        block
          local.get 0
          br_on_null 2
          drop
        end
      end
    end
    i32.const 7))
