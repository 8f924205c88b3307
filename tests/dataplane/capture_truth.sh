#!/usr/bin/env bash
# capture_truth.sh - DPI over traffic nobody wrote a capture of: real clients
# (curl, openssl s_client, dig, a raw-socket HTTP client) talk to real
# servers (nginx, openssl s_server, dnsmasq) across a veth pair, dumpcap
# records it, tshark makes the ground truth with ../shared/pcaps/make_truth.py
# (the same rules as the shared captures), and `lockstep inspect` is scored
# against it with pcap_score.py: 100% precision and 100% recall of the
# required names. The traffic varies what a parser keyed to one sample would
# get wrong: methods, header order and case, Host with a port, long and
# escaped paths, HTTP/1.0 without Host, a request split over two segments
# (not required: reassembled), TLS 1.2 and 1.3 on several ports, IPv6, ALPN,
# long SNIs, DNS over UDP and TCP, many query types, EDNS, long names.
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
SHARED="${LS_SHARED:-$LS_ROOT/../shared}"
MAKE_TRUTH="$SHARED/pcaps/make_truth.py"
[ -f "$MAKE_TRUTH" ] || bail "$MAKE_TRUTH missing (../shared)"
topo_init captruth
need_root
need dumpcap tshark dnsmasq dig curl openssl
topo_up || bail "cannot create namespaces"

# servers: nginx on 80 and 8080, s_server on 443 and 8443 (and [::]), dnsmasq
nginx_start "listen $S4:8080; listen [$S6]:8080;" || bail "nginx"
mkdir -p "$TMP/www/api/v1"
echo ok >"$TMP/www/api/v1/models"
tls_start || bail "openssl s_server"
in_s openssl s_server -accept 8443 -cert "$TMP/cert.pem" -key "$TMP/key.pem" -www -quiet \
	>"$TMP/s_server2.log" 2>&1 &
PIDS+=($!)
wait_for 5 in_s bash -c 'exec 3<>/dev/tcp/127.0.0.1/8443' || bail "s_server 8443"
ZONE=capture.test
dnsmasq_start "$ZONE" --host-record="www.$ZONE,$S4,$S6" --txt-record="txt.$ZONE,hello" \
	--mx-host="$ZONE,mail.$ZONE" || bail "dnsmasq did not start"

PCAP=$TMP/live.pcap
# not through in_s: $! must be dumpcap itself (ip netns exec execs it), not
# a subshell that would take the signal meant to stop the capture
ip netns exec "$NS_S" dumpcap -q -i vs -P -w "$PCAP" >"$TMP/dumpcap.log" 2>&1 &
DUMPCAP=$!
PIDS+=($DUMPCAP)
# dumpcap writes the file header once it captures
wait_for 5 test -s "$PCAP" || { diag "$TMP/dumpcap.log"; bail "dumpcap did not start"; }

