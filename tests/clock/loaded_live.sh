#!/usr/bin/env bash
# loaded_live.sh - issue 13 row 6: the seed's failure as the seed tells it,
# "only under load" (docs/clock.md, "Row 6, the loaded run").
#
# The guest clock has one fault, `load`: a reading inside an event's
# callback is as stale as that event's queueing (G as of the K time the
# kernel queued it). The deployment is lease_live.sh's, deny by default
# (--default-verdict drop --expiry strict --tc), except that ai-gateway
# renews a connection's lease on each request the DPI reports
# (renew=request, --dpi-packets 64: every request of a connection is seen)
# instead of on ticks, so each lease is granted from an event callback with
# the stale reading, as a policy that extends a lease per request does;
# expired=revoke: a lease that runs out is a dropped connection. Its ticks
# (every 30 s) renew nothing, and a fresh reading there would bound the
# staleness of the next callbacks (a guest's clock never goes back).
# Real keep-alive clients (tests/tools/ka_client) make 4 requests each,
# GAP (500 ms on a quiet machine) after each answer.
#  - naive (--no-clock-sync): the kernel enforces now_g + ttl as a K time,
#    where now_g is the request's kernel time, not the callback's. While
#    the queueing q is under GAP each renewal lands before the next request
#    and nothing is lost; once q > GAP, the renewal for request k lands
#    after request k+1, and request k+1 rides on request k-1's lease,
#    which ends ttl after it: 2 x GAP > ttl, so it has run out. Loaded,
#    connections are dropped; idle, none.
#  - synced: the TTL runs from the K time the verdict is written, so a
#    lease lasts ttl from the last renewal written, whatever the queueing:
#    it runs out only if renewals of one connection are written more than
#    ttl apart (the queueing growing by ttl - GAP within one gap).
# The margins are not guessed: a calibration run on this machine as it is
# now (other builds running) measures the idle queueing (p99.9 of
# lockstep_event_to_guest_seconds); GAP is three times that, at least
# 500 ms, and ttl_ms 1.9 x GAP (below). Loaded =
# `stress-ng --cpu 8` (four CPU hogs per core, the load average a busy
# shared host shows) plus wrk through the same data plane (400 connections,
# a new one per request: every new connection waits for the policy's
# handshake lease, so the load follows the agent's pace instead of
# flooding the ring), started 3 s before the clients. Fail-safe would
# honour run-out leases and pass new flows (it is not what is measured
# here): --detect-multiplier 300 keeps it out of a loaded run.
# Prints each run's queueing, fail-safe entries and load average. Asserts:
# naive 0 dropped idle and > 0 loaded, synced 0 in both.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init cloaded
KA=$LS_ROOT/build/asan/tools/ka_client
[ -x "$KA" ] || bail "$KA not built (make tests-build)"
command -v stress-ng >/dev/null || bail "stress-ng not installed (scripts/deps.sh)"
command -v wrk >/dev/null || bail "wrk not installed (scripts/deps.sh)"
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
NGINX_CONNECTIONS=4096 nginx_start 'keepalive_timeout 5s;' || bail "nginx did not start"

CONNS=${LS_LOADED_CONNS:-200}
GAP=1000 # ms between an answer and the next request (set by the calibration)
WRK_CONNS=${LS_LOADED_WRK:-400}
field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
m() { metric "$TMP/$1.prom" "$2"; }
# quantile NAME Q: the upper bound (s) of the histogram bucket holding the
# Q-quantile of lockstep_event_to_guest_seconds (the events' queueing)
quantile() {
	awk -v q="$2" '/^lockstep_event_to_guest_seconds_bucket/ {
		match($0, /le="[^"]*"/); b = substr($0, RSTART + 4, RLENGTH - 5)
		n++; le[n] = b; c[n] = $2 }
	END { tot = c[n]; for (i = 1; i <= n; i++) if (c[i] >= q * tot) { print le[i]; exit } }' \
		"$TMP/$1.prom"
}
# over NAME SECONDS: the share of events that waited more than SECONDS
over() {
	awk -v s="$2" '/^lockstep_event_to_guest_seconds_bucket/ {
		match($0, /le="[^"]*"/); b = substr($0, RSTART + 4, RLENGTH - 5)
		if (b == "+Inf") tot = $2; else if (b + 0 <= s + 0) at = $2 }
	END { if (tot > 0) printf "%.1f%% of %d", 100 * (tot - at) / tot, tot; else print "none" }' \
		"$TMP/$1.prom"
}

