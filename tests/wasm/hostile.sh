#!/usr/bin/env bash
# hostile.sh - hostile modules are contained and reported, never crash the
# host: out-of-bounds access, runaway loops (fuel), memory.grow past the cap,
# unbounded recursion, huge declared tables and memories, 100k functions,
# bad pointers handed to WASI, truncated and garbage files. Every case also
# fails on any sanitizer report (the CLI under test is the ASan build).
set -uo pipefail
. "$(dirname "$0")/lib.bash"
H="$W/hostile"

require_wasm_cli

# expect_trap NAME PATTERN RUN-ARGS... - exit 134 and PATTERN in stderr
expect_trap() {
	local name=$1 pat=$2
	shift 2
	lsw run "$@"
	if [ "$rc" -eq 134 ] && grep -qiE "$pat" "$err" && sanitizer_clean; then
		ok "$name: trapped and reported ($(head -1 "$err" | sed 's/^[^:]*: //'))"
	else
		not_ok "$name: expected a trap matching /$pat/ and exit 134, got rc=$rc"
		diag_err
	fi
}

# expect_exit NAME CODE RUN-ARGS...
expect_exit() {
	local name=$1 code=$2
	shift 2
	lsw run "$@"
	if [ "$rc" -eq "$code" ] && sanitizer_clean; then
		ok "$name: exit code $code"
	else
		not_ok "$name: expected exit code $code, got rc=$rc"
		diag_err
	fi
}

expect_trap "out-of-bounds load" "out of bounds memory access" "$H/oob_load.wasm"
expect_trap "out-of-bounds store (index + offset)" "out of bounds memory access" "$H/oob_store.wasm"
expect_trap "infinite loop stopped by fuel" "out_of_fuel" --fuel 5000000 "$H/infinite_loop.wasm"
expect_trap "unbounded recursion" "call stack exhausted|stack_exhausted" "$H/recursion.wasm"
expect_trap "unbounded mutual recursion via call_indirect" "call stack exhausted|stack_exhausted" "$H/mutual_recursion.wasm"
expect_trap "unreachable three calls deep" "unreachable" "$H/unreachable.wasm"
if grep -q 'wasm stack' "$err" && grep -q 'function 1 (middle)' "$err"; then ok "trap report shows the wasm stack with function names"; else not_ok "trap report shows the wasm stack with function names"; diag_err; fi
expect_exit "memory.grow past --max-memory-pages returns -1 (check number otherwise)" 0 --max-memory-pages 16 "$H/grow_limit.wasm"
expect_exit "bad pointers and unsupported calls get errnos (check number otherwise)" 0 "$H/wasi_badptr.wasm"
expect_exit "proc_exit from 50 calls deep" 42 "$H/exit_code.wasm"

# a declared table of 4e9 elements: valid, but must be refused (or capped)
lsw validate "$H/huge_table.wasm"
[ "$rc" -eq 0 ] && ok "huge table validates (it is valid wasm)" || { not_ok "huge table validate rc=$rc"; diag_err; }
lsw run "$H/huge_table.wasm"
if { [ "$rc" -eq 1 ] && grep -qiE 'limit|table' "$err"; } || [ "$rc" -eq 0 ] && sanitizer_clean; then
	ok "huge table refused with a limit error or capped (rc=$rc: $(head -1 "$err"))"
else
	not_ok "huge table: rc=$rc"
	diag_err
fi
lsw run --max-memory-pages 16 "$H/huge_memory.wasm"
if [ "$rc" -eq 1 ] && grep -qiE 'limit|memory' "$err" && sanitizer_clean; then
	ok "4 GiB minimum memory refused under --max-memory-pages 16 ($(head -1 "$err"))"
else
	not_ok "huge memory: rc=$rc"
	diag_err
fi

# 100,000 functions: loads, validates and runs (f99999 returns 99999; & 255)
start=$(date +%s%N)
lsw validate "$H/many_funcs.wasm"
t_ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" -eq 0 ] && ok "100k functions validate (${t_ms} ms, ASan build)" || { not_ok "100k functions validate rc=$rc"; diag_err; }
expect_exit "100k functions run" $((99999 & 255)) "$H/many_funcs.wasm"

