;; JavaScriptCore 2.50.6 evaluates an element segment's item expressions again
;; at every use: two copies of the same segment item are different objects.
;; The spec evaluates them once, at instantiation, so each function returns 1
;; (wasmtime, V8); JavaScriptCore returns 0 on all three tiers.
;; Replay: wasmgate repro --wasm vectors/jsc-gc-elem-reevaluated.wat
(module
  (type $arr (array (mut arrayref)))
  (table $table 2 arrayref)
  (elem $elem arrayref (item (array.new_default $arr (i32.const 0))))

  ;; array.new_elem twice from the same item
  (func (export "array_new_elem") (result i32)
    (ref.eq
      (array.get $arr (array.new_elem $arr $elem (i32.const 0) (i32.const 1)) (i32.const 0))
      (array.get $arr (array.new_elem $arr $elem (i32.const 0) (i32.const 1)) (i32.const 0))))

  ;; array.init_elem into two arrays from the same item
  (func (export "array_init_elem") (result i32)
    (local $a (ref $arr)) (local $b (ref $arr))
    (local.set $a (array.new_default $arr (i32.const 1)))
    (local.set $b (array.new_default $arr (i32.const 1)))
    (array.init_elem $arr $elem (local.get $a) (i32.const 0) (i32.const 0) (i32.const 1))
    (array.init_elem $arr $elem (local.get $b) (i32.const 0) (i32.const 0) (i32.const 1))
    (ref.eq (array.get $arr (local.get $a) (i32.const 0))
            (array.get $arr (local.get $b) (i32.const 0))))

  ;; table.init twice from the same item
  (func (export "table_init") (result i32)
    (table.init $table $elem (i32.const 0) (i32.const 0) (i32.const 1))
    (table.init $table $elem (i32.const 1) (i32.const 0) (i32.const 1))
    (ref.eq (table.get $table (i32.const 0)) (table.get $table (i32.const 1)))))
