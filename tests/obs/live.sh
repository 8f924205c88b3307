#!/usr/bin/env bash
# live.sh - observability of a loaded run without faults, end to end: the
# agent runs the ai-gateway policy on a veth in a namespace with --metrics,
# --log and --trace while curl and wrk drive HTTP through it.
#  - /metrics is scraped before, during and after the load and every scrape
#    passes the strict checker (tests/tools/promcheck.h: format and naming
#    conventions); the counters move with the traffic;
#  - the families scraped, their types and labels are exactly those of
#    docs/metrics.md; the alarm kinds, thresholds with their defaults and
#    trace tracks exactly those of docs/observability.md;
#  - `lockstep status` (human and --json) and `lockstep trace level` work
#    over the control socket;
#  - every scrape also passes `promtool check metrics`;
#  - the trace (dumped live and written at exit) is loaded by independent
#    readers (node's JSON.parse, tests/tools/trace_events.py), passes a
#    Chrome trace format check record by record, is sorted on one timeline, kernel and
#    guest events interleave, every guest call comes after the kernel event
#    it handles, and every flow arrow goes from a kernel event through the
#    guest call that handled it to its verdict, in that order;
#  - no alarm at all is raised: not in the metrics, the log, the trace or
#    status;
#  - `lockstep report` renders in headless Chromium: a screenshot that is
#    not blank, and every plot laid out with a drawn series or bars.
set -uo pipefail
. "$(dirname "$0")/lib/obs.sh"
TRACE_READER="$(dirname "$0")/../tools/trace_events.py"
# promtool (Debian's prometheus package, scripts/deps.sh): the reference
# parser and linter of the exposition format, a second opinion on every
# scrape beside promcheck. Missing is a failure, not a skip.
promtool_check() {
	command -v promtool >/dev/null || { echo "# promtool missing (scripts/deps.sh)"; return 1; }
	promtool check metrics <"$1" >"$TMP/promtool.out" 2>&1 || { sed 's/^/# /' "$TMP/promtool.out"; return 1; }
}
# the trace read by two readers that share nothing with lockstep's writer
# or chrome_trace.jq: node's JSON.parse (the parser chrome://tracing uses)
# and trace_events.py (strict JSON, the Trace Event Format's schema)
trace_read() {
	node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		if (!Array.isArray(t.traceEvents) || !t.traceEvents.length) process.exit(1);' "$1" &&
		python3 "$TRACE_READER" "$1"
}
policy_init olive
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || bail "nginx did not start"

# --workers 1: the trace checks below read the single-threaded agent's
# tracks (guest calls tid 1, verdicts tid 2); with N workers each has its
# own track (docs/observability.md), checked by workers_failsafe_live.sh
if agent_start a1 --workers 1 --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.test ttl_ms=5000 passive' \
	--heartbeat --metrics 127.0.0.1:0 --log "$TMP/log.jsonl" --trace "$TMP/trace.json"; then
	ok "agent runs with --metrics, --log and --trace"
else
	not_ok "agent runs with --metrics, --log and --trace"; diag "$TMP/a1.err"; exit 1
fi
PORT=$(metrics_port a1)
check "the agent said which port serves metrics" test -n "$PORT"

check "first scrape" scrape "$PORT" "$TMP/m1.txt"
check "  passes the strict format check" "$PROMCHECK" "$TMP/m1.txt"
check "  and promtool check metrics" promtool_check "$TMP/m1.txt"
n_ok=0
for i in $(seq 1 20); do
	fetch r$i "http://$S4/v1/models" -H 'Host: api.test' && n_ok=$((n_ok + 1))
