#!/usr/bin/env bash
# modes.sh - `lockstep status` and `lockstep trace` against every kind of
# agent, over the control socket every agent opens:
#  - no agent (no socket; a socket left by a dead agent): a clear message
#    and exit 3;
#  - data plane only, with a 64 KiB ring (--ringbuf-size, checked against
#    the kernel's map): attach section, no heartbeat or policy section,
#    packets counted, trace level at run time, trace dump and reload refused
#    with a reason;
#  - a restart adopting that ring although another size is asked (it stays
#    64 KiB and the agent says so), heartbeat only: beats, offset, rate and
#    uncertainty; a stall puts it in fail-safe and status exits 1;
#  - a policy with --tc: policy section, both directions attached, and a
#    closed connection reported as ended (flow_end);
#  - a guest whose on_tick burns its fuel every time: an instance keeps
#    being recreated, yet status and lockstep_policy_healthy say unhealthy
#    with the heartbeat's reason (the rule that makes a beat good);
#  - --ringbuf-size refusing what the kernel would refuse.
set -uo pipefail
. "$(dirname "$0")/lib/obs.sh"
policy_init omodes
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || bail "nginx did not start"

# st [ARGS...]: lockstep status, stdout to $TMP/st.out, exit status in ST
st() { "$LS_BIN" status "$@" >"$TMP/st.out" 2>"$TMP/st.err"; ST=$?; }
# st_holds [jq args] FILTER: status --json now satisfies FILTER (for wait_for)
st_holds() { st --json; jq -e "$@" "$TMP/st.out" >/dev/null 2>&1; }
# st_exit_is N: status exits N now (for wait_for)
st_exit_is() { st; [ "$ST" = "$1" ]; }
usage_err() { "$LS_BIN" "$@" >/dev/null 2>"$TMP/usage.err"; [ $? -eq 2 ] && [ -s "$TMP/usage.err" ]; }

# ---- no agent ------------------------------------------------------------------
st
check "no agent: status exits 3" test "$ST" = 3
check "  and says no agent is running, and where it looked" \
	grep -q "no agent is running.*nothing listens there" "$TMP/st.err"
st --json
check "  --json too, with nothing on stdout" bash -c "[ $ST = 3 ] && [ ! -s '$TMP/st.out' ]"
"$LS_BIN" trace level 1 >/dev/null 2>&1
check "  trace level exits 3" test $? = 3
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$LS_CONTROL_SOCK"
st
check "a socket left by a dead agent: exit 3, and it says so" \
	bash -c "[ $ST = 3 ] && grep -q 'left by an agent that died' '$TMP/st.err'"

# ---- usage ---------------------------------------------------------------------
for bad in 1000 2048 2G 64X -4096 3000; do
	check "--ringbuf-size $bad is a usage error" usage_err run --iface vs --ringbuf-size "$bad"
done
check "  saying what is allowed" grep -q 'power of two from the page size' "$TMP/usage.err"

# ---- data plane only -----------------------------------------------------------
if ! agent_start dp --ringbuf-size 64K; then
	diag "$TMP/dp.err"; bail "a data-plane-only agent did not start"
fi
check "data plane only: the stale socket was replaced" test -S "$LS_CONTROL_SOCK"
rs=$(bpftool map show pinned "$PIN_DIR/events" -j 2>/dev/null | jq -r .max_entries)
check "  the kernel's ring buffer has the size asked (65536: $rs)" test "$rs" = 65536
quiet in_c ping -q -c 5 -i 0.2 -W 1 "$S4"
# until a housekeeping tick has read the data plane's counters
wait_for 5 st_holds '.packets.total >= 5'
st
check "  status exits 0" test "$ST" = 0
diag "$TMP/st.out"
check "  human: mode, where it is attached, ingress only" \
	bash -c "grep -q '^mode: *normal' '$TMP/st.out' && grep -q '^attach: *vs, XDP .*ingress only' '$TMP/st.out'"
check "  human: no heartbeat, no policy, no metrics, and how to start them" \
	bash -c "grep -q '^heartbeat: *not running.*--heartbeat' '$TMP/st.out' &&
		grep -q '^policy: *none.*--policy' '$TMP/st.out' && grep -q '^metrics: *off' '$TMP/st.out'"
