#!/usr/bin/env bash
# neighbours.sh - lockstep's names and its XDP hook beside other BPF users
# (docs/operations.md, "Neighbours"):
#   1. every map and program a running agent holds (its fds, read from
#      /proc/PID/fdinfo), has pinned or has attached, and every map those
#      programs use, is named ls_* in `bpftool -j map show` / `prog show`,
#      with the heartbeat, the hold's re-injection, two workers and --tc all
#      running; none is left unprefixed;
#   2. maps laid out with an earlier version's names (before the prefix) are
#      adopted, the agent and status say how many keep their old names, and
#      stop + run gives every one the prefix;
#   3. XDP: an interface with a program xdp-loader loaded is refused with a
#      message naming it and what to do, and nothing is left attached or
#      pinned; while lockstep holds the hook, xdp-loader cannot take it.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init nbrs

need_root
need jq bpftool clang xdp-loader
topo_up || bail "could not build the topology"
in_s_net() { nsenter --net=/run/netns/"$NS_S" "$@"; }

# ids_of PID: "map ID" / "prog ID" lines for every BPF object the process
# holds an fd of, the objects pinned in $PIN_DIR, what is attached to vs,
# and the maps the programs among them use
ids_of() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^map_id:/ {print "map", $2} /^prog_id:/ {print "prog", $2}' "$f" 2>/dev/null
	done
	for f in "$PIN_DIR"/*; do
		bpftool -j map show pinned "$f" 2>/dev/null | jq -r '"map \(.id)"'
		bpftool -j prog show pinned "$f" 2>/dev/null | jq -r '"prog \(.id)"'
		bpftool -j link show pinned "$f" 2>/dev/null | jq -r '"prog \(.prog_id)"'
	done
	echo "prog $(xdp_prog_id)"
	in_s_net "$LS_ROOT/build/asan/tools/tcx_tool" show vs | awk '{print "prog", $1}'
}
# names KIND: "ID NAME" of every object of that kind in the system
names() { bpftool -j "$1" show | jq -r '.[] | "\(.id) \(.name // "")"'; }

# ---- 1. every object a full agent loads is ls_* -------------------------------
agent_start a1 --tc --heartbeat --workers 2 --default-verdict hold ||
	{ diag "$TMP/a1.err"; bail "agent did not start"; }
ids_of "$AGENT" | sort -u >"$TMP/ids"
names map >"$TMP/maps"; names prog >"$TMP/progs"
# the maps the programs use
for p in $(awk '$1 == "prog" {print $2}' "$TMP/ids"); do
	bpftool -j prog show id "$p" 2>/dev/null | jq -r '.map_ids[]? | "map \(.)"'
done | sort -u >>"$TMP/ids"
sort -u -o "$TMP/ids" "$TMP/ids"
join_names() { # KIND: "NAME" of the agent's objects of that kind
	awk -v k="$1" '$1 == k {print $2}' "$TMP/ids" | sort -u |
		join - <(sort -k1,1 "$TMP/${1}s") | awk '{print $2}' | sort
}
join_names map >"$TMP/map.names"; join_names prog >"$TMP/prog.names"
diag <(echo "maps: $(paste -sd' ' "$TMP/map.names")"; echo "progs: $(paste -sd' ' "$TMP/prog.names")")
check "the agent's maps were found (>= 18)" test "$(wc -l <"$TMP/map.names")" -ge 18
check "the agent's programs were found (>= 8)" test "$(wc -l <"$TMP/prog.names")" -ge 8
for n in ls_flows ls_verdicts ls_events ls_beat ls_worker_ring ls_dp.rodata ls_hold_buf; do
	check "map $n is among them" grep -qx "$n" "$TMP/map.names"
done
for n in ls_xdp ls_tc ls_hb_ping ls_hb_arm ls_hb_alive ls_reinject; do
	check "program $n is among them" grep -qx "$n" "$TMP/prog.names"
done
check "no map of the agent lacks the ls_ prefix" bash -c "! grep -v '^ls_' '$TMP/map.names'"
check "no program of the agent lacks the ls_ prefix" bash -c "! grep -v '^ls_' '$TMP/prog.names'"
# the names in the sources: map variables, program functions, the maps the
# loader creates, the objects' constants maps (Makefile LS_OBJ_*)
{
	grep -ohE '^\} ls_[a-z0-9_]+ SEC' "$LS_ROOT"/bpf/*.c "$LS_ROOT"/bpf/*.h | awk '{print $2}'
	grep -hA1 '^SEC(' "$LS_ROOT"/bpf/*.bpf.c | grep -oE '^int ls_[a-z0-9_]+' | awk '{print $2}'
	grep -ohE 'bpf_map_create\([A-Z_]+, "ls_[a-z0-9_]+"' "$LS_ROOT"/src/*/*.c | grep -oE 'ls_[a-z0-9_]+'
	sed -n 's/^LS_OBJ_[a-z]* *:= *\(ls_[a-z_]*\)$/\1.rodata/p' "$LS_ROOT/Makefile"
} | sort -u >"$TMP/source.names"
check "every name is whole: one the sources give (none cut at 15 characters)" \
	test -z "$(cat "$TMP/map.names" "$TMP/prog.names" | sort -u | comm -23 - "$TMP/source.names")"
