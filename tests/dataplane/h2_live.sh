#!/usr/bin/env bash
# h2_live.sh - HTTP/2 requests from real clients to real servers across a
# veth pair, recorded by dumpcap, run through the real kernel program and
# user-space HPACK (`lockstep inspect --pcap`), and judged twice: against
# what the clients were told to send (by hand) and against tshark's HTTP/2
# dissector.
#
#   prior knowledge: curl --http2-prior-knowledge to nginx (`listen ...
#   http2` without TLS), IPv4 and IPv6, a GET and a gRPC-style POST
#   (content-type application/grpc, path /package.Service/Method);
#   nghttp (prior knowledge) to nghttpd --no-tls.
#   Upgrade (nghttpd cannot): nghttp -u to Apache's mod_http2 (`Protocols
#   h2c http/1.1`), two requests on one connection: the first rides the HTTP/1 Upgrade (the kernel's HTTP/1
#   inspector reports it), the preface follows the server's 101 and its
#   first frames, and the second request is HTTP/2's first client HEADERS
#   frame.
#
# Each HTTP/2 connection must be reported once, with the method, authority
# and path of its client's first HEADERS frame, flagged h2 (and grpc for
# the gRPC one); nothing from a server's frames.
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
topo_init h2live
need_root
need dumpcap tshark nginx curl nghttp nghttpd jq
APACHE=/usr/sbin/apache2
[ -x "$APACHE" ] || bail "apache2 missing (scripts/deps.sh installs apache2-bin)"
topo_up || bail "cannot create namespaces"
topo_dad_done

nginx_start "listen $S4:8080 http2; listen [$S6]:8080 http2;" || bail "nginx"
echo "grpc-ish" >"$TMP/www/up2"
in_s nghttpd --no-tls -d "$TMP/www" --address="$S4" 8081 >"$TMP/nghttpd.log" 2>&1 &
PIDS+=($!)
wait_for 5 in_s bash -c "exec 3<>/dev/tcp/$S4/8081" || { diag "$TMP/nghttpd.log"; bail "nghttpd"; }

M=/usr/lib/apache2/modules
mkdir -p "$TMP/apache"
cat >"$TMP/apache/httpd.conf" <<EOF
ServerRoot $TMP/apache
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule http2_module $M/mod_http2.so
Listen $S4:8082
PidFile $TMP/apache/httpd.pid
ErrorLog $TMP/apache/error.log
ServerName up.h2.test
DocumentRoot $TMP/www
Protocols h2c http/1.1
<Directory $TMP/www>
  Require all granted
</Directory>
EOF
in_s "$APACHE" -f "$TMP/apache/httpd.conf" -k start >"$TMP/apache.log" 2>&1 ||
	{ diag "$TMP/apache.log"; bail "apache2"; }
at_exit "kill \$(cat '$TMP/apache/httpd.pid' 2>/dev/null) 2>/dev/null"
wait_for 5 in_s bash -c "exec 3<>/dev/tcp/$S4/8082" || { diag "$TMP/apache/error.log"; bail "apache2 did not listen"; }

PCAP=$TMP/h2.pcap
ip netns exec "$NS_S" dumpcap -q -i vs -P -w "$PCAP" >"$TMP/dumpcap.log" 2>&1 &
DUMPCAP=$!
PIDS+=($DUMPCAP)
wait_for 5 test -s "$PCAP" || { diag "$TMP/dumpcap.log"; bail "dumpcap did not start"; }

# ---- the clients -------------------------------------------------------------
code() { in_c curl -s -o /dev/null -w '%{http_version} %{http_code}' --max-time 5 "$@"; }
r1=$(code --http2-prior-knowledge -H "Host: prior.h2.test" "http://$S4:8080/index.html?q=1")
r2=$(code --http2-prior-knowledge -H "Host: six.h2.test" "http://[$S6]:8080/index.html")
# no body: nginx answers a POST to a static file (405) and resets the stream
# without reading a body, which races curl's read of the answer (seen once
# in a full run as "0 000", with or without lockstep); the HEADERS frame is
# what the inspector reads
r3=$(code --http2-prior-knowledge -H "Host: grpc.h2.test" -H "content-type: application/grpc" \
	-H "te: trailers" -X POST "http://$S4:8080/pkg.Echo/Say")
