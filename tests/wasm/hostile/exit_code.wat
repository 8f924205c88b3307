;; exit_code.wat - proc_exit from a nested call: the code reaches the host's
;; exit status and nothing after the call runs.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $deep (param i32)
    (if (i32.eqz (local.get 0)) (then (call $exit (i32.const 42))))
    (call $deep (i32.sub (local.get 0) (i32.const 1))))
  (func (export "_start")
    (call $deep (i32.const 50))
    unreachable))
