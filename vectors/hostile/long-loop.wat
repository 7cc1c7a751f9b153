;; Counts to 2^63: every engine hangs; the case is inconclusive ("every engine
;; hung"), each engine process is killed, none outlives the run.
(module
  (func (export "count") (param i64) (result i64)
    (local $i i64)
    (loop $more
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $more (i64.lt_u (local.get $i) (i64.const 0x8000000000000000))))
    (local.get $i)))
