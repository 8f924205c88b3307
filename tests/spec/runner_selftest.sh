#!/usr/bin/env bash
# runner_selftest.sh - checks the spec runner's own bookkeeping on a made-up
# wast2json file: an invalid module whose bytes repeat an earlier checked one
# that expects a contradictory error (message or kind) is n/a (counted apart,
# not a pass), while a repeat with a compatible message, or other bytes, is
# still checked strictly - and a wrong expectation there fails.
set -uo pipefail
. "$(dirname "$0")/../wasm/lib.bash"
RUNNER="$LS_ROOT/build/asan/tools/spec_runner"
if [ ! -x "$RUNNER" ]; then
	bail "$RUNNER not built (make tests-build)"
fi

# X: a function declared to return i32 with an empty body ("type mismatch");
# Y: the same returning i64 (same error, other bytes)
mod() { printf '\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01'"$1"'\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b'; }
mod '\x7f' >"$TMP/x.wasm"
mod '\x7f' >"$TMP/x2.wasm"
mod '\x7f' >"$TMP/x3.wasm"
mod '\x7f' >"$TMP/x4.wasm"
mod '\x7e' >"$TMP/y.wasm"
cmd() { printf '{"type": "assert_%s", "line": %d, "filename": "%s", "text": "%s", "module_type": "binary"}' "$@"; }
{
	echo '{"source_filename": "selftest.wast", "commands": ['
	cmd invalid 1 x.wasm "type mismatch"; echo ,
	cmd invalid 2 x2.wasm "invalid result arity"; echo ,
	cmd invalid 3 x3.wasm "type mismatch"; echo ,
	cmd invalid 4 y.wasm "invalid result arity"; echo ,
	cmd malformed 5 x4.wasm "type mismatch"
	echo ']}'
} >"$TMP/selftest.json"

out=$("$RUNNER" "$TMP/selftest.json" 2>&1)
res=$(grep '^RESULT ' <<<"$out")
# 1 and 3 pass, 2 and 5 are n/a (message, kind), 4 fails
if [ "$res" = "RESULT 4 5 0 2" ]; then
	ok "identical binaries with contradictory expectations are n/a; the rest strict ($res)"
else
	not_ok "runner bookkeeping: got '$res', want 'RESULT 4 5 0 2'"
	sed 's/^/# /' <<<"$out" | head -10
fi
if grep -q '^# line 4: ' <<<"$out" && ! grep -qE '^# line (1|2|3|5):' <<<"$out"; then
	ok "only the wrong expectation on other bytes is a failure"
else
	not_ok "failures reported: $(grep '^# ' <<<"$out" | tr '\n' ' ')"
fi
if grep -q '^# n/a line 2: .*line 1 expects invalid "type mismatch"' <<<"$out" &&
   grep -q '^# n/a line 5: ' <<<"$out"; then
	ok "each n/a names the assertion it repeats"
else
	not_ok "n/a lines: $(grep 'n/a' <<<"$out" | tr '\n' ' ')"
fi
finish
