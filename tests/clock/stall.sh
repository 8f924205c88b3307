#!/usr/bin/env bash
# stall.sh - the kernel watchdog against a real agent process (the heartbeat
# alone: build/asan/tools/hb_agent). SIGSTOP the agent: fail-safe within the
# timeout plus one beat while the beat keeps firing; SIGCONT: it ends.
# SIGKILL: the pinned watchdog still enters fail-safe with nobody alive; a new
# agent adopts the pins and ends it; SIGTERM stops the beat and removes the
# pins. Pins live in a private bpffs directory, removed on every exit path.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
AGENT=$ROOT/build/asan/tools/hb_agent
PIN=/sys/fs/bpf/ls-clock-stall-$$
OUT=$(mktemp /tmp/ls-clock-stall-$$.XXXXXX)
IVL_MS=20
MULT=5  # 100 ms: above scheduling stalls on a busy shared machine
PID=
. "$ROOT/tests/lib/tap.sh"

cleanup() {
	if [ -n "$PID" ]; then
		kill -CONT "$PID" 2>/dev/null
		kill -KILL "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -f "$PIN"/* 2>/dev/null
	rmdir "$PIN" 2>/dev/null
	rm -f "$OUT"
}
at_exit cleanup

need_root
need bpftool jq
[ -x "$AGENT" ] || bail "$AGENT not built (make tests-build)"
mkdir -p "$PIN"

# field MAP FIELD: a field of the pinned map's entry 0
field() { bpftool map dump pinned "$PIN/$1" -j 2>/dev/null | jq -r ".[0].formatted.value.$2"; }
# wait_field MAP FIELD VALUE SECONDS
wait_field() {
	local end=$((SECONDS + $4))
	while [ $SECONDS -le $end ]; do
		[ "$(field "$1" "$2")" = "$3" ] && return 0
		sleep 0.01
	done
	return 1
}
start_agent() {
	: >"$OUT"
	"$AGENT" --pin-dir "$PIN" --beat-interval ${IVL_MS}ms --detect-multiplier $MULT "$@" >"$OUT" 2>&1 &
	PID=$!
	local end=$((SECONDS + 10))
	while [ $SECONDS -le $end ]; do
		grep -q '^ready' "$OUT" && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	sed 's/^/agent: /' "$OUT" | diag
	return 1
}

check "agent starts and records a good beat" start_agent
check "not in fail-safe while the agent is alive" eval '[ "$(field liveness in_failsafe)" = 0 ]'
check "liveness holds the configured timeout and mode" eval \
	'[ "$(field liveness detect_timeout_ns)" = $((MULT * IVL_MS * 1000000)) ] && [ "$(field liveness mode)" = 1 ]'

# --- running normally: no false alarm ---------------------------------------
sleep 5 # the thing under test: 5 s of normal running without a false alarm
echo "# $(field hb_beat fired) beats in the first 5 s at ${IVL_MS} ms"
check "no false fail-safe over 5 s of normal running (timeout $((MULT * IVL_MS)) ms)" eval \
	"! grep -q failsafe_enter '$OUT' && [ \"\$(field liveness in_failsafe)\" = 0 ]"

# --- SIGSTOP: the agent is alive but silent --------------------------------
kill -STOP "$PID"
fired0=$(field hb_beat fired)
check "SIGSTOP: the kernel watchdog enters fail-safe" eval "wait_field liveness in_failsafe 1 2"
last=$(field liveness last_beat_k) entered=$(field liveness entered_k)
det_ns=$((entered - last))
echo "# fail-safe entered $((det_ns / 1000000)) ms after the last good beat (timeout $((MULT * IVL_MS)) ms)"
# on the first beat after the timeout; half a beat of slack for timer lateness
check "detected within detect_multiplier + 1 beats" eval \
	"[ $det_ns -gt $((MULT * IVL_MS * 1000000)) ] && [ $det_ns -le $(((MULT + 1) * IVL_MS * 1000000 + IVL_MS * 500000)) ]"
sleep 2 # the thing under test: 2 more seconds stopped
fired1=$(field hb_beat fired)
echo "# $((fired1 - fired0)) beats fired while the agent was stopped"
check "the beat keeps firing while the agent is stopped" eval "[ $((fired1 - fired0)) -ge 40 ]"
check "still in fail-safe after 2 more seconds stopped" eval '[ "$(field liveness in_failsafe)" = 1 ]'

kill -CONT "$PID"
check "SIGCONT: fail-safe ends when beats resume" eval "wait_field liveness in_failsafe 0 2"
check "the agent saw both transitions as events" \
	wait_for 2 grep -q '"failsafe_enter":1,"failsafe_leave":1' "$OUT"

# --- SIGKILL: nobody left in user space --------------------------------------
kill -KILL "$PID"
wait "$PID" 2>/dev/null
PID=
check "SIGKILL leaves the pins in place" eval '[ -e "$PIN/hb_beat" ] && [ -e "$PIN/liveness" ]'
check "the pinned watchdog enters fail-safe with the agent dead" eval "wait_field liveness in_failsafe 1 2"

# --- restart: adopt the pins -------------------------------------------------
check "a new agent adopts the pins" start_agent --fail-safe drop
check "and ends fail-safe" eval "wait_field liveness in_failsafe 0 2"
check "with the new fail-safe mode (drop)" eval '[ "$(field liveness mode)" = 2 ]'

# --- SIGTERM: orderly stop -----------------------------------------------------
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
check "SIGTERM: the agent exits 0" eval "[ $rc = 0 ]"
check "and removes its pins" eval '[ -z "$(ls -A "$PIN")" ]'

finish
