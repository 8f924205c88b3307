#!/usr/bin/env bash
# reload_live.sh - hot reload under load: wrk runs against nginx through the
# attached data plane (a new connection per request, so flows keep arriving)
# while the policy is reloaded several times over the control socket and by
# SIGHUP; wrk must report zero socket errors and no non-2xx answers. A
# reload with a broken module is refused, and the old policy keeps serving:
# checked at once after the refusal, under a drop default (ai-gateway passes
# each handshake, then decides on the request), by its verdicts -- an allowed
# host answered through a pass verdict, an unknown one dropped by a drop
# verdict (not any curl failure).
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init preload
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || bail "nginx did not start"
cp "$G/ai-gateway.wasm" "$TMP/p1.wasm"
cp "$G/ai-gateway.wasm" "$TMP/p2.wasm"
# Deny by default: a flow passes only once the policy let it (its handshake,
# then GET /v1/models to the allowed host), so a lost policy shows at once
# as allowed requests failing -- under a pass default it would look alive.
CONFIG='hosts=www.allowed.test handshake_ttl_ms=5000 ttl_ms=3000 passive'
if agent_start a1 --default-verdict drop --policy "$TMP/p1.wasm" --policy-config "$CONFIG"; then
	ok "agent runs the ai-gateway policy under a drop default"
else
	not_ok "agent runs the ai-gateway policy under a drop default"; diag "$TMP/a1.err"; exit 1
fi
check "control socket is 0600" test "$(stat -c %a "$LS_CONTROL_SOCK")" = 600
# a new connection per request (so flows keep arriving during the reloads);
# under the drop default each connection's first SYN is dropped before the
# policy passes its handshake: the retransmit comes 1 s later, hence -c16
in_c wrk -t2 -c16 -d8s --timeout 5s -H 'Host: www.allowed.test' -H 'Connection: close' \
	"http://$S4/v1/models" >"$TMP/wrk.out" 2>&1 &
WRK=$!
PIDS+=($WRK)
check "wrk's requests are being answered" wait_for 5 test -s "$TMP/nginx-access.log"
ok_reloads=0
for i in 1 2 3 4; do
	f=$TMP/p$((i % 2 + 1)).wasm
	"$LS_BIN" reload --policy "$f" >>"$TMP/reload.out" 2>&1 && ok_reloads=$((ok_reloads + 1))
	sleep 0.7 # pacing, not synchronisation: the reloads are spread over the load
done
check "4 reloads over the control socket succeeded" test "$ok_reloads" = 4
kill -HUP "$AGENT"
check "SIGHUP reloaded" wait_for 5 grep -q 'SIGHUP: reloaded' "$TMP/a1.err"
"$LS_BIN" reload --policy "$G/test/abi3.wasm" >"$TMP/bad.out" 2>&1
RC=$?
check "a broken module's reload is refused (exit 1)" test "$RC" -eq 1
check "  with the reason" grep -q 'speaks lockstep ABI version 3' "$TMP/bad.out"
# At once, before anything else reloads: the old policy's own verdicts.
# Client ports outside the ephemeral range (wrk uses that range; a reused
# 5-tuple is the old flow to the data plane).
check "the old policy kept serving after the refused reload: it allows its host" \
	fetch after "http://$S4/v1/models" -H 'Host: www.allowed.test' --local-port 61100
check "  by a pass verdict for that flow" verdict_for a1 61100 pass
# (asked again once the verdict is written, lib/after_verdict.py: the first
# request passes while the flow is undecided, and racing a download against
# the decision fails whenever the agent is slower than the download)
check "  and denies an unknown host by a drop verdict" \
	denied a1 61101 answered_after_verdict a1 denied.test 61101
"$LS_BIN" reload --policy "$G/test/hostile.wasm" >/dev/null 2>&1
# hostile.wasm with this config (not one of its modes) passes everything for
# 1 s; it is a valid module, so it is loaded: reload back
"$LS_BIN" reload --policy "$TMP/p1.wasm" >/dev/null 2>&1
wait "$WRK"
diag "$TMP/wrk.out"
REQS=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
check "wrk completed requests (${REQS:-0})" test "${REQS:-0}" -gt 50
check "wrk: zero socket errors" bash -c "! grep -q 'Socket errors' '$TMP/wrk.out'"
check "wrk: no non-2xx responses" bash -c "! grep -q 'Non-2xx' '$TMP/wrk.out'"
# after the reload back: the policy decides again, on new flows
check "after reloading back, the policy still allows its host" \
	fetch after2 "http://$S4/v1/models" -H 'Host: www.allowed.test' --local-port 61102
check "  and denies an unknown host by a drop verdict" \
	denied a1 61103 answered_after_verdict a1 denied.test 61103
check "the agent logged the reloads" bash -c "[ \$(grep -c '\"kind\":\"reloaded\"' '$TMP/a1.err') -ge 6 ]"
check "the agent logged the refusal" grep -q '"kind":"reload_refused"' "$TMP/a1.err"
"$LS_BIN" reload --control-socket "$TMP/nope.sock" >/dev/null 2>"$TMP/nosock.err"
check "reload without an agent fails clearly" grep -q 'cannot reach the agent' "$TMP/nosock.err"
