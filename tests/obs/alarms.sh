#!/usr/bin/env bash
# alarms.sh - each detector triggered end to end by a fault injected into a
# real run, asserting the alarm in the metrics (lockstep_alarms_total), the
# log (a JSON line of kind alarm_<name>) and `lockstep status --json`:
#  - trap storm:       a guest that traps on every new flow
#  - fuel storm:       a guest that never returns (fuel exhaustion)
#  - early expiry:     ai-gateway with a verdict TTL (100 ms) shorter than its
#                      refresh period (1 s tick) under a long download: the
#                      seed's symptom, a verdict expiring on a live flow
#  - verdict latency:  a budget (--alarm latency-budget=1us) no real
#                      pipeline meets
#  - beat interval:    kernel and user space configured differently
#  - offset jump:      --guest-clock 'step=+50ms@2s'
#  - fail-safe:        the agent stopped (SIGSTOP) for a second
#  - ring-buffer loss: per-packet tracing while the agent is stopped
set -uo pipefail
. "$(dirname "$0")/lib/obs.sh"
policy_init oalarm
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || { echo "Bail out! nginx did not start"; exit 1; }
HOSTILE=$LS_ROOT/build/guests/test/hostile.wasm

# run_case NAME ALARM SECONDS DRIVER [run options...]: start an agent, run
# DRIVER (a function making traffic) until the alarm shows or SECONDS pass
run_case() {
	local name=$1 alarm=$2 secs=$3 driver=$4; shift 4
	if ! agent_start "$name" --metrics 127.0.0.1:0 --log "$TMP/$name.log" "$@"; then
		not_ok "$name: agent starts"; diag "$TMP/$name.err"; return
	fi
	local port end v=0
	port=$(metrics_port "$name")
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		$driver
		scrape "$port" "$TMP/$name.prom" &&
			v=$(metric "$TMP/$name.prom" "lockstep_alarms_total{kind=\"$alarm\"}")
		gt "$v" 0 && break
	done
	check "$name: lockstep_alarms_total{kind=\"$alarm\"} > 0 ($v)" gt "$v" 0
	check "$name:   the scrape passes the strict format check" "$PROMCHECK" "$TMP/$name.prom"
	check "$name:   the log has an alarm_$alarm line" grep -q "\"kind\":\"alarm_$alarm\"" "$TMP/$name.log"
	check "$name:   lockstep status --json lists it" \
		jq -e --arg k "$alarm" '[.alarms[] | select(.kind == $k and .count > 0)] | length == 1' \
		<("$LS_BIN" status --json)
	grep "alarm_$alarm" "$TMP/$name.log" | head -2 | sed 's/^/# /'
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
}

new_flows() { for i in 1 2 3 4 5; do in_c curl -s -o /dev/null --max-time 1 "http://$S4/v1/models"; done; sleep 0.3; }
api_flows() { for i in 1 2 3; do fetch q "http://$S4/v1/models" -H 'Host: api.test'; done; sleep 0.3; }
# one long download at 2 MB/s: packets flow across many 100 ms TTLs
long_download() { fetch big "http://$S4/v1/big" -H 'Host: api.test' --limit-rate 2M; }

run_case trap trap_storm 20 new_flows --policy "$HOSTILE" --policy-config trap
run_case fuel fuel_storm 20 new_flows --policy "$HOSTILE" --policy-config loop --fuel 100000
run_case latency verdict_latency 10 api_flows --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.test' --alarm latency-budget=1us

# keepalive SECONDS: one long-lived connection asking GET /v1/models every
# 0.2 s; prints how many answers came back
# (each request leaves in one write, so the DPI sees it in one segment)
printf 'GET /v1/models HTTP/1.1\r\nHost: api.test\r\n\r\n' >"$TMP/req"
keepalive() {
	in_c timeout $(($1 + 5)) bash -c '
		exec 3<>/dev/tcp/'"$S4"'/80 || exit 1
		cat <&3 >"'"$TMP"'/ka.out" &
		for i in $(seq 1 '$(($1 * 5))'); do
			cat "'"$TMP"'/req" >&3
			sleep 0.2
		done
		sleep 1; kill $!' 2>/dev/null
	grep -c '^HTTP/1.1 200' "$TMP/ka.out"
}
long_download() { keepalive 3 >/dev/null; }
run_case expiry early_expiry 20 long_download --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.test ttl_ms=100' --tick-interval 1s

# the production failure: the guest's clock lags 2.5 s, the policy gives
# 3 s TTLs refreshed every 1 s tick. Without sync the kernel enforces the
# guest's deadline as is, 2.5 s early: verdicts expire on live flows and the
# alarm catches it. With sync on, the same run raises no early expiry.
run_case naive early_expiry 20 long_download --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.test ttl_ms=3000' --tick-interval 1s \
	--guest-clock 'offset=-2500ms' --no-clock-sync
if agent_start synced --metrics 127.0.0.1:0 --log "$TMP/synced.log" \
	--policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test ttl_ms=3000' \
	--tick-interval 1s --guest-clock 'offset=-2500ms'; then
	n=$(keepalive 6)
	scrape "$(metrics_port synced)" "$TMP/synced.prom"
	v=$(metric "$TMP/synced.prom" 'lockstep_alarms_total{kind="early_expiry"}')
	x=$(metric "$TMP/synced.prom" 'lockstep_events_total{kind="verdict_expired"}')
	check "synced: 6 s on one connection, every request answered ($n of 30)" test "$n" = 30
	check "synced: the same lagging guest raises no early expiry ($v alarms, $x expiries)" test "$v" = 0
	r=$(metric "$TMP/synced.prom" 'lockstep_verdicts_total{verdict="pass"}')
	check "synced:   the verdict was refreshed across its 3 s TTL ($r pass verdicts)" gt "$r" 3
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
else
	not_ok "synced: agent starts"; diag "$TMP/synced.err"
fi

# the two sides configured differently: the kernel beats every 100 ms,
# user space expects 50 ms
beats() { sleep 0.5; }
run_case interval beat_interval 10 beats --heartbeat --beat-interval 100ms \
	--beat-check-interval 50ms
# the guest clock steps by 50 ms two seconds in
run_case jump offset_jump 12 beats --heartbeat --guest-clock 'step=+50ms@2s'
# a stalled agent: SIGSTOP for 1 s, fail-safe after 3 x 100 ms, then back
stall() {
	sleep 1
	kill -STOP "$AGENT"; sleep 1; kill -CONT "$AGENT"; sleep 1
}
run_case stall failsafe 10 stall --heartbeat --beat-interval 100ms
# ring-buffer loss: per-packet tracing on, the agent stopped while wrk
# runs; the kernel's 4 MiB ring fills up and reservations fail
ringfill() {
	sleep 1.2 # the first counter reading is the baseline
	"$LS_BIN" trace level 1,0 >/dev/null
	kill -STOP "$AGENT"
	in_c wrk -t 2 -c 16 -d 2s -H 'Host: api.test' "http://$S4/v1/models" >/dev/null 2>&1
	kill -CONT "$AGENT"
	sleep 1.5
}
run_case ring ringbuf_loss 20 ringfill --policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test'
