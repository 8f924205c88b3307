;; abi3.wat - a module that speaks a future lockstep ABI (version 3): the
;; host must refuse it with a clear message rather than misread its records.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) i32.const 3)
  (func (export "lockstep_event_buffer") (result i32) i32.const 1024)
  (func (export "on_flow_new") (param i32) (result i32) i32.const 0))
