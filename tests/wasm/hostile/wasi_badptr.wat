;; wasi_badptr.wat - hostile: hands WASI calls pointers and lengths outside
;; its memory, and calls imports outside the supported subset. Every call
;; must fail with an errno (EFAULT 21, ENOSYS 52, EBADF 8), never touch host
;; memory. Exits 0 when all hold, else with the number of the failed check.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1 1)
  (func $expect (param $got i32) (param $want i32) (param $check i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $exit (local.get $check)))))
  (func (export "_start")
    ;; iovec array outside memory
    (call $expect (call $fd_write (i32.const 1) (i32.const 0xfffffff8) (i32.const 1) (i32.const 0)) (i32.const 21) (i32.const 1))
    ;; iovec count so large that the array wraps 32 bits
    (call $expect (call $fd_write (i32.const 1) (i32.const 16) (i32.const 0x20000001) (i32.const 0)) (i32.const 21) (i32.const 2))
    ;; an iovec whose buffer runs past the end: {buf=65000, len=1000}
    (i32.store (i32.const 16) (i32.const 65000))
    (i32.store (i32.const 20) (i32.const 1000))
    (call $expect (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 0)) (i32.const 21) (i32.const 3))
    ;; an iovec whose buf+len wraps: {buf=0xffffff00, len=0x200}
    (i32.store (i32.const 16) (i32.const 0xffffff00))
    (i32.store (i32.const 20) (i32.const 0x200))
    (call $expect (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 0)) (i32.const 21) (i32.const 4))
    ;; a good iovec but nwritten pointer outside memory
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 0))
    (call $expect (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 65535)) (i32.const 21) (i32.const 5))
    ;; writing to a descriptor that does not exist
    (call $expect (call $fd_write (i32.const 7) (i32.const 16) (i32.const 1) (i32.const 32)) (i32.const 8) (i32.const 6))
    ;; args_get with the pointer array outside memory
    (call $expect (call $args_get (i32.const 0x7ffffff0) (i32.const 0)) (i32.const 21) (i32.const 7))
    ;; random_get for more bytes than memory holds
    (call $expect (call $random_get (i32.const 100) (i32.const 65500)) (i32.const 21) (i32.const 8))
    ;; clock_time_get writing to the last 4 bytes (needs 8)
    (call $expect (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65532)) (i32.const 21) (i32.const 9))
    ;; clock_time_get with an unknown clock id
    (call $expect (call $clock_time_get (i32.const 99) (i64.const 0) (i32.const 64)) (i32.const 28) (i32.const 10))
    ;; poll_oneoff with subscriptions outside memory
    (call $expect (call $poll_oneoff (i32.const 65000) (i32.const 0) (i32.const 100) (i32.const 64)) (i32.const 21) (i32.const 11))
    ;; poll_oneoff with no subscriptions
    (call $expect (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 0) (i32.const 64)) (i32.const 28) (i32.const 12))
    ;; outside the subset: ENOSYS
    (call $expect (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 0)
                        (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 64)) (i32.const 52) (i32.const 13))
    (call $expect (call $sock_accept (i32.const 3) (i32.const 0) (i32.const 64)) (i32.const 52) (i32.const 14))
    ;; no preopened directories
    (call $expect (call $fd_prestat_get (i32.const 3) (i32.const 64)) (i32.const 8) (i32.const 15))
    (call $exit (i32.const 0))))
