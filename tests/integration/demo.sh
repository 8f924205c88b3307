#!/usr/bin/env bash
# demo.sh (suite) - `make demo`'s scenario runs end to end: its summary must
# report zero dropped connections out of those it allowed, the alarms it
# explains (and not early expiry, which the clock mapping prevents), leave
# the trace, a report whose timelines mark the fail-safe period and the
# alarms (rendered in headless Chromium), a metrics snapshot and the log,
# and remove everything else it made.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=$ROOT/build/demo
. "$ROOT/tests/obs/lib/report.sh"
n=0 fail=0
t() { n=$((n + 1)); if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=$((fail + 1)); fi; }
jqt() { jq -e "$@" >/dev/null; }
log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT
start=$(date +%s)
LS_BIN="$ROOT/build/lockstep" bash "$ROOT/scripts/demo.sh" >"$log" 2>&1
rc=$?
echo "# the demo took $(($(date +%s) - start)) s"
sed 's/^/# /' "$log" | tail -n 32
t "the demo exits 0" test "$rc" -eq 0
t "the summary reports zero dropped connections" grep -q 'dropped: 0$' "$log"
t "  every allowed connection completed" bash -c "grep -Eq 'connections: ([1-9][0-9]*), completed: \1, dropped: 0$' '$log'"
t "  the data plane saw connections end (--tc)" grep -Eq 'saw end: [1-9]' "$log"
t "the quota refuses a chat request" grep -q 'refused (quota' "$log"
t "an unknown host is denied" grep -q 'unknown host: denied' "$log"
t "the reload under load is accepted" grep -q 'reloaded' "$log"
t "fail-safe entered and left during the stall" grep -q 'entered fail-safe: [1-9].*left it when beats resumed: [1-9]' "$log"
t "status showed both directions attached and the heartbeat" \
	bash -c "grep -q 'attach: .*TC egress' '$log' && grep -q 'heartbeat: *every 100.000 ms' '$log'"
t "the log has the alarms the summary explains: offset and failsafe" \
	jqt -s '[.[] | .alarm // empty] | (index("offset") != null and index("failsafe") != null)' "$OUT/log.jsonl"
t "  and no early expiry: the mapping absorbs the lagging clock" \
	jqt -s 'all(.[]; .alarm != "early_expiry")' "$OUT/log.jsonl"
t "trace.json is a Chrome trace" jqt -f "$ROOT/tests/obs/lib/chrome_trace.jq" "$OUT/trace.json"
t "metrics snapshot taken" grep -q '^lockstep_' "$OUT/metrics.txt"
if report_have_chromium; then
	report_render "$OUT/report.html" "$tmp/report"
	P=$tmp/report.probe.json
	t "report.html renders in Chromium with its six plots" jqt '(.plots | length) == 6' "$P"
	t "  the offset plot draws the offset, 2 s off and still seen moving" jqt \
		'any(.plots[] | select(.id == "offset") | .series[];
		     .points >= 10 and .width > 100 and .height > 1)' "$P"
	t "  every timeline shades the fail-safe period and marks the alarms" jqt \
		'[.plots[] | select(.id == "offset" or .id == "heartbeat" or .id == "rates" or .id == "latency_t")]
		 | length == 4 and all(.[]; .failsafe >= 1 and .alarms >= 2)' "$P"
else
	t "report.html has its plots (no chromium: DOM not rendered)" grep -q '<svg' "$OUT/report.html"
fi
# what it made besides build/demo: namespaces, pins, its temporary dir
id=$(grep -o 'ls-demo-[0-9]*' "$log" | head -1)
t "it names its run ($id)" test -n "$id"
t "it removed its namespaces" bash -c "! ip netns list | grep -q '^$id-'"
t "  its pins" test ! -e "/sys/fs/bpf/$id"
t "  its temporary directory (and control socket)" bash -c "! ls -d /tmp/$id.* 2>/dev/null | grep -q ."
echo "1..$n"
[ "$fail" -eq 0 ]
