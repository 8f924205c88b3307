#!/usr/bin/env bash
# lease_live.sh - the production failure, reproduced and prevented
# (docs/clock.md, "The scenario"). A deny-by-default deployment
# (--default-verdict drop --expiry strict, both directions seen with --tc)
# runs the ai-gateway policy with 1.5 s leases refreshed by every 500 ms tick,
# revoked when they run out (expired=revoke); the guest clock lags 1.2 s
# (offset -1 s, readings 200 ms stale, 1 ms quantum). Real keep-alive
# connections from tests/tools/ka_client each make 4 requests 250-750 ms
# apart, so every connection spans several refresh periods.
#  - --no-clock-sync: the kernel enforces the guest's deadlines as they are,
#    1.2 s early: a lease lasts 300 ms of the 500 ms between refreshes, and a
#    request that lands in the gap finds its connection revoked. Some
#    connections are dropped (the test asserts > 0: the scenario bites).
#  - sync on, the same deployment: zero of 10,000 connections dropped.
# Both counts are printed.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init clease
KA=$LS_ROOT/build/asan/tools/ka_client
[ -x "$KA" ] || bail "$KA not built (make tests-build)"
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
# idle connections a revoked lease left half-open are reaped after 5 s
NGINX_CONNECTIONS=2048 nginx_start 'keepalive_timeout 5s;' ||
	bail "nginx did not start"

NAIVE_CONNS=${LS_LEASE_NAIVE_CONNS:-1000}
SYNC_CONNS=${LS_LEASE_CONNS:-10000}
CONC=500
DEPLOY=(--default-verdict drop --expiry strict --tc
	--policy "$G/ai-gateway.wasm"
	--policy-config 'hosts=api.test ttl_ms=1500 handshake_ttl_ms=5000 expired=revoke passive'
	--tick-interval 500ms --heartbeat
	--guest-clock 'offset=-1s,delay=200ms,quantum=1ms')
CLIENT=(--to "$S4:80" --host api.test --path /v1/models --requests 4 --gap 250ms:750ms
	--timeout 3s --connect-timeout 10s --concurrency $CONC --ramp 1s)

# field FILE KEY: a key=value of ka_client's summary line
field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }

# run NAME CONNS [run options...]: an agent in the deployment, ka_client
# through it, metrics scraped at the end; the pins are removed after
run() {
	local name=$1 conns=$2; shift 2
	if ! agent_start "$name" --log "$TMP/$name.log" "${DEPLOY[@]}" --metrics 127.0.0.1:0 "$@"; then
		not_ok "$name: agent starts"; diag "$TMP/$name.err"; return 1
	fi
	in_c "$KA" "${CLIENT[@]}" --conns "$conns" --seed $RANDOM >"$TMP/$name.ka" 2>"$TMP/$name.kaerr"
	check "$name: ka_client ran ($(cat "$TMP/$name.ka"))" test -s "$TMP/$name.ka"
	diag "$TMP/$name.kaerr"
	scrape_fresh "$(metrics_port "$name")" "$TMP/$name.prom"
	kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
	"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
	grep 'counters:' "$TMP/$name.err" | sed 's/^/# /'
	return 0
}
m() { metric "$TMP/$1.prom" "$2"; }

