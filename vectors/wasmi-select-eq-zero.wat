;; wasmi 2.0.0's select/i32.eqz miscompilation (vectors/wasmi-select-eqz.wat)
;; is also reached through a comparison with a zero constant: for x != 0,
;; (select (i32.const 1) (x) (i32.eq x (i32.const 0))) must be x and wasmi
;; returns 1; with i32.ne it must be 1 and wasmi returns x. A comparison with
;; any other constant is right. Found by `wasmgate sweep` (`i32.eq const1#0
;; select`, `i32.ne const1#0 select`) once findings were split by cause.
;; Replay: wasmgate repro --wasm vectors/wasmi-select-eq-zero.wat
(module
  (func (export "eq0") (param i32) (result i32)
    (select (i32.const 1) (local.get 0) (i32.eq (local.get 0) (i32.const 0))))
  (func (export "ne0") (param i32) (result i32)
    (select (i32.const 1) (local.get 0) (i32.ne (local.get 0) (i32.const 0))))
  (func (export "eq5") (param i32) (result i32)
    (select (i32.const 1) (local.get 0) (i32.eq (local.get 0) (i32.const 5)))))
