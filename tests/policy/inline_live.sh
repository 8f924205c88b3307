#!/usr/bin/env bash
# inline_live.sh - the example guests as they come, configured with no mode
# word (their default is the inline one: kernel rules, rejects), on a
# deny-by-default data plane (`lockstep run --default-verdict hold --tc`),
# real clients and servers, IPv4 and IPv6. The allowlist:
#   - HTTP Host deny with nginx: the denied request never reaches the server
#     (its path is not in nginx's access log) and curl gets a reset at once;
#     an allowed one is answered with no retransmit (curl time_total far
#     below the 1 s SYN / 200 ms data retransmit timeouts);
#   - TLS SNI deny with openssl s_server / s_client: the denied handshake
#     fails at once, the allowed one completes;
#   - the decisions are the kernel's rules (the guest pushed them at init):
#     counted rule_http / rule_tls and reject_tcp, no on_dpi round trip.
# The ai-gateway: a quota refusal decided in on_dpi answers the held request
# with a RST; a burst before the verdict is delivered in order. The
# ratelimit and the AssemblyScript blocklist: an allowed connection costs no
# retransmit, a refused one is reset at once.
# Expected values come from curl, openssl and nginx's log.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init pinline
nginx_start || bail "nginx did not start"
tls_start || bail "openssl s_server did not start"
# XDP_TX (the rule's RST) on a veth needs NAPI on the peer: a pass program
# on the client's end (docs/dataplane.md, "Rejects")
ip -n "$NS_C" link set vc xdp obj "$LS_ROOT/build/bpf/baseline.bpf.o" sec xdp.frags ||
	bail "cannot attach a pass program to the client's veth"
if agent_start a1 --tc --default-verdict hold --policy "$G/allowlist.wasm" \
	--policy-config '*.allowed.test, tls.lockstep.test'; then
	ok "agent runs the allowlist (default mode) under --default-verdict hold"
else
	not_ok "agent runs the allowlist (default mode) under --default-verdict hold"; diag "$TMP/a1.err"; exit 1
fi
cnt() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq -r ".$1 // 0"; }
# get NAME ADDR HOST PATH: curl http://ADDR/PATH with Host HOST; the exit
# code in $TMP/NAME.rc, "code time_total" in $TMP/NAME.w
get() {
	in_c curl -sS -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' -H "Host: $3" \
		"http://$2/$4" >"$TMP/$1.w" 2>"$TMP/$1.err"
	echo $? >"$TMP/$1.rc"
}
fast() { awk -v t="$1" 'BEGIN { exit !(t + 0 < 0.5) }'; }

for v in 4 6; do
	[ $v = 4 ] && A=$S4 || A="[$S6]"
	get ok$v "$A" www.allowed.test "index.html?ok$v"
	read -r code t <"$TMP/ok$v.w"
	check "IPv$v: HTTP Host www.allowed.test answered ($code in ${t}s)" test "$code" = 200
	check "IPv$v:   with no retransmit (time_total ${t}s < 0.5 s)" fast "$t"
	get bad$v "$A" evil.test "index.html?denied$v"
	read -r code t <"$TMP/bad$v.w"
	rc=$(cat "$TMP/bad$v.rc")
	check "IPv$v: HTTP Host evil.test: curl fails with a reset (rc $rc: $(head -c 80 "$TMP/bad$v.err"))" \
		bash -c "[ $rc = 56 ] || [ $rc = 52 ] || grep -qi reset '$TMP/bad$v.err'"
	check "IPv$v:   at once (time_total ${t}s < 0.5 s)" fast "$t"
	get bare$v "$A" allowed.test "index.html?bare$v"
	check "IPv$v: HTTP Host allowed.test (the pattern needs a label): refused" \
		test "$(cat "$TMP/bare$v.rc")" != 0
done
sleep 0.5 # nginx writes its log line when the request is done
check "nginx logged the allowed requests" bash -c "grep -q 'ok4' '$TMP/nginx-access.log' && grep -q 'ok6' '$TMP/nginx-access.log'"
check "the denied requests never reached nginx (not in its access log)" bash -c \
	"! grep -Eq 'denied|bare' '$TMP/nginx-access.log'"

