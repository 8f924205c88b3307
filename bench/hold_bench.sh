#!/usr/bin/env bash
# hold_bench.sh - what deny-by-default costs an allowed flow, live, in one
# run (docs/dataplane.md, "Hold"): client and server namespaces joined by a
# veth (tests/integration/lib/topo.sh), measured without lockstep and with
# `lockstep run --default-verdict hold` and a policy that passes every new
# flow (tests/policy/guests/minimal.c), back to back:
#   - a held first packet's added latency: the round trip of a UDP
#     request/answer on a new flow each time (a new socket, a new source
#     port), p50/p99/p99.9, minus the same without lockstep -- idle, and
#     with both CPUs loaded by `stress-ng --cpu 2` (when installed);
#   - connection setup: curl's time_total of a small HTTP GET to nginx,
#     p50/p99, and the ratio; any allowed connection slower than 200 ms
#     (a data-segment retransmit; a SYN's is 1 s) is counted.
# Prints figures and ratios; asserts nothing. Needs root.
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
: "${LS_BIN:=$LS_ROOT/build/lockstep}"
N=${HB_FLOWS:-3000}  # UDP flows per measurement
M=${HB_CONNS:-200}   # curl connections per measurement
. tests/integration/lib/topo.sh
need_root
topo_init hbench
topo_up || bail "could not build the topology"
nginx_start || bail "nginx did not start"
G=$LS_ROOT/build/guests/test/minimal.wasm
[ -f "$G" ] || bail "$G not built (make guests)"

cat >"$TMP/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    b, a = s.recvfrom(2048); s.sendto(b, a)
PY
cat >"$TMP/rtt.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.bind(("", 0))                      # a new source port: a new flow
    t0 = time.perf_counter_ns()
    s.sendto(b"ping", (host, port))
    try:
        s.recv(64); out.append(time.perf_counter_ns() - t0)
    except socket.timeout:
        out.append(-1)
    s.close()
print("\n".join(str(x) for x in out))
PY
in_s python3 "$TMP/echo.py" "$S4" 9999 &
PIDS+=($!)
wait_for 5 in_s ss -lun 'sport = :9999' | grep -q 9999

# q FILE P: the P-quantile (0..1) of the numbers in FILE (nearest rank)
q() { sort -n "$1" | awk -v p="$2" '{ a[NR] = $1 } END { i = int(p * NR + 0.999999); if (i < 1) i = 1; print a[i] }'; }
rtt() { # TAG: N round trips, in ns, into $TMP/TAG
	in_c python3 "$TMP/rtt.py" "$S4" 9999 1 >/dev/null # neighbours resolved
	in_c python3 "$TMP/rtt.py" "$S4" 9999 "$N" >"$TMP/$1.all"
	grep -v '^-1$' "$TMP/$1.all" >"$TMP/$1"
	local lost=$(($(wc -l <"$TMP/$1.all") - $(wc -l <"$TMP/$1")))
	[ "$lost" = 0 ] || echo "# $1: $lost of $N requests unanswered"
}
curls() { # TAG: M connections, time_total in s, into $TMP/TAG
	: >"$TMP/$1"
	for _ in $(seq "$M"); do
		in_c curl -sS -o /dev/null --max-time 5 -w '%{time_total}\n' "http://$S4/index.html" \
			>>"$TMP/$1" 2>/dev/null
	done
}
us() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1000 }'; }
line() { # NAME FILE (ns)
	printf '%-34s p50 %8s  p99 %8s  p99.9 %8s us\n' "$1" "$(us "$(q "$2" .5)")" \
		"$(us "$(q "$2" .99)")" "$(us "$(q "$2" .999)")"
}
added() { # NAME HOLD BASE
	local p
	printf '%-34s' "$1"
	for p in .5 .99 .999; do
		printf ' %s %8s' "$(case $p in .5) echo p50 ;; .99) echo p99 ;; *) echo p99.9 ;; esac)" \
			"$(us $(($(q "$2" $p) - $(q "$3" $p))))"
	done
	printf ' us   (ratio p50 %s)\n' "$(awk -v a="$(q "$2" .5)" -v b="$(q "$3" .5)" 'BEGIN { printf "%.2fx", a / b }')"
}

STRESS=
command -v stress-ng >/dev/null && STRESS=1
load_on() { stress-ng --cpu 2 --timeout 600s >/dev/null 2>&1 & SPID=$!; PIDS+=($SPID); sleep 1; }
load_off() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

