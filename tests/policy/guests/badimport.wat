;; badimport.wat - imports a host function the ABI does not have: refused
;; before instantiation, naming the import.
(module
  (import "lockstep" "open_file" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) i32.const 1)
  (func (export "lockstep_event_buffer") (result i32) i32.const 1024))
