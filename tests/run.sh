#!/usr/bin/env bash
# run.sh - runs every lockstep test suite and prints one summary line.
#
# A suite is a unit-test binary (build/asan/tests/test_*) or a script
# (tests/integration/*.sh, tests/spec/*.sh, ...). Every suite prints TAP lines
# ("ok N - name", "not ok N - name", "# SKIP" directives); this script counts
# them across suites. A suite that exits non-zero without reporting a failing
# test counts as one failure, so a crash is never silent.
#
#   tests/run.sh            all suites
#   tests/run.sh PATTERN    suites whose name contains PATTERN
# Environment: LS_TEST_TIMEOUT (seconds per suite, default 900).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
filter="${1:-}"
timeout_s="${LS_TEST_TIMEOUT:-900}"
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LS_ROOT="$ROOT"
export LS_BIN="$ROOT/build/asan/lockstep"
export LS_SHARED="$ROOT/../shared"

suites=()
for t in build/asan/tests/test_* build/tsan/tests/test_*; do [ -x "$t" ] && suites+=("$t"); done
# Ordered: fast unit tests first, then spec, kernel, network and end-to-end.
for d in tests/spec tests/wasm tests/dataplane tests/integration tests/policy tests/clock tests/obs; do
	for t in "$d"/*.sh; do [ -f "$t" ] && suites+=("$t"); done
done

pass=0 fail=0 skip=0
failed_suites=()
for s in "${suites[@]}"; do
	name=$(basename "$s")
	[ -n "$filter" ] && [[ "$s" != *"$filter"* ]] && continue
	log="$LOGDIR/$name.log"
	echo "### $s"
	start=$(date +%s)
	if [[ "$s" == *.sh ]]; then
		timeout -k 10 "$timeout_s" bash "$s" >"$log" 2>&1
	else
		timeout -k 10 "$timeout_s" "$s" >"$log" 2>&1
	fi
	rc=$?
	# show the TAP lines and diagnostics, not every byte of output
	grep -E '^(ok|not ok|#|Bail out)' "$log" | sed 's/^/  /' | tail -n 400
	p=$(grep -cE '^ok ' "$log" | head -1)
	sk=$(grep -E '^ok ' "$log" | grep -c '# SKIP')
	f=$(grep -cE '^not ok ' "$log")
	p=$((p - sk))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  not ok - $name exited with status $rc (see $log)"
		tail -n 20 "$log" | sed 's/^/  | /'
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + sk))
	[ "$f" -gt 0 ] && failed_suites+=("$name")
	echo "  ($name: $p passed, $f failed, $sk skipped, $(( $(date +%s) - start ))s)"
done

if [ $((pass + fail)) -eq 0 ]; then
	echo "no tests ran"
	exit 1
fi
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
