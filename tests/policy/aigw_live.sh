#!/usr/bin/env bash
# aigw_live.sh - the ai-gateway policy on the real data plane in front of
# an HTTP "inference service" (nginx): POST /v1/chat/completions has a quota
# of 2 per client per window, the third is refused while GET /v1/models stays
# allowed; unknown hosts and paths are denied. Responses are 2 MB, so a drop
# verdict after the request makes curl fail.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init paigw
mkdir -p "$TMP/www/v1/chat"
head -c 2M /dev/zero >"$TMP/www/v1/chat/completions"
head -c 2M /dev/zero >"$TMP/www/v1/models"
head -c 2M /dev/zero >"$TMP/www/v1/embeddings"
head -c 2M /dev/zero >"$TMP/www/admin"
# static files answer POST too (a stand-in for an inference API), paced (0.5 s
# per 2 MB answer) so a refusal verdict, written a few ms after the request,
# always lands before the answer has been delivered in full
nginx_start 'limit_rate 4m; error_page 405 =200 $uri;' || bail "nginx did not start"
if agent_start a1 --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.example.com quota_chat=2 window_ms=600000 ttl_ms=3000 passive'; then
	ok "agent runs the ai-gateway policy"
else
	not_ok "agent runs the ai-gateway policy"; diag "$TMP/a1.err"; exit 1
fi
H='Host: api.example.com'
chat() { fetch "$1" "http://$S4/v1/chat/completions" -X POST -H "$H" -d '{"model":"m"}'; }
check "chat request 1 of 2 allowed" chat c1
check "chat request 2 of 2 allowed" chat c2
! chat c3
check "chat request 3 over the quota refused (curl fails)" test $? -eq 0
for i in 1 2 3; do
	check "GET /v1/models $i still allowed" fetch m$i "http://$S4/v1/models" -H "$H"
done
check "POST /v1/embeddings (its own quota) allowed" \
	fetch e1 "http://$S4/v1/embeddings" -X POST -H "$H" -d '{}'
! fetch u1 "http://$S4/v1/models" -H 'Host: unknown.example.org'
check "an unknown host is denied" test $? -eq 0
! fetch u2 "http://$S4/admin" -H "$H"
check "an unknown path is denied" test $? -eq 0
# a long-lived allowed flow: its 3 s TTL is refreshed by on_tick (1 s)
check "a 6 s download (TTL refreshed on ticks) completes" \
	in_c curl -sS -o /dev/null --max-time 15 --limit-rate 400k -H "$H" "http://$S4/v1/models"
check "ticks refreshed verdicts" bash -c \
	"[ \$(grep -c '\"event\":\"verdict\".*\"verdict\":\"pass\"' '$TMP/a1.json') -gt 8 ]"
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
