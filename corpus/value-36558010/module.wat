(module
  (type (;0;) (func (param i32) (result i32)))
  (export "f" (func 0))
  (func (;0;) (type 0) (param i32) (result i32)
    i32.const 1
    local.get 0
    local.get 0
    i32.eqz
    select
  )
)
