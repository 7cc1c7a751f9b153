;; WebAssembly 3.0 GC, compared by observation on every engine with GC
;; (wasmtime, JavaScriptCore, Chromium's V8): structs, arrays, i31 and casts.
;; Lengths are masked to a byte: random arguments must not allocate gigabytes.
;; wasmgate repro --wasm vectors/wasm3/gc.wat
(module
  (type $point (struct (field $x (mut i32)) (field $y i64)))
  (type $bytes (array (mut i8)))
  (type $points (array (ref null $point)))

  (func $point (param i32 i64) (result (ref $point)) (struct.new $point (local.get 0) (local.get 1)))

  ;; results of the any hierarchy, observed as their kind (and an i31's value)
  (func (export "a_struct") (result anyref) (call $point (i32.const 3) (i64.const 4)))
  (func (export "an_array") (result arrayref) (array.new_default $bytes (i32.const 5)))
  (func (export "an_i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
  (func (export "null_any") (result anyref) (ref.null none))

  ;; fields, lengths and i31 values read inside wasm
  (func (export "field_sum") (param i32 i64) (result i64)
    (local $p (ref $point))
    (local.set $p (call $point (local.get 0) (local.get 1)))
    (struct.set $point $x (local.get $p) (i32.add (struct.get $point $x (local.get $p)) (i32.const 1)))
    (i64.add (i64.extend_i32_s (struct.get $point $x (local.get $p))) (struct.get $point $y (local.get $p))))
  (func (export "array_len") (param i32) (result i32)
    (array.len (array.new_default $bytes (i32.and (local.get 0) (i32.const 0xff)))))
  (func (export "array_bytes") (param i32) (result i32)
    (local $a (ref $bytes))
    (local.set $a (array.new $bytes (local.get 0) (i32.const 4)))  ;; four bytes of the low byte
    (array.set $bytes (local.get $a) (i32.const 1) (i32.const 0x1ff))
    (i32.add (array.get_s $bytes (local.get $a) (i32.const 1)) (array.get_u $bytes (local.get $a) (i32.const 2))))
  (func (export "i31_s") (param i32) (result i32) (i31.get_s (ref.i31 (local.get 0))))
  (func (export "i31_u") (param i32) (result i32) (i31.get_u (ref.i31 (local.get 0))))

  ;; identity and casts
  (func (export "same_twice") (result i32)
    (local $p (ref $point))
    (local.set $p (call $point (i32.const 1) (i64.const 2)))
    (ref.eq (local.get $p) (local.get $p)))
  (func (export "two_alike") (result i32)
    (ref.eq (call $point (i32.const 1) (i64.const 2)) (call $point (i32.const 1) (i64.const 2))))
  (func (export "is_point") (param i32) (result i32)
    (ref.test (ref $point)
      (if (result anyref) (local.get 0)
        (then (call $point (i32.const 0) (i64.const 0)))
        (else (ref.i31 (i32.const 7))))))
  (func (export "cast_fails") (result i32)
    (struct.get $point $x (ref.cast (ref $point) (ref.i31 (i32.const 7)))))
  (func (export "null_field") (result i32)
    (struct.get $point $x (ref.null $point)))
  (func (export "out_of_bounds") (param i32) (result i32)
    (array.get_u $bytes (array.new_default $bytes (i32.const 2)) (local.get 0)))
  (func (export "nested") (param i32) (result i64)
    (local $ps (ref $points))
    (local.set $ps (array.new $points (call $point (local.get 0) (i64.const 10)) (i32.const 3)))
    (struct.get $point $y (array.get $points (local.get $ps) (i32.const 2)))))
