;; wasi_probe.wat - exports small probes of the WASI layer for
;; tests/unit/test_wasm_wasi.c (virtual clock, poll_oneoff sleep, random_get,
;; fd_write to the sink, args, proc_exit). Scratch memory at 1024.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "out\n")
  (data (i32.const 520) "err\n")
  ;; clock_time_get(id) -> time, or -errno
  (func (export "now") (param $id i32) (result i64)
    (local $e i32)
    (local.set $e (call $clock_time_get (local.get $id) (i64.const 0) (i32.const 1024)))
    (if (result i64) (local.get $e)
      (then (i64.extend_i32_s (i32.sub (i32.const 0) (local.get $e))))
      (else (i64.load (i32.const 1024)))))
  (func (export "res") (result i64)
    (drop (call $clock_res_get (i32.const 1) (i32.const 1024)))
    (i64.load (i32.const 1024)))
  ;; sleep(ns) on the monotonic clock with one relative clock subscription:
  ;; returns errno * 1000 + number of events
  (func (export "sleep") (param $ns i64) (result i32)
    (local $e i32)
    (i64.store (i32.const 2048) (i64.const 77))      ;; userdata
    (i32.store8 (i32.const 2056) (i32.const 0))      ;; tag: clock
    (i32.store (i32.const 2064) (i32.const 1))       ;; monotonic
    (i64.store (i32.const 2072) (local.get $ns))     ;; timeout
    (i64.store (i32.const 2080) (i64.const 0))       ;; precision
    (i32.store16 (i32.const 2088) (i32.const 0))     ;; relative
    (local.set $e (call $poll_oneoff (i32.const 2048) (i32.const 3072) (i32.const 1) (i32.const 1024)))
    (i32.add (i32.mul (local.get $e) (i32.const 1000)) (i32.load (i32.const 1024))))
  ;; userdata of the first event written by the last sleep
  (func (export "event_userdata") (result i64) (i64.load (i32.const 3072)))
  ;; 8 random bytes as an i64
  (func (export "rand") (result i64)
    (drop (call $random_get (i32.const 1024) (i32.const 8)))
    (i64.load (i32.const 1024)))
  ;; writes "out\n" to fd 1 and "err\n" to fd 2; returns the sum of errnos
  (func (export "write_both") (result i32)
    (i32.store (i32.const 1024) (i32.const 512))
    (i32.store (i32.const 1028) (i32.const 4))
    (i32.store (i32.const 1032) (i32.const 520))
    (i32.store (i32.const 1036) (i32.const 4))
    (i32.add
      (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 1040))
      (call $fd_write (i32.const 2) (i32.const 1032) (i32.const 1) (i32.const 1040))))
  (func (export "argc") (result i32)
    (drop (call $args_sizes_get (i32.const 1024) (i32.const 1028)))
    (i32.load (i32.const 1024)))
  ;; environ: copies the strings to 4096 and returns the buffer size
  (func (export "environ") (result i32)
    (drop (call $environ_sizes_get (i32.const 1024) (i32.const 1028)))
    (drop (call $environ_get (i32.const 1100) (i32.const 4096)))
    (i32.load (i32.const 1028)))
  (func (export "_start") (call $proc_exit (i32.const 9))))
