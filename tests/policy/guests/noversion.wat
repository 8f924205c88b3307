;; noversion.wat - a plain Wasm module that is not a lockstep policy (no
;; lockstep_abi_version export): refused, naming the missing export.
(module
  (memory (export "memory") 1)
  (func (export "on_flow_new") (param i32) (result i32) i32.const 0))
