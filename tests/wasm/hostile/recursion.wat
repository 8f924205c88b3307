;; recursion.wat - hostile: unbounded recursion with a few locals per frame.
;; Expect "call stack exhausted", and the host's own stack untouched.
(module
  (func $f (param i64) (result i64)
    (local i64 i64 i64)
    (i64.add (call $f (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
  (func (export "_start")
    (drop (call $f (i64.const 0)))))
