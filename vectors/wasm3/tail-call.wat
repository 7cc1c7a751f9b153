;; WebAssembly 3.0 tail calls: deep chains that would overflow as plain calls.
;; wasmgate repro --wasm vectors/wasm3/tail-call.wat
(module
  (type $step (func (param i64 i64) (result i64)))
  (table funcref (elem $sum_indirect))
  (func $sum (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $sum (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n))))))
  (func $sum_indirect (param $n i64) (param $acc i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $step)
        (i64.sub (local.get $n) (i64.const 1)) (i64.add (local.get $acc) (local.get $n)) (i32.const 0)))))
  ;; up to a million steps: far past any engine's stack as plain calls
  (func (export "sum") (param i64) (result i64)
    (return_call $sum (i64.and (local.get 0) (i64.const 0xfffff)) (i64.const 0)))
  (func (export "sum_indirect") (param i64) (result i64)
    (return_call_indirect (type $step) (i64.and (local.get 0) (i64.const 0xfffff)) (i64.const 0) (i32.const 0))))
