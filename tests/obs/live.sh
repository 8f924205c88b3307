#!/usr/bin/env bash
# live.sh - observability of a loaded run without faults, end to end: the
# agent runs the ai-gateway policy on a veth in a namespace with --metrics,
# --log and --trace while curl and wrk drive HTTP through it.
#  - /metrics is scraped during the load and every scrape passes the strict
#    exposition checker (tests/tools/promcheck.h); the counters move;
#  - `lockstep status` (human and --json) and `lockstep trace level` work
#    over the control socket;
#  - the trace (dumped live and written at exit) is valid Chrome trace JSON:
#    sorted on one timeline, kernel and guest events interleave, and a flow
#    arrow links a kernel event to its verdict through the guest call that
#    handled it, in that order;
#  - no alarm at all is raised;
#  - `lockstep report` renders in headless Chromium with non-empty plots.
set -uo pipefail
. "$(dirname "$0")/lib/obs.sh"
policy_init olive
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || { echo "Bail out! nginx did not start"; exit 1; }

if agent_start a1 --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.test ttl_ms=5000' \
	--heartbeat --metrics 127.0.0.1:0 --log "$TMP/log.jsonl" --trace "$TMP/trace.json"; then
	ok "agent runs with --metrics, --log and --trace"
else
	not_ok "agent runs with --metrics, --log and --trace"; diag "$TMP/a1.err"; exit 1
fi
PORT=$(metrics_port a1)
check "the agent said which port serves metrics" test -n "$PORT"

check "first scrape" scrape "$PORT" "$TMP/m1.txt"
check "  passes the strict format check" "$PROMCHECK" "$TMP/m1.txt"
n_ok=0
for i in $(seq 1 20); do
	fetch r$i "http://$S4/v1/models" -H 'Host: api.test' && n_ok=$((n_ok + 1))
done
check "20 requests through the policy succeed ($n_ok)" test "$n_ok" -eq 20
in_c wrk -t 2 -c 8 -d 4s -H 'Host: api.test' "http://$S4/v1/models" >"$TMP/wrk.txt" 2>&1 &
WRK=$!
sleep 2
check "scrape during the wrk load" scrape "$PORT" "$TMP/m2.txt"
check "  passes the strict format check" "$PROMCHECK" "$TMP/m2.txt"
wait $WRK
diag "$TMP/wrk.txt"
for i in $(seq 21 30); do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
sleep 1.5 # one housekeeping tick: policy and data-plane counters
check "scrape after the load" scrape "$PORT" "$TMP/m3.txt"
check "  passes the strict format check" "$PROMCHECK" "$TMP/m3.txt"
"$PROMCHECK" "$TMP/m3.txt" | sed 's/^/# m3: /'

fn1=$(metric "$TMP/m1.txt" 'lockstep_events_total{kind="flow_new"}')
fn3=$(metric "$TMP/m3.txt" 'lockstep_events_total{kind="flow_new"}')
check "flow_new events moved by >= 30 ($fn1 -> $fn3)" ge "$fn3" "$((${fn1:-0} + 30))"
fn2=$(metric "$TMP/m2.txt" 'lockstep_events_total{kind="flow_new"}')
check "  and moved during the load ($fn1 -> $fn2 -> $fn3)" gt "$fn2" "$fn1"
v3=$(metric "$TMP/m3.txt" 'lockstep_verdicts_total{verdict="pass"}')
check "pass verdicts counted ($v3)" ge "$v3" 30
dh=$(metric "$TMP/m3.txt" 'lockstep_events_total{kind="dpi_http"}')
check "DPI HTTP events counted ($dh)" ge "$dh" 30
lat=$(metric "$TMP/m3.txt" 'lockstep_verdict_latency_seconds_count')
check "kernel -> verdict latency observed ($lat)" ge "$lat" 30
gx=$(metric "$TMP/m3.txt" 'lockstep_guest_exec_seconds_count{call="dispatch"}')
check "guest execution time observed ($gx)" gt "$gx" 0
gd=$(metric "$TMP/m3.txt" 'lockstep_guest_delay_seconds_count')
check "kernel -> guest delay observed ($gd)" ge "$gd" 30
pk=$(metric "$TMP/m3.txt" 'lockstep_dataplane_total{counter="pkts"}')
check "data-plane packet counter exported ($pk)" gt "$pk" 100
check "the policy's own metrics are appended" grep -q '^lockstep_policy_calls_total ' "$TMP/m3.txt"
bt=$(metric "$TMP/m3.txt" 'lockstep_heartbeat_beats_total')
check "heartbeats counted ($bt)" ge "$bt" 20
rt=$(metric "$TMP/m3.txt" 'lockstep_heartbeat_round_trip_seconds_count')
check "heartbeat round trips observed ($rt)" ge "$rt" 20
check "clock offset and uncertainty gauges exported" \
	bash -c "grep -q '^lockstep_clock_offset_seconds ' '$TMP/m3.txt' && grep -q '^lockstep_clock_uncertainty_seconds ' '$TMP/m3.txt'"
