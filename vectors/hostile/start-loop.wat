;; A start function that never returns: instantiation hangs on every engine.
(module
  (func $forever (loop $again (br $again)))
  (start $forever)
  (func (export "never") (result i32) (i32.const 1)))
