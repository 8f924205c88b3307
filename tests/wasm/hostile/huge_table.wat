;; huge_table.wat - hostile: declares a table of 4,000,000,000 elements.
;; Valid per the spec; the engine must refuse it with a limit error (or cap
;; it) instead of trying to allocate 32 GB.
(module
  (table 4000000000 funcref)
  (func (export "_start")))