check "not in fail-safe" test "$(metric "$TMP/m3.txt" lockstep_failsafe_active)" = 0

# status over the control socket
check "lockstep status" "$LS_BIN" status
"$LS_BIN" status >"$TMP/status.txt" 2>&1
diag "$TMP/status.txt"
check "  names the policy" grep -q 'policy: .*ai-gateway.wasm' "$TMP/status.txt"
check "  shows no open alarm" grep -q '^alarms: *0 open' "$TMP/status.txt"
"$LS_BIN" status --json >"$TMP/status.json" 2>&1
check "lockstep status --json is JSON with the event count" \
	jq -e '.events_total > 0 and .verdicts_total > 0 and (.alarms | length) == 0' "$TMP/status.json"

# trace levels at run time: guest per-call slices
check "lockstep trace level 0,1" "$LS_BIN" trace level 0,1
check "  status shows it" jq -e '.trace.guest_level == 1' <("$LS_BIN" status --json)
for i in $(seq 31 35); do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
check "lockstep trace dump FILE" "$LS_BIN" trace dump "$TMP/dump.json"
check "  the dump is valid JSON with traceEvents" jq -e '.traceEvents | length > 10' "$TMP/dump.json"

# kernel per-packet trace events, filtered on a port, switched on and off
# at run time through the data plane's config map
check "lockstep trace level 1,1 80" "$LS_BIN" trace level 1,1 80
for i in 36 37 38; do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
check "  trace dump" "$LS_BIN" trace dump "$TMP/dump2.json"
check "  per-packet kernel events on the packets track, all of port 80" jq -e '
	[.traceEvents[] | select(.pid == 1 and .tid == 3 and .ph == "X")] as $t
	| ($t | length) >= 10 and all($t[]; .args.sport == 80 or .args.dport == 80)' "$TMP/dump2.json"
check "lockstep trace level 1,1 9999 (a port nobody uses)" "$LS_BIN" trace level 1,1 9999
sleep 0.5; scrape "$PORT" "$TMP/t1.txt"
for i in 39 40; do fetch r$i "http://$S4/v1/models" -H 'Host: api.test'; done
sleep 0.5; scrape "$PORT" "$TMP/t2.txt"
tr1=$(metric "$TMP/t1.txt" 'lockstep_events_total{kind="trace"}')
tr2=$(metric "$TMP/t2.txt" 'lockstep_events_total{kind="trace"}')
check "  the filter holds: no new trace events ($tr1 -> $tr2)" test "$tr1" = "$tr2"
check "  and some were counted before ($tr1)" gt "$tr1" 10
check "lockstep trace level 0,1 turns them off" "$LS_BIN" trace level 0,1

# the trace: one timeline, sorted, both sides, arrows in the right order
T=$TMP/dump.json
check "records are sorted by time" jq -e '[.traceEvents[] | select(.ph != "M") | .ts] as $t | $t == ($t | sort)' "$T"
check "kernel (pid 1) and agent/guest (pid 2) events interleave" jq -e '
	[.traceEvents[] | select(.ph == "X") | .pid] as $p
	| [range(1; $p | length) | select($p[.] != $p[. - 1])] | length >= 4' "$T"
