;; oob_store.wat - hostile: a store whose effective address is just past
;; the end of memory (index + offset). Expect "out of bounds memory access".
(module
  (memory 1 1)
  (func (export "_start")
    (i64.store offset=65530 (i32.const 0) (i64.const -1))))
