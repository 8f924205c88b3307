#!/usr/bin/env bash
# opt_levels.sh - differential test of the interpreter's code generation:
# the same C programs compiled by clang to wasm32-wasi at every optimisation
# level (-O0 -O1 -O2 -O3 -Os -Oz) give instruction sequences of very
# different shapes (stack-heavy at -O0, locals and long chains at -O3), which
# is what the compiler's folding, the register forms and the fused pairs
# (src/wasm/peephole.c, ops.h) must all get right. Each module must print
# what the native build (gcc -O2) prints: the benchmark kernels their
# checksum, the test programs their expected output. The release engine runs
# every level; the ASan build (which checks every register read against its
# slot, LW_CHECK_ACC) runs the small test programs at -O1, -Os and -O3 and
# the kernels (seconds each under ASan) at -Os.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
REL="$LS_ROOT/build/lockstep"
CLANG="${CLANG:-clang}"
OUT="$LS_ROOT/build/wasm/optlevels"
mkdir -p "$OUT"
require_wasm_cli
[ -x "$REL" ] || bail "$REL not built (make all)"

cat >"$TMP/main.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#ifdef __wasm__
uint64_t bench(void);
#define K bench
#else
uint64_t KFN(void);
#define K KFN
#endif
int main(void) { printf("%llu\n", (unsigned long long)K()); return 0; }
EOF

B="$LS_ROOT/bench/wasm"
P="$LS_ROOT/tests/wasm/progs"
levels=(O0 O1 O2 O3 Os Oz)
checked=()

# case NAME MODULE-BASE WANT-FILE: builds at every level and compares
run_levels() {
	local name=$1 want=$2; shift 2
	local bad="" built=0
	for o in "${levels[@]}"; do
		local m="$OUT/$name-$o.wasm"
		if ! "$CLANG" --target=wasm32-wasi -"$o" -I"$B" "$@" -o "$m" -lm 2>"$TMP/cc.err"; then
			bad+=" $o(build: $(head -c 120 "$TMP/cc.err"))"
			continue
		fi
		built=$((built + 1))
		timeout -k 5 300 "$REL" wasm run "$m" >"$TMP/got" 2>"$TMP/err"
		cmp -s "$TMP/got" "$want" || bad+=" $o(release: $(head -c 60 "$TMP/got" | tr '\n' ' '))"
		if [[ " ${checked[*]} " == *" $o "* ]]; then
			timeout -k 5 600 "$LS_BIN" wasm run "$m" >"$TMP/got" 2>"$TMP/err"
			err="$TMP/err"
			if ! cmp -s "$TMP/got" "$want" || ! sanitizer_clean; then
				bad+=" $o(asan: $(grep -m1 -E 'ERROR|runtime error|LW_CHECK' "$TMP/err" | head -c 120))"
			fi
		fi
	done
	if [ -z "$bad" ] && [ "$built" -eq "${#levels[@]}" ]; then
		ok "$name: the same output at ${levels[*]}"
	else
		not_ok "$name:$bad"
	fi
}

for src in "$B"/*.c; do
	k=$(basename "$src" .c)
	if ! gcc -O2 -DKFN="kernel_$k" -I"$B" "$TMP/main.c" "$src" -o "$TMP/native-$k" -lm 2>"$TMP/cc.err"; then
		not_ok "$k: native build: $(head -c 200 "$TMP/cc.err")"
		continue
	fi
	"$TMP/native-$k" >"$TMP/want-$k"
	checked=(Os)
	run_levels "kernel $k" "$TMP/want-$k" "$TMP/main.c" "$src"
done
# the test programs that take no arguments, against their expected output
# (malloc's churn takes a minute under ASan: release only)
for p in malloc qsort doubles strings; do
	checked=(O1 Os O3)
	[ "$p" = malloc ] && checked=()
	run_levels "program $p" "$P/$p.expected" -Wall "$P/$p.c"
done
finish
