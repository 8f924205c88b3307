#!/usr/bin/env bash
# reject_live.sh - a reject verdict fails real clients at once (bpf/reject.h):
# with `lockstep verdict set ... reject` in force before the first packet,
# dig +tries=1 reads status REFUSED (NXDOMAIN with reject-nxdomain) from the
# kernel's answer while dnsmasq never hears the query, curl fails with
# "Connection reset by peer" in well under a second and nginx's access log
# stays empty, and a connected UDP socket's recv raises
# ConnectionRefusedError (the ICMP / ICMPv6 port unreachable), over IPv4 and
# IPv6. Flows without the verdict are answered by the real servers. The
# reject counters say what was sent.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init rejlive

[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (namespaces, BPF)"; exit 1; }
command -v dnsmasq >/dev/null || { echo "Bail out! dnsmasq not installed (scripts/deps.sh)"; exit 1; }
topo_up || { echo "Bail out! could not build the topology"; exit 1; }
# XDP_TX on a veth hands the frame to the peer's NAPI, which a veth has
# only with an XDP program of its own (or GRO on): the benchmark's
# parse-and-pass program on the client's end. A real NIC needs nothing.
ip -n "$NS_C" link set vc xdp obj "$LS_ROOT/build/bpf/baseline.bpf.o" sec xdp.frags ||
	{ echo "Bail out! cannot attach a pass program to the client's veth"; exit 1; }
nginx_start || { echo "Bail out! nginx did not start"; diag "$TMP/nginx-error.log"; exit 1; }
ZONE=reject.test
dnsmasq_start "$ZONE" --host-record="www.$ZONE,$S4,$S6" --log-queries \
	--log-facility="$TMP/dnsmasq.log" || { echo "Bail out! dnsmasq did not start"; exit 1; }
agent_start a1 || { echo "Bail out! agent did not start"; diag "$TMP/a1.err"; exit 1; }
LS() { "$LS_BIN" "$@" --pin-dir "$PIN_DIR"; }
verdict() { LS verdict set --flow "$1" "$2" 2>>"$TMP/verdict.err"; }
counter() { LS counters --json 2>/dev/null | jq -r ".$1 // 0"; }

# ---- DNS: the kernel answers REFUSED / NXDOMAIN ------------------------------
ask() { # ADDR PORT NAME: dig's whole output in $TMP/dig-PORT
	in_c dig @"$1" -b "$(addr_of "$1")#$2" +tries=1 +time=2 +notcp "$3" A >"$TMP/dig-$2" 2>&1
}
addr_of() { case $1 in *:*) echo "$C6" ;; *) echo "$C4" ;; esac; }
check "dig without a verdict: answered by dnsmasq (NOERROR, the zone's address)" bash -c \
	"$(declare -f ask addr_of in_c); NS_C=$NS_C C4=$C4 C6=$C6 TMP=$TMP; ask $S4 40600 www.$ZONE &&
	 grep -q 'status: NOERROR' $TMP/dig-40600 && grep -qE 'www.$ZONE.[[:space:]].*A[[:space:]]+$S4' $TMP/dig-40600"
for v in 4 6; do
	[ $v = 4 ] && S=$S4 C=$C4 || S=$S6 C=$C6
	port=$((40610 + v))
	verdict "udp $C $port $S 53" reject
	start=$(date +%s%N)
	ask "$S" $port "www.$ZONE"
	ms=$((($(date +%s%N) - start) / 1000000))
	check "IPv$v: dig +tries=1 reads status REFUSED (${ms} ms)" grep -q 'status: REFUSED' "$TMP/dig-$port"
	check "IPv$v:   from the server's address, with the question echoed" bash -c \
		"grep -q 'SERVER: $S#53' $TMP/dig-$port && grep -qE '^;www.$ZONE.[[:space:]]+IN[[:space:]]+A' $TMP/dig-$port"
	check "IPv$v:   in well under a second (dig's timeout is 2 s)" test "$ms" -lt 900
	port=$((40620 + v))
	verdict "udp $C $port $S 53" reject-nxdomain
	ask "$S" $port "www.$ZONE"
	check "IPv$v: reject-nxdomain: dig reads status NXDOMAIN" grep -q 'status: NXDOMAIN' "$TMP/dig-$port"
done
# dnsmasq logs asynchronously: wait for the first query's line, then count
wait_for 5 grep -q "auth\[A\] www.$ZONE" "$TMP/dnsmasq.log"
nq=$(grep -c "auth\[A\] www.$ZONE" "$TMP/dnsmasq.log")
check "dnsmasq heard only the query without a verdict ($nq)" test "$nq" = 1
[ "$nq" = 1 ] || diag "$TMP/dnsmasq.log"
check "reject_dns counted 4 answers" test "$(counter reject_dns)" = 4