# TLS: the SNI decides; s_client reports the handshake
tls() { # SNI ADDR: 0 when the handshake completed and the answer came
	(sleep 0.3; printf 'GET / HTTP/1.0\r\n\r\n'; sleep 0.5) |
		in_c timeout 5 openssl s_client -quiet -connect "$2:443" -servername "$1" 2>"$TMP/tls.err" |
		grep -q '^HTTP/1.0 200'
}
check "TLS SNI tls.lockstep.test (IPv4): handshake and answer" tls tls.lockstep.test "$S4"
check "TLS SNI tls.lockstep.test (IPv6): handshake and answer" tls tls.lockstep.test "[$S6]"
start=$(date +%s%N)
! tls evil.test "$S4"
r=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "TLS SNI evil.test: no handshake ($(grep -m1 -oiE 'errno=[0-9]+|reset|error[^ ]*' "$TMP/tls.err"))" test $r = 0
check "  refused at once: s_client ended in ${ms} ms (its request waits 0.3 s; a hung one 5 s)" test "$ms" -lt 1500
check "  s_client saw the connection reset" grep -qiE 'reset|errno=104|unexpected eof' "$TMP/tls.err"

rh=$(cnt rule_http) rt=$(cnt rule_tls) rj=$(cnt reject_tcp)
check "the kernel's rules decided them: rule_http $rh >= 6, rule_tls $rt >= 3" test "$rh" -ge 6 -a "$rt" -ge 3
check "  and answered the refused ones with a RST: reject_tcp $rj >= 5" test "$rj" -ge 5
check "no on_dpi round trip: the policy wrote no verdict for an HTTP or TLS flow" bash -c \
	"! jq -e -s 'any(.[]; .event == \"verdict\")' '$TMP/a1.json' >/dev/null"
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
check "nothing timed out in the hold" bash -c "! grep -q hold_timeout '$TMP/a1.err'"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
# rules live in the pinned maps and outlive the agent (docs/abi.md): the
# allowlist's "*" -> reject would decide the next policy's flows too
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# A refusal the policy decides in a callback (a quota: no rule can say it):
# the request is held until on_dpi answers, then the kernel answers the held
# segment with a RST (ls_reject_held) -- the server never sees it.
if agent_start a2 --tc --default-verdict hold --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.example.com quota_models=1'; then
	ok "agent runs the ai-gateway (default mode)"
else
	not_ok "agent runs the ai-gateway (default mode)"; diag "$TMP/a2.err"; exit 1
fi
mkdir -p "$TMP/www/v1" && echo models >"$TMP/www/v1/models"
h0=$(cnt held) rj0=$(cnt reject_tcp)
get q1 "$S4" api.example.com 'v1/models?quota1'
read -r code t <"$TMP/q1.w"
check "ai-gateway: request 1 of the quota answered after its hold ($code in ${t}s)" test "$code" = 200
check "  with no retransmit (${t}s < 0.5 s)" fast "$t"
get q2 "$S4" api.example.com 'v1/models?quota2'
read -r code t <"$TMP/q2.w"
check "ai-gateway: request 2 over the quota: reset (rc $(cat "$TMP/q2.rc"))" bash -c \
	"[ $(cat "$TMP/q2.rc") = 56 ] || grep -qi reset '$TMP/q2.err'"
check "  at once (${t}s < 0.5 s)" fast "$t"
check "  its verdict was the policy's reject" bash -c \
	"jq -e -s 'any(.[]; .event == \"verdict\" and .verdict == \"reject\")' '$TMP/a2.json' >/dev/null"
check "  both requests were held first ($(($(cnt held) - h0)) held)" test $(($(cnt held) - h0)) -ge 2
check "  the kernel answered the held one ($(($(cnt reject_tcp) - rj0)) RST)" test $(($(cnt reject_tcp) - rj0)) -ge 1
sleep 0.5
check "  nginx logged quota1 and never saw quota2" bash -c \
	"grep -q quota1 '$TMP/nginx-access.log' && ! grep -q quota2 '$TMP/nginx-access.log'"

# Ordering, IPv6 (another client: its own quota): a flow whose first data segments come in a burst before
# the verdict (the request and 12 more, back to back, no Nagle) is
# delivered in order: the server's byte stream hashes to the client's
cat >"$TMP/burst_client.py" <<'PY'
import hashlib, socket, sys, time
c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.connect((sys.argv[1], int(sys.argv[2])))
segs = [b"GET /v1/models HTTP/1.1\r\nHost: api.example.com\r\n\r\n"]
segs += [(("segment %02d " % i) * 40).encode() for i in range(12)]
h = hashlib.sha256(); n = 0
for s in segs:
    c.send(s); h.update(s); n += len(s)
time.sleep(1.0)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
print("%d %s" % (n, h.hexdigest()))
PY
in_s python3 "$LIB_DIR/hash_server.py" "$S6" 8080 "$TMP/hash.out" &
PIDS+=($!)
wait_for 5 bash -c "ip netns exec '$NS_S' ss -ltn 'sport = :8080' | grep -q 8080"
h0=$(cnt held)
SENT=$(in_c timeout 10 python3 "$TMP/burst_client.py" "$S6" 8080)
wait_for 5 test -s "$TMP/hash.out"
GOT=$(head -1 "$TMP/hash.out")
check "IPv6 burst before the verdict: the server got the exact byte stream ($GOT)" \
	test -n "$SENT" -a "$SENT" = "$GOT"