done
check "20 requests through the policy succeed ($n_ok)" test "$n_ok" -eq 20
in_c wrk -t 2 -c 8 -d 4s -H 'Host: api.test' "http://$S4/v1/models" >"$TMP/wrk.txt" 2>&1 &
WRK=$!
sleep 2 # pacing: the scrape lands in the middle of the 4 s load
check "scrape during the wrk load" scrape "$PORT" "$TMP/m2.txt"
check "  passes the strict format check" "$PROMCHECK" "$TMP/m2.txt"
check "  and promtool check metrics" promtool_check "$TMP/m2.txt"
wait $WRK
diag "$TMP/wrk.txt"
for i in $(seq 21 30); do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
check "scrape after the load" scrape_fresh "$PORT" "$TMP/m3.txt"
check "  passes the strict format check" "$PROMCHECK" "$TMP/m3.txt"
check "  and promtool check metrics" promtool_check "$TMP/m3.txt"
"$PROMCHECK" "$TMP/m3.txt" | sed 's/^/# m3: /'
r=$(probe "$PORT" /healthz)
check "/healthz: 200 ok ($r)" test "$r" = "200 ok"
r=$(probe "$PORT" /readyz)
check "/readyz: 200 ready: attached, policy healthy, no fail-safe ($r)" test "$r" = "200 ready"

# what runs and what it costs, against other sources: VERSION and git for
# the build, ps for the start time, /proc for the descriptors
bi=$(grep '^lockstep_build_info{' "$TMP/m3.txt")
gitc=$(git -C "$LS_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
check "lockstep_build_info names VERSION ($(cat "$LS_ROOT/VERSION")) and git's commit ($gitc)" \
	bash -c "[[ '$bi' == 'lockstep_build_info{version=\"$(cat "$LS_ROOT/VERSION")\",commit=\"$gitc'* ]] &&
		[[ '$bi' == *'} 1' ]]"
st=$(metric "$TMP/m3.txt" process_start_time_seconds)
ps_st=$(date -d "$(ps -o lstart= -p "$AGENT")" +%s)
check "process_start_time_seconds ($st) is ps's start time ($ps_st) within 2 s" \
	awk -v a="${st:-0}" -v b="$ps_st" 'BEGIN { d = a - b; exit !(d > -2 && d < 2) }'
fds=$(metric "$TMP/m3.txt" process_open_fds)
pfds=$(ls /proc/"$AGENT"/fd | wc -l)
check "process_open_fds ($fds) is /proc's count ($pfds) within 4" \
	awk -v a="${fds:-0}" -v b="$pfds" 'BEGIN { d = a - b; exit !(d > -4 && d < 4) }'
rss=$(metric "$TMP/m3.txt" process_resident_memory_bytes)
prss=$(($(awk '/^VmRSS/ {print $2}' /proc/"$AGENT"/status) * 1024))
check "process_resident_memory_bytes ($rss) is /proc's VmRSS ($prss) within a factor of 2" \
	awk -v a="${rss:-0}" -v b="$prss" 'BEGIN { exit !(a > b / 2 && a < b * 2) }'

fn1=$(metric "$TMP/m1.txt" 'lockstep_events_total{kind="flow_new"}')
fn3=$(metric "$TMP/m3.txt" 'lockstep_events_total{kind="flow_new"}')
check "flow_new events moved by >= 30 ($fn1 -> $fn3)" ge "$fn3" "$((${fn1:-0} + 30))"
fn2=$(metric "$TMP/m2.txt" 'lockstep_events_total{kind="flow_new"}')
check "  and moved during the load ($fn1 -> $fn2 -> $fn3)" gt "$fn2" "$fn1"
v3=$(metric "$TMP/m3.txt" 'lockstep_verdicts_total{verdict="pass"}')
check "pass verdicts counted ($v3)" ge "$v3" 30
v2=$(metric "$TMP/m2.txt" 'lockstep_verdicts_total{verdict="pass"}')
v1=$(metric "$TMP/m1.txt" 'lockstep_verdicts_total{verdict="pass"}')
check "  and they moved during the load ($v1 -> $v2 -> $v3)" bash -c "awk -v a='$v1' -v b='$v2' -v c='$v3' 'BEGIN { exit !(a < b && b < c) }'"
p2=$(packets "$TMP/m2.txt")
p3=$(packets "$TMP/m3.txt")
check "the data plane's packet counter moved after the load ($p2 -> $p3)" gt "$p3" "${p2:-0}"
dh=$(metric "$TMP/m3.txt" 'lockstep_events_total{kind="dpi_http"}')
check "DPI HTTP events counted ($dh)" ge "$dh" 30
lat=$(metric "$TMP/m3.txt" 'lockstep_verdict_latency_seconds_count')
check "kernel -> verdict latency observed ($lat)" ge "$lat" 30
gx=$(metric "$TMP/m3.txt" 'lockstep_policy_call_seconds_count{call="dispatch"}')
check "guest execution time observed ($gx)" gt "$gx" 0
gd=$(metric "$TMP/m3.txt" 'lockstep_event_to_guest_seconds_count')
check "kernel -> guest delay observed ($gd)" ge "$gd" 30
pk=$(packets "$TMP/m3.txt")
check "data-plane packets exported, sum over results ($pk)" gt "$pk" 100
# one result per packet: the results add up to the kernel's own packet
# counter (lockstep counters reads the pinned map), read before and after
k0=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq '.pkts')
scrape_fresh "$PORT" "$TMP/m4.txt"
k1=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq '.pkts')
pk4=$(packets "$TMP/m4.txt")
check "  sum(lockstep_packets_total) is the kernel's pkts ($k0 <= $pk4 <= $k1)" \
	bash -c "[ '$k0' -le '$pk4' ] && [ '$pk4' -le '$k1' ]"
