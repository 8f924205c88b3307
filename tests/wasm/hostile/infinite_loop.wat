;; infinite_loop.wat - hostile: never returns. Run under --fuel; expect the
;; out-of-fuel trap, not a hang.
(module
  (func (export "_start")
    (local i32)
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br $l))))
