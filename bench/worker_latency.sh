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
# WL_CONFIGS: the agents compared, "name=ARGS;name=ARGS" (default
# "1=--workers 1;2=--workers 2"; e.g. "2nobp=--workers 2 --busy-poll 0;
# 2rt=--workers 2 --rt" for busy-polling and --rt: docs/workers.md,
# "Wake-ups"); the first two named are the ratio's denominator and
# numerator. WL_STRESS=1 runs `stress-ng --cpu 2` beside the rounds (the
# loaded case). The load average is printed with every round.
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
print("%.3f %.3f %.3f %d" % (q(0.5), q(0.99), q(0.999), n))
PY
}

CONFIGS=${WL_CONFIGS:-1=--workers 1;2=--workers 2}
IFS=';' read -r -a cfgs <<<"$CONFIGS"
STRESS=
if [ "${WL_STRESS:-0}" = 1 ]; then
	stress-ng --cpu 2 --timeout 3600s >/dev/null 2>&1 &
	STRESS=$!
	at_exit "kill $STRESS 2>/dev/null"
	sleep 1
fi
echo "# worker_latency: $ROUNDS rounds of $SECS s per configuration (${CONFIGS}), $(nproc) CPUs,${STRESS:+ stress-ng --cpu 2 running,} load average $(cut -d' ' -f1 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
	n=${#cfgs[@]}
	for k in $(seq 0 $((n - 1))); do
		c=${cfgs[$(((k + r) % n))]} # rotate the order each round
		cname=${c%%=*} cargs=${c#*=}
		name=c${cname}r$r
		# shellcheck disable=SC2086
		if ! agent_start "$name" --policy "$G/ai-gateway.wasm" --policy-config 'hosts=api.test ttl_ms=5000' \
			--heartbeat --metrics 127.0.0.1:0 $cargs; then
			diag "$TMP/$name.err"; bail "agent with $cargs did not start"
		fi
		in_c wrk -t 2 -c 8 -d "${SECS}s" -H 'Host: api.test' -H 'Connection: close' \
			"http://$S4/v1/models" >"$TMP/$name.wrk" 2>&1
		scrape_fresh "$(metrics_port "$name")" "$TMP/$name.prom"
		read -r p50 p99 p999 cnt < <(quantiles "$TMP/$name.prom")
		rps=$(sed -n 's/^Requests\/sec: *//p' "$TMP/$name.wrk")
		hits=$(awk '/^lockstep_worker_busy_polls_total\{.*result="hit"/ { s += $2 } END { print s + 0 }' "$TMP/$name.prom")
		wake=$(awk '/^lockstep_worker_wakeups_total\{/ { s += $2 } END { print s + 0 }' "$TMP/$name.prom")
		echo "round $r: $cname ($cargs): kernel->verdict p50 <= $p50 ms, p99 <= $p99 ms, p99.9 <= $p999 ms ($cnt verdicts, $rps requests/s; $wake wake-ups, $hits busy-poll hits; load $(cut -d' ' -f1 /proc/loadavg))"
		grep -h "rt:" "$TMP/$name.err" | head -2 | sed 's/^/# /'
		echo "$cname $p50 $p99 $p999 $rps" >>"$TMP/all"
		kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
	done
done
python3 - "$TMP/all" "${cfgs[@]%%=*}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = sys.argv[2:]
med = {w: [statistics.median(float(r[i]) for r in rows if r[0] == w) for i in (1, 2, 3, 4)] for w in names}
for w in names:
    print("%s: median p50 <= %.3f ms, p99 <= %.3f ms, p99.9 <= %.3f ms, %.0f requests/s" % (w, *med[w]))
if len(names) >= 2:
    a, b = names[0], names[1]
    print("latency: %s / %s: p50 %.2fx, p99 %.2fx; requests/s %.2fx" %
          (b, a, med[b][0] / med[a][0], med[b][1] / med[a][1], med[b][3] / med[a][3]))
PY
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
