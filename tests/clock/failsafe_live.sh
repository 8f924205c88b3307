#!/usr/bin/env bash
# failsafe_live.sh - fail-safe with the whole agent: policy, heartbeat and
# live connections on the attached data plane (docs/clock.md, "Liveness and
# fail-safe"). The deployment of lease_live.sh (deny by default, ai-gateway
# leases of 1.5 s refreshed every 500 ms, a lagging guest clock, sync on):
#  1. 60 s loaded (wrk, plus keep-alive connections from ka_client): no
#     false fail-safe, no beat-interval alarm (both sides configured alike),
#     no connection dropped;
#  2. the agent stopped (SIGSTOP) for 2 s, longer than a lease: fail-safe
#     within detect_multiplier beats (measured and printed), established
#     connections keep working (their expired leases honoured), and it ends
#     when beats resume -- after a tick refreshed the leases, so none is
#     revoked on the way out;
#  3. a guest that burns its fuel on every on_tick (tests/policy/guests/
#     hostile.c, tickburn): the agent is alive and beating, but a beat is good
#     only while the policy side is healthy, so fail-safe comes all the same
#     (measured), and ends once the guest ticks again.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init cfsafe
KA=$LS_ROOT/build/asan/tools/ka_client
HOSTILE=$G/test/hostile.wasm
[ -x "$KA" ] || bail "$KA not built (make tests-build)"
need wrk
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
NGINX_CONNECTIONS=1024 nginx_start 'keepalive_timeout 5s; keepalive_requests 100000000;' ||
	bail "nginx did not start"

IVL_MS=100 MULT=3
LOAD_S=${LS_FAILSAFE_LOAD_S:-60}
DEPLOY=(--default-verdict drop --expiry strict --tc
	--policy "$G/ai-gateway.wasm"
	--policy-config 'hosts=api.test ttl_ms=1500 handshake_ttl_ms=5000 expired=revoke passive'
	--tick-interval 500ms --heartbeat --beat-interval ${IVL_MS}ms --detect-multiplier $MULT
	--guest-clock 'offset=-1s,delay=200ms,quantum=1ms')
CLIENT=(--to "$S4:80" --host api.test --path /v1/models --timeout 3s --connect-timeout 10s)

field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
m() { metric "$TMP/$1.prom" "$2"; }
boot_ns() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_BOOTTIME))'; }
# failsafe NAME STATE FIELD [AFTER_K]: FIELD of the first fail-safe event
# STATE (enter|leave), after AFTER_K
failsafe() {
	jq -r --arg s "$2" --argjson a "${4:-0}" \
		"select(.event == \"failsafe\" and .state == \$s and .ts_k > \$a) | .$3" \
		"$TMP/$1.json" 2>/dev/null | head -1
}
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
beats() { awk -v n="$1" -v i=$IVL_MS 'BEGIN { printf "%.2f", n / 1e6 / i }'; }
# within A LO HI: LO < A <= HI (ns)
within() { [ -n "$1" ] && [ "$1" -gt "$2" ] && [ "$1" -le "$3" ]; }

if ! agent_start load --log "$TMP/load.log" --metrics 127.0.0.1:0 "${DEPLOY[@]}"; then
	not_ok "agent starts"; diag "$TMP/load.err"; exit 1
fi
PORT=$(metrics_port load)

# --- 1. loaded, no faults ------------------------------------------------------
in_c wrk -t 2 -c 16 -d "${LOAD_S}s" --timeout 3s -H 'Host: api.test' "http://$S4/v1/models" \
	>"$TMP/wrk.out" 2>&1 &
WRK=$!
in_c "$KA" "${CLIENT[@]}" --conns $((LOAD_S * 25)) --concurrency 100 --requests 4 \
	--gap 250ms:750ms --seed $RANDOM >"$TMP/load.ka" 2>"$TMP/load.kaerr"
wait $WRK
sed -n 's/^/# wrk: /; /Requests\/sec\|Socket errors\|Non-2xx\|requests in/p' "$TMP/wrk.out"
diag "$TMP/load.kaerr"
scrape_fresh "$PORT" "$TMP/load.prom"
fe=$(m load 'lockstep_failsafe_transitions_total{direction="enter"}')
dfe=$(m load 'lockstep_dataplane_failsafe_transitions_total{direction="enter"}')
beats_n=$(m load lockstep_heartbeat_beats_total)
echo "# ${LOAD_S} s loaded: $beats_n beats, wrk $(sed -n 's/.* \([0-9]*\) requests in.*/\1/p' "$TMP/wrk.out") requests; $(cat "$TMP/load.ka")"
check "loaded ${LOAD_S} s: no false fail-safe (enter: $fe by the agent, ${dfe:-0} in the kernel)" \
	test "${fe:-x}" = 0 -a "${dfe:-0}" = 0