check "an arrow links a kernel event to a verdict, through the guest call, in order" jq -e '
	(.traceEvents) as $e
	| [$e[] | select(.ph == "s")] as $s | [$e[] | select(.ph == "f")] as $f
	| [ $s[] as $a | $f[] | select(.id == $a.id) | {s: $a.ts, f: .ts} ] as $pairs
	| ($pairs | length) > 0 and all($pairs[]; .s <= .f)
	and ([ $pairs[] as $p
	       | $e[] | select(.ph == "X" and .pid == 1 and .ts == $p.s) | .args.flow_id as $fid
	       | $e[] | select(.ph == "X" and .pid == 2 and .tid == 1 and .args.flow_id == $fid
	                       and .ts >= $p.s and .ts <= $p.f) ] | length) > 0' "$T"
check "heartbeat beats, offset and round-trip counters are on the timeline" jq -e '
	[.traceEvents[] | select(.name == "beat")] as $b
	| [.traceEvents[] | select(.ph == "C" and .name == "offset_us")] as $o
	| [.traceEvents[] | select(.ph == "C" and .name == "round_trip_us")] as $r
	| ($b | length) >= 10 and ($o | length) >= 10 and ($r | length) >= 10' "$T"
check "kernel events carry their K time and wall-clock ts" jq -e '
	[.traceEvents[] | select(.pid == 1 and .ph == "X")][0] | (.k_ns > 0 and .ts > 1.6e15)' "$T"

# no fault, no alarm
check "no alarm counted in the metrics" bash -c "! grep -E '^lockstep_alarms_total\\{[^}]*\\} [1-9]' '$TMP/m3.txt'"
check "no alarm in the log" bash -c "! grep -q '\"kind\":\"alarm_' '$TMP/log.jsonl'"
check "the log is JSON lines with level, ts and k_ns" \
	jq -e -s 'length > 0 and all(.[]; has("level") and has("ts") and has("k_ns") and has("kind"))' \
	"$TMP/log.jsonl"

kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
check "the trace is written at exit" jq -e '.traceEvents | length > 10' "$TMP/trace.json"

# the report, rendered by a real browser
check "lockstep report" "$LS_BIN" report "$TMP/trace.json" -o "$TMP/report.html"
check "  is self-contained (no http(s) references)" bash -c "! grep -Eq '(src|href)=\"https?:' '$TMP/report.html'"
if command -v chromium >/dev/null; then
	CH=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking
		--disable-component-update --disable-sync --no-first-run
		--user-data-dir="$(mktemp -d "$TMP/chromium.XXXXXX")" --window-size=1200,900)
	timeout 60 "${CH[@]}" --screenshot="$TMP/report.png" "file://$TMP/report.html" >"$TMP/chromium.log" 2>&1
	check "chromium renders a screenshot" test -s "$TMP/report.png"
	sz=$(stat -c %s "$TMP/report.png" 2>/dev/null || echo 0)
	check "  and it is not blank ($sz bytes)" test "$sz" -gt 20000
	timeout 60 "${CH[@]}" --dump-dom "file://$TMP/report.html" >"$TMP/dom.html" 2>>"$TMP/chromium.log"
	nsvg=$(grep -o '<svg' "$TMP/dom.html" | wc -l)
	check "the DOM has its 5 SVG plots ($nsvg)" test "$nsvg" -ge 5
	check "  the events plot has a drawn series" grep -Eq '<polyline class="series" data-name="events/s"[^>]*points="[0-9]' "$TMP/dom.html"
	check "  the latency histogram has bars" grep -q 'class="bar"' "$TMP/dom.html"
	if [ -n "${LS_OBS_SCREENSHOT:-}" ]; then cp "$TMP/report.png" "$LS_OBS_SCREENSHOT"; fi
else
	skip "report renders in chromium" "chromium not installed (scripts/deps.sh)"
fi
