#!/usr/bin/env bash
# gen_many_funcs.sh N - prints the text of a module with N functions (a
# hostile module for decoder/compiler scaling): each returns its own index,
# _start calls the last one and exits with (result mod 256) via proc_exit.
set -euo pipefail
n=${1:-100000}
echo '(module'
echo '  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "  (func $f%d (result i32) (i32.add (i32.const %d) (i32.const 1)))\n", i, i - 1 }'
echo "  (func (export \"_start\") (call \$exit (i32.and (call \$f$((n - 1))) (i32.const 255)))))"
