;; badbuf.wat - claims an event buffer that runs past the end of its memory:
;; refused at load, so the host never writes outside the guest.
(module
  (memory (export "memory") 1)
  (func (export "lockstep_abi_version") (result i32) i32.const 1)
  (func (export "lockstep_event_buffer") (result i32) i32.const 60000))
