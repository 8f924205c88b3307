#!/usr/bin/env bash
# dpi_multi_live.sh - the DPI results one packet can hold several of, from
# real traffic across a veth pair, recorded by dumpcap and judged twice:
# against a list computed by hand from what the clients sent, and against
# tshark's decode (../shared/pcaps/make_truth.py, scored by pcap_score.py).
#
#   DNS: dnsmasq on a port that is not DNS's (5399, UDP and TCP); queries with
#   one, two and three questions (the root among them), crafted with python
#   sockets (dig cannot ask two questions), with EDNS; over UDP and TCP. The
#   answers are checked against the zone given to dnsmasq (by hand), and
#   they are no questions to report: a response repeats them.
#   HTTP: three requests pipelined in one send to nginx (nc-style, python),
#   one with a method nginx does not know; nginx answers each in order.
#   Bare LF (RFC 9112 2.2): two more requests pipelined on a connection
#   from client port 40123, every line ending in LF alone; nginx answers
#   both. Scored as a set of its own (http-bare-lf).
#
# Every one of those questions and requests must be reported, each as its
# own DPI event, and nothing else.
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
SHARED="${LS_SHARED:-$LS_ROOT/../shared}"
MAKE_TRUTH="$SHARED/pcaps/make_truth.py"
[ -f "$MAKE_TRUTH" ] || bail "$MAKE_TRUTH missing (../shared)"
topo_init dpimulti
need_root
need dumpcap tshark dnsmasq nginx python3 jq
topo_up || bail "cannot create namespaces"

PORT=5399
ZONE=multi.test
nginx_start || bail "nginx"
in_s dnsmasq --keep-in-foreground --user=root --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$S4" --port=$PORT --pid-file="$TMP/dnsmasq.pid" \
	--auth-server="ns.$ZONE,$S4" --auth-zone="$ZONE" --host-record="www.$ZONE,$S4" \
	--txt-record="txt.$ZONE,hello" >"$TMP/dnsmasq.out" 2>&1 &
PIDS+=($!)
wait_for 5 test -s "$TMP/dnsmasq.pid" || { diag "$TMP/dnsmasq.out"; bail "dnsmasq"; }

PCAP=$TMP/multi.pcap
ip netns exec "$NS_S" dumpcap -q -i vs -P -w "$PCAP" >"$TMP/dumpcap.log" 2>&1 &
DUMPCAP=$!
PIDS+=($DUMPCAP)
wait_for 5 test -s "$PCAP" || { diag "$TMP/dumpcap.log"; bail "dumpcap did not start"; }

# ---- the clients -----------------------------------------------------------
in_c python3 - "$S4" "$PORT" >"$TMP/clients.out" 2>&1 <<'PY'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])

def name(n):
    if n == ".":
        return b"\0"
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"

def query(qid, qs, edns=False):
    """header (RD set), the questions (name, type; class IN), an OPT"""
    h = struct.pack("!HHHHHH", qid, 0x0100, len(qs), 0, 0, 1 if edns else 0)
    body = b"".join(name(n) + struct.pack("!HH", t, 1) for n, t in qs)
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0) if edns else b""
    return h + body + opt

def udp(msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(msg, (host, port))
    r = s.recv(4096)
    s.close()
    return r

def tcp(msg):
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(struct.pack("!H", len(msg)) + msg)
    n = struct.unpack("!H", s.recv(2))[0]
    r = b""
    while len(r) < n:
        r += s.recv(n - len(r))
    s.close()
    return r

def skip_name(r, p):
    while True:
        c = r[p]
        if c == 0:
            return p + 1
        if c >= 0xC0:
            return p + 2
        p += 1 + c

def show(tag, qid, r):
    """id check, QR, RCODE, then every answer record as TYPE=value"""
    rid, fl, qd, an, ns, ar = struct.unpack("!HHHHHH", r[:12])
    p = 12
    for _ in range(qd):
        p = skip_name(r, p) + 4
    out = []
    for _ in range(an):
        p = skip_name(r, p)
        t, c, ttl, rl = struct.unpack("!HHIH", r[p:p + 10])
        d = r[p + 10:p + 10 + rl]
        p += 10 + rl
        out.append("A=" + socket.inet_ntoa(d) if t == 1 else
                   "TXT=" + d[1:1 + d[0]].decode() if t == 16 else "type%d" % t)
    print(tag, "id_ok" if rid == qid else "id_bad", "qr=%d" % (fl >> 15),
          "rcode=%d" % (fl & 15), *out)

show("udp1", 0x1111, udp(query(0x1111, [("www.multi.test", 1)])))
show("udp2", 0x2222, udp(query(0x2222, [("www.multi.test", 1), ("txt.multi.test", 16)], True)))
show("tcp3", 0x3333, tcp(query(0x3333, [("a.multi.test", 1), ("b.multi.test", 28), (".", 2)])))

# three requests in one send; nginx answers them in order
s = socket.create_connection((host, 80), timeout=3)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"GET /p1 HTTP/1.1\r\nHost: one.multi.test\r\n\r\n"
          b"HEAD /p2 HTTP/1.1\r\nHost: two.multi.test\r\n\r\n"
          b"PROPFIND /p3 HTTP/1.1\r\nHost: three.multi.test\r\nConnection: close\r\n\r\n")
got = b""
while True:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    got += b
s.close()
print("http", " ".join(l.split(b" ")[1].decode() for l in got.split(b"\r\n") if l.startswith(b"HTTP/1.1 ")))