if [ "${fe:-0}" != 0 ]; then # what the agent saw around it
	jq -c 'select(.event == "failsafe")' "$TMP/load.json" | head -4 | sed 's/^/# /'
	k=$(failsafe load enter ts_k)
	jq -c --argjson k "$k" 'select(.event == "beat" and .fired_k > $k - 1000000000 and
		.fired_k < $k + 300000000) | [.seq, .fired_k - .planned_k]' "$TMP/load.json" |
		tr '\n' ' ' | sed 's/^/# beats [seq, lateness ns] before it: /'; echo
	grep -E 'delivery_seconds_(sum|count)|unhealthy_total|missed_total' "$TMP/load.prom" | sed 's/^/# /'
fi
check "loaded:   the heartbeat beat all along ($beats_n beats)" gt "${beats_n:-0}" $((LOAD_S * 9))
check "loaded:   both sides configured alike: no beat-interval alarm" \
	test "$(m load 'lockstep_alarms_total{kind="beat_interval"}')" = 0
check "loaded:   wrk saw no socket error and no non-2xx answer" \
	bash -c "! grep -q 'Socket errors\|Non-2xx' '$TMP/wrk.out' && grep -q 'requests in' '$TMP/wrk.out'"
check "loaded:   no keep-alive connection dropped ($(field "$TMP/load.ka" dropped) of $(field "$TMP/load.ka" connections))" \
	test "$(field "$TMP/load.ka" dropped)" = 0 -a "$(field "$TMP/load.ka" connect_failures)" = 0

# --- 2. the agent stopped for 2 s with live connections ----------------------
hon0=$(m load lockstep_dataplane_failsafe_honoured_total)
in_c "$KA" "${CLIENT[@]}" --conns 200 --concurrency 200 --requests 36 --gap 150ms:250ms \
	--ramp 500ms --seed $RANDOM >"$TMP/stall.ka" 2>"$TMP/stall.kaerr" &
KAP=$!
# The premise: leases that run out while the agent is stopped. A
# connection's lease is the 5 s handshake one until its first request has
# been decided (then 1.5 s, renewed by every tick), and a 5 s lease
# outlives the 2 s stop: "honoured" then counts nothing, however fail-safe
# behaves (0 packets in 2 of 4 runs with two workers, where the stop came
# before some first requests were decided). So the stop waits until every
# connection holds a renewed lease: each due within ttl (1.5 s, plus the
# write's slack) of now, in the kernel's map (the drop default costs the
# first SYN: ~1 s, then the first request).
# leased: established port-80 flows whose pass lease is a renewed one
leased() {
	"$LS_BIN" flows --json --pin-dir "$PIN_DIR" 2>/dev/null | jq -s --argjson now "$(boot_ns)" \
		'[.[] | select(.dport == 80 and .state == "established" and .verdict == "pass" and
			.deadline_k > $now and .deadline_k < $now + 1700000000)] | length'
}
all_leased() { [ "$(leased)" -ge 200 ]; }
sleep 1.5
wait_for 10 all_leased
echo "# before the stop: $(leased) of 200 connections on a renewed lease"
# K read and the stop sent by one process, microseconds apart: a
# $(boot_ns) before a separate kill put the stop up to ~100 ms after stop_k
# at load 14 (the interpreter's exit in between), and the agent beat on
stop_k=$(python3 -c 'import os, signal, sys, time
t = time.clock_gettime_ns(time.CLOCK_BOOTTIME); os.kill(int(sys.argv[1]), signal.SIGSTOP); print(t)' "$AGENT")
# the leases as the stopped agent left them (the kernel's map)
"$LS_BIN" flows --json --pin-dir "$PIN_DIR" >"$TMP/stop.flows" 2>/dev/null
sleep 2 # the thing under test: the agent stopped for 2 s, longer than a lease
cont_k=$(boot_ns)
kill -CONT "$AGENT"
# leases due between fail-safe's start (stop + detect timeout) and the
# resume: they expire while fail-safe holds, and must be honoured
due=$(jq -s --argjson a $((stop_k + MULT * IVL_MS * 1000000)) --argjson c "$cont_k" \
	'[.[] | select(.dport == 80 and .state == "established" and .verdict == "pass" and
		.deadline_k > $a and .deadline_k < $c)] | length' "$TMP/stop.flows")
wait $KAP
diag "$TMP/stall.kaerr"
scrape_fresh "$PORT" "$TMP/stall.prom"
enter_k=$(failsafe load enter ts_k "$stop_k") last_k=$(failsafe load enter last_beat_k "$stop_k")
leave_k=$(failsafe load leave ts_k "$stop_k")
if [ -n "$enter_k" ]; then
	echo "# SIGSTOP: fail-safe $(ms $((enter_k - last_k))) ms = $(beats $((enter_k - last_k))) beats" \
	     "after the last good beat, $(ms $((enter_k - stop_k))) ms after the stop" \
	     "(timeout $MULT x $IVL_MS ms)"
