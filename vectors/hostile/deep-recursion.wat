;; Recurses without end: every engine exhausts its stack (inconclusive, not a
;; divergence: the spec leaves the depth open).
(module
  (func $down (export "down") (param i32) (result i32)
    (call $down (i32.add (local.get 0) (i32.const 1)))))
