#!/usr/bin/env bash
# handover_live.sh - issue 13 row 1: a deny-by-default lease deployment
# (--default-verdict drop --expiry strict --tc --heartbeat, ai-gateway with
# 1.5 s leases renewed by every 500 ms tick, expired=revoke: a lease that
# runs out is a dropped connection) hands its live connections over to a
# new policy instance twice while 300 long-lived keep-alive connections
# (tests/tools/ka_client, a request every 250-750 ms, ~20 s each) run:
#  1. the agent is killed with SIGKILL and started again on the same pins
#     (fail-safe carries the leases while no agent runs);
#  2. the policy is reloaded over the control socket.
# A new instance never saw those flows: unless it is told of them
# (on_flow_adopted) nobody renews their leases and every connection dies
# when its lease runs out. Asserts 0 of 300 dropped, every flow adopted both
# times, and no lease expiring before its refresh.
#
# LS_HANDOVER_WORKERS=N (handover_workers_live.sh: 2) runs both agents with
# --workers N: each worker's new instance must be told of exactly its own
# shard's flows (the split computed here again from the hash docs/workers.md
# specifies), and every flow renewed by the new agent: counted from the new
# agent's verdicts, and from the guest's counters summed over the workers
# (docs/metrics.md, "Guest metrics with N workers").
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init handover
KA=$LS_ROOT/build/asan/tools/ka_client
[ -x "$KA" ] || bail "$KA not built (make tests-build)"
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
NGINX_CONNECTIONS=2048 nginx_start 'keepalive_timeout 30s;' || bail "nginx did not start"

CONNS=${LS_HANDOVER_CONNS:-300}
W=${LS_HANDOVER_WORKERS:-1}
REQS=40
DEPLOY=(--default-verdict drop --expiry strict --tc --heartbeat
	--policy "$G/ai-gateway.wasm"
	--policy-config 'hosts=api.test ttl_ms=1500 handshake_ttl_ms=5000 expired=revoke passive'
	--tick-interval 500ms --metrics 127.0.0.1:0)
DEPLOY+=(--workers "$W") # explicit: the default is one per CPU
# the flows each of the new instances was told of, restart then reload: the
# "adopted" lines of the guests' log, summed over the workers (W per load)
adopted_sum() { # LOAD (1: restart, 2: reload)
	cat "$TMP/a2.log" 2>/dev/null | grep -h '"kind":"adopted"' | sed 's/.*"flows":\([0-9]*\).*/\1/' |
		sed -n "$((($1 - 1) * W + 1)),$(($1 * W))p" | awk '{ s += $1 } END { print s + 0 }'
}
field() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
m() { metric "$TMP/$1.prom" "$2"; }

if ! agent_start a1 --log "$TMP/a1.log" "${DEPLOY[@]}"; then
	not_ok "the first agent starts"; diag "$TMP/a1.err"; exit 1
fi
ok "the first agent starts"
A1=$AGENT
# every connection opens within the first second and lives ~20 s
in_c "$KA" --to "$S4:80" --host api.test --path /v1/models --requests $REQS \
	--gap 250ms:750ms --timeout 3s --connect-timeout 10s --concurrency "$CONNS" \
	--ramp 1s --conns "$CONNS" --seed $RANDOM >"$TMP/ka.out" 2>"$TMP/ka.err" &
KAPID=$!
PIDS+=($KAPID)
check "the first agent allowed the connections (a pass for $CONNS flows)" \
	wait_for 15 bash -c "[ \$(jq -r 'select(.event == \"verdict\" and .verdict == \"pass\") | .flow_id' '$TMP/a1.json' | sort -u | wc -l) -ge $CONNS ]"
sleep 2 # pacing, not synchronisation: several lease periods under a1

# --- 1. kill -9 and restart -----------------------------------------------------
kill -9 "$A1"
wait "$A1" 2>/dev/null
sleep 1 # no agent: the leases run out meanwhile, fail-safe honours them
if agent_start a2 --log "$TMP/a2.log" "${DEPLOY[@]}"; then
	ok "a new agent starts on the same pins"
else
	not_ok "a new agent starts on the same pins"; diag "$TMP/a2.err"
fi
A2=$AGENT
ad=$(adopted_sum 1)
[ "${ad:-0}" -ge "$CONNS" ] || grep -v "\"kind\":\"guest_log\"" "$TMP/a2.log" | head -20 | diag
check "restart: the new instance was told of every live connection (${ad:-0} flows adopted)" \
	test "${ad:-0}" -ge "$CONNS"
