;; wasmi 2.0.0 miscompiles `select` whose condition is an `i32.eqz`:
;; for x != 0, (select (i32.const 1) (x) (i32.eqz x)) must be x; wasmi returns 1.
;; Found by `wasmgate run --profile mvp --seeds 0..2000` (seed 1853), minimised by hand.
;; Replay: wasmgate repro --wasm vectors/wasmi-select-eqz.wat
(module
  (func (export "f") (param i32) (result i32)
    i32.const 1
    local.get 0
    local.get 0
    i32.eqz
    select))
