#!/usr/bin/env bash
# dp_live.sh - lockstep run on a real veth with real clients and servers:
# nginx (HTTP over IPv4 and IPv6), openssl s_server (TLS, certificate made
# here) and a DNS query from dig. Asserts the flows, the DPI names (Host,
# SNI, qname) and the counters from the agent's JSON lines and from
# `lockstep flows` / `lockstep counters`; a drop verdict fails one
# connection (new and established) while the others succeed; and with a
# drop default, SIGKILL + restart keeps a pass-verdict transfer alive (the
# verdict, config and program all survive in the pins).
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init dplive

need_root
topo_up || bail "could not build the topology"
# big.bin paced by the server (12 MB at 1 MB/s: 12 s): curl's own
# --limit-rate lets a transfer catch up in bursts (4-8 MB in the second
# after an agent was killed), and the restart below needs a transfer that
# is provably still running once the next agent is up, however long that
# start takes or how many workers it runs
nginx_start 'location = /big.bin { limit_rate 1m; }' ||
	{ diag "$TMP/nginx-error.log"; bail "nginx did not start"; }
tls_start || { diag "$TMP/s_server.log"; bail "openssl s_server did not start"; }
agent_start a1 || { diag "$TMP/a1.err"; bail "agent did not start"; }
A1=$AGENT
LS() { "$LS_BIN" "$@" --pin-dir "$PIN_DIR"; }
# ev JQ_FILTER: at least one event line of agent a1 matches
ev() { [ -n "$(jq -c "select($1)" "$TMP/a1.json" 2>/dev/null | head -n 1)" ]; }
ev_wait() { wait_for 5 ev "$1"; }

# ---- real clients ------------------------------------------------------------
check "HTTP over IPv4 succeeds" in_c curl -sS -o /dev/null --max-time 5 \
	-H 'Host: www.lockstep.test' --local-port 40100 http://$S4/index.html
check "HTTP over IPv6 succeeds" in_c curl -sS -o /dev/null --max-time 5 \
	-H 'Host: v6.lockstep.test' "http://[$S6]/index.html?v=6"
check "TLS handshake with SNI succeeds" bash -c "ip netns exec $NS_C openssl s_client \
	-connect $S4:443 -servername tls.lockstep.test </dev/null 2>/dev/null | grep -q CONNECTED"
# no DNS server: the query itself is what the data plane inspects (dig
# fails for want of an answer; its query must have reached the data plane)
in_c dig @$S4 +tries=1 +time=1 -b $C4#40300 dns.lockstep.test A >/dev/null 2>&1
check "dig's query reached the data plane (flow_new udp :40300 -> :53)" ev_wait \
	'.event=="flow_new" and .proto=="udp" and .src=="'$C4'" and .sport==40300 and .dport==53'

# ---- events --------------------------------------------------------------------
check "flow_new for the HTTP flow, as the packet travelled" ev_wait \
	'.event=="flow_new" and .proto=="tcp" and .src=="'$C4'" and .sport==40100 and .dst=="'$S4'" and .dport==80'
check "dpi: HTTP Host, method and path" ev_wait \
	'.event=="dpi" and .http_host=="www.lockstep.test" and .http_method=="GET" and .http_path=="/index.html" and .sport==40100'
check "dpi: HTTP Host over IPv6" ev_wait \
	'.event=="dpi" and .http_host=="v6.lockstep.test" and .src=="'$C6'" and .http_path=="/index.html?v=6"'
check "dpi: TLS SNI" ev_wait '.event=="dpi" and .tls_sni=="tls.lockstep.test" and .dport==443'
check "dpi: DNS qname" ev_wait \
	'.event=="dpi" and .proto=="udp" and (.dns_qname=="dns.lockstep.test" or .dns_qname=="dns.lockstep.test.") and .sport==40300 and .dport==53'