check "the policy's own metrics are appended" grep -q '^lockstep_policy_calls_total ' "$TMP/m3.txt"
bt=$(metric "$TMP/m3.txt" 'lockstep_heartbeat_beats_total')
check "heartbeats counted ($bt)" ge "$bt" 20
rt=$(metric "$TMP/m3.txt" 'lockstep_heartbeat_round_trip_seconds_count')
check "heartbeat round trips observed ($rt)" ge "$rt" 20
check "clock offset and uncertainty gauges exported" \
	bash -c "grep -q '^lockstep_clock_offset_seconds ' '$TMP/m3.txt' && grep -q '^lockstep_clock_uncertainty_seconds ' '$TMP/m3.txt'"
check "not in fail-safe" test "$(metric "$TMP/m3.txt" lockstep_failsafe_active)" = 0

# status over the control socket
check "lockstep status exits 0 (normal, no alarm open)" "$LS_BIN" status
"$LS_BIN" status >"$TMP/status.txt" 2>&1
diag "$TMP/status.txt"
check "  names the policy" grep -q '^policy: .*ai-gateway.wasm' "$TMP/status.txt"
check "  shows no open alarm" grep -q '^alarms: *0 open, 0 kinds seen' "$TMP/status.txt"
"$LS_BIN" status --json >"$TMP/status.json" 2>&1
check "lockstep status --json: every section of an agent with heartbeat, policy, metrics" jqt \
	--argjson port "$PORT" '.mode == "normal" and .events.total > 0 and .verdicts.total > 0
	and .packets.total > 100 and .heartbeat.beats > 0 and (.heartbeat | has("offset_ns"))
	and (.policy.path | endswith("ai-gateway.wasm")) and .policy.healthy
	and .metrics.port == $port and .trace.recording and .alarms_open == 0
	and (.alarms | length) == 0' "$TMP/status.json"

# trace levels at run time: guest per-call slices
check "lockstep trace level 0,1" "$LS_BIN" trace level 0,1
check "  status shows it" jqt '.trace.guest_level == 1' <("$LS_BIN" status --json)
for i in $(seq 31 35); do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
check "lockstep trace dump FILE" "$LS_BIN" trace dump "$TMP/dump.json"
check "  the dump is valid JSON with traceEvents" jqt '.traceEvents | length > 10' "$TMP/dump.json"
check "  an independent reader loads it (node JSON.parse, trace_events.py)" trace_read "$TMP/dump.json"

