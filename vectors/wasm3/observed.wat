;; What wasmgate observes of WebAssembly 3.0 results on every engine alike:
;; a struct or array by a digest of its type and contents (three levels of
;; references deep, an array's length and first 16 elements, NaNs made
;; canonical), two results that are the same object, an exported global
;; holding a struct, and an uncaught exception by its tag and payload.
;; Only the functions returning objects multiply floats (f64.mul), so a fault
;; there shows only through the observation.
;; wasmgate repro --wasm vectors/wasm3/observed.wat
(module
  (type $point (struct (field $x (mut i32)) (field $y f64)))
  (type $node (struct (field $value i64) (field $next (ref null $node))))
  (type $bytes (array (mut i8)))
  (type $floats (array (mut f32)))
  (type $points (array (ref null $point)))

  (tag $boom (param i32 f64 anyref))

  (global $shared (export "shared") (mut (ref null $point)) (ref.null $point))

  (func $point (param i32 f64) (result (ref $point))
    (struct.new $point (local.get 0) (f64.mul (local.get 1) (f64.const 1.5))))

  ;; a struct by its fields: the same arguments give the same digest
  (func (export "point") (param i32 f64) (result (ref $point))
    (call $point (local.get 0) (local.get 1)))
  ;; a linked list, followed three levels deep
  (func (export "list") (param i64) (result anyref)
    (struct.new $node (local.get 0)
      (struct.new $node (i64.add (local.get 0) (i64.const 1))
        (struct.new $node (i64.add (local.get 0) (i64.const 2)) (ref.null $node)))))
  ;; arrays by length and elements, packed bytes read unsigned
  (func (export "bytes") (param i32) (result (ref $bytes))
    (array.new $bytes (local.get 0) (i32.and (local.get 0) (i32.const 31))))
  ;; a NaN in an array is compared as the canonical NaN
  (func (export "nan_floats") (param f32) (result arrayref)
    (array.new $floats (f32.div (local.get 0) (local.get 0)) (i32.const 3)))
  (func (export "points") (param i32) (result (ref $points))
    (array.new $points (call $point (local.get 0) (f64.const 2)) (i32.const 2)))
  ;; two results: the same object twice, and two objects alike
  (func (export "same") (param i32) (result anyref anyref)
    (local $p (ref $point))
    (local.set $p (call $point (local.get 0) (f64.const 1)))
    (local.get $p) (local.get $p))
  (func (export "alike") (param i32) (result anyref anyref)
    (call $point (local.get 0) (f64.const 1)) (call $point (local.get 0) (f64.const 1)))
  ;; an exported global holding a struct, observed after every call
  (func (export "share") (param i32)
    (global.set $shared (call $point (local.get 0) (f64.const 4))))
  ;; an uncaught exception, by tag and payload (a struct in it by its digest)
  (func (export "boom") (param i32)
    (throw $boom (local.get 0) (f64.mul (f64.convert_i32_s (local.get 0)) (f64.const 0.5))
      (call $point (local.get 0) (f64.const 3)))))