# ---- TCP: RST, the client fails at once, nginx never sees the request ---------
check "curl without a verdict: nginx answers" in_c curl -sS -o /dev/null --max-time 5 \
	--local-port 40700 "http://$S4/index.html"
: >"$TMP/nginx-access.log"
for v in 4 6; do
	[ $v = 4 ] && S=$S4 C=$C4 U="http://$S4/" || S=$S6 C=$C6 U="http://[$S6]/"
	# rejected from the SYN on: a RST to a SYN is "connection refused"
	port=$((40710 + v))
	verdict "tcp $C $port $S 80" reject
	in_c curl -sS -o /dev/null --max-time 5 --local-port $port -w '%{time_total}\n' "$U" \
		>"$TMP/curl-$port.out" 2>"$TMP/curl-$port.err"
	rc=$?
	t=$(grep -o '[0-9.]*' "$TMP/curl-$port.out" | tail -1)
	check "IPv$v: curl to a flow rejected at its SYN cannot connect (exit $rc: 7, refused)" \
		test "$rc" = 7
	check "IPv$v:   in well under a second (${t:-?} s)" awk -v t="${t:-9}" 'BEGIN { exit !(t < 0.5) }'
	# rejected once connected (as a Host rule does): the request is
	# answered by a RST, the client reads "connection reset by peer"
	port=$((40720 + v))
	rm -f "$TMP/go-$port" && mkfifo "$TMP/go-$port"
	in_c python3 - "$S" $port "$C" "$TMP/go-$port" >"$TMP/reset-$port" 2>&1 <<'PY' &
import socket, sys, time
dst, port, src, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((src, port))
s.connect((dst, 80))
open(go + ".up", "w").close()
open(go).read() # the verdict is set (from outside: the pins are there)
s.settimeout(5)
t0 = time.monotonic()
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    s.recv(100)
    print("answered")
except ConnectionResetError as e:
    print("reset %.3f %s" % (time.monotonic() - t0, e))
except socket.timeout:
    print("timeout")
PY
	pid=$!
	wait_for 10 test -e "$TMP/go-$port.up" # connected
	verdict "tcp $C $port $S 80" reject
	timeout 10 bash -c "echo go >$TMP/go-$port"
	wait $pid
	read -r what secs rest <"$TMP/reset-$port"
	check "IPv$v: a connected client's request gets ConnectionResetError ($what $rest)" \
		test "$what" = reset
	check "IPv$v:   in well under a second (${secs:-?} s)" awk -v t="${secs:-9}" 'BEGIN { exit !(t < 0.5) }'
done
sleep 0.3
check "nginx's access log stays empty" test ! -s "$TMP/nginx-access.log"
check "reject_tcp counted the RSTs" awk -v n="$(counter reject_tcp)" 'BEGIN { exit !(n >= 2) }'

# ---- other UDP: ICMP port unreachable -> ECONNREFUSED -------------------------
udp_probe() { # ADDR PORT: a connected UDP socket's recv after a send
	in_c python3 - "$1" "$2" "$(addr_of "$1")" <<'PY'
import socket, sys
dst, port, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((src, port))
s.connect((dst, 9999))
s.settimeout(2)
s.send(b"hello")
try:
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PY
}
# a UDP server that reads and never answers: without lockstep a client
# waits (timeout); only the reject makes it refused
in_s python3 -c '
import select, socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("'$S4'", 9999))
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); b.bind(("'$S6'", 9999))
while True:
    for s in select.select([a, b], [], [])[0]:
        s.recv(2048)' &
PIDS+=($!)
sleep 0.5
for v in 4 6; do
	[ $v = 4 ] && S=$S4 C=$C4 || S=$S6 C=$C6
	port=$((40800 + v))
	r=$(udp_probe "$S" $port)
	check "IPv$v: UDP without a verdict: the silent server, recv times out ($r)" test "$r" = timeout
	port=$((40810 + v))
	verdict "udp $C $port $S 9999" reject
	r=$(udp_probe "$S" $port)
	check "IPv$v: connected UDP socket: recv raises ConnectionRefusedError ($r)" test "$r" = refused
done
check "reject_icmp counted the port unreachables" awk -v n="$(counter reject_icmp)" 'BEGIN { exit !(n >= 2) }'
check "no reject went unanswered or over the rate" bash -c \
	"[ \"\$($(declare -f LS counter); PIN_DIR=$PIN_DIR LS_BIN=$LS_BIN; counter reject_none)\" = 0 ] &&
	 [ \"\$($(declare -f LS counter); PIN_DIR=$PIN_DIR LS_BIN=$LS_BIN; counter reject_limited)\" = 0 ]"
[ -s "$TMP/verdict.err" ] && diag "$TMP/verdict.err"
