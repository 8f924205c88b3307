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
. "$ROOT/tests/lib/tap.sh"
. "$ROOT/tests/obs/lib/report.sh"
jqt() { jq -e "$@" >/dev/null; }
need_root
need jq
log=$(mktemp)
tmp=$(mktemp -d)
at_exit 'rm -rf "$log" "$tmp"'
start=$(date +%s)
LS_BIN="$ROOT/build/lockstep" bash "$ROOT/scripts/demo.sh" >"$log" 2>&1
rc=$?
echo "# the demo took $(($(date +%s) - start)) s"
tail -n 32 "$log" | diag
check "the demo exits 0" test "$rc" -eq 0
check "the summary reports zero dropped connections" grep -q 'dropped: 0$' "$log"
check "  every allowed connection completed" bash -c "grep -Eq 'connections: ([1-9][0-9]*), completed: \1, dropped: 0$' '$log'"
check "  the data plane saw connections end (--tc)" grep -Eq 'saw end: [1-9]' "$log"
# deny-by-default (hold) with the policy in its default (inline) mode: an allowed request costs no
# retransmit (curl's time_total, under 0.2 s: a SYN retransmit is 1 s, a
# data one 200 ms); refusals are rejects (scripts/demo.sh checks the flow's
# reject verdict and the kernel's reject_tcp counter), not any curl failure
check "an allowed request is held until decided and costs no retransmit" \
	grep -Eq 'allowed request: connected in .* answered in time_total 0\.[01][0-9]* s \(held until decided; no retransmit\)' "$log"
check "the quota of 3 allows three chat requests" test "$(grep -c 'chat request [0-9]: allowed$' "$log")" = 3
check "  and refuses the other two, reset by the kernel" \
	test "$(grep -c 'chat request [0-9]: refused (quota of 3 per client; reset by the kernel after' "$log")" = 2
check "an unknown host is refused at once" \
	grep -Eq 'unknown host: refused at once \(reset by the kernel after 0\.[0-4][0-9]* s\)' "$log"
check "  and its request never reached nginx" grep -q "the refused requests never reached it" "$log"
check "the reload under load is accepted" grep -q 'reloaded' "$log"
check "fail-safe entered and left during the stall" grep -q 'entered fail-safe: [1-9].*left it when beats resumed: [1-9]' "$log"
check "status showed both directions attached and the heartbeat" \
	bash -c "grep -q 'attach: .*TC egress' '$log' && grep -q 'heartbeat: *every 100.000 ms' '$log'"
check "the log has the alarms the summary explains: offset and failsafe" \
	jqt -s '[.[] | .alarm // empty] | (index("offset") != null and index("failsafe") != null)' "$OUT/log.jsonl"
check "  and no early expiry: the mapping absorbs the lagging clock" \
	jqt -s 'all(.[]; .alarm != "early_expiry")' "$OUT/log.jsonl"
check "trace.json is a Chrome trace" jqt -f "$ROOT/tests/obs/lib/chrome_trace.jq" "$OUT/trace.json"
check "metrics snapshot taken" grep -q '^lockstep_' "$OUT/metrics.txt"
if have chromium; then
	report_render "$OUT/report.html" "$tmp/report"
	P=$tmp/report.probe.json
	check "report.html renders in Chromium with its six plots" jqt '(.plots | length) == 6' "$P"
	check "  the offset plot draws the offset, 2 s off and still seen moving" jqt \
		'any(.plots[] | select(.id == "offset") | .series[];
		     .points >= 10 and .width > 100 and .height > 1)' "$P"
	check "  every timeline shades the fail-safe period and marks the alarms" jqt \
		'[.plots[] | select(.id == "offset" or .id == "heartbeat" or .id == "rates" or .id == "latency_t")]
		 | length == 4 and all(.[]; .failsafe >= 1 and .alarms >= 2)' "$P"
else # a grep for '<svg' is no substitute for the rendering: skipped, visibly
	skip_missing "report.html renders in Chromium with its six plots" \
		"  the offset plot draws the offset" "  every timeline shades the fail-safe period"
fi
# what it made besides build/demo: namespaces, pins, its temporary dir
id=$(grep -o 'ls-demo-[0-9]*' "$log" | head -1)
check "it names its run ($id)" test -n "$id"
check "it removed its namespaces" bash -c "! ip netns list | grep -q '^$id-'"
check "  its pins" test ! -e "/sys/fs/bpf/$id"
check "  its temporary directory (and control socket)" bash -c "! ls -d /tmp/$id.* 2>/dev/null | grep -q ."
finish
