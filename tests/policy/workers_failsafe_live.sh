#!/usr/bin/env bash
# workers_failsafe_live.sh - liveness per shard (docs/workers.md, "Liveness
# per shard") on the real data plane, with real TCP connections through
# veth: `lockstep run --workers 2 --heartbeat --fail-safe drop`, the guest
# tests/policy/guests/hostile.c in "stall 8081 MS" mode -- a new flow to
# port 8081 keeps its worker inside one callback for MS ms (a guest stuck
# in a long callback).
#
# The shard of each flow is computed here again, in Python, from the hash
# docs/workers.md specifies (not from lockstep). One flow to port 8081
# stalls the worker of its shard (T); then, while it is stalled:
#   - new connections of shard T get the fail-safe verdict (drop): they
#     fail, and the kernel counts drop_failsafe;
#   - new connections of the other shard are decided by its worker (a pass
#     verdict for each, printed by the agent) and answered;
#   - a keep-alive connection of each shard, opened before, keeps being
#     answered throughout (an established flow is never cut by fail-safe);
#   - the kernel announced fail-safe for shard T alone (a failsafe event
#     with "worker": T), the data plane as a whole never entered it, and
#     the status of the control socket says which worker is silent;
# and once the callback ends, shard T leaves fail-safe and its new
# connections are answered again.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init pwfs
nginx_start 'keepalive_timeout 60s; keepalive_requests 100000000;' || bail "nginx did not start"
H=$LS_ROOT/build/guests/test/hostile.wasm
[ -f "$H" ] || bail "$H not built (make guests)"
STALL_PORT=8081 STALL_MS=${LS_STALL_MS:-20000}

# shards of client ports (docs/workers.md: FNV-1a 32 of the canonical
# 5-tuple, times n, the high 32 bits), two workers: the trigger port (to
# STALL_PORT), then ports to :80 on the trigger's shard, then on the other
python3 - "$C4" "$S4" "$STALL_PORT" >"$TMP/ports" <<'PY'
import ipaddress, sys
c, s, stall = sys.argv[1], sys.argv[2], int(sys.argv[3])
def mapped(a): return b"\0" * 10 + b"\xff\xff" + ipaddress.IPv4Address(a).packed
def fnv1a(b):
    h = 2166136261
    for x in b: h = ((h ^ x) * 16777619) & 0xffffffff
    return h
def shard(cport, sport):
    a, b = (mapped(c), cport), (mapped(s), sport)
    lo, hi = (a, b) if (a[0], a[1]) <= (b[0], b[1]) else (b, a)
    key = lo[0] + hi[0] + lo[1].to_bytes(2, "big") + hi[1].to_bytes(2, "big") + bytes([6])
    return (fnv1a(key) * 2) >> 32
