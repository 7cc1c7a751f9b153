;; Grows its memory 1000 pages at a time until growth fails, and returns the
;; size it reached: the harness's memory limit (4096 pages, 256 MiB) on every
;; engine, never a divergence and never the host's memory.
(module
  (memory 1)
  (func (export "grow_to_max") (result i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1000)) (i32.const -1)))
        (br $more)))
    ;; growth by single pages up to the limit
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (memory.size)))
