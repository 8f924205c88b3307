#!/usr/bin/env bash
# allowlist_live.sh - the allowlist policy driving the real data plane in
# network namespaces: HTTP Hosts and TLS SNIs that match the configured
# patterns get through, others are blocked (curl fails) while the allowed
# ones keep working.
#
# The packet DPI reads passes before the policy has decided (undecided
# flows pass by default, or there would be nothing to inspect); a drop
# verdict stops the packets after it. So "blocked" is tested on what a
# connection sends once the verdict is written: a second HTTP request on it
# (lib/after_verdict.py waits for the verdict in the agent's output) and a
# TLS request sent 0.5 s after the handshake. Racing a download against the
# decision instead fails whenever the agent is slower than the download.
# The guest runs "passive" (decisions in callbacks, drops): the mode made for
# a pass default; its default inline mode under hold is inline_live.sh's.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init pallow
nginx_start || bail "nginx did not start"
tls_start || bail "openssl s_server did not start"

if agent_start a1 --tc --policy "$G/allowlist.wasm" \
	--policy-config '*.allowed.test, tls.lockstep.test, passive'; then
	ok "agent runs the allowlist policy"
else
	not_ok "agent runs the allowlist policy"; diag "$TMP/a1.err"; exit 1
fi
check "the agent said it loaded the policy" grep -q 'policy .*allowlist.wasm loaded' "$TMP/a1.err"

check "HTTP Host www.allowed.test: 12 MB download completes" \
	fetch h1 "http://$S4/big.bin" -H 'Host: www.allowed.test'
check "  every byte arrived" test "$(stat -c %s "$TMP/h1.out" 2>/dev/null)" = "$(stat -c %s "$TMP/www/big.bin")"
check "HTTP Host api.allowed.test:80 (with a port) passes" \
	fetch h2 "http://$S4/" -H 'Host: api.allowed.test:80'
R=$(after_verdict a1 blocked.test 61300)
check "HTTP Host blocked.test: cut once decided ($R)" test "$R" = cut
R=$(after_verdict a1 allowed.test 61301)
check "HTTP Host allowed.test (bare domain, pattern needs a label): cut ($R)" test "$R" = cut
R=$(after_verdict a1 www.allowed.test 61302)
check "HTTP Host www.allowed.test: still answered once decided ($R)" test "$R" = answered

check "TLS SNI tls.lockstep.test: handshake and request succeed" \
	fetch t1 "https://tls.lockstep.test/" -k --resolve "tls.lockstep.test:443:$S4"
check "openssl s_client -servername www.allowed.test: request answered" sclient www.allowed.test
# s_server serves one connection at a time and a blocked one holds it
# until it times out: the blocked cases get their own server, and go last.
in_s openssl s_server -accept 8443 -cert "$TMP/cert.pem" -key "$TMP/key.pem" -www -quiet \
	>"$TMP/s_server2.log" 2>&1 &
PIDS+=($!)
wait_for 5 in_s bash -c 'exec 3<>/dev/tcp/127.0.0.1/8443'
check "a second s_server answers www.allowed.test" sclient www.allowed.test 8443
check "openssl s_client -servername evil.test: no answer" no_sclient evil.test 8443

check "allowed flows still work after the blocked ones" \
	fetch h5 "http://$S4/" -H 'Host: x.allowed.test'
check "the policy wrote pass verdicts" grep -q '"event":"verdict".*"verdict":"pass"' "$TMP/a1.json"
check "the policy wrote drop verdicts" grep -q '"event":"verdict".*"verdict":"drop"' "$TMP/a1.json"
check "the data plane dropped packets by verdict" bash -c \
	"'$LS_BIN' counters --json --pin-dir $PIN_DIR | jq -e '.drop_verdict > 0' >/dev/null"
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
kill -TERM "$AGENT"; wait "$AGENT"
check "agent exits cleanly on SIGTERM" test $? -eq 0
check "the control socket is removed on exit" test ! -e "$LS_CONTROL_SOCK"