trig = 43000
t = shard(trig, stall)
same = [p for p in range(43100, 43400) if shard(p, 80) == t][:8]
other = [p for p in range(43100, 43400) if shard(p, 80) != t][:8]
print(t, trig, " ".join(map(str, same)), "|", " ".join(map(str, other)))
PY
read -r T TRIG REST <"$TMP/ports"
SAME=(${REST%%|*}) OTHER=(${REST##*|})
echo "# stalled shard $T (trigger port $TRIG); its ports ${SAME[*]}; the other's ${OTHER[*]}"

# The agent runs in a session of its own: the scheduler groups a session's
# threads (autogroup, docs/workers.md "Default"), and a worker spinning in
# the same group as this script's jq, curl and python would starve them --
# the checks below must run while the stall lasts. (The same as an agent
# started by its service manager, in its own session.)
agent_start() {
	local name=$1; shift
	setsid nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" "$@" \
		>"$TMP/$name.json" 2>"$TMP/$name.err" &
	AGENT=$!
	PIDS+=($AGENT)
	wait_for 20 grep -q 'lockstep: running' "$TMP/$name.err"
}
if agent_start a1 --tc --workers 2 --policy "$H" --policy-config "stall $STALL_PORT $STALL_MS" \
	--fuel 100000000000 --tick-interval 100ms --heartbeat --beat-interval 100ms \
	--detect-multiplier 3 --fail-safe drop --metrics 127.0.0.1:0 --trace "$TMP/trace.json"; then
	ok "agent runs with --workers 2 --heartbeat --fail-safe drop"
else
	not_ok "agent runs with --workers 2 --heartbeat --fail-safe drop"; diag "$TMP/a1.err"; exit 1
fi

PROMCHECK=$LS_ROOT/build/asan/tools/promcheck
MPORT=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/a1.err" | head -1)
# scrape FILE: the agent's metrics into FILE
scrape() { in_s curl -sS --max-time 5 -o "$1" "http://127.0.0.1:$MPORT/metrics"; }
# wm FILE FAMILY LABELS: the value of FAMILY{worker="T",LABELS} in FILE
wm() { "$PROMCHECK" "$1" "$2{worker=\"$T\"${3:+,$3}}" 2>/dev/null; }

# status FILE: the control socket's policy status (JSON) into FILE
status() { policy_status "$1"; }
# conn PORT: 0 when an HTTP request from client port PORT is answered
# within 1.5 s (a SYN dropped by fail-safe is retransmitted only after 1 s)
conn() { in_c curl -sS -o /dev/null --connect-timeout 1.5 --max-time 3 --local-port "$1" \
	"http://$S4/" 2>>"$TMP/conn.err"; }
no_conn() { ! conn "$1"; }
both_decided() { verdict_for a1 "${SAME[0]}" pass && verdict_for a1 "${OTHER[0]}" pass; }
dropped_failsafe() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq '.drop_failsafe // 0'; }
enters() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq '.failsafe_enter // 0'; }
# shard_event STATE: the kernel announced fail-safe STATE for shard T alone
shard_event() { jq -e -n -R --argjson t "$T" --arg s "$1" \
	'any(inputs | fromjson? // empty; .event == "failsafe" and .worker == $t and .state == $s)' \
	"$TMP/a1.json" >/dev/null 2>&1; }

# a keep-alive connection on each shard, decided before the stall
STOP=$TMP/ka.stop
in_c python3 "$LIB_DIR/keepalive.py" "$C4" "${SAME[0]}" "$S4" ka.test 60 0.1 "$STOP" >"$TMP/ka_same" 2>&1 &
KA1=$!
in_c python3 "$LIB_DIR/keepalive.py" "$C4" "${OTHER[0]}" "$S4" ka.test 60 0.1 "$STOP" >"$TMP/ka_other" 2>&1 &
KA2=$!
check "both keep-alive connections decided (a pass verdict each)" wait_for 10 both_decided
check "before the stall, a new connection of shard $T is answered" conn "${SAME[1]}"
e0=$(enters)

# the stall: one new flow to the stall port (refused by the server: only
# its SYN matters) keeps shard T's worker in one callback for STALL_MS
in_c curl -sS -o /dev/null --max-time 1 --local-port "$TRIG" "http://$S4:$STALL_PORT/" 2>/dev/null
T0=$(date +%s%N)
check "shard $T entered fail-safe (a failsafe event for worker $T)" wait_for 4 shard_event enter
echo "# fail-safe entered $(( ($(date +%s%N) - T0) / 1000000 )) ms after the stalling flow (detect timeout 300 ms)"
status "$TMP/status.json"
check "status answers during the stall: worker $T not live (why: $(jq -r ".workers[$T].why" "$TMP/status.json")), its shard in fail-safe" \
	jq -e --argjson t "$T" '.workers[$t].live == 0 and .workers[$t].failsafe == 1 and
		.workers[$t].failsafe_enters == 1' "$TMP/status.json"
check "status: the other worker live, its shard not in fail-safe" \
	jq -e --argjson t "$T" '.workers[1 - $t].live == 1 and .workers[1 - $t].failsafe == 0' "$TMP/status.json"
