#!/usr/bin/env bash
# alarms.sh - each detector triggered end to end by a fault injected into a
# real run. For every alarm the suite asserts all four places it must show:
# the metrics (lockstep_alarms_total counted, lockstep_alarm_active 1, the
# scrape passing the strict checker), the log (a warn line of kind
# alarm_<name>), the trace (an alarm_<name> instant on the agent's alarm
# track) and `lockstep status` (listed open; exit status 1).
#  - trap storm:       a guest that traps on every new flow
#  - fuel storm:       a guest that never returns (fuel exhaustion)
#  - verdict latency:  a slow guest (60 ms per new flow) against the default
#                      20 ms budget
#  - early expiry:     ai-gateway with a verdict TTL (100 ms) shorter than its
#                      refresh period (1 s tick) on a live connection; and
#                      the production failure: a guest clock lagging 2.5 s
#                      with --no-clock-sync raises it, with sync on it does not
#  - beat interval:    kernel and user space configured differently
#  - offset jump:      --guest-clock 'step=+50ms@2s'
#  - offset and rate:  a guest clock 200 ms behind, running 2000 ppm fast
#  - fail-safe:        the agent stopped (SIGSTOP) for a second
#  - ring-buffer loss: a ring made too small (--ringbuf-size 4096) for the
#                      per-packet trace events of a wrk load
# The loaded run without faults that raises no alarm at all is live.sh.
set -uo pipefail
. "$(dirname "$0")/lib/obs.sh"
policy_init oalarm
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || bail "nginx did not start"
HOSTILE=$LS_ROOT/build/guests/test/hostile.wasm

