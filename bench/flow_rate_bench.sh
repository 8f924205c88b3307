#!/usr/bin/env bash
# flow_rate_bench.sh - deny-by-default at a rate of new flows, in one run
# (issue 12 "Bench"; docs/dataplane.md, "Hold: measured at a rate"):
#   - the added latency of a held first packet, p50/p99/p99.9, at 10k and
#     100k new flows/s offered (bench/flowgen.c: every datagram the first
#     of a new UDP flow, paced, one-way latency from the sender's clock to
#     the kernel's receive stamp in the server namespace), without lockstep
#     and with `lockstep run --default-verdict hold` and a policy that
#     passes every new flow at FLOW_NEW (tests/policy/guests/minimal.c),
#     idle and with `stress-ng --cpu 2`; the rate actually achieved and the
#     data plane's counters say what limited it;
#   - connection setup, curl time_total of an HTTP GET on a new connection:
#     no lockstep vs deny-by-default as the example guests come (the
#     allowlist, no mode word: its patterns are kernel rules) under hold;
#     how soon an unknown host is refused; any retransmit counted;
#   - a kernel-rule hit vs the fast path, ns/packet (build/bench/dataplane_bench,
#     the same run).
# Prints figures and ratios against the issue's targets; asserts nothing.
# Takes ~2-3 min; not part of `make test`. Needs root. FB_AGENT_ARGS: more
# `lockstep run` options for the hold runs (e.g. "--workers 2").
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
: "${LS_BIN:=$LS_ROOT/build/lockstep}"
SECS_10K=${FB_SECS_10K:-2}     # seconds at 10k/s
COUNT_100K=${FB_COUNT_100K:-50000} # flows at 100k/s: under the 65536 verdicts a run may hold
M=${FB_CONNS:-100}             # curl connections per row
. tests/integration/lib/topo.sh
need_root
FG=$LS_ROOT/build/bench/flowgen
G=$LS_ROOT/build/guests/test/minimal.wasm
[ -x "$FG" ] || make -s build/bench/flowgen >/dev/null || bail "cannot build $FG"
[ -f "$G" ] || bail "$G not built (make guests)"
topo_init fbench
topo_up || bail "could not build the topology"
nginx_start || bail "nginx did not start"
in_c ping -c1 -W1 "$S4" >/dev/null # neighbours resolved before timing

STRESS=
command -v stress-ng >/dev/null && STRESS=1
load_on() { stress-ng --cpu 2 --timeout 600s >/dev/null 2>&1 & SPID=$!; PIDS+=($SPID); sleep 1; }
load_off() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
# start an agent; its event lines go to /dev/null (formatted all the same)
agent() { # NAME ARGS...
	local name=$1; shift
	nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" "$@" \
		>/dev/null 2>"$TMP/$name.err" &
	AGENT=$!
	PIDS+=($AGENT)
	wait_for 20 grep -q 'lockstep: running' "$TMP/$name.err" || { diag "$TMP/$name.err"; bail "agent $name did not start"; }
}
agent_stop() {
	kill "$AGENT" 2>/dev/null; wait "$AGENT" 2>/dev/null
	"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
}
cnt() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null |
	jq -r '"held \(.held // 0) hold_overflow \(.hold_overflow // 0) ringbuf_full \(.ringbuf_full // 0) flow_new \(.flow_new // 0) flow_insert_fail \(.flow_insert_fail // 0) drop_default \(.drop_default // 0)"'; }
gen() { # TAG RATE COUNT: one flowgen run, its line in $TMP/TAG
	"$FG" --client-ns "$NS_C" --server-ns "$NS_S" --dst "$S4" --rate "$2" --count "$3" \
		--drain-ms 2500 >"$TMP/$1" 2>"$TMP/$1.err" || { cat "$TMP/$1.err"; echo "flowgen failed" >"$TMP/$1"; }
}
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
held_now() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq -r '.held // 0'; }
f() { sed -n "s/.* $2 \([-0-9.]*\).*/\1/p" "$TMP/$1"; } # FILE FIELD
us() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1000 }'; }

echo "# flow_rate_bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
for load in idle stress; do
	[ $load = stress ] && { [ -n "$STRESS" ] || { echo "# stress-ng not installed: no loaded rows"; break; }; load_on; }
	for rate in 10000 100000; do
		n=$((rate == 10000 ? rate * SECS_10K : COUNT_100K))
		gen "base_${load}_$rate" "$rate" "$n"
		agent "h_${load}_$rate" --default-verdict hold --policy "$G" ${FB_AGENT_ARGS:-}
		t0=$(cpu_ticks "$AGENT") h0=$(held_now)
		gen "hold_${load}_$rate" "$rate" "$n"
		t1=$(cpu_ticks "$AGENT") h1=$(held_now)
		echo "$(cnt) agent_cpu_us_per_held_flow $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n=$((h1 - h0)) \
			'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')" >"$TMP/c_${load}_$rate"
		agent_stop
	done
	[ $load = stress ] && load_off