scrape "$TMP/m1.txt"
check "metrics during the stall: worker $T not live, its shard in fail-safe, one entry" \
	test "$(wm "$TMP/m1.txt" lockstep_worker_live)" = 0 -a \
	"$(wm "$TMP/m1.txt" lockstep_worker_failsafe)" = 1 -a \
	"$(wm "$TMP/m1.txt" lockstep_worker_failsafe_transitions_total 'direction="enter"')" = 1
check "... the other worker live, its shard not in fail-safe" \
	test "$("$PROMCHECK" "$TMP/m1.txt" "lockstep_worker_live{worker=\"$((1 - T))\"}")" = 1 -a \
	"$("$PROMCHECK" "$TMP/m1.txt" "lockstep_worker_failsafe{worker=\"$((1 - T))\"}")" = 0
"$LS_BIN" status --control-socket "$LS_CONTROL_SOCK" >"$TMP/status.txt" 2>&1
sed -n '/^worker /s/^/# lockstep status: /p' "$TMP/status.txt"
check "lockstep status: a line per worker, worker $T silent and its shard in fail-safe" \
	bash -c "grep -q '^worker $T .*SILENT: worker $T made no progress.*shard IN FAIL-SAFE' '$TMP/status.txt' &&
		grep -q '^worker $((1 - T)) .*, live,.*shard deciding' '$TMP/status.txt'"
d0=$(dropped_failsafe)
check "a new connection of the stalled shard gets the fail-safe verdict (not answered)" \
	no_conn "${SAME[2]}"
d1=$(dropped_failsafe)
check "... dropped by fail-safe in the kernel (drop_failsafe $d0 -> $d1)" test "${d1:-0}" -gt "${d0:-0}"
status "$TMP/status2.json"
check "... counted for its shard (status: failsafe_defaults $(jq ".workers[$T].failsafe_defaults" "$TMP/status2.json"))" \
	jq -e --argjson t "$T" '.workers[$t].failsafe_defaults >= 1 and .workers[1 - $t].failsafe_defaults == 0' "$TMP/status2.json"
for i in 1 2; do
	check "a new connection of the other shard is answered during the stall ($i)" conn "${OTHER[$i]}"
	check "... and decided by its worker (a pass verdict)" wait_for 3 verdict_for a1 "${OTHER[$i]}" pass
done
el=$(( ($(date +%s%N) - T0) / 1000000 ))
check "all of that within the stall (${el} ms of ${STALL_MS})" test "$el" -lt "$STALL_MS"

# the callback ends: the shard leaves fail-safe at its next packet
check "after the stall, a new connection of shard $T is answered again" wait_for 20 conn "${SAME[3]}"
check "shard $T left fail-safe (a failsafe leave event for worker $T)" wait_for 5 shard_event leave
check "... its new flow decided by its worker" wait_for 5 verdict_for a1 "${SAME[3]}" pass
e1=$(enters)
check "the data plane as a whole never entered fail-safe (failsafe_enter $e0 -> $e1)" test "$e1" = "$e0"
check "no global failsafe event (every one names a worker)" jq -e -n -R \
	'all(inputs | fromjson? // empty | select(.event == "failsafe"); has("worker"))' "$TMP/a1.json"
scrape "$TMP/m2.txt"
check "metrics after: worker $T's shard entered and left fail-safe once, packets given its verdict" \
	test "$(wm "$TMP/m2.txt" lockstep_worker_failsafe_transitions_total 'direction="enter"')" = 1 -a \
	"$(wm "$TMP/m2.txt" lockstep_worker_failsafe_transitions_total 'direction="leave"')" = 1 -a \
	"$(wm "$TMP/m2.txt" lockstep_worker_failsafe_default_total)" -ge 1 -a \
	"$(wm "$TMP/m2.txt" lockstep_worker_live)" = 1
check "... each worker drained records from its ring" awk \
	'/^lockstep_worker_ring_events_total\{/ { n++; if ($2 + 0 < 1) bad = 1 } END { exit !(n == 2 && !bad) }' "$TMP/m2.txt"
