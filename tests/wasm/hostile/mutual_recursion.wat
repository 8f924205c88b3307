;; mutual_recursion.wat - hostile: unbounded recursion through call_indirect
;; between two functions. Expect "call stack exhausted".
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $a $b)
  (func $a (type $t) (call_indirect (type $t) (local.get 0) (i32.const 1)))
  (func $b (type $t) (call_indirect (type $t) (i32.add (local.get 0) (i32.const 1)) (i32.const 0)))
  (func (export "_start") (drop (call $a (i32.const 0)))))
