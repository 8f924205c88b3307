#!/usr/bin/env bash
# stranded.sh - an agent that runs without --heartbeat on pins an earlier
# agent left armed (issue 13, item 8). The first agent runs with
# --heartbeat --fail-safe drop and is killed with SIGKILL: its beat timer and
# liveness configuration stay pinned, the data plane enters fail-safe and
# drops every new connection. A second agent without --heartbeat adopts the
# pins: it must disarm the watchdog and say so at start, and new connections
# must pass again (its default is pass). Without the disarm the data plane
# stays in fail-safe for good while a healthy agent runs.
set -uo pipefail
. "$(dirname "$0")/../policy/lib/policy.sh"
policy_init stranded
nginx_start || bail "nginx did not start"

get() { in_c curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://$S4/" 2>/dev/null; }
refused() { [ "$(get)" != 200 ]; }

if ! agent_start first --heartbeat --beat-interval 100ms --detect-multiplier 3 \
	--fail-safe drop; then
	not_ok "first agent starts"; diag "$TMP/first.err"; exit 1
fi
check "with a heartbeat: a connection passes" test "$(get)" = 200
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
check "the beat timer stays pinned after SIGKILL" test -e "$PIN_DIR/hb_beat"
# 3 beats of 100 ms without a sign of life: fail-safe drop for new flows
check "silent agent: fail-safe drops new connections" wait_for 5 refused

if ! agent_start second; then
	not_ok "second agent starts"; diag "$TMP/second.err"; exit 1
fi
diag "$TMP/second.err"
check "the second agent says it disarmed the earlier watchdog" \
	grep -q 'disarmed the watchdog and left fail-safe' "$TMP/second.err"
check "the stale beat timer pin is gone" test ! -e "$PIN_DIR/hb_beat"
ok_n=0
for i in 1 2 3 4 5; do [ "$(get)" = 200 ] && ok_n=$((ok_n + 1)); done
check "without a heartbeat: new connections pass again ($ok_n/5)" test "$ok_n" = 5
