;; grow_limit.wat - hostile: memory.grow beyond the embedder's page cap must
;; return -1 (not trap, not allocate). Run with --max-memory-pages 16. Exit code 0
;; when every check holds, otherwise the number of the failing check.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1)
  (func (export "_start")
    ;; 1: a small grow within the cap works and returns the old size
    (if (i32.ne (memory.grow (i32.const 3)) (i32.const 1)) (then (call $exit (i32.const 1))))
    ;; 2: growing past the cap fails with -1
    (if (i32.ne (memory.grow (i32.const 100)) (i32.const -1)) (then (call $exit (i32.const 2))))
    ;; 3: a grow that would exceed 4 GiB fails with -1
    (if (i32.ne (memory.grow (i32.const 70000)) (i32.const -1)) (then (call $exit (i32.const 3))))
    ;; 4: the size is unchanged by the failed grows
    (if (i32.ne (memory.size) (i32.const 4)) (then (call $exit (i32.const 4))))
    ;; 5: the last byte of the grown memory is usable
    (i32.store8 (i32.const 262143) (i32.const 7))
    (if (i32.ne (i32.load8_u (i32.const 262143)) (i32.const 7)) (then (call $exit (i32.const 5))))
    ;; 6: up to the cap exactly works
    (if (i32.ne (memory.grow (i32.const 12)) (i32.const 4)) (then (call $exit (i32.const 6))))
    (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1)) (then (call $exit (i32.const 7))))
    (call $exit (i32.const 0))))
