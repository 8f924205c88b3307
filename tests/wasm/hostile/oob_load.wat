;; oob_load.wat - hostile: loads past the end of a one-page memory; with an
;; offset+index that overflows 32 bits in the second export. Expect the
;; "out of bounds memory access" trap.
(module
  (memory 1)
  (func (export "_start")
    (drop (i32.load (i32.const 65534))))
  (func (export "overflow") (result i32)
    (i32.load offset=0xffffffff (i32.const 0xffffffff))))
