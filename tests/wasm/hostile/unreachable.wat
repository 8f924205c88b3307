;; unreachable.wat - a trap three calls deep: the CLI must report the kind,
;; the message, the function and the wasm stack.
(module
  (func $inner (unreachable))
  (func $middle (call $inner))
  (func $outer (call $middle))
  (func (export "_start") (call $outer)))