# run NAME idle|loaded TTL_MS [agent options]: one deployment, the clients,
# the scrape; DROP_<NAME>, LATE_<NAME> are what it counted
run() {
	local name=$1 load=$2 ttl=$3 lp=()
	shift 3
	if ! agent_start "$name" --default-verdict drop --expiry strict --tc --dpi-packets 64 \
		--policy "$G/ai-gateway.wasm" \
		--policy-config "hosts=api.test ttl_ms=$ttl handshake_ttl_ms=5000 expired=revoke renew=request passive" \
		--tick-interval 30s --heartbeat --detect-multiplier 300 --guest-clock load \
		--metrics 127.0.0.1:0 "$@"; then
		not_ok "$name: agent starts"; diag "$TMP/$name.err"; return 1
	fi
	if [ "$load" = loaded ]; then
		stress-ng --cpu "${LS_LOADED_HOGS:-8}" --timeout 25s >/dev/null 2>&1 &
		lp+=($!)
		in_c wrk -t2 -c"$WRK_CONNS" -d25s --timeout 10s -H 'Host: api.test' \
			-H 'Connection: close' "http://$S4/v1/models" >"$TMP/$name.wrk" 2>&1 &
		lp+=($!)
		PIDS+=("${lp[@]}")
		sleep "${LS_LOADED_WARM:-3}" # the queue builds up before the clients start
	fi
	in_c "$KA" --to "$S4:80" --host api.test --path /v1/models --requests 4 \
		--gap "${GAP}ms:${GAP}ms" --timeout 5s --connect-timeout 30s \
		--concurrency "$CONNS" --ramp 1s --conns "$CONNS" --seed $RANDOM \
		>"$TMP/$name.ka" 2>"$TMP/$name.kaerr"
	local la
	la=$(cut -d' ' -f1 /proc/loadavg)
	scrape "$(metrics_port "$name")" "$TMP/$name.prom"
	for p in "${lp[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
	"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
	local d late
	d=$(field "$TMP/$name.ka" dropped)
	late=$(m "$name" lockstep_guest_aigw_expired_while_active_total)
	eval "DROP_$name=\${d:-?}; LATE_$name=\${late:-?}"
	echo "# $name (ttl $ttl ms): ${d:-?} of $CONNS dropped ($(field "$TMP/$name.ka" ok) ran to" \
		"the end, $(field "$TMP/$name.ka" connect_failures) could not connect)," \
		"${late:-?} leases expired early;" \
		"requests p50 $(field "$TMP/$name.ka" p50_ms) p99 $(field "$TMP/$name.ka" p99_ms)" \
		"max $(field "$TMP/$name.ka" max_ms) ms; events queued > $GAP ms:" \
		"$(over "$name" "$(awk -v g="$GAP" 'BEGIN { print g / 1000 }')")," \
		"p99 <= $(quantile "$name" 0.99) s; fail-safe entered" \
		"$(m "$name" 'lockstep_failsafe_transitions_total{direction="enter"}') times;" \
		"load average $la"
	[ "$load" = loaded ] && grep -h 'requests in\|Requests/sec' "$TMP/$name.wrk" | sed 's/^/#   wrk: /'
	return 0
}

# --- calibration: the worst idle queueing on this machine, now -----------
run calib idle 5000
q=$(quantile calib 0.999)
# The gap: at least 500 ms and three times the idle queueing's p99.9, so
# idle every renewal is written before the next request; the lease: 1.9
# gaps (synced: the queueing may grow by up to 0.9 gap between two
# renewals; naive: a request riding on the lease of two requests before
# has run out by 0.1 gap). With a 1 s floor and 1.5 gaps, a quiet 2-core
# machine under this load queued no renewal past the gap (2 runs): the
# seed's failure showed only on a machine shared with other builds.
GAP=$(awk -v q="${q:-1}" 'BEGIN { g = 3000 * q; if (g < 500) g = 500; printf "%d", g }')
TTL=$((GAP * 19 / 10))
[ -n "${LS_LOADED_TTL:-}" ] && TTL=$LS_LOADED_TTL
echo "# idle queueing p99.9 <= ${q:-?} s: gap $GAP ms (3 x that, at least 500 ms), ttl_ms $TTL (1.9 gaps)"
for r in ${LS_LOADED_RUNS:-synced_idle naive_idle naive_loaded synced_loaded}; do
	case $r in
	synced_idle) run synced_idle idle "$TTL" ;;
	naive_idle) run naive_idle idle "$TTL" --no-clock-sync ;;
	naive_loaded) run naive_loaded loaded "$TTL" --no-clock-sync ;;
	synced_loaded) run synced_loaded loaded "$TTL" ;;
	esac
done
check "synced, idle: 0 dropped (${DROP_synced_idle:-?})" test "${DROP_synced_idle:-?}" = 0
check "synced, loaded: 0 dropped (${DROP_synced_loaded:-?})" test "${DROP_synced_loaded:-?}" = 0
check "naive, idle: 0 dropped (${DROP_naive_idle:-?})" test "${DROP_naive_idle:-?}" = 0
D=${DROP_naive_loaded:-0}
# the seed's failure needs renewals queued past the gap; a machine the load
# could not slow that far shows nothing either way: said, not passed
late=$(over naive_loaded "$(awk -v g="$GAP" 'BEGIN { print g / 1000 }')")
if [ -s "$TMP/naive_loaded.prom" ] && [ "${late%%%*}" = "0.0" ]; then
	skip "naive, loaded: some dropped (${DROP_naive_loaded:-?})" \
		"the load queued no event past the ${GAP} ms gap ($late): inconclusive"
else
	check "naive, loaded: some dropped (${DROP_naive_loaded:-?}; events queued past the gap: $late)" \
		gt "${D/\?/0}" 0
fi
# a connection that never connected tested nothing: most must have
for r in synced_idle naive_idle synced_loaded naive_loaded; do
	[ -s "$TMP/$r.ka" ] || continue
	c=$(field "$TMP/$r.ka" connect_failures)
	check "$r: at least 3 in 4 connections connected (${c:-?} of $CONNS could not)" \
		test "${c:-$CONNS}" -le $((CONNS / 4))
done
