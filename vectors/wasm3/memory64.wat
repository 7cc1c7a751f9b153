;; WebAssembly 3.0 memory64 and multiple memories: 64-bit addresses at the
;; end of memory, and copies between two memories.
;; wasmgate repro --wasm vectors/wasm3/memory64.wat
(module
  (memory $wide i64 1 2)
  (memory $narrow 1 1)
  (data (memory $narrow) (i32.const 16) "\01\02\03\04\05\06\07\08")
  (func (export "store_load") (param i64 i64) (result i64)
    ;; an address in the first page, or just past the end of memory
    (local.set 0 (i64.add (i64.and (local.get 0) (i64.const 0x1ffff)) (i64.const -8)))
    (i64.store $wide (local.get 0) (local.get 1))
    (i64.load $wide (local.get 0)))
  (func (export "size") (result i64) (memory.size $wide))
  (func (export "grow") (param i64) (result i64) (memory.grow $wide (i64.and (local.get 0) (i64.const 3))))
  (func (export "copy_between") (param i64) (result i64)
    (local.set 0 (i64.and (local.get 0) (i64.const 0x1ffff)))
    (memory.copy $wide $narrow (local.get 0) (i32.const 16) (i32.const 8))
    (i64.load $wide (local.get 0)))
  (func (export "narrow_byte") (param i32) (result i32)
    (i32.load8_u $narrow (i32.and (local.get 0) (i32.const 0x1ffff)))))
