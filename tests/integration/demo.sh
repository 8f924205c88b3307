#!/usr/bin/env bash
# demo.sh (suite) - `make demo`'s scenario runs end to end: its summary must
# report zero dropped connections, and it must leave the trace, the report
# and a metrics snapshot behind.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=$ROOT/build/demo
n=0 fail=0
t() { n=$((n + 1)); if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=$((fail + 1)); fi; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
LS_BIN="$ROOT/build/lockstep" bash "$ROOT/scripts/demo.sh" >"$log" 2>&1
rc=$?
sed 's/^/# /' "$log" | tail -n 30
t "the demo exits 0" test "$rc" -eq 0
t "the summary reports zero dropped connections" grep -q 'dropped: 0$' "$log"
t "the quota refuses a chat request" grep -q 'refused (quota' "$log"
t "an unknown host is denied" grep -q 'unknown host: denied' "$log"
t "the reload under load is accepted" grep -q 'reloaded' "$log"
t "fail-safe entered and left during the stall" grep -q 'entered fail-safe: [1-9].*left it when beats resumed: [1-9]' "$log"
t "trace.json is valid JSON" bash -c "jq -e '.traceEvents | length > 0' '$OUT/trace.json' >/dev/null"
t "report.html has its plots" grep -q '<svg' "$OUT/report.html"
t "metrics snapshot taken" grep -q '^lockstep_' "$OUT/metrics.txt"
echo "1..$n"
[ "$fail" -eq 0 ]