echo "# hold_bench: $N new UDP flows and $M HTTP connections per measurement; $(nproc) CPUs; $(date -u +%FT%TZ)"
rtt base_idle
curls curl_base
[ -n "$STRESS" ] && { load_on; rtt base_load; load_off; }

# the agent's own view: lockstep_hold_seconds{verdict="pass"}, the time
# from the kernel's stamp of a held packet to its re-injection
hist() { # FILE: "le count" lines of the pass histogram
	sleep 1.2 # the agent publishes its hold statistics once a second
	in_s curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" |
		sed -n 's/^lockstep_hold_seconds_bucket{verdict="pass",le="\([^"]*\)"} \([0-9.e+]*\)$/\1 \2/p' >"$1"
}
within() { # NOW BEFORE LE: share of the packets held in between held <= LE s
	awk -v le="$3" 'FILENAME == ARGV[1] { b[$1] = $2; next }
		$1 == le { a = $2 - b[$1] } $1 == "+Inf" { n = $2 - b[$1] }
		END { printf "%.1f%% of %d", n ? 100 * a / n : 0, n }' "$2" "$1"
}
agent_start hb --default-verdict hold --policy "$G" --metrics 127.0.0.1:0 ||
	{ diag "$TMP/hb.err"; bail "agent did not start"; }
PORT=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/hb.err" | head -1)
hist "$TMP/h0"
rtt hold_idle
hist "$TMP/h1"
curls curl_hold
hist "$TMP/h2"
[ -n "$STRESS" ] && { load_on; rtt hold_load; load_off; }
hist "$TMP/h3"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
held=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq '.held // 0')

echo "## UDP request/answer round trip, a new flow each (ns -> us)"
line "no lockstep, idle" "$TMP/base_idle"
line "hold, idle" "$TMP/hold_idle"
[ -n "$STRESS" ] && line "no lockstep, stress-ng --cpu 2" "$TMP/base_load"
[ -n "$STRESS" ] && line "hold, stress-ng --cpu 2" "$TMP/hold_load"
echo "## added latency of a held first packet (quantile of hold - same quantile without)"
added "idle" "$TMP/hold_idle" "$TMP/base_idle"
[ -n "$STRESS" ] && added "stress-ng --cpu 2" "$TMP/hold_load" "$TMP/base_load"
[ -n "$STRESS" ] || echo "# stress-ng not installed: no loaded rows"
echo "## the agent's histogram of time held (kernel stamp -> re-injected)"
echo "idle:              $(within "$TMP/h1" "$TMP/h0" 0.0001) <= 100 us, $(within "$TMP/h1" "$TMP/h0" 0.00025) <= 250 us, $(within "$TMP/h1" "$TMP/h0" 0.001) <= 1 ms"
[ -n "$STRESS" ] && echo "stress-ng --cpu 2: $(within "$TMP/h3" "$TMP/h2" 0.0001) <= 100 us, $(within "$TMP/h3" "$TMP/h2" 0.00025) <= 250 us, $(within "$TMP/h3" "$TMP/h2" 0.001) <= 1 ms"
echo "# packets held by the data plane: $held"
echo "## connection setup, curl time_total (HTTP GET, a new connection each)"
for t in curl_base curl_hold; do
	awk '{ print $1 * 1e9 }' "$TMP/$t" >"$TMP/$t.ns"
done
line "no lockstep" "$TMP/curl_base.ns"
line "deny-by-default (hold, minimal)" "$TMP/curl_hold.ns"
printf '%-34s %s\n' "ratio p50 / p99" "$(awk -v a="$(q "$TMP/curl_hold.ns" .5)" -v b="$(q "$TMP/curl_base.ns" .5)" \
	-v c="$(q "$TMP/curl_hold.ns" .99)" -v d="$(q "$TMP/curl_base.ns" .99)" 'BEGIN { printf "%.2fx / %.2fx", a / b, c / d }')"
echo "# (a flow-level policy decides at the SYN: the request finds the verdict written and is not held; $(( $(wc -l <"$TMP/curl_hold") )) connections)"
echo "# allowed connections slower than 200 ms (a retransmit): no lockstep $(awk '$1 >= 0.2' "$TMP/curl_base" | wc -l) of $M, hold $(awk '$1 >= 0.2' "$TMP/curl_hold" | wc -l) of $M; failed: $((M - $(wc -l <"$TMP/curl_hold")))"
