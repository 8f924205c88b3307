#!/usr/bin/env bash
# aigw_state_live.sh - issue 13: the ai-gateway example's per-client quota
# counts survive an agent SIGKILL and restart (--state-dir) and a reload
# (docs/policy.md, "State that survives a restart"). quota_chat=3 in a 10
# min window: three chat requests are allowed under the first agent; the
# state file on disk, read by another implementation (lib/kvstate.py:
# zlib's CRC, the documented layout), holds chat=3 for the client; the
# agent is killed with SIGKILL and started again on the same directory:
# the fourth chat request is refused by the new agent (by a drop verdict,
# not a timeout), a GET /v1/models (no quota) is still allowed; after a
# reload it is still refused. Control: an agent on an empty state
# directory allows the same request (the count is what refuses it, not
# the deployment).
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init paigwst
mkdir -p "$TMP/www/v1/chat"
head -c 2M /dev/zero >"$TMP/www/v1/chat/completions"
head -c 2M /dev/zero >"$TMP/www/v1/models"
# static files answer POST too (aigw_live.sh), paced so a refusal verdict,
# written a few ms after the request, lands before the answer is complete
nginx_start 'limit_rate 4m; error_page 405 =200 $uri;' || bail "nginx did not start"
SD=$TMP/state
mkdir -p "$SD" "$TMP/empty"
CFG='hosts=api.test quota_chat=3 window_ms=600000 ttl_ms=3000 passive'
H='Host: api.test'
chat() { # NAME PORT
	fetch "$1" "http://$S4/v1/chat/completions" -X POST -H "$H" -d '{"model":"m"}' \
		--local-port "$2"
}
quota() { python3 "$LIB_DIR/kvstate.py" "$SD/kv.state" "$C4" quota 2>&1; }

if ! agent_start a1 --policy "$G/ai-gateway.wasm" --policy-config "$CFG" --state-dir "$SD"; then
	not_ok "agent runs ai-gateway with --state-dir"; diag "$TMP/a1.err"; exit 1
fi
ok "agent runs ai-gateway with --state-dir"
A1=$AGENT
for i in 1 2 3; do
	check "chat request $i of 3 (the quota) allowed" chat c$i $((40200 + i))
done
# within about a second (the save interval) the count is on disk
check "the state file holds the client's window with chat=3 ($(quota))" \
	wait_for 5 bash -c "python3 '$LIB_DIR/kvstate.py' '$SD/kv.state' '$C4' quota | grep -q ' chat=3 '"

kill -9 "$A1"
wait "$A1" 2>/dev/null
if agent_start a2 --policy "$G/ai-gateway.wasm" --policy-config "$CFG" --state-dir "$SD"; then
	ok "a new agent starts after SIGKILL"
else
	not_ok "a new agent starts after SIGKILL"; diag "$TMP/a2.err"
fi
check "it loaded the store from the state file" \
	grep -qE "state: loaded [1-9][0-9]* keys of the key-value store from $SD/kv.state" "$TMP/a2.err"
check "chat request 4, the first under the new agent, is refused: the count survived the SIGKILL" \
	denied a2 40204 chat c4 40204
check "  while GET /v1/models (no quota) is allowed" \
	fetch m1 "http://$S4/v1/models" -H "$H" --local-port 40211
"$LS_BIN" reload >"$TMP/reload.out" 2>&1
check "a reload ($(head -c 120 "$TMP/reload.out"))" grep -q reloaded "$TMP/reload.out"
check "after the reload chat is still refused" denied a2 40205 chat c5 40205
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err' '$TMP/a2.err'"
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# control: the same deployment on an empty state directory counts anew
if agent_start a3 --policy "$G/ai-gateway.wasm" --policy-config "$CFG" --state-dir "$TMP/empty"; then
	check "control: an agent without the saved counts allows the same request" chat c6 40206
else
	not_ok "control: an agent on an empty state directory starts"; diag "$TMP/a3.err"
fi
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