# kernel per-packet trace events, filtered on a port, switched on and off
# at run time through the data plane's config map
check "lockstep trace level 1,1 80" "$LS_BIN" trace level 1,1 80
for i in 36 37 38; do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
check "  trace dump" "$LS_BIN" trace dump "$TMP/dump2.json"
check "  per-packet kernel events on the packets track, all of port 80" jqt '
	[.traceEvents[] | select(.pid == 1 and .tid == 3 and .ph == "X")] as $t
	| ($t | length) >= 10 and all($t[]; .args.sport == 80 or .args.dport == 80)' "$TMP/dump2.json"
check "lockstep trace level 1,1 9999 (a port nobody uses)" "$LS_BIN" trace level 1,1 9999
# an absence cannot be polled for: the pauses let the events of the earlier
# requests arrive before the baseline, and wrong ones after it
sleep 0.5; scrape "$PORT" "$TMP/t1.txt"
for i in 39 40; do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
sleep 0.5; scrape "$PORT" "$TMP/t2.txt"
tr1=$(metric "$TMP/t1.txt" 'lockstep_events_total{kind="trace"}')
tr2=$(metric "$TMP/t2.txt" 'lockstep_events_total{kind="trace"}')
check "  the filter holds: no new trace events ($tr1 -> $tr2)" test "$tr1" = "$tr2"
check "  and some were counted before ($tr1)" gt "$tr1" 10
check "lockstep trace level 0,1 turns them off" "$LS_BIN" trace level 0,1

# the trace: the format, one timeline, both sides, arrows in the right order
T=$TMP/dump.json
CT=$(dirname "$0")/lib/chrome_trace.jq
check "the dump passes the Chrome trace format check, record by record" jqt -f "$CT" "$T"
check "records are sorted by time" jqt '[.traceEvents[] | select(.ph != "M") | .ts] as $t | $t == ($t | sort)' "$T"
check "kernel (pid 1) and agent/guest (pid 2) events interleave" jqt '
	[.traceEvents[] | select(.ph == "X") | .pid] as $p
	| [range(1; $p | length) | select($p[.] != $p[. - 1])] | length >= 4' "$T"
# at guest level 1 (switched on above) every guest call names its event
check "every guest call on a flow's event starts after that kernel event" jqt '
	[.traceEvents[] | select(.ph == "X" and .pid == 1 and .tid == 1)] as $k
	| [.traceEvents[] | select(.ph == "X" and .pid == 2 and .tid == 1 and .args.flow_id != null
				  and .args.kind != "beat" and .args.kind != "failsafe")]
	| length > 5 and all(.[]; . as $g
		| any($k[]; .args.flow_id == $g.args.flow_id and .name == $g.args.kind and .ts <= $g.ts))' "$T"
check "every arrow: kernel event, then the guest call of its flow, then its verdict" jqt '
	(.traceEvents) as $e
	| ([$e[] | select(.name == "trace_level" and .pid == 2)] | map(.ts) | max) as $lvl
	| [$e[] | select(.ph == "s")] as $s | [$e[] | select(.ph == "f")] as $f
	| [$s[] as $a | $f[] | select(.id == $a.id) | {s: $a.ts, f: .ts}] as $pairs
	| [$pairs[] | select(.s > $lvl)] as $late
	| ($pairs | length) > 0 and all($pairs[]; .s <= .f) and ($late | length) >= 5
	and all($late[]; . as $p
		| [$e[] | select(.ph == "X" and .pid == 1 and .ts == $p.s) | .args.flow_id] as $fid
		| any($e[]; .ph == "X" and .pid == 2 and .tid == 1 and .ts >= $p.s and .ts <= $p.f
			and ([.args.flow_id] | inside($fid))))' "$T"
