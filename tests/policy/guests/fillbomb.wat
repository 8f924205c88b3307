;; fillbomb.wat - a hostile policy for contain_live.sh: on every new flow it
;; fills its whole 16 MiB memory (after the event buffer) again and again,
;; forever. Before fuel was charged per byte a memory.fill cost one unit, so
;; at the default fuel this held the agent for minutes; now the fuel or the
;; wall-clock deadline stops each call.
(module
  (memory (export "memory") 256)
  (func (export "lockstep_abi_version") (result i32) i32.const 1)
  (func (export "lockstep_event_buffer") (result i32) i32.const 0)
  (func (export "on_flow_new") (param i32) (result i32)
    (loop $l
      (memory.fill (i32.const 16384) (i32.const 0x5a) (i32.const 16760832))
      (br $l))
    i32.const 0))