check "every source name fits the kernel's 15 characters" \
	test -z "$(awk 'length($0) > 15' "$TMP/source.names")"
check "status: no legacy names" bash -c "'$LS_BIN' status --json | jq -e '.attach.legacy_names == 0' >/dev/null"

# ---- 3b. while lockstep holds the XDP hook, xdp-loader cannot take it ----------
clang -O2 -g -target bpf -I/usr/include/"$(gcc -print-multiarch)" -x c -o "$TMP/xp.o" -c - <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("xdp") int xp_other(struct xdp_md *ctx) { return XDP_PASS; }
C
prog_on_vs() { bpftool -j prog show id "$(xdp_prog_id)" 2>/dev/null | jq -r .name; }
in_s_net xdp-loader load -m native vs "$TMP/xp.o" >"$TMP/xl1.out" 2>&1; RC=$?
diag "$TMP/xl1.out"
check "xdp-loader cannot load beside lockstep's XDP link (exit $RC)" test "$RC" -ne 0
check "... and ls_xdp is still the program on vs" test "$(prog_on_vs)" = ls_xdp
ip -n "$NS_S" link set dev vs xdp off 2>"$TMP/iplink.err"; RC=$?
check "ip link set xdp off cannot detach it either (exit $RC)" test "$RC" -ne 0
check "... ls_xdp stays" test "$(prog_on_vs)" = ls_xdp
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# ---- 2. pins of the earlier layout ----------------------------------------------
# the shapes come from this build's pins; the names are the earlier ones
agent_start a2 || { diag "$TMP/a2.err"; bail "agent did not start"; }
for m in flows verdicts config counters liveness; do
	bpftool -j map show pinned "$PIN_DIR/$m" >"$TMP/shape.$m"
done
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
mkdir -p "$PIN_DIR"
for m in flows verdicts config counters liveness; do
	read -r type key value entries flags < <(jq -r '"\(.type) \(.bytes_key) \(.bytes_value) \(.max_entries) \(.flags)"' "$TMP/shape.$m")
	bpftool map create "$PIN_DIR/$m" type "$type" key "$key" value "$value" \
		entries "$entries" name "$m" flags "$flags" || not_ok "creating the earlier map $m"
done
agent_start a3 || diag "$TMP/a3.err"
check "the earlier maps are adopted: the agent runs" kill -0 "$AGENT"
check "it says 5 maps keep names without the prefix" grep -q '5 adopted maps were made by an earlier version' "$TMP/a3.err"
check "status counts them (legacy_names 5)" bash -c "'$LS_BIN' status --json | jq -e '.attach.legacy_names == 5' >/dev/null"
check "bpftool shows the adopted map under its earlier name" bash -c \
	"bpftool -j map show pinned $PIN_DIR/flows | jq -e '.name == \"flows\"' >/dev/null"
check "the program is this build's, using the adopted map" bash -c \
	"bpftool -j prog show id \$(bpftool -j link show pinned $PIN_DIR/link_xdp | jq .prog_id) | jq -e --argjson m \$(bpftool -j map show pinned $PIN_DIR/flows | jq .id) '.name == \"ls_xdp\" and (.map_ids | index(\$m))' >/dev/null"
check "ping passes through the adopted maps" quiet in_c ping -q -c 2 -i 0.2 -W 2 $S4
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
agent_start a4 || diag "$TMP/a4.err"
check "after stop + run every map has the prefix" bash -c \
	"for m in flows verdicts config counters liveness; do bpftool -j map show pinned $PIN_DIR/\$m | jq -e '.name | startswith(\"ls_\")' >/dev/null || exit 1; done"
check "... and nothing is said about earlier names" bash -c "! grep -q 'earlier version' '$TMP/a4.err'"
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1

# ---- 3a. an interface that already has another XDP program ------------------
in_s_net xdp-loader load -m native vs "$TMP/xp.o" >"$TMP/xl2.out" 2>&1 ||
	{ diag "$TMP/xl2.out"; bail "xdp-loader could not load on vs"; }
in_s_net "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" >/dev/null 2>"$TMP/a5.err"; RC=$?
check "run on an interface with another XDP program fails (exit 1)" test "$RC" -eq 1
check "the refusal names the program" grep -q 'already has XDP program [0-9]* (xp_other) attached that lockstep does not own' "$TMP/a5.err"
check "the refusal says how to detach it" grep -q 'xdp-loader unload vs --all' "$TMP/a5.err"
check "the refusal points at TC and --tc-order" grep -q 'move that program to TC, where --tc-order' "$TMP/a5.err"
check "the other program is still attached" test "$(prog_on_vs)" = xp_other
check "nothing of lockstep is pinned" test ! -e "$PIN_DIR/flows"
in_s_net xdp-loader unload vs --all >/dev/null 2>&1
finish