# (a failure seen once in a full run, 1 of 6 runs since: say which arrows, with
# the slices around them, for the next look)
jq -c '(.traceEvents) as $e
	| ([$e[] | select(.name == "trace_level" and .pid == 2)] | map(.ts) | max) as $lvl
	| [$e[] | select(.ph == "s")] as $s | [$e[] | select(.ph == "f")] as $f
	| [$s[] as $a | $f[] | select(.id == $a.id) | {id, s: $a.ts, f: .ts}] as $pairs
	| [$pairs[] | select(.s > $lvl) | . as $p
		| ([$e[] | select(.ph == "X" and .pid == 1 and .ts == $p.s) | .args.flow_id]) as $fid
		| select(any($e[]; .ph == "X" and .pid == 2 and .tid == 1 and .ts >= $p.s and .ts <= $p.f
			and ([.args.flow_id] | inside($fid))) | not)
		| {arrow: $p, kernel_flows: $fid,
		   around: [$e[] | select(.ph == "X" and .ts >= $p.s - 50 and .ts <= $p.f + 50)
			| {pid, tid, name, ts, dur, flow: .args.flow_id, kind: .args.kind}]}]
	| .[:3][]' "$T" 2>/dev/null | diag
check "every arrow ends on a verdict slice of the same flow" jqt '
	(.traceEvents) as $e
	| [$e[] | select(.ph == "f")] | length > 0 and all(.[]; . as $f
		| any($e[]; .ph == "X" and .pid == 2 and .tid == 2 and .name == "verdict"
			and .ts <= $f.ts and .ts + .dur >= $f.ts))' "$T"
check "heartbeat beats, offset and round-trip counters are on the timeline" jqt '
	[.traceEvents[] | select(.name == "beat")] as $b
	| [.traceEvents[] | select(.ph == "C" and .name == "offset_us")] as $o
	| [.traceEvents[] | select(.ph == "C" and .name == "round_trip_us")] as $r
	| ($b | length) >= 10 and ($o | length) >= 10 and ($r | length) >= 10' "$T"
check "kernel events carry their K time and wall-clock ts" jqt '
	[.traceEvents[] | select(.pid == 1 and .ph == "X")][0] | (.k_ns > 0 and .ts > 1.6e15)' "$T"

# the docs list exactly what the agent has; the hold section's metrics are
# registered only under --default-verdict hold, the workers section's only
# with --workers N > 1 (checked by tests/policy/workers_failsafe_live.sh),
# which this agent does not run (--workers 1 above) -- but for the two its
# loop writes as worker "0" (it busy-polls as a worker does)
"$PROMCHECK" --families "$TMP/m3.txt" | grep -v '^lockstep_guest_' | sort >"$TMP/fam.scraped"
awk -F'|' '/^## (Hold|Workers|State)/ { hold = 1; wk = /Workers/; next } /^## / { hold = wk = 0 }
	(!hold || (wk && $2 ~ /lockstep_worker_(wakeups|busy_polls)_total/)) &&
	$2 ~ /^ *`(lockstep|process)_[a-z0-9_]*` *$/ {
	n = $2; gsub(/[ `]/, "", n); t = $3; gsub(/ /, "", t)
	# the label names: every `name` before the first ":" of the column
	c = $4; sub(/:.*/, "", c); l = ""
	while (match(c, /`[a-z_]+`/)) {
		l = l (l == "" ? "" : ",") substr(c, RSTART + 1, RLENGTH - 2)
		c = substr(c, RSTART + RLENGTH)
	}
	print n, t, (l == "" ? "-" : l) }' "$LS_ROOT/docs/metrics.md" | sort >"$TMP/fam.doc"
check "docs/metrics.md lists every metric scraped, with its type and label, and no other" \
	diff -u "$TMP/fam.doc" "$TMP/fam.scraped"
diff -u "$TMP/fam.doc" "$TMP/fam.scraped" | sed 's/^/# /' | head -20
# label values, where the doc lists them ("`kind`: a, b, c")
awk -F'|' '/^## (Hold|Workers|State)/ { skip = 1; next } /^## / { skip = 0 }
	!skip && $2 ~ /^ *`lockstep_[a-z0-9_]*` *$/ && $4 ~ /^ *`[a-z_]+`: [a-z_0-9, ]+ *$/ {
	n = $2; gsub(/[ `]/, "", n); l = $4; sub(/^ *`/, "", l); v = l; sub(/`.*/, "", l)
	sub(/^[^:]*: */, "", v); gsub(/ /, "", v); k = split(v, vs, ",")
	for (i = 1; i <= k; i++) print n, l, vs[i] }' "$LS_ROOT/docs/metrics.md" | sort -u >"$TMP/lv.doc"