# truncated modules: every prefix of a real module is refused with exit 1,
# except the prefixes that end exactly at a section boundary: those are
# complete modules, valid or not (a function section without its code
# section is malformed), so either answer is right there
mod="$H/grow_limit.wasm"
size=$(stat -c %s "$mod")
boundaries=" $(python3 - "$mod" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
pos, out = 8, [8]
while pos < len(b):
    pos += 1
    n = shift = 0
    while True:
        c = b[pos]; pos += 1
        n |= (c & 0x7f) << shift; shift += 7
        if c < 0x80: break
    pos += n
    out.append(pos)
print(" ".join(map(str, out)))
PY
) "
bad=0
for ((len = 0; len < size; len++)); do
	head -c "$len" "$mod" >"$TMP/t.wasm"
	lsw validate "$TMP/t.wasm"
	want=1
	[[ "$boundaries" == *" $len "* ]] && [ "$rc" -eq 0 ] && want=0
	if [ "$rc" -ne "$want" ] || ! sanitizer_clean; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && { echo "# prefix of $len bytes: rc=$rc, want $want"; diag_err; }
	fi
done
[ "$bad" -eq 0 ] && ok "all $size prefixes of grow_limit.wasm: refused (section boundaries may be valid) ($boundaries)" || not_ok "$bad of $size truncations not handled as expected"
head -c 70000 "$W/printf.wasm" >"$TMP/half.wasm"
lsw validate "$TMP/half.wasm"
if [ "$rc" -eq 1 ] && grep -qiE 'malformed|unexpected end|length' "$err" && sanitizer_clean; then
	ok "truncated printf.wasm: refused ($(head -1 "$err" | cut -c1-100))"
else
	not_ok "truncated printf.wasm: rc=$rc"
	diag_err
fi

# garbage: fixed-seed random bytes, with and without a valid header
python3 - "$TMP" <<'PY'
import random, sys
r = random.Random(1234)
d = sys.argv[1]
for i in range(40):
    body = bytes(r.randrange(256) for _ in range(r.randrange(1, 600)))
    hdr = b"\0asm\1\0\0\0" if i % 2 else b""
    open(f"{d}/garbage{i}.wasm", "wb").write(hdr + body)
open(f"{d}/empty.wasm", "wb").write(b"")
open(f"{d}/badmagic.wasm", "wb").write(b"\0asn\1\0\0\0")
open(f"{d}/badversion.wasm", "wb").write(b"\0asm\2\0\0\0")
# a section that claims 4 GiB of content
open(f"{d}/hugesection.wasm", "wb").write(b"\0asm\1\0\0\0\x01\xff\xff\xff\xff\x0f\x60")
# a type section claiming 2^32-1 entries in 10 bytes
open(f"{d}/hugecount.wasm", "wb").write(b"\0asm\1\0\0\0\x01\x05\xff\xff\xff\xff\x0f")
PY
bad=0 total=0
for f in "$TMP"/garbage*.wasm "$TMP"/empty.wasm "$TMP"/badmagic.wasm "$TMP"/badversion.wasm \
	"$TMP"/hugesection.wasm "$TMP"/hugecount.wasm; do
	total=$((total + 1))
	lsw run "$f"
	if [ "$rc" -ne 1 ] || ! sanitizer_clean || ! [ -s "$err" ]; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && { echo "# $(basename "$f"): rc=$rc"; diag_err; }
	fi
done
[ "$bad" -eq 0 ] && ok "all $total garbage files refused with an error (exit 1)" || not_ok "$bad of $total garbage files not refused cleanly"
lsw validate "$TMP/empty.wasm"
[ "$rc" -eq 1 ] && ok "empty file: validate says why ($(head -1 "$err"))" || not_ok "empty file validate rc=$rc"

# a regression corpus from fuzzing: each input must be handled without crash
for f in "$LS_ROOT"/tests/wasm/regress/*.wasm; do
	[ -f "$f" ] || continue
	lsw run --fuel 1000000 "$f"
	if [ "$rc" -le 255 ] && [ "$rc" -ne 139 ] && sanitizer_clean; then ok "regression $(basename "$f"): contained (rc=$rc)"; else not_ok "regression $(basename "$f"): rc=$rc"; diag_err; fi
done
finish
