# lib.bash - shared helpers for the tests/wasm/*.sh suites (sourced, not a
# suite itself): TAP output, running `lockstep wasm`, engine detection.
# Uses LS_BIN and LS_ROOT from tests/run.sh, with defaults for running a
# suite by hand from the repository root.

LS_ROOT="${LS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
LS_BIN="${LS_BIN:-$LS_ROOT/build/asan/lockstep}"
W="$LS_ROOT/build/wasm"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ls-wasm-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; }

# The suites need `lockstep wasm` in the build: without it, bail out loudly
# (a missing engine is a failure, not a skip).
require_wasm_cli() {
	if ! "$LS_BIN" wasm run --help >/dev/null 2>&1; then
		echo "Bail out! $LS_BIN has no working 'wasm run' (make tests-build)"
		exit 1
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

# show the end of the case's stderr as TAP diagnostics
diag() { sed -n '1,15p' "$err" | sed 's/^/# /'; }
