#!/usr/bin/env bash
# http_abuse.sh - the metrics endpoint holds under abuse (issue 14): a
# slow-client flood (100 connections at once, 10 more every 0.5 s, each
# trickling one header byte a second: libmicrohttpd's inactivity timeout
# never fires for them, and 64 of them took every connection before) runs
# from the client namespace while Prometheus-style scrapes go on; every
# scrape must succeed, the slow connections must be cut (and counted), and
# a slow but honest client (a request in three pieces within the deadline)
# is still answered.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init httpabuse

need_root
need python3 curl
topo_up || bail "could not build the topology"
PORT=19464
agent_start a1 --metrics "$S4:$PORT" || { diag "$TMP/a1.err"; bail "agent did not start"; }
PY="python3 $LS_ROOT/tests/integration/lib/slowloris.py"
scrape() { in_c curl -sS -o /dev/null --max-time 2 -w '%{http_code}\n' "http://$S4:$PORT/metrics"; }

check "a scrape before the flood succeeds" bash -c "[ \"\$(ip netns exec $NS_C curl -sS -o /dev/null --max-time 2 -w '%{http_code}' http://$S4:$PORT/metrics)\" = 200 ]"
in_c $PY "$S4" "$PORT" 12 >"$TMP/flood.out" 2>&1 &
FLOOD=$!
PIDS+=($FLOOD)
sleep 1.5 # the first 100 are in
ok=0 fail=0
for i in $(seq 1 20); do
	code=$(scrape 2>/dev/null)
	if [ "$code" = 200 ]; then ok=$((ok + 1)); else fail=$((fail + 1)); fi
	sleep 0.4
done
echo "# scrapes during the flood: $ok ok, $fail failed"
check "every scrape during the slow-client flood succeeded (20 of 20)" test "$ok" = 20
in_c $PY --patient "$S4" "$PORT" >"$TMP/patient.out" 2>&1
diag "$TMP/patient.out"
check "a slow but honest client (3 pieces in 0.6 s) is answered 200" \
	grep -q '^status HTTP/1.1 200' "$TMP/patient.out"
wait "$FLOOD"
diag "$TMP/flood.out"
check "the flood's connections were cut by the server" \
	test "$(awk '$1 == "cut" {print $2}' "$TMP/flood.out")" -gt 100
cut=$(in_c curl -sS --max-time 2 "http://$S4:$PORT/metrics" | awk '$1 == "lockstep_metrics_connections_cut_total" {print $2}')
echo "# lockstep_metrics_connections_cut_total $cut"
check "lockstep_metrics_connections_cut_total counts them" test "${cut:-0}" -gt 100
check "the agent is alive" kill -0 "$AGENT"
kill -INT "$AGENT" 2>/dev/null
wait "$AGENT" 2>/dev/null
check "ASan found nothing" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$TMP/a1.err'"
finish
