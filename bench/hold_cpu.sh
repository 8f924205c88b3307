#!/usr/bin/env bash
# hold_cpu.sh - what one held flow costs the agent, in CPU, and where it
# goes (docs/dataplane.md, "Hold: measured at a rate"). One run: flowgen
# (bench/flowgen.c) offers RATE new UDP flows/s for COUNT flows, without
# lockstep and then with `lockstep run --default-verdict hold` and a policy
# that passes every flow at FLOW_NEW (tests/policy/guests/minimal.c), for
# each agent variant asked, one after the other in the same run. A variant
# is NAME:BINARY:WORKERS (HC_VARIANTS, default "hold:build/lockstep:1";
# e.g. "old:/tmp/lockstep.old:1 new:build/lockstep:1 new2:build/lockstep:2"
# compares two builds side by side). The agent's CPU is its /proc
# utime+stime over the generator's run, divided by the flows it held; with
# HC_PERF=1 each variant is also sampled by `perf record` and the top of
# its report printed. Prints figures and ratios against the run without
# lockstep; asserts nothing. Needs root.
#   HC_RATE (5000) HC_COUNT (10000) HC_VARIANTS HC_PERF (0, 1, g: with call graphs, dwarf: call graphs without frame pointers, stat: syscalls per flow) HC_STDOUT (/dev/null)
#   HC_PERF_DATA=PATH keeps each variant's perf.data as PATH.NAME
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
: "${LS_BIN:=$LS_ROOT/build/lockstep}"
RATE=${HC_RATE:-5000}
COUNT=${HC_COUNT:-10000}
VARIANTS=${HC_VARIANTS:-hold:$LS_BIN:1}
. tests/integration/lib/topo.sh
need_root
FG=$LS_ROOT/build/bench/flowgen
G=$LS_ROOT/build/guests/test/minimal.wasm
[ -x "$FG" ] || make -s build/bench/flowgen >/dev/null || bail "cannot build $FG"
[ -f "$G" ] || bail "$G not built (make guests)"
topo_init hcpu
topo_up || bail "could not build the topology"
in_c ping -c1 -W1 "$S4" >/dev/null

cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
held() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq -r '.held // 0'; }
gen() { # TAG
	"$FG" --client-ns "$NS_C" --server-ns "$NS_S" --dst "$S4" --rate "$RATE" --count "$COUNT" \
		--drain-ms 2000 >"$TMP/$1" 2>"$TMP/$1.err" || { cat "$TMP/$1.err"; echo "flowgen failed" >"$TMP/$1"; }
}
f() { sed -n "s/.* $2 \([-0-9.]*\).*/\1/p" "$TMP/$1"; }
us() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1000 }'; }
HZ=$(getconf CLK_TCK)

echo "# hold_cpu: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); $RATE flows/s offered, $COUNT flows"
gen base
printf '%-14s %9s %12s %9s %9s %9s %14s\n' run achieved received p50_us p99_us p99.9_us agent_us/flow
printf '%-14s %9s %12s %9s %9s %9s %14s\n' none "$(f base achieved | cut -d/ -f1)" \
	"$(f base received)/$(f base sent)" "$(us "$(f base p50)")" "$(us "$(f base p99)")" "$(us "$(f base p99.9)")" -
for v in $VARIANTS; do
	name=${v%%:*} rest=${v#*:}
	bin=${rest%:*} w=${rest##*:}
	nsenter --net=/run/netns/"$NS_S" "$bin" run --iface vs --pin-dir "$PIN_DIR" \
		--default-verdict hold --policy "$G" --workers "$w" >"${HC_STDOUT:-/dev/null}" 2>"$TMP/$name.err" &
	A=$!
	PIDS+=($A)
	wait_for 20 grep -q 'lockstep: running' "$TMP/$name.err" || { diag "$TMP/$name.err"; bail "agent $name did not start"; }
	sleep 0.5
	h0=$(held) t0=$(cpu_ticks $A)
	P=
	if [ "${HC_PERF:-0}" != 0 ]; then
		if [ "$HC_PERF" = stat ]; then # syscalls, switches and faults per held flow
			perf stat -x, -e raw_syscalls:sys_enter,context-switches,page-faults -o "$TMP/stat" -p "$A" >/dev/null 2>&1 &
		else
			perf record $([ "$HC_PERF" = g ] && echo -g) $([ "$HC_PERF" = dwarf ] && echo --call-graph dwarf) \
				-o "$TMP/perf.data" -p "$A" >/dev/null 2>&1 &
		fi
		P=$!
		sleep 0.3
	fi
	gen "$name"
	t1=$(cpu_ticks $A) h1=$(held)
	[ -n "$P" ] && { kill -INT "$P"; wait "$P" 2>/dev/null; }
	kill "$A" 2>/dev/null; wait "$A" 2>/dev/null
	"$bin" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
	n=$((h1 - h0))
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
	printf '%-14s %9s %12s %9s %9s %9s %14s   (held %s)\n' "$name w=$w" "$(f "$name" achieved | cut -d/ -f1)" \
		"$(f "$name" received)/$(f "$name" sent)" "$(us "$(f "$name" p50)")" "$(us "$(f "$name" p99)")" \
		"$(us "$(f "$name" p99.9)")" "$cpu" "$n"
	printf '%-14s added p50 %s us, p99 %s us, p99.9 %s us (p50 ratio %s)\n' "" \
		"$(us $(($(f "$name" p50) - $(f base p50))))" "$(us $(($(f "$name" p99) - $(f base p99))))" \
		"$(us $(($(f "$name" p99.9) - $(f base p99.9))))" \
		"$(awk -v a="$(f "$name" p50)" -v b="$(f base p50)" 'BEGIN { printf "%.1fx", a / b }')"
	if [ -n "$P" ] && [ "$HC_PERF" = stat ]; then
		awk -F, -v n="$n" '$3 ~ /./ && n { printf "#   %s per held flow: %.2f\n", $3, $1 / n }' "$TMP/stat"
	elif [ -n "$P" ]; then
		echo "#   perf, $name: where the agent's samples went"
		[ -n "${HC_PERF_DATA:-}" ] && cp "$TMP/perf.data" "$HC_PERF_DATA.$name" # for perf report -i
		if [ "$HC_PERF" = g ]; then # callers of the top symbols
			perf report -i "$TMP/perf.data" --no-children --stdio --percent-limit 4 \
				-g caller,2,callee,function,percent 2>/dev/null | grep -v '^$' | head -150 >"$TMP/perf.txt"
			cp "$TMP/perf.txt" "${HC_PERF_OUT:-/tmp/hold_cpu_perf_$name.txt}"
			echo "#   (call graph in ${HC_PERF_OUT:-/tmp/hold_cpu_perf_$name.txt})"
		fi
		perf report -i "$TMP/perf.data" --no-children --stdio --percent-limit 1 -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -30 | sed 's/^/#   /'
	fi
done
echo "# load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
