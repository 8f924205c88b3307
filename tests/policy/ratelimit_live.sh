#!/usr/bin/env bash
# ratelimit_live.sh - the ratelimit policy on the real data plane: a client
# may open `burst` flows, flow N+1 inside the window is refused (curl fails),
# and after a refill period a new flow is allowed again. Refused is tested on
# a 12 MB download: the packet that opened the flow passes before the policy
# decides, the ones after the drop verdict do not.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init prate
nginx_start || { echo "Bail out! nginx did not start"; exit 1; }
if agent_start a1 --policy "$G/ratelimit.wasm" --policy-config 'burst=3 refill_ms=6000'; then
	ok "agent runs the ratelimit policy"
else
	not_ok "agent runs the ratelimit policy"; diag "$TMP/a1.err"; exit 1
fi
for i in 1 2 3; do
	check "flow $i of 3 (burst) downloads 12 MB" fetch f$i "http://$S4/big.bin"
done
! fetch f4 "http://$S4/big.bin"
check "flow 4 inside the window is refused (curl fails)" test $? -eq 0
check "the policy wrote a drop verdict" grep -q '"event":"verdict".*"verdict":"drop"' "$TMP/a1.json"
sleep 6.5
check "after a refill period a new flow is allowed" fetch f5 "http://$S4/big.bin"
check "  every byte arrived" test "$(stat -c %s "$TMP/f5.out")" = "$(stat -c %s "$TMP/www/big.bin")"
! fetch f6 "http://$S4/big.bin"
check "and the one after it is refused again" test $? -eq 0
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
