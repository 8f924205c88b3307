#!/usr/bin/env bash
# hold_live.sh - hold until decided, live (docs/dataplane.md "Hold"):
# `lockstep run --default-verdict hold` with a name blocklist (tests/policy/guests/blockname.c)
# ("*.blocked.lockstep.test"); dnsmasq authoritative in the server
# namespace, dig in the client's with one try each. Every blocked name goes
# unanswered, every allowed name is answered on the first try (the query
# waited for its verdict instead of racing it) -- with XDP alone and with
# --tc, over IPv4 and IPv6. Then: a TCP connection whose first data
# segments come in a burst before the verdict is delivered byte-exact (a
# python3 server hashes what it receives); per-flow and timeout limits
# (counted, fallback applied); an agent killed with packets held leaves no
# flow stuck holding.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh" # the policy topology, and metric scraping
policy_init phold
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

# ask NAME PORT SERVER: one query, one try; 0 when answered with an address
ask() {
	in_c dig @"$3" -b "$( [ "$3" = "$S6" ] && echo "$C6" || echo "$C4")#$2" +tries=1 +time=2 \
		+notcp "$1" A >"$TMP/dig-$2.full" 2>&1 &&
		grep -qE "^$1\.[[:space:]].*IN[[:space:]]+A[[:space:]]+$S4\$" "$TMP/dig-$2.full"
}

# dns_round TAG PORT0 SERVER AGENT: N allowed and N blocked names, each once
dns_round() {
	local tag=$1 p=$2 srv=$3 agent=$4 okn=0 badn=0
	local d0
	d0=$(cnt dpi_dns)
	for i in $(seq 1 $N); do
		ask "ok$i.$ZONE" $((p + i)) "$srv" && okn=$((okn + 1))
		ask "bad$i.blocked.$ZONE" $((p + 100 + i)) "$srv" || badn=$((badn + 1))
	done
	check "$tag: every allowed name answered on the first try ($okn/$N)" test $okn = $N
	check "$tag: every blocked name unanswered ($badn/$N)" test $badn = $N
	local h d
	d=$(($(cnt dpi_dns) - d0))
	# the agent's held records of these queries (with --tc other egress
	# traffic of the server may be held too: MLD reports, say)
	h=$(jq -s --argjson lo $p --argjson hi $((p + 200)) \
		'[.[] | select(.event == "held" and .dport == 53 and .sport > $lo and .sport < $hi)] | length' \
		"$TMP/$agent.json")
	check "$tag: each query held once ($h held for $((2 * N)) queries)" test "$h" = $((2 * N))
	# a re-injected query does not meet the XDP program again: each is
	# inspected once (a second pass would count again)
	check "$tag: each query inspected once by XDP ($d dpi_dns)" test $d = $((2 * N))
}

if agent_start a1 --default-verdict hold --policy "$G/test/blockname.wasm" \
	--policy-config "*.blocked.$ZONE" --metrics 127.0.0.1:0; then
	ok "agent runs with --default-verdict hold"
else
	not_ok "agent runs with --default-verdict hold"; diag "$TMP/a1.err"; exit 1
fi
check "config says hold" grep -q 'default verdict hold' "$TMP/a1.err"
dns_round "XDP, IPv4" 41000 "$S4" a1
dns_round "XDP, IPv6" 42000 "$S6" a1
check "nothing held is left over" bash -c "[ \$('$LS_BIN' counters --json --pin-dir $PIN_DIR | jq .held) -gt 0 ]"

# ---- ordering: a burst of data segments before the verdict ------------------
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
time.sleep(1.0)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
print("%d %s" % (n, h.hexdigest()))
PY
in_s python3 "$LIB_DIR/hash_server.py" "$S4" 8080 "$TMP/hash.out" &
PIDS+=($!)
wait_for 5 bash -c "ip netns exec '$NS_S' ss -ltn 'sport = :8080' | grep -q 8080"
h0=$(cnt held)
SENT=$(in_c timeout 10 python3 "$TMP/burst_client.py" "$S4" 8080 43001 "ok1.$ZONE")
wait_for 5 test -s "$TMP/hash.out"
GOT=$(head -1 "$TMP/hash.out")
check "burst before the verdict: the server got the exact byte stream ($GOT)" \
	test -n "$SENT" -a "$SENT" = "$GOT"