st --json
cp "$TMP/st.out" "$TMP/dp1.json"
check "  --json: attach section with the ring size, no heartbeat/policy/metrics section" jqt '
	.mode == "normal" and .attach.iface == "vs" and .attach.ringbuf_bytes == 65536
	and .attach.tc_egress == false and (has("heartbeat") or has("policy") or has("metrics") | not)
	and .alarms_open == 0 and (.alarms | length) == 0' "$TMP/dp1.json"
check "  packets counted (ping)" jqt '.packets.total >= 5' "$TMP/dp1.json"
check "lockstep trace level 1 (no policy runs)" quiet "$LS_BIN" trace level 1
quiet in_c ping -q -c 5 -i 0.1 -W 1 "$S4"
wait_for 5 st_holds --argjson e0 "$(jq .events.total "$TMP/dp1.json")" '.events.total >= $e0 + 5'
st --json
check "  status shows the kernel level, per-packet events arrive" jqt --argjson e0 \
	"$(jq .events.total "$TMP/dp1.json")" '.trace.kernel_level == 1 and .events.total >= $e0 + 5' "$TMP/st.out"
check "  they are printed on the agent's stdout" grep -q '"event":"trace"' "$TMP/dp.json"
quiet "$LS_BIN" trace level 0
"$LS_BIN" trace dump "$TMP/x.json" >/dev/null 2>"$TMP/td.err"
check "trace dump without --trace: exit 1, the reason" \
	bash -c "[ $? = 1 ] && grep -q 'start the agent with --trace' '$TMP/td.err'"
"$LS_BIN" reload >/dev/null 2>"$TMP/rl.err"
check "reload without a policy: refused, the reason" \
	bash -c "[ $? != 0 ] && grep -q 'no policy runs in this agent' '$TMP/rl.err'"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
check "SIGTERM: the control socket is removed" test ! -e "$LS_CONTROL_SOCK"
st
check "  and status exits 3" test "$ST" = 3

# ---- restart: the pinned ring is adopted; heartbeat only ------------------------
if agent_start hb --ringbuf-size 128K --heartbeat --beat-interval 50ms; then
	ok "heartbeat only: the agent adopts the pins"
else
	not_ok "heartbeat only: the agent adopts the pins"; diag "$TMP/hb.err"
fi
check "  it says the asked size is not applied and why" \
	grep -q 'ringbuf-size 131072 not applied.*has 65536 bytes and is adopted as is' "$TMP/hb.err"
rs=$(bpftool map show pinned "$PIN_DIR/events" -j 2>/dev/null | jq -r .max_entries)
check "  the ring stays 65536 bytes ($rs)" test "$rs" = 65536
wait_for 5 st_holds '.heartbeat.beats >= 10'
st --json
cp "$TMP/st.out" "$TMP/hb1.json"
check "  status exits 0" test "$ST" = 0
check "  --json: heartbeat section with beats, offset, rate, uncertainty; no policy" jqt '
	.attach.ringbuf_bytes == 65536 and .attach.adopted == true
	and .heartbeat.interval_ns == 50000000 and .heartbeat.beats >= 10
	and (.heartbeat | has("offset_ns") and has("rate_ppm") and has("uncertainty_ns")
	     and has("round_trip_ns")) and (has("policy") | not)' "$TMP/hb1.json"
st
check "  human: heartbeat, beats and clock lines" bash -c "
	grep -q '^heartbeat: *every 50.000 ms, fail-safe after 3 intervals' '$TMP/st.out' &&
	grep -q '^beats: *[1-9]' '$TMP/st.out' && grep -q '^clock: *offset G-K' '$TMP/st.out'"
diag "$TMP/st.out"
# the stall is the thing under test: 0.6 s, longer than 3 beats of 50 ms
kill -STOP "$AGENT"; sleep 0.6; kill -CONT "$AGENT"
wait_for 5 st_exit_is 1
st
check "after a stall: status exits 1 (fail-safe was entered, its alarm is open)" test "$ST" = 1
check "  and lists the alarm as open" grep -Eq '^  OPEN +failsafe' "$TMP/st.out"
diag "$TMP/st.out"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# ---- a policy, both directions ---------------------------------------------------
if agent_start pol --tc --policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test'; then
	ok "policy with --tc: the agent starts"
else
	not_ok "policy with --tc: the agent starts"; diag "$TMP/pol.err"
