;; badsig.wat - on_flow_new with the wrong signature: refused, naming it.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) i32.const 1)
  (func (export "lockstep_event_buffer") (result i32) i32.const 1024)
  (func (export "on_flow_new") (param i64) (result i32) i32.const 0))
