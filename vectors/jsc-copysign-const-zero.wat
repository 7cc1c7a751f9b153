;; JavaScriptCore 2.50.6, BBQ and OMG tiers: copysign with a constant sign
;; operand loses a negative sign when the magnitude is +0.0: copysign(+0.0,
;; -0.0) gives +0.0. The sweep's constant-operand form finds it as
;; `f64.copysign const1#1` and `f32.copysign const1#1` called with 0.0; the
;; default run as `jsc: f64.copysign with a constant operand`.
;;
;;   wasmgate repro --wasm vectors/jsc-copysign-const-zero.wat \
;;     --engines wasmtime-cranelift,wasmi,jsc-ipint,jsc-bbq,jsc-omg
(module
  (func $f64 (param f64) (result f64) (f64.copysign (local.get 0) (f64.const -0)))
  (func $f32 (param f32) (result f32) (f32.copysign (local.get 0) (f32.const -0)))
  (func (export "f64_copysign_zero") (result f64) (call $f64 (f64.const 0)))
  (func (export "f32_copysign_zero") (result f32) (call $f32 (f32.const 0))))
