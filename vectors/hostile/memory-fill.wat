;; Grows its memory to the limit and writes every byte of it, so the pages are
;; really committed; returns a byte from the last page.
(module
  (memory 1)
  (func (export "fill") (result i32)
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 256)) (i32.const -1)))
        (br $more)))
    (memory.fill (i32.const 0) (i32.const 0xa5) (i32.mul (memory.size) (i32.const 65536)))
    (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))))