cut -d' ' -f1 "$TMP/lv.doc" | sort -u >"$TMP/lv.fams"
sed -n 's/^\(lockstep_[a-z0-9_]*\){\([a-z_]*\)="\([^"]*\)".*/\1 \2 \3/p' "$TMP/m3.txt" |
	sed 's/_\(bucket\|sum\|count\) / /' | grep -v ' le ' | grep -wFf "$TMP/lv.fams" | sort -u >"$TMP/lv.scraped"
check "  and every label value it lists for them, and no other" \
	bash -c "[ \$(wc -l <'$TMP/lv.doc') -ge 30 ] && diff -u '$TMP/lv.doc' '$TMP/lv.scraped'"
diff -u "$TMP/lv.doc" "$TMP/lv.scraped" | sed 's/^/# /' | head -20
sed -n 's/^lockstep_alarms_total{kind="\([a-z_]*\)"}.*/\1/p' "$TMP/m3.txt" | sort >"$TMP/al.scraped"
awk -F'|' '/^## Alarms/ { on = 1 } /^### Thresholds/ { on = 0 }
	on && $2 ~ /^ *`[a-z_]+` *$/ { n = $2; gsub(/[ `]/, "", n); print n }' \
	"$LS_ROOT/docs/observability.md" | sort >"$TMP/al.doc"
check "docs/observability.md has a row for every alarm kind, and no other" \
	diff -u "$TMP/al.doc" "$TMP/al.scraped"
"$LS_BIN" run --help | sed -n '/--alarm NAME/,/^ *-h/p' | grep -o '[a-z][a-z-]*=[^ ]*' | sort >"$TMP/th.help"
awk -F'|' '/^### Thresholds/ { on = 1 } /^##* / && !/Thresholds/ { on = 0 }
	on && $2 ~ /^ *`[a-z-]+` *$/ { n = $2; v = $3; gsub(/[ `]/, "", n); gsub(/[ `]/, "", v)
		print n "=" v }' "$LS_ROOT/docs/observability.md" | sort >"$TMP/th.doc"
check "docs/observability.md's thresholds and defaults are those of lockstep run --help" \
	bash -c "[ -s '$TMP/th.doc' ] && diff -u '$TMP/th.doc' '$TMP/th.help'"
jq -r '.traceEvents[] | select(.ph == "M" and .name == "thread_name")
	| "\(.pid) \(.tid) \(.args.name)"' "$T" | sort >"$TMP/tr.trace"
awk -F'|' '/^## Trace/ { on = 1 } /^## / && !/^## Trace/ { on = 0 }
	on && $2 ~ /\([0-9]+\)/ && $3 ~ /\([0-9]+\)/ {
		p = $2; sub(/.*\(/, "", p); sub(/\).*/, "", p)
		t = $3; sub(/.*\(/, "", t); sub(/\).*/, "", t)
		n = $3; sub(/^ */, "", n); sub(/ *\([0-9]+\) *$/, "", n); print p, t, n }' \
	"$LS_ROOT/docs/observability.md" | sort >"$TMP/tr.doc"
check "docs/observability.md names every trace track (pid, tid, name), and no other" \
	bash -c "[ -s '$TMP/tr.doc' ] && diff -u '$TMP/tr.doc' '$TMP/tr.trace'"

# no fault, no alarm
check "no alarm counted in the metrics" bash -c "! grep -E '^lockstep_alarms_total\\{[^}]*\\} [1-9]' '$TMP/m3.txt'"
check "  none open" bash -c "! grep -E '^lockstep_alarm_active\\{[^}]*\\} [1-9]' '$TMP/m3.txt'"
check "no alarm in the log" bash -c "! grep -q '\"kind\":\"alarm_' '$TMP/log.jsonl'"
check "no alarm on the trace" jqt '[.traceEvents[] | select(.name | startswith("alarm_"))] | length == 0' "$T"
"$LS_BIN" status --json >"$TMP/status2.json"
st=$?
check "none in lockstep status, which exits 0 ($st)" bash -c "[ $st = 0 ] && jq -e '.alarms_open == 0 and (.alarms | length) == 0' '$TMP/status2.json' >/dev/null"
check "the log is JSON lines with level, ts and k_ns" \
	jqt -s 'length > 0 and all(.[]; has("level") and has("ts") and has("k_ns") and has("kind"))' \
	"$TMP/log.jsonl"

kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
check "the trace is written at exit" jqt '.traceEvents | length > 10' "$TMP/trace.json"
check "  and passes the format check" jqt -f "$CT" "$TMP/trace.json"
check "  an independent reader loads it (node JSON.parse, trace_events.py)" trace_read "$TMP/trace.json"

# the report, rendered by a real browser
check "lockstep report" "$LS_BIN" report "$TMP/trace.json" -o "$TMP/report.html"
check "  is self-contained (no http(s) references)" bash -c "! grep -Eq '(src|href)=\"https?:' '$TMP/report.html'"
if have chromium; then
	report_render "$TMP/report.html" "$TMP/report"
	check "chromium renders a screenshot and lays the page out" test -s "$TMP/report.png" -a -s "$TMP/report.probe.json"
	# the colours of the offset, round-trip, events, verdicts and latency series
	python3 "$(dirname "$0")/lib/png_stats.py" "$TMP/report.png" '#1d3557' '#2a9d8f' '#457b9d' \
		'#e76f51' '#6a4c93' >"$TMP/png.json"
	diag "$TMP/png.json"
	check "  the screenshot is 1200x1800 and not blank (colours, ink, every series' colour)" jqt '
		.width == 1200 and .height == 1800 and .colours >= 16 and .not_background > 0.02
		and all(.near[]; . > 0.0001)' "$TMP/png.json"
	P=$TMP/report.probe.json
	diag "$P"
	check "  six plots, each laid out with a size" jqt '
		[.plots[].id] == ["offset", "heartbeat", "rates", "latency_t", "latency_hist", "guest_hist"]
		and all(.plots[]; .width > 300 and .height > 100)' "$P"
	check "  the offset plot draws the offset" jqt '
		[.plots[] | select(.id == "offset") | .series[] | select(.points >= 10 and .width > 100)]
		| length == 1' "$P"
	check "  the heartbeat plot draws round trip and uncertainty" jqt '
		[.plots[] | select(.id == "heartbeat") | .series[] | select(.points >= 10 and .width > 100)]
		| length == 2' "$P"
	check "  the rates plot draws events/s and verdicts/s" jqt '
		[.plots[] | select(.id == "rates") | .series[] | select(.points >= 2 and .width > 100)]
		| map(.name) | sort == ["events/s", "verdicts/s"]' "$P"
	check "  the latency plot draws a series" jqt '
		any(.plots[] | select(.id == "latency_t") | .series[]; .points >= 10 and .width > 100)' "$P"
	check "  both histograms have bars" jqt '
		[.plots[] | select(.id == "latency_hist" or .id == "guest_hist") | .bars] | all(. >= 2)' "$P"
	check "  no alarm and no fail-safe marked (a quiet run)" jqt 'all(.plots[]; .alarms == 0 and .failsafe == 0)' "$P"
	if [ -n "${LS_OBS_SCREENSHOT:-}" ]; then cp "$TMP/report.png" "$LS_OBS_SCREENSHOT"; fi
else
	skip_missing "report renders in chromium"
fi