# The synced run goes first: --expiry strict drops the last ACK of every
# closed connection (its verdict ended with it), so the server retransmits
# FINs for a while; a later agent with fresh maps sees those as new flows.
# They cannot change what the client counts, but the synced run's "no
# verdict expired at all" must only see its own connections.
# --- sync on: the same deployment, the same lagging guest ----------------------
if run synced "$SYNC_CONNS"; then
	f=$TMP/synced.ka
	synced=$(field "$f" dropped)
	echo "# with clock sync: ${synced:-?} of $SYNC_CONNS connections dropped" \
	     "(requests p50 $(field "$f" p50_ms) ms, p99 $(field "$f" p99_ms) ms, max $(field "$f" max_ms) ms)"
	check "sync: all $SYNC_CONNS connections ran to the end ($(field "$f" ok) ok)" \
		test "$(field "$f" ok)" = "$SYNC_CONNS"
	check "sync: zero dropped ($synced), zero connect failures ($(field "$f" connect_failures))" \
		test "${synced:-x}" = 0 -a "$(field "$f" connect_failures)" = 0
	check "sync:   every request answered ($(field "$f" requests_ok))" \
		test "$(field "$f" requests_ok)" = $((SYNC_CONNS * 4))
	late=$(m synced lockstep_guest_aigw_expired_while_active_total)
	check "sync:   no lease expired before its refresh ($late)" test "${late:-x}" = 0
	# a refresh can race a connection's close (the tick sets a TTL the
	# kernel has just deleted with the flow): that verdict may expire on a
	# teardown retransmission, but never on a connection still open (nor
	# count the veths' own router solicitations, which pass their
	# handshake TTL and come again seconds later)
	x=$(m synced 'lockstep_events_total{kind="verdict_expired"}')
	live=$(jq -rs '([.[] | select(.event == "flow_end") | .flow_id]) as $ended |
		[.[] | select(.event == "verdict_expired" and .verdict == "pass" and .proto == "tcp") |
		 .flow_id] - $ended |
		length' "$TMP/synced.json")
	check "sync:   no pass verdict expired on an open connection ($x expiries, ${live:-?} open)" \
		test "${live:-x}" = 0
	if [ "${live:-0}" != 0 ]; then # the history of those flows
		for id in $(jq -rs '([.[] | select(.event == "flow_end") | .flow_id]) as $e |
			[.[] | select(.event == "verdict_expired" and .verdict == "pass" and
			 .proto == "tcp") | .flow_id] - $e |
			.[:2][]' "$TMP/synced.json"); do
			grep "\"flow_id\":$id[,}]" "$TMP/synced.json" | head -8 | sed 's/^/# /'
		done
	fi
	# the detector agrees, on facts: a lease renewed after its connection
	# closed and expiring on the teardown is an ended flow, one whose end
	# the agent no longer remembers is unknown, neither is an alarm
	ee=$(m synced 'lockstep_alarms_total{kind="early_expiry"}')
	judged=$(grep '^lockstep_pass_expiries_total' "$TMP/synced.prom" |
		sed 's/.*judged="\([a-z]*\)"} \(.*\)/\1 \2/' | tr '\n' ' ')
	check "sync:   no early-expiry alarm (${ee:-?}; pass expiries judged: ${judged:-none})" \
		test "${ee:-x}" = 0
	grep '"kind":"alarm_early_expiry"' "$TMP/synced.log" | head -3 | sed 's/^/# /'
	# fail-safe would honour expired leases: the result must not rest on it
	fe=$(m synced 'lockstep_failsafe_transitions_total{direction="enter"}')
	hon=$(m synced lockstep_dataplane_failsafe_honoured_total)
	check "sync:   and not thanks to fail-safe: no expired lease honoured (${hon:-0}; fail-safe entered ${fe:-?} times)" \
		test "${hon:-0}" = 0
	r=$(m synced lockstep_guest_aigw_ttl_refresh_total)
	check "sync:   leases were refreshed on ticks ($r refreshes)" gt "${r:-0}" "$SYNC_CONNS"
fi

# --- without sync: the guest's deadlines enforced as they are ---------------
if run naive "$NAIVE_CONNS" --no-clock-sync; then
	naive=$(field "$TMP/naive.ka" dropped)
	late=$(m naive lockstep_guest_aigw_expired_while_active_total)
	echo "# without clock sync: ${naive:-?} of $NAIVE_CONNS connections dropped" \
	     "($late leases expired before their refresh)"
	check "no sync: some connections are dropped (${naive:-?} of $NAIVE_CONNS)" gt "${naive:-0}" 0
	check "no sync:   because leases expired before their refresh ($late)" gt "${late:-0}" 0
	check "no sync:   and the early-expiry alarm said so" \
		gt "$(m naive 'lockstep_alarms_total{kind="early_expiry"}')" 0
	check "no sync:   judged early on open connections ($(m naive 'lockstep_pass_expiries_total{judged="early"}'))" \
		gt "$(m naive 'lockstep_pass_expiries_total{judged="early"}')" 0
fi
echo "# connections dropped: without clock sync ${naive:-?} of $NAIVE_CONNS, with clock sync ${synced:-?} of $SYNC_CONNS"
