# lib.bash - shared helpers for the tests/wasm/*.sh suites (sourced, not a
# suite itself): the TAP library (tests/lib/tap.sh), running `lockstep
# wasm`, engine detection.
# Uses LS_BIN and LS_ROOT from tests/run.sh, with defaults for running a
# suite by hand from the repository root.

LS_ROOT="${LS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LS_BIN="${LS_BIN:-$LS_ROOT/build/asan/lockstep}"
W="$LS_ROOT/build/wasm"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ls-wasm-XXXXXX")
. "$LS_ROOT/tests/lib/tap.sh"
at_exit 'rm -rf "$TMP"'

# The suites need `lockstep wasm` in the build: without it, bail out loudly
# (a missing engine is a failure, not a skip).
require_wasm_cli() {
	if ! "$LS_BIN" wasm run --help >/dev/null 2>&1; then
		bail "$LS_BIN has no working 'wasm run' (make tests-build)"
	fi
}

# lsw ARGS... - runs `lockstep wasm ARGS...`; sets rc, and out/err files.
# A sanitizer report in stderr is always a failure of the case.
lsw() {
	out="$TMP/out" err="$TMP/err"
	timeout -k 5 120 "$LS_BIN" wasm "$@" >"$out" 2>"$err"
	rc=$?
}

sanitizer_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$err"
}

# show the start of the case's stderr as TAP diagnostics
diag_err() { head -n 15 "$err" | diag; }
