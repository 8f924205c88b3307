#!/usr/bin/env bash
# state_live.sh - issue 13: the guests' key-value store survives an agent
# SIGKILL and restart with --state-dir (docs/policy.md, "State that survives
# a restart"). The ratelimit example keeps its per-client token buckets in
# the store (burst=3, one token back every 10 min: none comes back during
# the test). Three flows empty the client's bucket under the first agent;
# the state file on disk is read by another implementation
# (lib/kvstate.py: zlib's CRC, the documented layout) and shows 0 tokens;
# the agent is killed with SIGKILL and started again: the fourth flow is
# refused by the new agent (without the state file it would start with a
# full bucket and allow it). Then a clean stop saves at once, and a
# truncated state file is refused with its reason, kept aside as
# kv.state.rejected, and the agent starts with an empty store (a new
# bucket: the flow is allowed) instead of failing or loading half of it.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init pstate
mkdir -p "$TMP/www" && head -c 1M /dev/zero >"$TMP/www/slow.bin"
nginx_start 'location = /slow.bin { limit_rate 1m; }' || bail "nginx did not start"
SD=$TMP/state
mkdir -p "$SD"
POLICY=(--policy "$G/ratelimit.wasm" --policy-config 'burst=3 refill_ms=600000 passive'
	--state-dir "$SD" --metrics 127.0.0.1:0)
# LS_STATE_WORKERS=N: the same with --workers N (one store shared, saved once)
[ -n "${LS_STATE_WORKERS:-}" ] && POLICY+=(--workers "$LS_STATE_WORKERS")
kvstate() { python3 "$LIB_DIR/kvstate.py" "$SD/kv.state" "$C4" 2>&1; }

if ! agent_start a1 "${POLICY[@]}"; then
	not_ok "agent runs the ratelimit policy with --state-dir"; diag "$TMP/a1.err"; exit 1
fi
ok "agent runs the ratelimit policy with --state-dir"
A1=$AGENT
check "it says the store starts empty (no state file yet)" \
	grep -q "state: no $SD/kv.state yet" "$TMP/a1.err"
for i in 1 2 3; do
	check "flow $i of 3 (burst) is allowed" fetch f$i "http://$S4/big.bin"
done
# within about a second (the save interval) the empty bucket is on disk
check "the state file holds the client's bucket with 0 tokens ($(kvstate))" \
	wait_for 5 bash -c "python3 '$LIB_DIR/kvstate.py' '$SD/kv.state' '$C4' | grep -q 'tokens=0'"
check "  mode 0600" test "$(stat -c %a "$SD/kv.state")" = 600

kill -9 "$A1"
wait "$A1" 2>/dev/null
if agent_start a2 "${POLICY[@]}"; then
	ok "a new agent starts after SIGKILL"
else
	not_ok "a new agent starts after SIGKILL"; diag "$TMP/a2.err"
fi
A2=$AGENT
check "it loaded the store from the state file" \
	grep -qE "state: loaded [1-9][0-9]* keys of the key-value store from $SD/kv.state" "$TMP/a2.err"
check "flow 4, the first under the new agent, is refused: the bucket survived the SIGKILL" \
	denied a2 40104 fetch f4 "http://$S4/slow.bin" --local-port 40104 --max-time 2.5

# a clean stop writes what changed since the last save: a flow from the
# client's IPv6 address takes a token from that address's bucket (its
# neighbour discovery may have taken some before: the count on disk first)
# and SIGTERM follows milliseconds later, before the next 1 s save most of
# the time
tokens6() { python3 "$LIB_DIR/kvstate.py" "$SD/kv.state" "$C6" 2>/dev/null |
	sed -n 's/.*tokens=//p'; }
sleep 1.5 # pacing: a save of whatever the neighbour discovery changed
t0=$(tokens6)
t0=${t0:-3} # no bucket yet: a full one
check "a flow from the client's IPv6 address is allowed (its own bucket, $t0 tokens)" \
	fetch f6 "http://[$S6]/big.bin"
kill -TERM "$A2"
wait "$A2" 2>/dev/null
t1=$(tokens6)
check "after a clean stop the file holds that last change (tokens $t0 -> ${t1:-none})" \
	test -n "$t1" -a "${t1:-9}" -lt "$t0"
grep -q "state: saved [1-9][0-9]* keys" "$TMP/a2.err" &&
	echo "# (written by the stop itself, not the 1 s timer)"

# a truncated file: refused whole, kept aside, the agent runs on an empty store
truncate -s 40 "$SD/kv.state"
if agent_start a3 "${POLICY[@]}"; then
	ok "an agent starts on a truncated state file"
else
	not_ok "an agent starts on a truncated state file"; diag "$TMP/a3.err"
fi
A3=$AGENT
check "it says why the file was refused" \
	grep -qE "state: refused $SD/kv.state: truncated or extended: the header says [0-9]+ payload bytes, the file has 8; the key-value store starts empty; the file is kept as $SD/kv.state.rejected" "$TMP/a3.err"
check "  and kept it aside (40 bytes)" test "$(stat -c %s "$SD/kv.state.rejected" 2>/dev/null)" = 40
check "nothing of it loaded: a fresh bucket allows a flow" fetch f5 "http://$S4/big.bin"
check "  and the store is saved again ($(kvstate))" \
	wait_for 5 bash -c "python3 '$LIB_DIR/kvstate.py' '$SD/kv.state' '$C4' | grep -q 'tokens=2'"
scrape "$(metrics_port a3)" "$TMP/a3.prom"
w=$(metric "$TMP/a3.prom" lockstep_state_writes_total)
e=$(metric "$TMP/a3.prom" lockstep_state_write_errors_total)
check "state writes are counted (${w:-?}), no write errors (${e:-?})" \
	bash -c "[ '${w:-0}' -ge 1 ] && [ '${e:-x}' = 0 ]"
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err' '$TMP/a2.err' '$TMP/a3.err'"
kill -TERM "$A3"; wait "$A3" 2>/dev/null
