#!/usr/bin/env bash
# ratelimit_live.sh - the ratelimit policy on the real data plane: a client
# may open `burst` flows, flow N+1 inside the window is refused, and after a
# refill period a new flow is allowed again. Refused is a drop by a verdict
# (lib/policy.sh `denied`): curl fails, the policy wrote a drop verdict for
# that flow (a fixed client port names it) and the data plane's drop_verdict
# counter grew -- not any curl failure. It is tested on a 12 MB download: the
# packet that opened the flow passes before the policy decides, the ones
# after the drop verdict do not. A refused download hangs until curl's
# --max-time (2.5 s; allowed, it takes 1 s), so that flow 6 still comes
# within two refill periods of the burst (a second token would let it through).
# The guest runs "passive" (drops); its default, rejects under hold, is
# checked by inline_live.sh.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init prate
# /slow.bin (1 MB at 1 MB/s) for the flows that must be refused: a 12 MB
# download crosses a veth in ~10 ms, faster than the policy decides under
# load, so a refusal is checked on an answer that takes 1 s
mkdir -p "$TMP/www" && head -c 1M /dev/zero >"$TMP/www/slow.bin"
nginx_start 'location = /slow.bin { limit_rate 1m; }' || bail "nginx did not start"
if agent_start a1 --policy "$G/ratelimit.wasm" --policy-config 'burst=3 refill_ms=6000 passive'; then
	ok "agent runs the ratelimit policy"
else
	not_ok "agent runs the ratelimit policy"; diag "$TMP/a1.err"; exit 1
fi
for i in 1 2 3; do
	check "flow $i of 3 (burst) downloads 12 MB" fetch f$i "http://$S4/big.bin"
done
check "flow 4 inside the window is refused by a drop verdict" \
	denied a1 40104 fetch f4 "http://$S4/slow.bin" --local-port 40104 --max-time 2.5
sleep 6.5 # the thing under test: one refill period (6 s) passes
check "after a refill period a new flow is allowed" fetch f5 "http://$S4/big.bin"
check "  every byte arrived" test "$(stat -c %s "$TMP/f5.out")" = "$(stat -c %s "$TMP/www/big.bin")"
check "and the one after it is refused again, by a drop verdict" \
	denied a1 40106 fetch f6 "http://$S4/slow.bin" --local-port 40106 --max-time 2.5
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
