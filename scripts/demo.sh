#!/usr/bin/env bash
# demo.sh - lockstep's built-in demo (`make demo`): two network namespaces
# joined by a veth, nginx and an openssl TLS server on one side, real clients
# on the other, and lockstep attached to the server side in the kernel. It
# drives HTTP, TLS and DNS traffic, shows what the data plane saw, drops one
# flow by verdict, kills and restarts the agent under a running transfer, and
# cleans everything up. Needs root. Uses only 198.18.0.0/15 and 2001:db8::/32.
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
LS_BIN=${LS_BIN:-$LS_ROOT/build/lockstep}
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces, BPF)" >&2; exit 1; }
. tests/integration/lib/topo.sh
topo_init demo
demo_cleanup() {
	T_FAIL=0 topo_cleanup >/dev/null 2>&1
}
trap demo_cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

say "topology: client $C4 / $C6  <-veth->  server $S4 / $S6"
topo_up || fail "could not create the namespaces"
nginx_start || fail "nginx did not start"
tls_start || fail "openssl s_server did not start"

say "attaching lockstep to the server-side veth"
agent_start demo || { cat "$TMP/demo.err"; fail "agent did not start"; }
grep -E 'attached|running' "$TMP/demo.err" | sed 's/^/  /'

say "traffic: HTTP (v4, v6), TLS with SNI, DNS"
in_c curl -sS -o /dev/null -H 'Host: api.inference.example' http://$S4/v1/models && echo "  curl http://$S4/v1/models: ok"
in_c curl -sS -o /dev/null -g "http://[$S6]/index.html" && echo "  curl http://[$S6]/: ok"
echo | in_c timeout 5 openssl s_client -connect $S4:443 -servername chat.inference.example >/dev/null 2>&1 && echo "  openssl s_client -servername chat.inference.example: ok"
in_c dig +tries=1 +time=1 @$S4 models.inference.example >/dev/null 2>&1; echo "  dig models.inference.example: sent"
sleep 1

say "what the kernel data plane saw (DPI events)"
grep '"event":"dpi"' "$TMP/demo.json" | jq -c '{proto, src, dst, dport, http_method, http_host, http_path, tls_sni, dns_qname} | with_entries(select(.value != null))' | sed 's/^/  /'

say "dropping one flow by verdict"
"$LS_BIN" verdict set --pin-dir "$PIN_DIR" --flow "tcp $C4 40404 $S4 80" drop --ttl 60s | sed 's/^/  /'
drops0=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq .drop_verdict)
if in_c curl -sS -o /dev/null --max-time 2 --local-port 40404 http://$S4/ 2>/dev/null; then
	echo "  client port 40404: got through (unexpected)"; RC=1
else
	drops1=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq .drop_verdict)
	echo "  client port 40404: dropped in the kernel ($((drops1 - drops0)) packets)"
	[ "$drops1" -gt "$drops0" ] || RC=1
fi
in_c curl -sS -o /dev/null --max-time 2 --local-port 40405 http://$S4/ && echo "  client port 40405: ok (other flows still pass)"

say "agent killed (SIGKILL) and restarted during a transfer"
in_c curl -sS -o "$TMP/big.out" --limit-rate 4m --max-time 30 http://$S4/big.bin &
CURL=$!
sleep 1
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
agent_start demo2 || fail "agent did not restart"
grep adopted "$TMP/demo2.err" | sed 's/^/  /'
if wait "$CURL"; then echo "  transfer completed: $(stat -c %s "$TMP/big.out") bytes, connection never dropped"; else echo "  transfer FAILED"; RC=1; fi

say "kernel counters"
"$LS_BIN" counters --pin-dir "$PIN_DIR" | sed 's/^/  /'
exit "${RC:-0}"