if [ "$W" -gt 1 ]; then
	# per worker, from the agent: "worker I: K open flows of its shard ..."
	sed -n 's/^lockstep: worker \([0-9]*\): \([0-9]*\) open flows of its shard.*/\1 \2/p' \
		"$TMP/a2.err" | sort -n | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }' >"$TMP/per"
	# ... and from the hash (docs/workers.md), over the connections (a1's
	# TCP flows to the server, still open). The table also holds what else
	# the interfaces sent (IPv6 router solicitations are flows too, some
	# begun between the two agents): those may add a few to a worker.
	jq -R -r --arg s "$S4" 'fromjson? // empty |
		select((.event == "flow_new" or .event == "flow_end") and .dst == $s and .dport == 80) |
		"\(.event) \(.flow_id) \(.proto) \(.src) \(.sport) \(.dst) \(.dport)"' \
		"$TMP/a1.json" >"$TMP/a1.flows"
	python3 - "$TMP/a1.flows" "$W" >"$TMP/per.expect" <<'PY'
import ipaddress, sys
path, w = sys.argv[1], int(sys.argv[2])
PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
def addr(a):
    ip = ipaddress.ip_address(a)
    return ip.packed if ip.version == 6 else b"\0" * 10 + b"\xff\xff" + ip.packed
def fnv1a(b):
    h = 2166136261
    for x in b: h = ((h ^ x) * 16777619) & 0xffffffff
    return h
open_ = {}
for line in open(path):
    ev, fid, proto, src, sport, dst, dport = line.split()
    if ev == "flow_new": open_[fid] = (PROTO[proto], src, int(sport), dst, int(dport))
    else: open_.pop(fid, None)
per = [0] * w
for proto, src, sport, dst, dport in open_.values():
    a, b = (addr(src), sport), (addr(dst), dport)
    lo, hi = (a, b) if a <= b else (b, a)
    key = lo[0] + hi[0] + lo[1].to_bytes(2, "big") + hi[1].to_bytes(2, "big") + bytes([proto])
    per[(fnv1a(key) * w) >> 32] += 1
print(" ".join(map(str, per)), end="")
PY
	extra=$(($(adopted_sum 1) - CONNS))
	check "restart: each of the $W workers was told of its shard's connections ($(cat "$TMP/per"); the hash: $(cat "$TMP/per.expect") connections, $extra other flows)" \
		python3 -c 'import sys
got, want, extra = sys.argv[1].split(), sys.argv[2].split(), int(sys.argv[3])
sys.exit(not (len(got) == len(want) and 0 <= extra <= 4 and
	all(int(w) <= int(g) <= int(w) + extra for g, w in zip(got, want))))' \
		"$(cat "$TMP/per")" "$(cat "$TMP/per.expect")" "$extra"
fi
sleep 4 # several lease periods under a2

# --- 2. reload ------------------------------------------------------------------
"$LS_BIN" reload >"$TMP/reload.out" 2>&1
check "reload over the control socket ($(head -c 200 "$TMP/reload.out"))" \
	grep -q '"kind":"reloaded"' "$TMP/a2.log"
ad=$(adopted_sum 2)
check "reload: the new instance was told of every live connection (${ad:-0} flows adopted)" \
	test "${ad:-0}" -ge "$CONNS"

wait "$KAPID"
f=$TMP/ka.out
diag "$TMP/ka.err"
dropped=$(field "$f" dropped)
echo "# across kill -9 + restart and a reload: ${dropped:-?} of $CONNS long-lived connections dropped ($(cat "$f"))"
check "all $CONNS connections ran to the end ($(field "$f" ok) ok)" test "$(field "$f" ok)" = "$CONNS"
check "zero dropped (${dropped:-?}), zero connect failures ($(field "$f" connect_failures))" \
	test "${dropped:-x}" = 0 -a "$(field "$f" connect_failures)" = 0
check "every request answered ($(field "$f" requests_ok) of $((CONNS * REQS)))" \
	test "$(field "$f" requests_ok)" = $((CONNS * REQS))
if [ "$W" -gt 1 ]; then
	# every connection's lease renewed by the new agent: a pass verdict
	# for each of a1's flows in a2's output (its workers wrote them)
	r=$(jq -R -r 'fromjson? // empty | select(.event == "verdict" and .verdict == "pass") | .flow_id' \
		"$TMP/a2.json" | sort -u | grep -cFxf <(jq -R -r --arg s "$S4" \
			'fromjson? // empty | select(.event == "flow_new" and .dst == $s and .dport == 80) | .flow_id' \
			"$TMP/a1.json"))
	check "the new agent's workers renewed every adopted lease ($r of $CONNS flows)" \
		test "${r:-0}" -ge "$CONNS"
fi
# the guest's counters: with W > 1 summed over the workers' instances
scrape_fresh "$(metrics_port a2)" "$TMP/a2.prom"
late=$(m a2 lockstep_guest_aigw_expired_while_active_total)
check "no lease expired before its refresh under the new agent (${late:-?})" test "${late:-x}" = 0
r=$(m a2 lockstep_guest_aigw_ttl_refresh_total)
check "the new agent renewed the adopted leases ($r refreshes)" gt "${r:-0}" "$CONNS"
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.log' '$TMP/a2.log' '$TMP/a1.err' '$TMP/a2.err'"
kill -TERM "$A2"; wait "$A2" 2>/dev/null
