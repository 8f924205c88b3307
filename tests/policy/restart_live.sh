#!/usr/bin/env bash
# restart_live.sh - the agent running a policy is killed with SIGKILL under
# load and started again: a long-lived connection exchanging data the whole
# time never breaks, wrk (a new connection per request) sees no error, the
# new agent adopts the pins without re-attaching, the verdicts the data
# plane kept still hold (a connection denied before the kill stays cut
# after it), the flows the old agent announced are still the same flows to
# the new one, and new connections are decided by the new agent's policy.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init prestart
nginx_start || bail "nginx did not start"
POLICY=(--tc --policy "$G/allowlist.wasm" --policy-config '*.allowed.test passive')
if agent_start a1 "${POLICY[@]}"; then
	ok "agent runs the allowlist policy"
else
	not_ok "agent runs the allowlist policy"; diag "$TMP/a1.err"; exit 1
fi
A1=$AGENT
ID1=$(xdp_prog_id)

# load across the restart: one long-lived keep-alive connection asking every
# 0.1 s, wrk opening connections, and a denied connection held open
in_c python3 "$LIB_DIR/keepalive.py" "$C4" 61000 "$S4" www.allowed.test 60 0.1 "$TMP/ka.stop" \
	>"$TMP/ka.out" 2>"$TMP/ka.err" &
KA=$!
PIDS+=($KA)
in_c wrk -t1 -c4 -d12s -H 'Host: www.allowed.test' -H 'Connection: close' \
	"http://$S4/" >"$TMP/wrk.out" 2>&1 &
WRK=$!
PIDS+=($WRK)
after_verdict a1 denied.test 61001 "$TMP/go" >"$TMP/held.out" &
HELD=$!
PIDS+=($HELD)
wait_for 15 test -e "$TMP/go.seen"
check "the denied connection got its drop verdict from the first agent" \
	verdict_for a1 61001 drop
sleep 1 # pacing, not synchronisation: the load runs a while under the first agent

kill -9 "$A1"
wait "$A1" 2>/dev/null
check "after SIGKILL the program stays attached" test "$(xdp_prog_id)" = "$ID1"
sleep 1 # the thing under test: traffic meets the data plane alone for a while
if agent_start a2 "${POLICY[@]}"; then
	ok "a new agent starts on the same pins"
else
	not_ok "a new agent starts on the same pins"; diag "$TMP/a2.err"
fi
check "it adopted them, nothing re-attached" \
	grep -qE 'adopted the data plane pinned in .*[0-9]+ maps.*nothing re-attached' "$TMP/a2.err"
check "the same program is still attached" test "$(xdp_prog_id)" = "$ID1"
check "it runs the policy" grep -q 'policy .*allowlist.wasm loaded' "$TMP/a2.err"

touch "$TMP/go"
wait "$HELD"
HELD_R=$(cat "$TMP/held.out")
check "the connection denied before the kill is still cut after it ($HELD_R)" \
	test "$HELD_R" = cut
R=$(after_verdict a2 denied.test 61002)
check "a new connection to a denied host is cut by the new agent ($R)" test "$R" = cut
R=$(after_verdict a2 www.allowed.test 61003)
check "a new connection to an allowed host is answered ($R)" test "$R" = answered

wait "$WRK"
diag "$TMP/wrk.out"
REQS=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
check "wrk completed requests across the restart (${REQS:-0})" test "${REQS:-0}" -gt 100
check "wrk: zero socket errors" bash -c "! grep -q 'Socket errors' '$TMP/wrk.out'"
check "wrk: no non-2xx responses" bash -c "! grep -q 'Non-2xx' '$TMP/wrk.out'"
# The connection ends once the new agent has drained what wrk made: at
# several thousand connections a second the ring fills (events lost are
# counted in ringbuf_full) and a slow agent is seconds behind, so a FIN
# sent while it is still catching up could be one of the lost events.
# Quiet = its event stream has not grown for a second.
quiet_for=0
for _ in $(seq 60); do
	s0=$(stat -c %s "$TMP/a2.json"); sleep 0.5; s1=$(stat -c %s "$TMP/a2.json")
	if [ "$s0" = "$s1" ]; then quiet_for=$((quiet_for + 1)); else quiet_for=0; fi
	[ "$quiet_for" -ge 2 ] && break
done
touch "$TMP/ka.stop"
wait "$KA"
KA_R=$(cat "$TMP/ka.out")
diag "$TMP/ka.out" "$TMP/ka.err"
read -r _ SENT _ ANS _ LONGEST _ BROKE <<<"$KA_R"
check "the long-lived connection never broke" test "${BROKE:-1}" = 0
check "  and every one of its ${SENT:-0} requests was answered" \
	bash -c "[ '${SENT:-0}' -gt 50 ] && [ '${SENT:-0}' = '${ANS:-x}' ]"
# the flow the first agent announced is the one the second sees end (FIN
# both ways: XDP ingress and TC egress)
KA_ID=$(jq -r 'select(.event == "flow_new" and .sport == 61000) | .flow_id' "$TMP/a1.json" | head -1)
if wait_for 10 grep -qE "\"event\":\"flow_end\".*\"flow_id\":${KA_ID:-0}," "$TMP/a2.json"; then
	ok "the new agent saw the end of the flow the old one announced (flow_id ${KA_ID:-none})"
else
	not_ok "the new agent saw the end of the flow the old one announced (flow_id ${KA_ID:-none})"
	"$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq -c '{ringbuf_full, flow_new, flow_end}' |
		sed 's/^/# /'
fi
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err' '$TMP/a2.err'"
