#!/usr/bin/env bash
# fuzz_short.sh - a short libFuzzer run of the wasm engine (decode ->
# validate -> instantiate -> call exports under fuel; tests/fuzz/fuzz_wasm.c)
# seeded with the spec suite's binaries, after replaying the regression
# inputs in tests/wasm/regress/. A crash or sanitizer report fails the suite
# and leaves the input in build/fuzz/ (add it to tests/wasm/regress/ once
# fixed). LS_FUZZ_SECONDS sets the run time (default 60).
set -uo pipefail
. "$(dirname "$0")/lib.bash"
FUZZ="$LS_ROOT/build/fuzz/fuzz_wasm"
OUT="$LS_ROOT/build/fuzz"
secs="${LS_FUZZ_SECONDS:-60}"

if [ ! -x "$FUZZ" ]; then
	bail "$FUZZ not built (make tests-build builds it)"
fi

# seeds: the spec suite's modules, as converted by tests/spec/spec.sh; when
# that has not run, convert the suite here (wast2json, simd_* left out)
seeds="$OUT/seeds-wasm"
mkdir -p "$seeds" "$OUT/corpus-wasm"
if ls "$LS_ROOT"/build/spec/*.wasm >/dev/null 2>&1; then
	cp -u "$LS_ROOT"/build/spec/*.wasm "$seeds"/
else
	suite="${LS_SHARED:-$LS_ROOT/../shared}/wasm-testsuite"
	for w in "$suite"/*.wast; do
		b=$(basename "$w" .wast)
		[[ "$b" == simd_* ]] && continue
		[ -f "$seeds/$b.json" ] || wast2json "$w" -o "$seeds/$b.json" >/dev/null 2>&1 || true
	done
fi
nseeds=$(find "$seeds" -name '*.wasm' | wc -l)
if [ "$nseeds" -gt 100 ]; then ok "seed corpus: $nseeds spec-suite modules"; else not_ok "seed corpus: only $nseeds modules"; fi

# regression inputs: each must run clean (libFuzzer runs files given as args)
for f in "$LS_ROOT"/tests/wasm/regress/*; do
	[ -f "$f" ] || continue
	if "$FUZZ" "$f" >"$TMP/regress.log" 2>&1 && ! grep -q 'runtime error' "$TMP/regress.log"; then
		ok "regression input $(basename "$f") runs clean"
	else
		not_ok "regression input $(basename "$f")"
		grep -E 'ERROR|runtime error|SUMMARY' "$TMP/regress.log" | head -5 | sed 's/^/# /'
	fi
done

log="$OUT/fuzz_wasm.log"
"$FUZZ" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$OUT/" "$OUT/corpus-wasm" "$seeds" >"$log" 2>&1
rc=$?
runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
if [ "$rc" -eq 0 ]; then
	ok "fuzz_wasm ran ${secs}s without a crash (${runs:-?} executions)"
else
	not_ok "fuzz_wasm found a problem (rc=$rc); input saved in $OUT/, log $log"
	grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/# /'
fi
finish