fi
n=0
for i in 1 2 3; do fetch p$i "http://$S4/v1/models" -H 'Host: api.test' && n=$((n + 1)); done
# until the policy ran and the three connections' ends (their FIN, --tc) arrived
wait_for 5 st_holds '.policy.calls > 0'
wait_for 5 eval '[ "$(grep -c "\"event\":\"flow_end\"" "$TMP/pol.json")" -ge 3 ]'
st --json
check "  status exits 0" test "$ST" = 0
check "  --json: policy section, TC egress, the default ring" jqt '
	(.policy.path | endswith("ai-gateway.wasm")) and .policy.healthy == true
	and .policy.calls > 0 and .attach.tc_egress == true
	and .attach.ringbuf_bytes == 4194304 and (has("heartbeat") | not)' "$TMP/st.out"
st
check "  human: the policy and the guest's health" bash -c "
	grep -q '^policy: .*ai-gateway.wasm' '$TMP/st.out' && grep -q '^guest: *healthy' '$TMP/st.out' &&
	grep -q '^attach: *vs, XDP .*TC egress (both directions seen)' '$TMP/st.out'"
ends=$(grep -c '"event":"flow_end"' "$TMP/pol.json")
check "  with --tc the server's FIN is seen: the closed connections ended ($ends)" test "$ends" -ge 3
v1=$(grep -c '"event":"verdict"' "$TMP/pol.json")
sleep 2.2 # the thing under test: two policy ticks pass without a refresh
v2=$(grep -c '"event":"verdict"' "$TMP/pol.json")
check "  so the policy stops refreshing their verdicts ($v1 -> $v2)" test "$v1" = "$v2"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# ---- a policy side that is unhealthy while an instance runs ---------------------
if agent_start burn --metrics 127.0.0.1:0 --policy "$G/test/hostile.wasm" \
	--policy-config tickburn --fuel 1000000 --tick-interval 200ms; then
	ok "tick-burning guest: the agent starts"
else
	not_ok "tick-burning guest: the agent starts"; diag "$TMP/burn.err"
fi
# until its on_tick has burnt its fuel
wait_for 5 st_holds '.policy.healthy == false'
# a flow recreates the instance at once (a first failure has no back-off):
# it runs, but its last on_tick ran out of fuel all the same
fetch b1 "http://$S4/v1/models" -H 'Host: api.test'
st --json
cp "$TMP/st.out" "$TMP/burn.status"
scrape "$(metrics_port burn)" "$TMP/burn.prom"
check "  status exits 1: the guest is unhealthy ($ST)" test "$ST" = 1
check "  --json: healthy false, with the health rule's reason and why" jqt '
	.policy.healthy == false and (.policy.reason | IN("backoff", "tick_out_of_fuel"))
	and (.policy.why | test("on_tick ran out of fuel"))' "$TMP/burn.status"
jq -c '.policy | {healthy, reason, why, restarts}' "$TMP/burn.status" | sed 's/^/# /'
check "  lockstep_policy_healthy is 0, as the heartbeat would judge a beat" \
	test "$(metric "$TMP/burn.prom" lockstep_policy_healthy)" = 0
ones=$(grep -c '^lockstep_policy_unhealthy{reason="[a-z_]*"} 1$' "$TMP/burn.prom")
why=$(sed -n 's/^lockstep_policy_unhealthy{reason="\([a-z_]*\)"} 1$/\1/p' "$TMP/burn.prom")
check "  lockstep_policy_unhealthy: one reason at 1 ($why), of the rule's" \
	bash -c "[ '$ones' = 1 ] && [[ '$why' =~ ^(backoff|tick_out_of_fuel)$ ]]"
st
check "  human: the guest UNHEALTHY, and why" \
	grep -Eq '^guest: *UNHEALTHY \((backoff|tick_out_of_fuel): .*on_tick ran out of fuel' "$TMP/st.out"
grep '^guest:' "$TMP/st.out" | sed 's/^/# /'
r=$(probe "$(metrics_port burn)" /readyz)
check "  /readyz: 503, naming the policy's health rule ($r)" \
	bash -c "[[ '$r' =~ ^503\ not\ ready:\ the\ policy\ is\ unhealthy\ \((backoff|tick_out_of_fuel): ]]"
r=$(probe "$(metrics_port burn)" /healthz)
check "  /healthz: 200 all the same: the agent is alive, only not ready ($r)" test "$r" = "200 ok"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