check "no DPI name that no client sent" bash -c "! jq -r 'select(.event==\"dpi\") | (.http_host // .tls_sni // .dns_qname // empty)' '$TMP/a1.json' | grep -vxE '(www|v6|tls|dns)\.lockstep\.test\.?'"
check "every line is valid JSON" quiet jq -e . "$TMP/a1.json"
check "dpi and flow_new of a flow share its flow_id" bash -c "
	a=\$(jq -r 'select(.event==\"flow_new\" and .sport==40100) | .flow_id' '$TMP/a1.json' | head -1)
	b=\$(jq -r 'select(.event==\"dpi\" and .sport==40100) | .flow_id' '$TMP/a1.json' | head -1)
	[ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"

# ---- flows and counters from the pins ---------------------------------------------
LS flows --json >"$TMP/flows.json" 2>"$TMP/flows.err"
check "flows lists the HTTP flow client -> server" quiet jq -e -s \
	'any(.[]; .proto=="tcp" and .src=="'$C4'" and .sport==40100 and .dst=="'$S4'" and .dport==80 and .pkts_c2s > 0)' "$TMP/flows.json"
check "flows lists the IPv6 flow" quiet jq -e -s 'any(.[]; .src=="'$C6'" and .dst=="'$S6'" and .dport==80)' "$TMP/flows.json"
check "flows lists the DNS flow" quiet jq -e -s 'any(.[]; .proto=="udp" and .sport==40300 and .dport==53)' "$TMP/flows.json"
check "flows (table) prints a header and rows" bash -c "'$LS_BIN' flows --pin-dir $PIN_DIR | grep -q '$C4:40100'"
LS counters --json >"$TMP/cnt.json"
check "counters: dpi_http >= 2, dpi_tls >= 1, dpi_dns >= 1" quiet jq -e \
	'.dpi_http >= 2 and .dpi_tls >= 1 and .dpi_dns >= 1' "$TMP/cnt.json"
check "counters: flow_new >= 4, pkts >= pass" quiet jq -e '.flow_new >= 4 and .pkts >= .pass and .pass > 0' "$TMP/cnt.json"
check "counters: nothing dropped yet" quiet jq -e '.drop_verdict == 0 and .drop_default == 0' "$TMP/cnt.json"

# ---- drop verdicts -------------------------------------------------------------------
LS verdict set --flow "tcp $C4 40124 $S4 80" drop 2>/dev/null
check "verdict get shows the drop" bash -c "'$LS_BIN' verdict get --pin-dir $PIN_DIR --flow 'tcp $S4 80 $C4 40124' | jq -e '.verdict==\"drop\"' >/dev/null"
D0=$(drop_verdicts)
check "the dropped flow's connection fails" bash -c "! ip netns exec $NS_C curl -sS -o /dev/null --max-time 3 --local-port 40124 http://$S4/ 2>/dev/null"
check "  because the data plane dropped it by the verdict (drop_verdict $D0 -> $(drop_verdicts))" \
	test "$(drop_verdicts)" -gt "$D0"
check "another connection to the same server succeeds" in_c curl -sS -o /dev/null --max-time 5 --local-port 40125 http://$S4/
check "TLS still succeeds meanwhile" bash -c "ip netns exec $NS_C openssl s_client \
	-connect $S4:443 -servername tls.lockstep.test </dev/null 2>/dev/null | grep -q CONNECTED"
check "counters: drop_verdict > 0" bash -c "'$LS_BIN' counters --json --pin-dir $PIN_DIR | jq -e '.drop_verdict > 0' >/dev/null"
check "flows shows the verdict" bash -c "'$LS_BIN' flows --json --pin-dir $PIN_DIR | jq -e -s 'any(.[]; .sport==40124 and .verdict==\"drop\")' >/dev/null"
LS verdict del --flow "tcp $C4 40124 $S4 80"
check "after verdict del the same flow connects" in_c curl -sS -o /dev/null --max-time 5 --local-port 40124 http://$S4/
check "verdict del of a missing verdict fails clearly" bash -c \
	"'$LS_BIN' verdict del --pin-dir $PIN_DIR --flow 'tcp $C4 40124 $S4 80' 2>&1 | grep -q 'no verdict'"

# a drop verdict on an established transfer stops it; a parallel one finishes
in_c curl -sS -o "$TMP/cut.out" --limit-rate 1m --speed-limit 1000 --speed-time 3 --max-time 30 \
	--local-port 40130 http://$S4/big.bin 2>/dev/null &
CUT=$!; PIDS+=($CUT)
in_c curl -sS -o "$TMP/keep.out" --max-time 30 --local-port 40131 http://$S4/index.html 2>/dev/null &
KEEP=$!; PIDS+=($KEEP)
wait_for 5 bash -c "[ -s '$TMP/cut.out' ]"
LS verdict set --flow "tcp $C4 40130 $S4 80" drop 2>/dev/null
wait "$CUT"; CRC=$?
wait "$KEEP"; KRC=$?
check "a drop verdict stops an established transfer (curl rc $CRC)" test "$CRC" -ne 0
check "the transfer did not complete" test "$(stat -c %s "$TMP/cut.out")" -lt "$(stat -c %s "$TMP/www/big.bin")"
check "the parallel request succeeded" test "$KRC" -eq 0

# ---- drop default + SIGKILL/restart keeps a pass-verdict transfer ---------------
kill -9 "$A1"; wait "$A1" 2>/dev/null
agent_start a2 --default-verdict drop || diag "$TMP/a2.err"
A2=$AGENT
check "restart with --default-verdict drop adopts" grep -q 'adopted the data plane' "$TMP/a2.err"
check "config now drops undecided flows" grep -q 'default verdict drop' "$TMP/a2.err"
dd0=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq .drop_default)
check "an undecided new flow is dropped" bash -c "! ip netns exec $NS_C curl -sS -o /dev/null --max-time 2 --local-port 40201 http://$S4/ 2>/dev/null"
dd1=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq .drop_default)
check "  by the drop default (drop_default $dd0 -> $dd1)" test "${dd1:-0}" -gt "${dd0:-0}"
LS verdict set --flow "tcp $C4 40200 $S4 80" pass 2>/dev/null
ID=$(xdp_prog_id)
in_c curl -sS -o "$TMP/big.out" --limit-rate 1m --max-time 60 --local-port 40200 http://$S4/big.bin 2>"$TMP/curl.err" &
CURL=$!; PIDS+=($CURL)
wait_for 5 bash -c "[ -s '$TMP/big.out' ]"
kill -9 "$A2"; wait "$A2" 2>/dev/null
sleep 1 # the thing under test: a moment with no agent at all
agent_start a3 || diag "$TMP/a3.err"
A3=$AGENT
check "the restarted agent reports adoption" grep -q 'adopted the data plane pinned in .*nothing re-attached' "$TMP/a3.err"
check "the drop default was kept from the pins" grep -q 'default verdict drop' "$TMP/a3.err"
check "the program was never re-attached" test "$(xdp_prog_id)" = "$ID"
check "the transfer is still running after the restart" kill -0 "$CURL"
wait "$CURL"; CRC=$?
check "the pass-verdict transfer survived kill + restart (curl rc $CRC)" test "$CRC" -eq 0
check "every byte arrived" test "$(stat -c %s "$TMP/big.out" 2>/dev/null)" = "$(stat -c %s "$TMP/www/big.bin")"
check "undecided flows are still dropped after the restart" bash -c "! ip netns exec $NS_C curl -sS -o /dev/null --max-time 2 --local-port 40202 http://$S4/ 2>/dev/null"
check "counters: drop_default > 0" bash -c "'$LS_BIN' counters --json --pin-dir $PIN_DIR | jq -e '.drop_default > 0' >/dev/null"

# ---- stop -----------------------------------------------------------------------------
check "lockstep stop exits 0" "$LS_BIN" stop --pin-dir "$PIN_DIR"
check "stop detached the program" test -z "$(xdp_prog_id)"
check "stop removed the pins" test ! -e "$PIN_DIR"
check "traffic passes again after stop" in_c curl -sS -o /dev/null --max-time 5 --local-port 40203 http://$S4/