fi
[ -n "$leave_k" ] && echo "# SIGCONT: fail-safe ended $(ms $((leave_k - cont_k))) ms after the agent resumed"
I=$((IVL_MS * 1000000))
# the timeout, then the data plane's per-packet check (traffic flows) or at
# the latest the watchdog on the next beat (+ half a beat of timer slack)
check "SIGSTOP: fail-safe after detect_multiplier ($MULT) beats without a good one" \
	within "$((enter_k - last_k))" $((MULT * I)) $((MULT * I + I + I / 2))
check "SIGSTOP:   within $MULT beats of the stop (live traffic: the per-packet check)" \
	within "$((enter_k - stop_k))" 0 $((MULT * I + I / 2))
hon=$(m stall lockstep_dataplane_failsafe_honoured_total)
check "SIGSTOP:   the premise: leases ran out during the stop ($due of 200 due while fail-safe held)" \
	gt "${due:-0}" 0
check "SIGSTOP:   expired leases were honoured while stopped ($(( ${hon:-0} - ${hon0:-0} )) packets)" \
	gt "$(( ${hon:-0} - ${hon0:-0} ))" 0
check "SIGSTOP:   established connections kept working ($(field "$TMP/stall.ka" dropped) of 200 dropped; $(field "$TMP/stall.ka" requests_ok) requests, max $(field "$TMP/stall.ka" max_ms) ms)" \
	test "$(field "$TMP/stall.ka" dropped)" = 0 -a "$(field "$TMP/stall.ka" ok)" = 200
check "SIGCONT: fail-safe ends when beats resume" within "$((leave_k - cont_k))" 0 2000000000
late=$(m stall lockstep_guest_aigw_expired_while_active_total)
check "SIGCONT:   after the leases were refreshed: none revoked on the way out ($late)" \
	test "${late:-x}" = 0
check "SIGSTOP:   one enter and one leave" \
	test "$(m stall 'lockstep_failsafe_transitions_total{direction="enter"}')" = $((${fe:-0} + 1)) -a \
	     "$(m stall 'lockstep_failsafe_transitions_total{direction="leave"}')" = $((${fe:-0} + 1))
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# --- 3. a guest that burns its fuel on every tick -----------------------------
# 4 ticks burnt (with back-off between the restarts), then it behaves
if ! agent_start burn --log "$TMP/burn.log" --metrics 127.0.0.1:0 --policy "$HOSTILE" \
	--policy-config 'tickburn 4' --fuel 2000000 --tick-interval 200ms --heartbeat \
	--beat-interval ${IVL_MS}ms --detect-multiplier $MULT; then
	not_ok "burn: agent starts"; diag "$TMP/burn.err"; exit 1
fi
burnt() { [ -n "$(failsafe burn leave ts_k)" ]; }
wait_for 20 burnt
scrape_fresh "$(metrics_port burn)" "$TMP/burn.prom"
fail_k=$(grep -m1 '"kind":"guest_failed".*"in":"on_tick"' "$TMP/burn.log" | jq -r .ts_k)
enter_k=$(failsafe burn enter ts_k) last_k=$(failsafe burn enter last_beat_k)
leave_k=$(failsafe burn leave ts_k)
fuel=$(m burn 'lockstep_policy_failures_total{kind="fuel"}')
if [ -n "$enter_k" ] && [ -n "$fail_k" ]; then
	echo "# fuel-burning guest: fail-safe $(ms $((enter_k - last_k))) ms = $(beats $((enter_k - last_k)))" \
	     "beats after the last good beat, $(ms $((enter_k - fail_k))) ms after the first" \
	     "on_tick ran out of fuel; over $(ms $((leave_k - enter_k))) ms later, when it ticked again"
fi
grep -m2 'policy side' "$TMP/burn.err" | sed 's/^/# /'
check "burn: on_tick ran out of fuel ($fuel times)" test "${fuel:-0}" -ge 4
check "burn:   fail-safe after detect_multiplier ($MULT) beats without a good one" \
	within "$((enter_k - last_k))" $((MULT * I)) $((MULT * I + I + I / 2))
check "burn:   within $((MULT + 1)) beats of the first failed tick" \
	within "$((enter_k - fail_k))" 0 $((MULT * I + I + I / 2))
check "burn:   the agent kept beating meanwhile (beats not good: $(m burn lockstep_heartbeat_unhealthy_total))" \
	gt "$(m burn lockstep_heartbeat_unhealthy_total)" 0
check "burn:   fail-safe ended once the guest ticked again" test -n "$leave_k"
check "burn:   the log says why the beats were not good" \
	grep -q '"kind":"beat_health".*"good":false.*on_tick ran out of fuel' "$TMP/burn.log"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