in_c nghttp -n -H ":authority: ng.h2.test" "http://$S4:8081/index.html" >"$TMP/nghttp1.out" 2>&1
rn1=$?
in_c nghttp -nuv "http://$S4:8082/index.html" "http://$S4:8082/up2" >"$TMP/nghttp2.out" 2>&1
rn2=$?
sleep 0.5
kill -TERM "$DUMPCAP" 2>/dev/null
wait "$DUMPCAP" 2>/dev/null

# ---- what the servers said (by hand: the files exist, nginx refuses a POST
# to a path that is not a location with 405... or 404; either is an answer)
check "curl prior knowledge, IPv4: HTTP/2 200 ($r1)" test "$r1" = "2 200"
check "curl prior knowledge, IPv6: HTTP/2 200 ($r2)" test "$r2" = "2 200"
check "curl gRPC-style POST answered over HTTP/2 ($r3)" bash -c "[[ '$r3' == 2\ 4?? ]]"
check "nghttp prior knowledge to nghttpd: exit 0" test "$rn1" -eq 0
check "nghttp -u to Apache: upgraded (the 101 and HTTP/2 frames after it)" \
	bash -c "[ $rn2 -eq 0 ] && grep -q 'HTTP Upgrade success' '$TMP/nghttp2.out'"

# ---- lockstep's events against the hand computation ----------------------------
"$LS_BIN" inspect --pcap "$PCAP" >"$TMP/h2.jsonl" 2>"$TMP/inspect.err" || {
	not_ok "lockstep inspect"
	diag "$TMP/inspect.err"
	exit 1
}
got=$(jq -r 'select(.event == "dpi" and .http2 == true) |
	"\(.http_method) \(.http_host) \(.http_path)\(if .grpc then " grpc" else "" end)"' \
	"$TMP/h2.jsonl" | sort | paste -sd'|')
want=$(printf '%s\n' "GET prior.h2.test /index.html?q=1" "GET six.h2.test /index.html" \
	"POST grpc.h2.test /pkg.Echo/Say grpc" "GET ng.h2.test /index.html" \
	"GET $S4:8082 /up2" | sort | paste -sd'|')
check "one HTTP/2 request per connection, as the clients sent it ($got)" test "$got" = "$want"
up=$(jq -r 'select(.event == "dpi" and .dpi == "http" and .http2 != true) |
	"\(.http_method) \(.http_host) \(.http_path)"' "$TMP/h2.jsonl" | paste -sd'|')
check "the Upgrade request itself is HTTP/1's ($up)" test "$up" = "GET $S4:8082 /index.html"

# ---- and against tshark: the first client HEADERS frame of every connection
tshark -r "$PCAP" -d tcp.port==8080,http2 -d tcp.port==8081,http2 -d tcp.port==8082,http -Y 'http2.type == 1 && http2.header.name == ":method"' \
	-T fields -E separator=/t -e tcp.stream -e http2.headers.method -e http2.headers.authority \
	-e http2.headers.path >"$TMP/tshark.tsv" 2>"$TMP/tshark.err"
truth=$(awk -F'\t' '!seen[$1]++ { print $2 " " $3 " " $4 }' "$TMP/tshark.tsv" | sort | paste -sd'|')
mine=$(jq -r 'select(.event == "dpi" and .http2 == true) | "\(.http_method) \(.http_host) \(.http_path)"' \
	"$TMP/h2.jsonl" | sort | paste -sd'|')
diag "$TMP/tshark.err"
check "tshark sees 5 HTTP/2 connections with requests (h2c's upgraded one among them)" \
	test "$(awk -F'\t' '!seen[$1]++' "$TMP/tshark.tsv" | wc -l)" -eq 5
check "lockstep's HTTP/2 requests are tshark's, every one (precision and recall 100%)" \
	test "$mine" = "$truth"
[ "$mine" = "$truth" ] || { echo "# tshark: $truth"; echo "# lockstep: $mine"; }
# the set: tshark's first request per connection, and the hand list, must
# both hold every one lockstep reported (gRPC's flag from the hand list)
tr '|' '\n' <<<"$truth" >"$TMP/set.truth"
tr '|' '\n' <<<"$mine" >"$TMP/set.got"
set_score http2-grpc "$TMP/set.truth" "$TMP/set.got"
check "every event line is valid JSON" jq -e . "$TMP/h2.jsonl"
finish