# ---- HTTP ------------------------------------------------------------------
n_http=0
get() { in_c curl -s -o /dev/null --max-time 5 "$@" && n_http=$((n_http + 1)); }
get "http://$S4/"
get -X POST -d 'a=1&b=2' "http://$S4/api/v1/models"
get -I "http://$S4/index.html"
get -X PUT -d x "http://$S4:8080/upload"
get -X OPTIONS "http://$S4:8080/"
get -X DELETE "http://$S4/item/42"
get -H 'Host: inference.example:8080' "http://$S4:8080/v1/chat/completions?model=x&stream=true"
get "http://[$S6]/ipv6/path"
get -g "http://[$S6]:8080/"
get -A 'lockstep-test/1.0' -H 'X-Long: '"$(head -c 900 /dev/zero | tr '\0' a)" "http://$S4/after-a-long-header"
get "http://$S4/$(head -c 300 /dev/zero | tr '\0' p)/long-path"
get "http://$S4/escaped%20path/%E2%9C%93?q=%22x%22"
get --http1.0 "http://$S4/http10"
# raw requests: header order and case, no Host (HTTP/1.0), a request split
# over two segments (the second one holds the Host: reassembled, not required)
raw() { # raw PORT PYTHON-BYTES-LITERAL [SPLIT]
	in_c python3 - "$S4" "$1" "$2" "${3:-0}" <<'PY'
import socket, sys, time, ast
host, port, data, split = sys.argv[1], int(sys.argv[2]), ast.literal_eval(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection((host, port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if split:
    s.sendall(data[:split]); time.sleep(0.2); s.sendall(data[split:])
else:
    s.sendall(data)
try:
    s.recv(65536)
except OSError:
    pass
s.close()
PY
}
raw 80 "b'GET /lower HTTP/1.1\\r\\nuser-agent: x\\r\\nhost: lower.case.test\\r\\nconnection: close\\r\\n\\r\\n'"
raw 80 "b'GET /nohost HTTP/1.0\\r\\n\\r\\n'"
raw 8080 "b'PATCH /patch HTTP/1.1\\r\\nHost: patch.test\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n'"
raw 80 "b'GET /split/request HTTP/1.1\\r\\nUser-Agent: a\\r\\nHost: split.test\\r\\nConnection: close\\r\\n\\r\\n'" 20
# two requests on one keep-alive connection
in_c curl -s -o /dev/null -o /dev/null --max-time 5 "http://$S4/first" "http://$S4/second"

# ---- TLS -------------------------------------------------------------------
hello() { # hello HOST:PORT SNI [s_client options...]
	local to=$1 sni=$2; shift 2
	echo Q | in_c timeout 5 openssl s_client -connect "$to" -servername "$sni" "$@" >/dev/null 2>&1
}
hello "$S4:443" tls13.capture.test -tls1_3
hello "$S4:443" tls12.capture.test -tls1_2
hello "$S4:443" alpn.capture.test -alpn h2,http/1.1
hello "[$S6]:8443" ipv6.capture.test
hello "$S4:8443" "$(head -c 60 /dev/zero | tr '\0' a).$(head -c 60 /dev/zero | tr '\0' b).capture.test"
hello "$S4:443" UPPER.Capture.Test -tls1_2 -cipher 'ECDHE-RSA-AES128-GCM-SHA256'
in_c curl -sk -o /dev/null --max-time 5 --resolve "curl.capture.test:443:$S4" https://curl.capture.test/
in_c curl -sk -o /dev/null --max-time 5 --resolve "api.capture.test:8443:$S6" -g https://api.capture.test:8443/v1

# ---- DNS -------------------------------------------------------------------
ask() { in_c dig +tries=1 +time=2 "$@" >/dev/null 2>&1; }
ask @"$S4" "www.$ZONE" A
ask @"$S4" "www.$ZONE" AAAA
ask @"$S4" "txt.$ZONE" TXT
ask @"$S4" "$ZONE" MX
ask @"$S4" "missing.$ZONE" A
ask @"$S4" +tcp "tcp.$ZONE" A
ask @"$S6" "v6.$ZONE" AAAA
ask @"$S4" +bufsize=4096 +dnssec "edns.$ZONE" A
ask @"$S4" +noedns "noedns.$ZONE" A
ask @"$S4" "$(head -c 63 /dev/zero | tr '\0' l).$(head -c 63 /dev/zero | tr '\0' m).$ZONE" A
ask @"$S4" -x 198.18.1.2

sleep 0.5 # dumpcap signals nothing when it has caught up: its buffer reaches the file
kill -TERM "$DUMPCAP" 2>/dev/null
wait "$DUMPCAP" 2>/dev/null
frames=$(tshark -r "$PCAP" 2>/dev/null | wc -l)
if [ "$n_http" -ge 12 ] && [ "$frames" -gt 100 ]; then
	ok "traffic captured ($frames frames; $n_http curl requests answered)"
else
	not_ok "traffic captured ($frames frames; $n_http curl requests answered)"; exit 1
fi

if python3 "$MAKE_TRUTH" "$PCAP" >"$TMP/truth.log" 2>&1 && [ -s "$TMP/live.truth.tsv" ]; then
	req=$(awk -F'\t' 'NR > 1 && $5 == 1' "$TMP/live.truth.tsv" | wc -l)
	ok "tshark truth: $(($(wc -l <"$TMP/live.truth.tsv") - 1)) names, $req required"
else
	not_ok "tshark truth"; diag "$TMP/truth.log"; exit 1
fi
for k in http_host http_method http_path tls_sni dns_qname; do
	c=$(awk -F'\t' -v k=$k 'NR > 1 && $3 == k && $5 == 1' "$TMP/live.truth.tsv" | wc -l)
	check "  the truth requires $k names ($c)" test "$c" -ge 3
done

if "$LS_BIN" inspect --pcap "$PCAP" >"$TMP/live.jsonl" 2>"$TMP/inspect.err"; then
	ok "lockstep inspect reads the capture"
else
	not_ok "lockstep inspect reads the capture"; diag "$TMP/inspect.err"; exit 1
fi
python3 "$LS_ROOT/tests/dataplane/pcap_score.py" "$TMP/live.truth.tsv" "$TMP/live.jsonl" >"$TMP/score"
read -r req found rep corr badjson <"$TMP/score"
grep '^#' "$TMP/score"
check "precision 100% ($corr of $rep names reported are in the truth)" test "$corr" -eq "$rep"
check "recall 100% ($found of $req required names)" test "$found" -eq "$req"
check "every event line is valid JSON" test "$badjson" -eq 0
set_counts capture-http-tls-dns "$req" "$found" "$rep" "$corr"
