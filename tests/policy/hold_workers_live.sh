#!/usr/bin/env bash
# hold_workers_live.sh - hold until decided with N policy workers
# (docs/workers.md "Hold", docs/dataplane.md "Hold"): `lockstep run
# --workers 2 --default-verdict hold`, each worker holding and releasing its
# own shard's flows. The name blocklist (tests/policy/guests/blockname.c,
# "*.blocked.lockstep.test") against dnsmasq with dig, one try each: every
# blocked name unanswered, every allowed name answered on the first try
# (16 flows: both shards see some), each query held once and inspected once;
# the two workers both drained records; four TCP connections whose first
# data segments come in a burst before the verdict, each delivered
# byte-exact (a python3 server hashes what it receives); the per-flow limit
# and the timeout with no policy, counted once per flow across the workers
# (lockstep_hold_* summed); an agent killed with packets held by both
# workers leaves no flow stuck holding.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh" # the policy topology, and metric scraping
policy_init phw
command -v dnsmasq >/dev/null || { echo "Bail out! dnsmasq not installed (scripts/deps.sh)"; exit 1; }
[ -f "$G/test/blockname.wasm" ] || { echo "Bail out! $G/test/blockname.wasm not built (make guests)"; exit 1; }
ZONE=lockstep.test
N=8
RECS=()
for i in $(seq 1 $N); do
	RECS+=(--host-record="ok$i.$ZONE,$S4,$S6" --host-record="bad$i.blocked.$ZONE,$S4,$S6")
done
dnsmasq_start "$ZONE" "${RECS[@]}" || { echo "Bail out! dnsmasq did not start"; exit 1; }

cnt() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq -r ".$1 // 0"; }
ask() { # NAME PORT: one query, one try; 0 when answered with an address
	in_c dig @"$S4" -b "$C4#$2" +tries=1 +time=2 +notcp "$1" A >"$TMP/dig-$2.full" 2>&1 &&
		grep -qE "^$1\.[[:space:]].*IN[[:space:]]+A[[:space:]]+$S4\$" "$TMP/dig-$2.full"
}

if agent_start w1 --workers 2 --default-verdict hold --policy "$G/test/blockname.wasm" \
	--policy-config "*.blocked.$ZONE" --metrics 127.0.0.1:0; then
	ok "agent runs with --workers 2 --default-verdict hold"
else
	not_ok "agent runs with --workers 2 --default-verdict hold"; diag "$TMP/w1.err"; exit 1
fi
check "it runs 2 workers" grep -q 'lockstep: 2 policy workers' "$TMP/w1.err"
check "  and does not fall back to one" bash -c "! grep -q 'runs one policy worker' '$TMP/w1.err'"

okn=0 badn=0 d0=$(cnt dpi_dns)
for i in $(seq 1 $N); do
	ask "ok$i.$ZONE" $((41000 + i)) && okn=$((okn + 1))
	ask "bad$i.blocked.$ZONE" $((41100 + i)) || badn=$((badn + 1))
done
check "every allowed name answered on the first try ($okn/$N)" test $okn = $N
check "every blocked name unanswered ($badn/$N)" test $badn = $N
h=$(jq -s '[.[] | select(.event == "held" and .dport == 53 and .sport > 41000 and .sport < 41200)] | length' \
	"$TMP/w1.json")
check "each query held once ($h held for $((2 * N)) queries)" test "$h" = $((2 * N))
d=$(($(cnt dpi_dns) - d0))
check "each query inspected once by XDP ($d dpi_dns)" test $d = $((2 * N))