check "  its first data segment was held ($(($(cnt held) - h0)) held)" test $(($(cnt held) - h0)) -ge 1
kill "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# The ratelimit guest, default mode: a flow-level decision at FLOW_NEW, so
# an allowed request is not even held (the handshake passes, the verdict is
# written before the request comes); over the bucket, a reject: the held
# request is answered by a RST at once, not dropped into a client timeout
if agent_start a4 --tc --default-verdict hold --policy "$G/ratelimit.wasm" \
	--policy-config 'burst=1 refill_ms=60000'; then
	ok "agent runs the ratelimit (default mode)"
else
	not_ok "agent runs the ratelimit (default mode)"; diag "$TMP/a4.err"; exit 1
fi
get rl1 "$S4" www.allowed.test 'index.html?rl1'
read -r code t <"$TMP/rl1.w"
check "ratelimit: connection 1 (the burst) answered ($code in ${t}s)" test "$code" = 200
check "  with no retransmit (${t}s < 0.5 s)" fast "$t"
get rl2 "$S4" www.allowed.test 'index.html?rl2'
read -r code t <"$TMP/rl2.w"
rc=$(cat "$TMP/rl2.rc")
check "ratelimit: connection 2 over the bucket: reset (rc $rc: $(head -c 60 "$TMP/rl2.err"))" \
	bash -c "[ $rc = 56 ] || [ $rc = 52 ] || [ $rc = 7 ] || grep -qiE 'reset|refused' '$TMP/rl2.err'"
check "  at once (${t}s < 0.5 s)" fast "$t"
check "  its verdict was the policy's reject" bash -c \
	"jq -e -s 'any(.[]; .event == \"verdict\" and .verdict == \"reject\")' '$TMP/a4.json' >/dev/null"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# The AssemblyScript blocklist, default mode: its patterns rejected by
# kernel rules, every other name passed by its "*" rule
if have "$LS_ROOT/guests/as/node_modules/.bin/asc" && [ -f "$G/blocklist_as.wasm" ]; then
	if agent_start a5 --tc --default-verdict hold --policy "$G/blocklist_as.wasm" \
		--policy-config '*.blocked.test'; then
		ok "agent runs the blocklist (AssemblyScript, default mode)"
	else
		not_ok "agent runs the blocklist (AssemblyScript, default mode)"; diag "$TMP/a5.err"; exit 1
	fi
	rh0=$(cnt rule_http)
	get bl1 "$S4" www.allowed.test 'index.html?bl1'
	read -r code t <"$TMP/bl1.w"
	check "blocklist: HTTP Host www.allowed.test answered ($code in ${t}s)" test "$code" = 200
	check "  with no retransmit (${t}s < 0.5 s)" fast "$t"
	get bl2 "$S4" x.blocked.test 'index.html?blk2'
	read -r code t <"$TMP/bl2.w"
	rc=$(cat "$TMP/bl2.rc")
	check "blocklist: HTTP Host x.blocked.test: reset (rc $rc)" \
		bash -c "[ $rc = 56 ] || [ $rc = 52 ] || grep -qi reset '$TMP/bl2.err'"
	check "  at once (${t}s < 0.5 s)" fast "$t"
	check "  both decided by the kernel's rules (rule_http +$(($(cnt rule_http) - rh0)))" \
		test $(($(cnt rule_http) - rh0)) -ge 2
	sleep 0.5
	check "  nginx never saw the blocked request" bash -c "! grep -q blk2 '$TMP/nginx-access.log'"
	kill "$AGENT"; wait "$AGENT" 2>/dev/null
	"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
else
	skip_missing "blocklist (AssemblyScript) live: asc or blocklist_as.wasm"
fi

# --default-verdict reject: no policy; every new flow is answered by the
# kernel at its first packet -- a SYN gets RST,ACK (RFC 9293 3.10.7.1):
# curl reads "connection refused" at once
if agent_start a3 --default-verdict reject; then
	ok "agent runs with --default-verdict reject"
else
	not_ok "agent runs with --default-verdict reject"; diag "$TMP/a3.err"; exit 1
fi
check "  config says reject" grep -q 'default verdict reject' "$TMP/a3.err"
get rf "$S4" www.allowed.test index.html
read -r code t <"$TMP/rf.w"
check "curl: connection refused (rc $(cat "$TMP/rf.rc"): $(head -c 60 "$TMP/rf.err"))" \
	test "$(cat "$TMP/rf.rc")" = 7
check "  at once (${t}s < 0.5 s)" fast "$t"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
finish