# how many segments of the burst are held depends on how fast the policy
# answers (the first one always is)
check "  and its first data segment was held ($(($(cnt held) - h0)) held)" test $(($(cnt held) - h0)) -ge 1

PORT=$(metrics_port a1)
scrape "$PORT" "$TMP/m1.txt"
REL=$(metric "$TMP/m1.txt" lockstep_hold_released_total)
DRO=$(metric "$TMP/m1.txt" lockstep_hold_dropped_total)
check "metrics: released ${REL:-none} >= $((2 * N))" ge "${REL:-0}" $((2 * N))
check "metrics: dropped after hold ${DRO:-none} >= $((2 * N))" ge "${DRO:-0}" $((2 * N))
kill "$AGENT"; wait "$AGENT" 2>/dev/null

# ---- the same with TC egress attached ---------------------------------------
if agent_start a2 --tc --default-verdict hold --policy "$G/test/blockname.wasm" \
	--policy-config "*.blocked.$ZONE"; then
	ok "agent with --tc"
else
	not_ok "agent with --tc"; diag "$TMP/a2.err"; exit 1
fi
dns_round "XDP+TC, IPv4" 44000 "$S4" a2
dns_round "XDP+TC, IPv6" 45000 "$S6" a2
kill "$AGENT"; wait "$AGENT" 2>/dev/null

# ---- limits: per flow, timeout ------------------------------------------------
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
if agent_start a3 --default-verdict hold --hold-max-packets 2 --hold-timeout 300ms \
	--hold-fallback drop --metrics 127.0.0.1:0; then
	ok "agent with --hold-max-packets 2 --hold-timeout 300ms"
else
	not_ok "agent with hold limits"; diag "$TMP/a3.err"; exit 1
fi
o0=$(cnt hold_overflow)
in_c python3 "$TMP/udp_send.py" "$S4" 9999 46001 5
sleep 1
check "per-flow limit: 3 of 5 datagrams over it ($(($(cnt hold_overflow) - o0)) hold_overflow)" \
	test $(($(cnt hold_overflow) - o0)) = 3
check "fallback drop applied: the sink got none of them" bash -c "! grep -q '^46001 ' '$TMP/sink.out' 2>/dev/null"
check "the timeout was reported" grep -q '"kind":"hold_timeout"' "$TMP/a3.err"
scrape "$(metrics_port a3)" "$TMP/m3.txt"
check "metrics: lockstep_hold_timeout_total >= 1" ge "$(metric "$TMP/m3.txt" lockstep_hold_timeout_total)" 1
kill "$AGENT"; wait "$AGENT" 2>/dev/null

# ---- an agent killed while packets are held ---------------------------------
agent_start a4 --default-verdict hold --hold-timeout 30s || { not_ok "agent a4"; diag "$TMP/a4.err"; exit 1; }
h0=$(cnt held)
in_c python3 "$TMP/udp_send.py" "$S4" 9999 46002 1
wait_for 5 bash -c "[ \$('$LS_BIN' counters --json --pin-dir $PIN_DIR | jq .held) -gt $h0 ]"
check "a datagram is held" test "$(cnt held)" -gt "$h0"
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
# the next agent (default pass now) closes the hold the dead one left open
agent_start a5 --default-verdict pass || { not_ok "agent a5"; diag "$TMP/a5.err"; exit 1; }
check "the next agent closed the hold left open" grep -q 'closed 1 holds an earlier agent left open' "$TMP/a5.err"
in_c python3 "$TMP/udp_send.py" "$S4" 9999 46002 1
check "the flow is not stranded: its next datagram arrives" wait_for 5 grep -q '^46002 d0' "$TMP/sink.out"
kill "$AGENT"; wait "$AGENT" 2>/dev/null

