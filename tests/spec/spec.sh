#!/usr/bin/env bash
# spec.sh - runs the WebAssembly spec test suite (../shared/wasm-testsuite)
# against the engine: each *.wast is converted by wast2json into build/spec/
# (only when the .wast is newer than its .json) and run by
# build/asan/tools/spec_runner. Prints one TAP line per file and the totals.
#
# simd_* files are skipped (the engine has no SIMD) and counted as skipped.
# Malformed *text* modules test a text parser the engine does not have; the
# runner counts them apart and this script reports how many. So does it for
# the invalid/malformed assertions whose binary the converter made identical
# to an earlier one expecting a contradictory error (spec_runner.c): no
# engine reading binaries can check those.
#
# A file passes when all of its checks pass: the engine passes every one, so
# that is the default. LS_SPEC_LENIENT=1 (for work on the engine) accepts
# instead at least the count recorded for the file in tests/spec/expected.tsv,
# so only regressions fail; LS_SPEC_UPDATE=1 raises those counts to what the
# run achieved (never lowers them).
#   tests/spec/spec.sh [PATTERN]     only files whose name contains PATTERN
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SUITE="${LS_SHARED:-$ROOT/../shared}/wasm-testsuite"
OUT=$ROOT/build/spec
RUNNER=$ROOT/build/asan/tools/spec_runner
EXPECTED=$ROOT/tests/spec/expected.tsv
filter="${1:-}"
mkdir -p "$OUT"
. tests/lib/tap.sh

if [ ! -x "$RUNNER" ]; then
	bail "$RUNNER not built (make tests-build)"
fi
need wast2json

declare -A want
if [ -f "$EXPECTED" ]; then
	while IFS=$'\t' read -r f n; do
		[[ "$f" == \#* || -z "$f" ]] && continue
		want[$f]=$n
	done <"$EXPECTED"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
skipped=0
all_pass=0 all_total=0 all_text=0 all_amb=0
declare -A got
for wast in "$SUITE"/*.wast; do
	base=$(basename "$wast" .wast)
	[ -n "$filter" ] && [[ "$base" != *"$filter"* ]] && continue
	if [[ "$base" == simd_* ]]; then
		skip "$base.wast" "no SIMD in this engine (docs/testing.md)"
		skipped=$((skipped + 1))
		continue
	fi
	json=$OUT/$base.json
	if [ ! -f "$json" ] || [ "$wast" -nt "$json" ]; then
		if ! wast2json "$wast" -o "$json" >"$OUT/$base.convert.log" 2>&1; then
			not_ok "$base.wast: wast2json failed (see $OUT/$base.convert.log)"
			rm -f "$json"
			continue
		fi
	fi
	log=$OUT/$base.log
	timeout -k 5 300 "$RUNNER" "$json" >"$log" 2>&1
	rc=$?
	res=$(grep '^RESULT ' "$log" | tail -1)
	if [ -z "$res" ]; then
		not_ok "$base.wast: runner crashed (status $rc, see $log)"
		tail -n 15 "$log" | sed 's/^/| /' | diag
		got[$base]=0
		continue
	fi
	read -r _ p t x a <<<"$res"
	a=${a:-0}
	if [ "$rc" -ne 0 ] && [ "$p" -eq "$t" ]; then
		# all checks passed but the runner failed (e.g. a leak report)
		not_ok "$base.wast $p/$t: runner exited with status $rc (see $log)"
		grep -E 'ERROR|SUMMARY' "$log" | head -3 | sed 's/^/| /' | diag
		got[$base]=$p
		continue
	fi
	got[$base]=$p
	all_pass=$((all_pass + p)) all_total=$((all_total + t)) all_text=$((all_text + x))
	all_amb=$((all_amb + a))
	# text-format assert_malformed checks test a text parser this binary
	# engine does not have, and ambiguous binaries cannot be checked: not
	# applicable, shown apart, never as passes
	note=""
	[ "$x" -gt 0 ] && note=" (+$x text-format checks n/a)"
	[ "$a" -gt 0 ] && note="$note (+$a n/a: converter produced an identical binary for a different assertion)"
	x=$((x + a))
	floor=${want[$base]:-$t}
	[ -z "${LS_SPEC_LENIENT:-}" ] && floor=$t
	if [ "$p" -eq "$t" ]; then
		ok "$base.wast $((p - x))/$((t - x))$note"
	elif [ "$p" -ge "$floor" ]; then
		ok "$base.wast $((p - x))/$((t - x))$note (incomplete; at or above the recorded $floor)"
	else
		not_ok "$base.wast $((p - x))/$((t - x))$note (below the recorded $floor)"
		grep '^# line' "$log" | head -5
	fi
done

if [ -n "${LS_SPEC_UPDATE:-}" ]; then
	tmp=$(mktemp)
	{
		echo "# spec.sh: assertions each spec file must at least pass (only goes up)"
		for f in $( (printf '%s\n' "${!want[@]}"; printf '%s\n' "${!got[@]}") | sort -u); do
			old=${want[$f]:-0} new=${got[$f]:-0}
			[ "$new" -lt "$old" ] && new=$old
			printf '%s\t%s\n' "$f" "$new"
		done
	} >"$tmp"
	mv "$tmp" "$EXPECTED"
	echo "# updated $EXPECTED"
fi

checkable=$((all_total - all_text - all_amb))
echo "# spec total: $((all_pass - all_text - all_amb))/$checkable checkable assertions passed outside simd_*; $all_text text-format assert_malformed checks not applicable to a binary engine and $all_amb n/a because the converter produced an identical binary for a different assertion (neither counted); $skipped simd_* files skipped"
finish
