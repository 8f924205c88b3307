#!/usr/bin/env bash
# agent_cpu.sh - the live agent's CPU per new flow, two builds side by side
# in one run (docs/workers.md, "Where an event's time goes"): the release
# agent (`lockstep run`, its default workers, the minimal guest: pass on
# FLOW_NEW, events printed to /dev/null as a service's stdout would be) on
# a veth pair, bench/flowgen.c offering new UDP flows (one FLOW_NEW each,
# left open, so the policy's flow table grows as under real new flows),
# the agent's user+system CPU ticks over the flows it announced.
#   AC_OLD=path/to/lockstep (required: the build to compare, e.g. main's
#   built in a temp dir), AC_NEW (default build/lockstep), AC_ROUNDS (3,
#   alternating old/new), AC_COUNT (flows per run, 40000), AC_RATE (20000/s),
#   AC_ARGS (more `lockstep run` options, e.g. "--workers 1").
# Prints one line per run and the medians; asserts nothing. Needs root.
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
: "${LS_BIN:=$LS_ROOT/build/lockstep}"
NEW=${AC_NEW:-$LS_BIN} OLD=${AC_OLD:?AC_OLD=path to the lockstep build to compare}
ROUNDS=${AC_ROUNDS:-3} COUNT=${AC_COUNT:-40000} RATE=${AC_RATE:-20000}
. tests/integration/lib/topo.sh
need_root
FG=$LS_ROOT/build/bench/flowgen
G=$LS_ROOT/build/guests/test/minimal.wasm
[ -x "$FG" ] || make -s build/bench/flowgen >/dev/null || bail "cannot build $FG"
[ -f "$G" ] || bail "$G not built (make guests)"
topo_init acpu
topo_up || bail "could not build the topology"
in_c ping -c1 -W1 "$S4" >/dev/null

agent() { # BIN NAME: started, AGENT=pid
	nsenter --net=/run/netns/"$NS_S" "$1" run --iface vs --pin-dir "$PIN_DIR" --policy "$G" \
		${AC_ARGS:-} >/dev/null 2>"$TMP/$2.err" &
	AGENT=$!
	PIDS+=($AGENT)
	wait_for 30 grep -q 'lockstep: running' "$TMP/$2.err" || { diag "$TMP/$2.err"; bail "agent $2 did not start"; }
}
agent_stop() {
	kill "$AGENT" 2>/dev/null; wait "$AGENT" 2>/dev/null
	"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
}
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
flow_new() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq -r '.flow_new // 0'; }

echo "# agent_cpu: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $COUNT flows at $RATE/s per run; $(date -u +%FT%TZ)"
for r in $(seq "$ROUNDS"); do
	for v in old new; do
		bin=$NEW; [ $v = old ] && bin=$OLD
		agent "$bin" "$v$r"
		sleep 1
		t0=$(cpu_ticks "$AGENT") n0=$(flow_new)
		"$FG" --client-ns "$NS_C" --server-ns "$NS_S" --dst "$S4" --rate "$RATE" --count "$COUNT" \
			--drain-ms 2000 >"$TMP/g$v$r" 2>&1
		t1=$(cpu_ticks "$AGENT") n1=$(flow_new)
		us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n=$((n1 - n0)) \
			'BEGIN { printf "%.2f", n ? t / hz * 1e6 / n : 0 }')
		echo "$v $r: $((n1 - n0)) new flows, agent CPU $(((t1 - t0) * 1000 / $(getconf CLK_TCK))) ms, $us us per flow; $(grep -o 'achieved [^ ]*' "$TMP/g$v$r")" |
			tee -a "$TMP/lines"
		agent_stop
	done
done
for v in old new; do
	printf '%s: median %s us of agent CPU per new flow\n' "$v" \
		"$(sed -n "s/^$v .*, \([0-9.]*\) us per flow.*/\1/p" "$TMP/lines" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
done