# seen FILE ALARMS: every alarm of the comma-separated list counted in FILE
seen() {
	local a
	for a in ${2//,/ }; do
		gt "$(metric "$1" "lockstep_alarms_total{kind=\"$a\"}")" 0 || return 1
	done
}

# run_case NAME ALARMS SECONDS DRIVER [run options...]: start an agent, run
# DRIVER (a function making traffic) until every alarm of ALARMS (comma
# separated) shows or SECONDS pass, then check each in all four places.
# NOT_ALARMS (environment): alarms this fault must not raise.
run_case() {
	local name=$1 alarms=$2 secs=$3 driver=$4; shift 4
	if ! agent_start "$name" --metrics 127.0.0.1:0 --log "$TMP/$name.log" \
		--trace "$TMP/$name.trace.json" "$@"; then
		not_ok "$name: agent starts"; diag "$TMP/$name.err"; return
	fi
	local port end a
	port=$(metrics_port "$name")
	end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		$driver
		scrape "$port" "$TMP/$name.prom" && seen "$TMP/$name.prom" "$alarms" && break
	done
	"$LS_BIN" trace dump "$TMP/$name.dump.json" >/dev/null
	"$LS_BIN" status --json >"$TMP/$name.status"
	local st=$?
	for a in ${alarms//,/ }; do
		local v
		v=$(metric "$TMP/$name.prom" "lockstep_alarms_total{kind=\"$a\"}")
		check "$name: lockstep_alarms_total{kind=\"$a\"} > 0 ($v)" gt "$v" 0
		check "$name:   lockstep_alarm_active{kind=\"$a\"} is 1" \
			test "$(metric "$TMP/$name.prom" "lockstep_alarm_active{kind=\"$a\"}")" = 1
		check "$name:   the log has a warn line alarm_$a" jqt -s --arg k "alarm_$a" \
			'any(.[]; .kind == $k and .level == "warn" and .alarm != null)' "$TMP/$name.log"
		check "$name:   the trace has an alarm_$a instant on the alarm track" jqt --arg k "alarm_$a" \
			'any(.traceEvents[]; .name == $k and .ph == "i" and .pid == 2 and .tid == 4)' \
			"$TMP/$name.dump.json"
		check "$name:   lockstep status lists it open" jqt --arg k "$a" \
			'any(.alarms[]; .kind == $k and .open and .count > 0) and .alarms_open > 0' \
			"$TMP/$name.status"
		grep "\"alarm_$a\"" "$TMP/$name.log" | head -1 | sed 's/^/# /'
	done
	check "$name:   the scrape passes the strict checker" quiet "$PROMCHECK" "$TMP/$name.prom"
	check "$name:   status exits 1 while an alarm is open ($st)" test "$st" = 1
	for a in ${NOT_ALARMS:-}; do
		local v
		v=$(metric "$TMP/$name.prom" "lockstep_alarms_total{kind=\"$a\"}")
		check "$name:   and not $a ($v)" test "$v" = 0
	done
	stop_agent
}

# stop_agent: SIGTERM, then remove the data plane, so that the next case
# starts afresh (its own ring size, no watchdog left by a heartbeat)
stop_agent() {
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
	quiet "$LS_BIN" stop --pin-dir "$PIN_DIR"
}

# the drivers' pauses are run_case's polling interval (it scrapes after each)
new_flows() { for i in 1 2 3 4 5; do in_c curl -s -o /dev/null --max-time 1 "http://$S4/v1/models"; done; sleep 0.3; }
api_flows() { for i in 1 2 3; do fetch q "http://$S4/v1/models" -H 'Host: api.test'; done; sleep 0.3; }

NOT_ALARMS=fuel_storm run_case trap trap_storm 20 new_flows --policy "$HOSTILE" --policy-config trap
NOT_ALARMS=trap_storm run_case fuel fuel_storm 20 new_flows --policy "$HOSTILE" --policy-config loop \
	--fuel 100000
# the slow guest spins on its clock: enough fuel that time, not fuel, ends it
NOT_ALARMS="fuel_storm trap_storm" run_case slow verdict_latency 15 api_flows --policy "$HOSTILE" \
	--policy-config slow --fuel 100000000000

# keepalive SECONDS: one long-lived connection asking GET /v1/models every
# 0.2 s (pacing: the connection must outlive TTLs); prints how many answers
# came back
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
	--policy-config 'hosts=api.test ttl_ms=100 passive' --tick-interval 1s

# the production failure: the guest's clock lags 2.5 s, the policy gives
# 3 s TTLs refreshed every 1 s tick. Without sync the kernel enforces the
# guest's deadline as is, 2.5 s early: verdicts expire on live flows and the
# alarm catches it. With sync on, the same run raises no early expiry.
run_case naive early_expiry 20 long_download --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=api.test ttl_ms=3000 passive' --tick-interval 1s \
	--guest-clock 'offset=-2500ms' --no-clock-sync
if agent_start synced --metrics 127.0.0.1:0 --log "$TMP/synced.log" \
	--policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test ttl_ms=3000 passive' \
	--tick-interval 1s --guest-clock 'offset=-2500ms'; then
	n=$(keepalive 6)
	scrape "$(metrics_port synced)" "$TMP/synced.prom"
	v=$(metric "$TMP/synced.prom" 'lockstep_alarms_total{kind="early_expiry"}')
	x=$(metric "$TMP/synced.prom" 'lockstep_events_total{kind="verdict_expired"}')
	check "synced: 6 s on one connection, every request answered ($n of 30)" test "$n" = 30
	check "synced: the same lagging guest raises no early expiry ($v alarms, $x expiries)" test "$v" = 0
	r=$(metric "$TMP/synced.prom" 'lockstep_verdicts_total{verdict="pass"}')
	check "synced:   the verdict was refreshed across its 3 s TTL ($r pass verdicts)" gt "$r" 3
	stop_agent
else
	not_ok "synced: agent starts"; diag "$TMP/synced.err"
fi

# the two sides configured differently: the kernel beats every 100 ms,
# user space expects 50 ms
beats() { sleep 0.5; } # nothing to drive: the heartbeat is the traffic
run_case interval beat_interval 10 beats --heartbeat --beat-interval 100ms \
	--beat-check-interval 50ms
# the guest clock steps by 50 ms two seconds in
run_case jump offset_jump 12 beats --heartbeat --guest-clock 'step=+50ms@2s'
# a guest clock far behind and fast: beyond offset-max (50 ms) and
# rate-max-ppm (500)
run_case skew offset,rate 12 beats --heartbeat --beat-interval 50ms \
	--guest-clock 'offset=-200ms,drift=+2000ppm'
# a stalled agent: SIGSTOP for 1 s, fail-safe after 3 x 100 ms, then back
stall() { # the stall is the thing under test; the pauses around it, beats
	sleep 1
	kill -STOP "$AGENT"; sleep 1; kill -CONT "$AGENT"; sleep 1
}
run_case stall failsafe 10 stall --heartbeat --beat-interval 100ms
# ring-buffer loss by configuration: one page of ring for every packet's
# trace event under wrk; the agent keeps running
load() { in_c wrk -t 2 -c 16 -d 2s -H 'Host: api.test' "http://$S4/v1/models" >/dev/null 2>&1; sleep 1.2; }
run_case ring ringbuf_loss 20 load --policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test passive' \
	--ringbuf-size 4096 --trace-level 1
check "ring:   the kernel's ring buffer was the size asked" \
	test "$(jq .attach.ringbuf_bytes "$TMP/ring.status")" = 4096
check "ring:   status counts the events lost" jqt '.events.ringbuf_lost > 0' "$TMP/ring.status"