# ---- ordering: bursts before the verdict, on flows of both workers -----------
cat >"$TMP/burst_client.py" <<'PY'
import hashlib, socket, sys, time
host, port, sport, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.bind(("", sport)); c.connect((host, port))
segs = [("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % name).encode()]
segs += [(("segment %02d " % i) * 40).encode() for i in range(12)]
h = hashlib.sha256(); n = 0
for s in segs:  # back to back: all of them leave before any verdict
    c.send(s); h.update(s); n += len(s)
time.sleep(0.5)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
print("%d %s" % (n, h.hexdigest()))
PY
in_s python3 "$LIB_DIR/hash_server.py" "$S4" 8080 "$TMP/hash.out" &
PIDS+=($!)
wait_for 5 bash -c "ip netns exec '$NS_S' ss -ltn 'sport = :8080' | grep -q 8080"
h0=$(cnt held) exact=0
for k in 1 2 3 4; do
	SENT=$(in_c timeout 10 python3 "$TMP/burst_client.py" "$S4" 8080 $((43000 + k)) "ok$k.$ZONE")
	wait_for 5 test "$(wc -l <"$TMP/hash.out" 2>/dev/null || echo 0)" -ge $k
	GOT=$(sed -n "${k}p" "$TMP/hash.out")
	[ -n "$SENT" ] && [ "$SENT" = "$GOT" ] && exact=$((exact + 1))
done
check "4 bursts before the verdict: each byte stream exact at the server ($exact/4)" test $exact = 4
check "  their first data segments were held ($(($(cnt held) - h0)) held)" test $(($(cnt held) - h0)) -ge 4

PORT=$(metrics_port w1)
scrape "$PORT" "$TMP/m1.txt"
e0=$(metric "$TMP/m1.txt" 'lockstep_worker_ring_events_total{worker="0"}')
e1=$(metric "$TMP/m1.txt" 'lockstep_worker_ring_events_total{worker="1"}')
check "both workers drained records (${e0:-none}, ${e1:-none})" bash -c "[ ${e0:-0} -gt 0 ] && [ ${e1:-0} -gt 0 ]"
REL=$(metric "$TMP/m1.txt" lockstep_hold_released_total)
DRO=$(metric "$TMP/m1.txt" lockstep_hold_dropped_total)
check "metrics, summed over the workers: released ${REL:-none} >= $((N + 4))" ge "${REL:-0}" $((N + 4))
check "metrics, summed over the workers: dropped ${DRO:-none} >= $N" ge "${DRO:-0}" $N
kill "$AGENT"; wait "$AGENT" 2>/dev/null

# ---- limits: per flow, timeout, on both workers -------------------------------
cat >"$TMP/udp_sink.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
out = open(sys.argv[3], "a")
while True:
    b, a = s.recvfrom(2048); out.write("%d %s\n" % (a[1], b.decode())); out.flush()
PY
cat >"$TMP/udp_send.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", int(sys.argv[3])))
for i in range(int(sys.argv[4])):
    s.sendto(("d%d" % i).encode(), (sys.argv[1], int(sys.argv[2])))
PY
in_s python3 "$TMP/udp_sink.py" "$S4" 9999 "$TMP/sink.out" &
PIDS+=($!)
wait_for 5 bash -c "ip netns exec '$NS_S' ss -lun 'sport = :9999' | grep -q 9999"
# no policy: nothing decides, so every hold ends by its timeout
if agent_start w3 --workers 2 --default-verdict hold --hold-max-packets 2 --hold-timeout 300ms \
	--hold-fallback drop --metrics 127.0.0.1:0; then
	ok "agent with --workers 2 --hold-max-packets 2 --hold-timeout 300ms"
else
	not_ok "agent with --workers 2 and hold limits"; diag "$TMP/w3.err"; exit 1
fi
o0=$(cnt hold_overflow)
F=6 # flows, 5 datagrams each
for k in $(seq 1 $F); do in_c python3 "$TMP/udp_send.py" "$S4" 9999 $((46000 + k)) 5; done
sleep 1
check "per-flow limit: 3 of 5 datagrams of each of $F flows over it ($(($(cnt hold_overflow) - o0)) hold_overflow)" \
	test $(($(cnt hold_overflow) - o0)) = $((3 * F))
check "fallback drop applied: the sink got none of them" bash -c "! grep -q '^4600[1-6] ' '$TMP/sink.out' 2>/dev/null"
check "the timeouts were reported" grep -q '"kind":"hold_timeout"' "$TMP/w3.err"
scrape "$(metrics_port w3)" "$TMP/m3.txt"
check "metrics: lockstep_hold_timeout_total = $F, one per flow across the workers ($(metric "$TMP/m3.txt" lockstep_hold_timeout_total))" \
	test "$(metric "$TMP/m3.txt" lockstep_hold_timeout_total)" = $F
check "metrics: lockstep_hold_held_total = $((2 * F)) ($(metric "$TMP/m3.txt" lockstep_hold_held_total))" \
	test "$(metric "$TMP/m3.txt" lockstep_hold_held_total)" = $((2 * F))
check "metrics: nothing held now ($(metric "$TMP/m3.txt" lockstep_hold_packets) packets)" \
	test "$(metric "$TMP/m3.txt" lockstep_hold_packets)" = 0
kill "$AGENT"; wait "$AGENT" 2>/dev/null

# ---- an agent killed while both workers hold packets -------------------------
agent_start w4 --workers 2 --default-verdict hold --hold-timeout 30s || { not_ok "agent w4"; diag "$TMP/w4.err"; exit 1; }
h0=$(cnt held)
for k in $(seq 1 $F); do in_c python3 "$TMP/udp_send.py" "$S4" 9999 $((46010 + k)) 1; done
wait_for 5 bash -c "[ \$('$LS_BIN' counters --json --pin-dir $PIN_DIR | jq .held) -ge $((h0 + F)) ]"
check "$F datagrams are held" test "$(cnt held)" -ge $((h0 + F))
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
agent_start w5 --workers 2 --default-verdict pass || { not_ok "agent w5"; diag "$TMP/w5.err"; exit 1; }
check "the next agent closed the $F holds left open" grep -q "closed $F holds an earlier agent left open" "$TMP/w5.err"
for k in $(seq 1 $F); do in_c python3 "$TMP/udp_send.py" "$S4" 9999 $((46010 + k)) 1; done
check "no flow is stranded: each one's next datagram arrives" \
	wait_for 5 bash -c "[ \$(grep -c '^4601[1-6] d0' '$TMP/sink.out') = $F ]"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
