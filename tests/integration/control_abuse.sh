#!/usr/bin/env bash
# control_abuse.sh - the control socket never blocks the agent's loop
# (issue 14): a crowd of silent clients, an over-long request, a request
# trickled a byte at a time and one without its newline, against a real
# agent on a veth. A real `lockstep status` must be answered while the
# silent clients are still connected (the old server read each client with
# a 1 s timeout, one after the other: 40 silent clients held it for 40 s);
# every silent client is let go with a reason (busy, or timeout at its
# deadline), none is left hanging; the agent answers afterwards and its
# data plane never left the loop's control (no fail-safe with a heartbeat).
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init ctlabuse

need_root
need python3
topo_up || bail "could not build the topology"
agent_start a1 --heartbeat || { diag "$TMP/a1.err"; bail "agent did not start"; }
SOCK=$LS_CONTROL_SOCK
PY="python3 $LS_ROOT/tests/integration/lib/control_abuse.py"
val() { awk -v k="$1" '$1 == k {print $2}' "$2"; }

$PY crowd "$SOCK" 40 "$LS_BIN" status >"$TMP/crowd.out" 2>&1
diag "$TMP/crowd.out"
check "lockstep status answers with 40 silent clients connected" \
	test "$(val cmd_rc "$TMP/crowd.out")" = 0
# answered before the silent clients' 1 s deadline let them go: at least the
# 15 newest of them (16 slots, one taken by status) were still waiting
check "status was answered while silent clients still waited (not after their deadlines)" \
	test "$(val open_when_done "$TMP/crowd.out")" -ge 15
check "the clients beyond the 16 slots were told 'busy' (40 + status - 16 = 25)" \
	test "$(val busy "$TMP/crowd.out")" = 25
check "the 15 others were let go at their deadline with 'timeout'" \
	test "$(val timeout "$TMP/crowd.out")" = 15
check "no silent client was left without an answer" \
	test "$(val unanswered "$TMP/crowd.out")" = 0

$PY long "$SOCK" 5000 >"$TMP/long.out"
check "a request line over 4094 bytes is refused as too long" \
	grep -q '^reply error request too long' "$TMP/long.out"
$PY slow "$SOCK" obs.status >"$TMP/slow.out"
check "a request sent a byte at a time is answered" grep -q '^reply ok ' "$TMP/slow.out"
$PY noeol "$SOCK" obs.status >"$TMP/noeol.out"
check "a request without its newline, then EOF, is answered" grep -q '^reply ok ' "$TMP/noeol.out"
check "the agent still answers lockstep status" quiet "$LS_BIN" status
check "the agent is alive" kill -0 "$AGENT"
check "the data plane never failed safe (the heartbeat was served throughout)" \
	bash -c "! jq -c 'select(.event == \"failsafe\")' '$TMP/a1.json' 2>/dev/null | grep -q ."
kill -INT "$AGENT" 2>/dev/null
wait "$AGENT" 2>/dev/null
check "ASan found nothing" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$TMP/a1.err'"
finish
