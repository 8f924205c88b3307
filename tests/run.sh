#!/usr/bin/env bash
# run.sh - runs every lockstep test suite and prints one summary line.
#
# A suite is a unit-test binary (build/asan/tests/test_*) or a script
# (tests/integration/*.sh, tests/spec/*.sh, ...). Every suite prints TAP lines
# ("ok N - name", "not ok N - name", "ok N - name # SKIP reason", and a plan
# "1..N"; tests/lib/tap.sh and tests/unit/test.h print them); this script
# counts them across suites. Nothing vanishes from the totals:
#   - a suite that exits non-zero without reporting a failing test counts as
#     one failure, so a crash is never silent;
#   - a suite that prints no plan, or a plan other than the tests it ran,
#     counts as one failure (tests that vanished);
#   - a suite skipped whole ("1..0 # SKIP reason") counts as one skip;
#   - every skip is listed with its reason before the totals.
# Before the totals, every DPI set a suite scored ("set NAME: precision P%
# recall R% (n truth names)", issue 16) is listed in one place.
# The last line is always "N passed, N failed, N skipped". docs/testing.md
# has the skip policy and the skips expected on CI. The last suite is the
# mutation check's subset of the day (tests/mutate/ci.sh).
#
#   tests/run.sh            all suites
#   tests/run.sh PATTERN    suites whose name contains PATTERN
# Environment: LS_TEST_TIMEOUT (seconds per suite, default 900); CI=true
# makes a missing tool or missing root a failure (tests/lib/tap.sh `need`).
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
# one binary per tests/unit/test_*.c: from the sources, so a binary that did
# not build is a failure, and a stale one (a renamed test) never runs
for c in tests/unit/test_*.c; do t=build/asan/tests/$(basename "$c" .c); suites+=("$t"); done
# the ThreadSanitizer builds of the worker code (Makefile TSAN_TESTS)
suites+=(build/tsan/tests/test_tsan_dp_shard build/tsan/tests/test_tsan_agent_workers build/tsan/tests/test_tsan_clock_mappub)
# Ordered: fast unit tests first, then spec, kernel, network and end-to-end.
for d in tests/spec tests/wasm tests/dataplane tests/integration tests/policy tests/clock tests/obs tests/fuzz; do
	for t in "$d"/*.sh; do [ -f "$t" ] && suites+=("$t"); done
done
# last: the mutation check's rotating subset (tests/mutate/ci.sh); not in
# the runs the mutation check makes itself
[ -z "${LS_MUTATING:-}" ] && suites+=(tests/mutate/ci.sh)

pass=0 fail=0 skip=0
failed_suites=()
skips=() # "suite: reason (tests)" per suite and reason
dpisets=() # every DPI set a suite scored (tap.sh set_score), for the summary
for s in "${suites[@]}"; do
	name=$(basename "$s")
	[ -n "$filter" ] && [[ "$s" != *"$filter"* ]] && continue
	log="$LOGDIR/$name.log"
	echo "### $s"
	start=$(date +%s)
	if [[ "$s" != *.sh ]] && [ ! -x "$s" ]; then
		echo "Bail out! $s is not built (make tests-build)" >"$log"
		rc=1
	elif [[ "$s" == *.sh ]]; then
		timeout -k 10 "$timeout_s" bash "$s" >"$log" 2>&1 </dev/null
		rc=$?
	else
		timeout -k 10 "$timeout_s" "$s" >"$log" 2>&1 </dev/null
		rc=$?
	fi
	# show the TAP lines and diagnostics, not every byte of output
	grep -E '^(ok|not ok|#|Bail out)' "$log" | sed 's/^/  /' | tail -n 400
	p=$(grep -cE '^ok ' "$log")
	sk=$(grep -E '^ok ' "$log" | grep -c '# SKIP')
	f=$(grep -cE '^not ok ' "$log")
	p=$((p - sk))
	plan=$(grep -E '^1\.\.[0-9]+' "$log" | tail -1)
	if [[ "$plan" =~ ^1\.\.0\ *#\ *SKIP\ *(.*) ]] && [ $((p + f + sk)) -eq 0 ]; then
		sk=1 # skipped whole: one skip, with its reason
		skips+=("$name: ${BASH_REMATCH[1]:-no reason given} (the whole suite)")
	elif [ "$rc" -eq 0 ] && [ -z "$plan" ]; then
		f=$((f + 1))
		echo "  not ok - $name printed no plan (1..N): did it end early? (see $log)"
	elif [ -n "$plan" ] && [ "${plan#1..}" != "$((p + f + sk))" ] && [ "$rc" -eq 0 ]; then
		echo "  not ok - $name planned ${plan#1..} tests and ran $((p + f + sk)) (see $log)"
		f=$((f + 1))
	fi
	# a crash, a sanitizer report, a timeout or a Bail out! after tests that
	# passed: a failure, whatever the lines before it said
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "  not ok - $name exited with status $rc without a failing test (see $log)"
		tail -n 20 "$log" | sed 's/^/  | /'
	fi
	# the reasons of the skipped tests, grouped: "suite: reason (n tests: names)"
	while IFS=$'\t' read -r cnt reason names; do
		[ -n "$reason" ] && skips+=("$name: $reason ($cnt: $names)")
	done < <(grep -E '^ok [0-9]+ - .*# SKIP' "$log" |
		sed -E 's/^ok [0-9]+ - (.*) # SKIP ?(.*)$/\2\t\1/' |
		awk -F'\t' '{ n[$1]++; if (n[$1] <= 3) l[$1] = l[$1] (n[$1] > 1 ? ", " : "") $2 }
			END { for (r in n) printf "%d\t%s\t%s%s\n", n[r], r, l[r], (n[r] > 3 ? ", ..." : "") }')
	while IFS= read -r l; do dpisets+=("$l ($name)"); done < <(grep -E '^(not )?ok [0-9]+ - set [^:]+: precision' "$log" |
		sed -E 's/^ok [0-9]+ - //; s/^not ok [0-9]+ - (.*)$/\1  FAILED/')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + sk))
	[ "$f" -gt 0 ] && failed_suites+=("$name")
	echo "  ($name: $p passed, $f failed, $sk skipped, $(( $(date +%s) - start ))s)"
done

ran=$((pass + fail + skip))
[ "$ran" -eq 0 ] && echo "no tests ran"
if [ ${#skips[@]} -gt 0 ]; then
	echo "skipped (suite: reason (count: tests)):"
	printf '  %s\n' "${skips[@]}"
fi
if [ ${#dpisets[@]} -gt 0 ]; then
	echo "DPI sets (precision 100% and recall >= 99% required; tests/lib/tap.sh set_score):"
	printf '  %s\n' "${dpisets[@]}"
fi
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$ran" -gt 0 ]
