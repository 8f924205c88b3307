#!/usr/bin/env bash
# worker_latency.sh - the kernel -> verdict latency, live, with 1 and with 2
# policy workers in alternating rounds of one run (docs/workers.md,
# "Default"): client and server namespaces joined by a veth, the
# ai-gateway policy with the heartbeat on, wrk (2 threads, 8 connections,
# a new connection per request: -H 'Connection: close') through the data
# plane for S seconds per round; the agent's own histogram
# lockstep_verdict_latency_seconds (kernel event time to its verdict in the
# map) is scraped at the end of each round and its p50/p99 read from the
# buckets (the upper bound of the bucket the quantile falls in).
# Prints per round and the medians, and the ratio 2 workers / 1; asserts
# nothing. Needs root.  WL_ROUNDS (default 3), WL_SECS (default 5).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${LS_BIN:=$PWD/build/lockstep}"
export LS_BIN
. tests/obs/lib/obs.sh
policy_init wlat
mkdir -p "$TMP/www/v1" && echo '{"data":[]}' >"$TMP/www/v1/models"
nginx_start || bail "nginx did not start"
ROUNDS=${WL_ROUNDS:-3} SECS=${WL_SECS:-5}

quantiles() { # FILE -> "p50_ms p99_ms count"
	python3 - "$1" <<'PY'
import re, sys
b = []
for line in open(sys.argv[1]):
    m = re.match(r'lockstep_verdict_latency_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
    if m: b.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
b.sort()
n = b[-1][1] if b else 0
def q(p):
    for le, c in b:
        if c >= p * n: return le * 1e3
    return float("nan")
print("%.3f %.3f %d" % (q(0.5), q(0.99), n))
PY
}

echo "# worker_latency: $ROUNDS rounds of $SECS s per worker count, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
	order="1 2"; [ $((r % 2)) = 0 ] && order="2 1"
	for w in $order; do
		name=w${w}r$r
		if ! agent_start "$name" --policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test ttl_ms=5000' \
			--heartbeat --metrics 127.0.0.1:0 --workers "$w"; then
			diag "$TMP/$name.err"; bail "agent with --workers $w did not start"
		fi
		in_c wrk -t 2 -c 8 -d "${SECS}s" -H 'Host: api.test' -H 'Connection: close' \
			"http://$S4/v1/models" >"$TMP/$name.wrk" 2>&1
		scrape_fresh "$(metrics_port "$name")" "$TMP/$name.prom"
		read -r p50 p99 n < <(quantiles "$TMP/$name.prom")
		rps=$(sed -n 's/^Requests\/sec: *//p' "$TMP/$name.wrk")
		echo "round $r: $w worker(s): kernel->verdict p50 <= $p50 ms, p99 <= $p99 ms ($n verdicts, $rps requests/s)"
		echo "$w $p50 $p99 $rps" >>"$TMP/all"
		kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
	done
done
python3 - "$TMP/all" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {w: [statistics.median(float(r[i]) for r in rows if r[0] == w) for i in (1, 2, 3)] for w in ("1", "2")}
for w in ("1", "2"):
    print("%s worker(s): median p50 <= %.3f ms, p99 <= %.3f ms, %.0f requests/s" % (w, *med[w]))
print("latency: 2 workers / 1 worker: p50 %.2fx, p99 %.2fx; requests/s %.2fx" %
      (med["2"][0] / med["1"][0], med["2"][1] / med["1"][1], med["2"][2] / med["1"][2]))
PY
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
