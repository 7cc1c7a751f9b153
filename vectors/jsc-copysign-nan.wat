(;; JavaScriptCore 2.50.6 (WebKitGTK), BBQ and OMG tiers: `copysign` with a
;; negative NaN constant as the sign operand loses the sign for some inputs:
;; f64.copysign(-0.0, -nan:0x1) gives +0.0 (the in-place interpreter, and every
;; other engine, give -0.0). Found by the default run (seed 6144).
;;   wasmgate repro --wasm vectors/jsc-copysign-nan.wat --engines wasmtime-cranelift,wasmi,jsc-ipint,jsc-bbq,jsc-omg ;)
(module
  (func (export "cs64") (param f64) (result i64)
    local.get 0
    f64.const -nan:0x1
    f64.copysign
    i64.reinterpret_f64)
  (global $minus_zero (mut f64) (f64.const -0.0))
  (func (export "cs64_minus_zero") (result i64)
    global.get $minus_zero
    f64.const -nan:0x1
    f64.copysign
    i64.reinterpret_f64))
