;; WebAssembly 3.0 exception handling (exnref): thrown, caught with their
;; payload, rethrown, and uncaught — an uncaught exception is its own outcome.
;; wasmgate repro --wasm vectors/wasm3/exceptions.wat
(module
  (tag $int (param i32))
  (tag $pair (param i64 f64))
  (tag $empty)

  (func $thrower (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $empty)))
    (throw $int (i32.mul (local.get 0) (i32.const 3))))

  ;; the payload of a caught exception
  (func (export "caught") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $int $h) (call $thrower (local.get 0)))
      (i32.const -1)))
  ;; catch_all for a tag without payload, else the payload
  (func (export "caught_any") (param i32) (result i32)
    (block $all
      (block $h (result i32)
        (try_table (catch $int $h) (catch_all $all) (call $thrower (local.get 0)))
        (return (i32.const -1)))
      (return))
    (i32.const 100))
  ;; a two-value payload
  (func (export "pair") (param i64 f64) (result i64 f64)
    (block $h (result i64 f64)
      (try_table (catch $pair $h) (throw $pair (local.get 0) (local.get 1)))
      (unreachable)))
  ;; caught as an exnref, rethrown with throw_ref, caught again
  (func (export "rethrown") (param i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $int $outer)
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (call $thrower (local.get 0)))
          (unreachable))
        (throw_ref))
      (unreachable)))
  ;; nothing catches it
  (func (export "uncaught") (param i32) (result i32)
    (call $thrower (local.get 0))
    (i32.const 0)))