# two requests with bare-LF line ends, in one send, from a known port
s = socket.create_connection((host, 80), timeout=3, source_address=("", 40123))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"GET /lf1 HTTP/1.1\nHost: lf1.multi.test\n\n"
          b"GET /lf2 HTTP/1.1\nHost: lf2.multi.test\nConnection: close\n\n")
got = b""
while True:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    got += b
s.close()
print("lf", " ".join(l.split(b" ")[1].decode() for l in got.split(b"\r\n") if l.startswith(b"HTTP/1.1 ")))
PY
sleep 0.5
kill -TERM "$DUMPCAP" 2>/dev/null
wait "$DUMPCAP" 2>/dev/null
diag "$TMP/clients.out"

# ---- what the servers said, against the hand computation -------------------
# the zone given to dnsmasq: www -> $S4 (A), txt -> "hello" (TXT); dnsmasq,
# authoritative for it, answers every question of a message it knows the
# answer to, and refuses (RCODE 5) a message asking outside its zone (the
# root); nginx: 404 for /p1 and /p2 (no such files), 405 for a method it
# does not implement
check "one question on port $PORT: the zone's A record" \
	grep -qx "udp1 id_ok qr=1 rcode=0 A=$S4" "$TMP/clients.out"
check "two questions (UDP, EDNS): both answered, in order" \
	grep -qx "udp2 id_ok qr=1 rcode=0 A=$S4 TXT=hello" "$TMP/clients.out"
check "three questions (TCP), the root among them: refused" \
	grep -qx "tcp3 id_ok qr=1 rcode=5" "$TMP/clients.out"
check "nginx answered the three pipelined requests in order (404 404 405)" \
	grep -qx "http 404 404 405" "$TMP/clients.out"
check "nginx answered the two bare-LF requests (404 404)" grep -qx "lf 404 404" "$TMP/clients.out"

# ---- lockstep's events against the hand computation ---------------------------
"$LS_BIN" inspect --pcap "$PCAP" >"$TMP/multi.jsonl" 2>"$TMP/inspect.err" || {
	not_ok "lockstep inspect"
	diag "$TMP/inspect.err"
	exit 1
}
dns=$(jq -r 'select(.event == "dpi" and .dpi == "dns") | .dns_qname // "-"' "$TMP/multi.jsonl" | paste -sd' ')
want="www.multi.test www.multi.test txt.multi.test a.multi.test b.multi.test ."
check "DNS off its port: every question, in order, each its own event ($dns)" test "$dns" = "$want"
http=$(jq -r 'select(.event == "dpi" and .dpi == "http") | "\(.http_method) \(.http_path) \(.http_host)"' "$TMP/multi.jsonl" | paste -sd'|')
want="GET /p1 one.multi.test|HEAD /p2 two.multi.test|PROPFIND /p3 three.multi.test|GET /lf1 lf1.multi.test|GET /lf2 lf2.multi.test"
check "three pipelined requests and two bare-LF ones, one event each ($http)" test "$http" = "$want"
check "nothing else was reported (no name from a response)" \
	test "$(jq -s '[.[] | select(.event == "dpi")] | length' "$TMP/multi.jsonl")" -eq 11

# ---- and against tshark ----------------------------------------------------------
echo "-d udp.port==$PORT,dns -d tcp.port==$PORT,dns" >"$TMP/multi.tshark-args"
if python3 "$MAKE_TRUTH" "$PCAP" >"$TMP/truth.log" 2>&1 && [ -s "$TMP/multi.truth.tsv" ]; then
	req=$(awk -F'\t' 'NR > 1 && $5 == 1' "$TMP/multi.truth.tsv" | wc -l)
	check "tshark decodes the 6 questions and 5 requests (required names: $req, want 21)" \
		test "$req" -eq 21
else
	not_ok "tshark truth"
	diag "$TMP/truth.log"
	exit 1
fi
python3 "$LS_ROOT/tests/dataplane/pcap_score.py" "$TMP/multi.truth.tsv" "$TMP/multi.jsonl" >"$TMP/score"
read -r req found rep corr badjson <"$TMP/score"
grep '^#' "$TMP/score" | diag
check "precision 100% against tshark ($corr of $rep)" test "$corr" -eq "$rep"
check "recall 100% against tshark ($found of $req)" test "$found" -eq "$req"
check "every event line is valid JSON" test "$badjson" -eq 0
# the same scoring per set: the truth's rows of one kind (and flow), the
# events of it; the bare-LF requests are the flow of client port 40123
for set in dns-every-question:dns:any http-pipelining:http:crlf http-bare-lf:http:lf; do
	IFS=: read -r name kind lf <<<"$set"
	awk -F'\t' -v k="$kind" -v lf="$lf" 'NR == 1 || (index($3, k "_") == 1 &&
		(lf == "any" || (lf == "lf") == ($2 ~ / 40123( |$)/)))' \
		"$TMP/multi.truth.tsv" >"$TMP/$name.truth.tsv"
	jq -c --arg k "$kind" --arg lf "$lf" 'select(.event != "dpi" or (.dpi == $k and
		($lf == "any" or ($lf == "lf") == (.sport == 40123))))' "$TMP/multi.jsonl" >"$TMP/$name.jsonl"
	python3 "$LS_ROOT/tests/dataplane/pcap_score.py" "$TMP/$name.truth.tsv" "$TMP/$name.jsonl" >"$TMP/$name.score"
	read -r req found rep corr badjson <"$TMP/$name.score"
	set_counts "$name" "$req" "$found" "$rep" "$corr"
done
finish