check "the scrape passes promcheck" "$PROMCHECK" "$TMP/m2.txt"
if command -v promtool >/dev/null; then
	check "... and promtool check metrics" bash -c "promtool check metrics <'$TMP/m2.txt' >'$TMP/promtool.out' 2>&1"
	sed 's/^/# promtool: /' "$TMP/promtool.out" | head -5
else
	skip "promtool check metrics" "promtool missing (scripts/deps.sh)"
fi
# docs/metrics.md's Workers table: exactly the lockstep_worker_* families
"$PROMCHECK" --families "$TMP/m2.txt" | grep '^lockstep_worker_' | sort >"$TMP/fam.scraped"
awk -F'|' '/^## Workers/ { on = 1; next } /^## / { on = 0 }
	on && $2 ~ /^ *`lockstep_[a-z0-9_]*` *$/ {
	n = $2; gsub(/[ `]/, "", n); t = $3; gsub(/ /, "", t)
	c = $4; sub(/:.*/, "", c); l = ""
	while (match(c, /`[a-z_]+`/)) {
		l = l (l == "" ? "" : ",") substr(c, RSTART + 1, RLENGTH - 2)
		c = substr(c, RSTART + RLENGTH)
	}
	print n, t, l }' "$LS_ROOT/docs/metrics.md" | sort >"$TMP/fam.doc"
check "docs/metrics.md's Workers table lists every lockstep_worker_* family scraped, and no other" \
	diff -u "$TMP/fam.doc" "$TMP/fam.scraped"
diff -u "$TMP/fam.doc" "$TMP/fam.scraped" | sed 's/^/# /' | head -20
touch "$STOP"
wait $KA1 $KA2
sed 's/^/# keep-alive, stalled shard: /' "$TMP/ka_same"; sed 's/^/# keep-alive, other shard: /' "$TMP/ka_other"
check "the stalled shard's keep-alive connection was never cut" grep -q 'broke 0' "$TMP/ka_same"
check "the other shard's keep-alive connection was never cut" grep -q 'broke 0' "$TMP/ka_other"
check "the other shard's keep-alive connection kept being answered (longest wait < 1 s)" \
	awk '/broke 0/ { for (i = 1; i < NF; i++) if ($i == "longest_ms") exit !($(i + 1) < 1000); exit 1 }' "$TMP/ka_other"
kill -TERM "$AGENT"; wait "$AGENT"
check "agent exits cleanly on SIGTERM" test $? -eq 0
# the trace (written on exit): one track per worker (pid 2, tid 10 + i)
check "trace: a track named for each worker" jq -e '[.traceEvents[] | select(.ph == "M" and
	.pid == 2 and .name == "thread_name" and (.args.name | startswith("worker ")))
	| [.tid, .args.name]] | sort == [[10, "worker 0 (guest calls, verdicts)"], [11, "worker 1 (guest calls, verdicts)"]]' \
	"$TMP/trace.json"
check "... guest calls and verdicts on both, none on the single-thread tracks" jq -e '
	[.traceEvents[] | select(.pid == 2 and .ph == "X") | .tid] as $t
	| ($t | index(10)) != null and ($t | index(11)) != null and ($t | index(1)) == null and ($t | index(2)) == null' \
	"$TMP/trace.json"
check "... the stalled worker's track shows its callback of ~${STALL_MS} ms" jq -e --argjson t $((10 + T)) \
	--argjson us $(( (STALL_MS - 1000) * 1000 )) \
	'any(.traceEvents[]; .pid == 2 and .tid == $t and .ph == "X" and .dur >= $us)' "$TMP/trace.json"
check "... and the shard's fail-safe enter, naming the worker" jq -e --argjson w "$T" \
	'any(.traceEvents[]; .name == "shard failsafe enter" and .args.worker == $w)' "$TMP/trace.json"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$TMP/a1.err'"
