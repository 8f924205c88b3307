;; huge_memory.wat - hostile: declares the maximum 65536 pages (4 GiB) as its
;; minimum. Must be refused with a limit error under --max-memory-pages.
(module
  (memory 65536)
  (func (export "_start")))