done

echo "## held first packet, one-way latency (sender clock -> kernel receive stamp), a new UDP flow each"
printf '%-8s %-7s %-9s %9s %9s %9s %9s   %s\n' load offered run achieved received p50_us p99_us p99.9_us
for load in idle stress; do
	for rate in 10000 100000; do
		for run in base hold; do
			F="${run}_${load}_$rate"
			[ -s "$TMP/$F" ] || continue
			printf '%-8s %-7s %-9s %9s %9s %9s %9s %9s\n' "$load" "$rate" \
				"$([ $run = base ] && echo none || echo hold)" "$(f "$F" achieved | cut -d/ -f1)" \
				"$(f "$F" received)/$(f "$F" sent)" "$(us "$(f "$F" p50)")" "$(us "$(f "$F" p99)")" \
				"$(us "$(f "$F" p99.9)")"
		done
		B="base_${load}_$rate" H="hold_${load}_$rate"
		[ -s "$TMP/$H" ] || continue
		printf '%-8s %-7s added by the hold: p50 %s  p99 %s  p99.9 %s us (ratio p50 %s)   bad stamps %s/%s\n' \
			"$load" "$rate" "$(us $(($(f "$H" p50) - $(f "$B" p50))))" "$(us $(($(f "$H" p99) - $(f "$B" p99))))" \
			"$(us $(($(f "$H" p99.9) - $(f "$B" p99.9))))" \
			"$(awk -v a="$(f "$H" p50)" -v b="$(f "$B" p50)" 'BEGIN { printf "%.2fx", a / b }')" \
			"$(f "$B" bad)" "$(f "$H" bad)"
		echo "#   data plane ($load, $rate/s): $(cat "$TMP/c_${load}_$rate")"
	done
done

# connection setup: the allowlist as it comes (kernel rules, rejects)
curls() { # TAG HOST: M connections, "rc time_total" lines
	: >"$TMP/$1"
	for _ in $(seq "$M"); do
		in_c curl -sS -o /dev/null --max-time 5 -w '%{time_total}' -H "Host: $2" "http://$S4/index.html" \
			>"$TMP/one" 2>/dev/null
		echo "$? $(cat "$TMP/one")" >>"$TMP/$1"
	done
}
qs() { # FILE COL P: nearest-rank quantile of column COL
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk -v p="$3" '{ a[NR] = $1 } END { i = int(p * NR + 0.999999); if (i < 1) i = 1; print a[i] }'
}
ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x * 1000 }'; }
curls cb www.allowed.test
ip -n "$NS_C" link set vc xdp obj "$LS_ROOT/build/bpf/baseline.bpf.o" sec xdp.frags # NAPI for the RST (XDP_TX)
agent al --tc --default-verdict hold --policy "$LS_ROOT/build/guests/allowlist.wasm" --policy-config '*.allowed.test'
curls ch www.allowed.test
curls cd evil.test
agent_stop
echo "## connection setup, curl time_total, HTTP GET on a new connection ($M each)"
for t in "cb:no lockstep" "ch:hold + allowlist, allowed host" "cd:hold + allowlist, unknown host"; do
	F=${t%%:*}
	printf '%-36s p50 %7s ms  p99 %7s ms  max %7s ms  (curl exit 0: %s of %s)\n' "${t#*:}" \
		"$(ms "$(qs "$TMP/$F" 2 .5)")" "$(ms "$(qs "$TMP/$F" 2 .99)")" "$(ms "$(qs "$TMP/$F" 2 1)")" \
		"$(awk '$1 == 0' "$TMP/$F" | wc -l)" "$M"
done
echo "ratio allowed/no lockstep: p50 $(awk -v a="$(qs "$TMP/ch" 2 .5)" -v b="$(qs "$TMP/cb" 2 .5)" 'BEGIN { printf "%.2fx", a / b }')," \
	"p99 $(awk -v a="$(qs "$TMP/ch" 2 .99)" -v b="$(qs "$TMP/cb" 2 .99)" 'BEGIN { printf "%.2fx", a / b }')"
echo "allowed connections slower than 200 ms (a retransmit; a SYN's is 1 s): no lockstep $(awk '$2 >= 0.2' "$TMP/cb" | wc -l), hold $(awk '$2 >= 0.2' "$TMP/ch" | wc -l) of $M"
echo "unknown host refused with a reset (curl 56/52): $(awk '$1 == 56 || $1 == 52' "$TMP/cd" | wc -l) of $M"

echo "## kernel rule hit vs fast path (build/bench/dataplane_bench, same run)"
if [ -x build/bench/dataplane_bench ] || make -s build/bench/dataplane_bench >/dev/null; then
	build/bench/dataplane_bench 2>&1 | grep -E '^(fast path|rule|first packet, udp)|kernel rules|prefix rule' | sed 's/^/  /'
else
	echo "# dataplane_bench could not be built"
fi
echo "# load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
