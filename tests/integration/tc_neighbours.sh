#!/usr/bin/env bash
# tc_neighbours.sh - lockstep at TC egress beside another TC program on the
# same device (docs/operations.md, "Neighbours"): the order asked with
# --tc-order is the order the kernel lists (BPF_PROG_QUERY, read by
# tests/tools/tcx_tool, written apart from lockstep) and the order packets
# meet the two programs in; both run whatever the order (lockstep passes a
# packet on to the next program); TCX links where the kernel has them, a
# netlink filter at an explicit priority with --tc-link netlink (placed
# against a filter `tc` attached); a restarted agent adopts its TCX link in
# place; an earlier agent's netlink filter gives way to a TCX link; stop
# removes lockstep and leaves the neighbour.
#
# The neighbour (tests/integration/bpf/neighbour.bpf.c, built here with
# clang) counts the UDP packets it sees per destination port and drops those
# to port 7001. The server sends 5 datagrams to port 7001 and 5 to 7002:
#   lockstep first: lockstep announces both flows, the neighbour counts 5+5;
#   neighbour first: it counts 5+5 and lockstep never sees the 7001 flow.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init tcnb
TOOL=$LS_ROOT/build/asan/tools/tcx_tool

need_root
need clang jq tc
topo_up || bail "could not build the topology"
clang -O2 -g -target bpf -I/usr/include/"$(gcc -print-multiarch)" \
	-c "$LS_ROOT/tests/integration/bpf/neighbour.bpf.c" -o "$TMP/nb.o" ||
	bail "could not build the neighbour program"
NB_DIR=$PIN_ROOT/nb
at_exit 'rm -rf "$NB_DIR"'

in_s_net() { nsenter --net=/run/netns/"$NS_S" "$@"; }
order() { in_s_net "$TOOL" show vs | awk '{print $2}' | paste -sd' '; }
# send: 5 UDP datagrams from the server to the client's port 7001, 5 to 7002
send() {
	in_s python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$S4', $1))
for p in (7001, 7002):
    for _ in range(5):
        s.sendto(b'neighbour', ('$C4', p)); time.sleep(0.01)"
}
# seen PORT: what the neighbour counted for that destination port
seen() { bpftool -j map dump pinned "$NB_DIR/nb_seen" 2>/dev/null |
	jq --argjson p "$1" '[.[] | select(.formatted.key == $p) | .formatted.value] | first // 0'; }
# announced AGENT SPORT DPORT: lockstep announced the UDP flow (either way round)
announced() {
	wait_for 3 jq -e -n --argjson s "$2" --argjson d "$3" '[inputs | fromjson? // empty] |
		any(.[]; .event == "flow_new" and .proto == "udp" and
		    ((.sport == $s and .dport == $d) or (.sport == $d and .dport == $s)))' \
		-R "$TMP/$1.json" >/dev/null
}
not() { ! "$@"; }
nb_attach() { # PLACE: the neighbour at TCX egress; NB_ID its program id
	rm -rf "$NB_DIR"
	mkdir -p "$PIN_ROOT"
	NB_ID=$(in_s_net "$TOOL" attach vs "$TMP/nb.o" nb_tc "$NB_DIR" "$1") || return 1
}
nb_detach() { rm -rf "$NB_DIR"; } # the link's last reference is its pin
# stop in the namespace: a netlink filter is found by its ifindex there
stop_agent() { kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null; in_s_net "$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1; }

# ---- 1. the neighbour first, lockstep placed after it by name --------------
nb_attach last || bail "could not attach the neighbour through TCX"
check "the neighbour alone at TCX egress" test "$(order)" = "nb_tc"
agent_start a1 --tc --tc-order after=nb_tc || { diag "$TMP/a1.err"; bail "agent did not start"; }
check "a1 says TCX link, placed after=nb_tc" grep -q 'TC egress on vs: TCX link, placed after=nb_tc' "$TMP/a1.err"
check "the kernel lists nb_tc then ls_tc" test "$(order)" = "nb_tc ls_tc"
check "status: tc_link tcx, order after=nb_tc" bash -c \
	"'$LS_BIN' status --json | jq -e '.attach.tc_link == \"tcx\" and .attach.tc_order == \"after=nb_tc\"' >/dev/null"
send 41001
check "neighbour first: it saw the 5 datagrams to 7001" test "$(seen 7001)" = 5
check "neighbour first: it saw the 5 datagrams to 7002" test "$(seen 7002)" = 5
check "neighbour first: lockstep saw the 7002 flow after it" announced a1 41001 7002
check "neighbour first: lockstep never saw the 7001 flow it dropped" not announced a1 41001 7001

# ---- 2. a restart adopts the TCX link in place -------------------------------
LS_ID=$(in_s_net "$TOOL" show vs | awk '$2 == "ls_tc" {print $1}')
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
check "after SIGKILL lockstep stays in its place" test "$(order)" = "nb_tc ls_tc"
agent_start a2 --tc --tc-order first || diag "$TMP/a2.err"
check "a2 adopted the pinned TCX link" grep -q 'adopted the pinned TCX link' "$TMP/a2.err"
check "the adopted link keeps its place and program" test \
	"$(in_s_net "$TOOL" show vs | paste -sd' ')" = "$NB_ID nb_tc $LS_ID ls_tc"
check "status: order kept" bash -c "'$LS_BIN' status --json | jq -e '.attach.tc_order == \"kept\"' >/dev/null"
stop_agent
check "stop removes lockstep, the neighbour stays" test "$(order)" = "nb_tc"

# ---- 3. lockstep first (by id), the neighbour after it -------------------------
agent_start a3 --tc --tc-order before="$NB_ID" || diag "$TMP/a3.err"
check "the kernel lists ls_tc then nb_tc" test "$(order)" = "ls_tc nb_tc"
send 41003
check "lockstep first: it announced the 7001 flow" announced a3 41003 7001
check "lockstep first: it announced the 7002 flow" announced a3 41003 7002
check "lockstep first: the neighbour after it still saw 7001 (5+5)" test "$(seen 7001)" = 10
check "lockstep first: the neighbour after it still saw 7002 (5+5)" test "$(seen 7002)" = 10
stop_agent

# ---- 4. --tc-order first / last, and a name that is not there ----------------
agent_start a4 --tc --tc-order first || diag "$TMP/a4.err"
check "--tc-order first: ls_tc nb_tc" test "$(order)" = "ls_tc nb_tc"
stop_agent
agent_start a5 --tc --tc-order last || diag "$TMP/a5.err"
check "--tc-order last: nb_tc ls_tc" test "$(order)" = "nb_tc ls_tc"
stop_agent
in_s_net "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" --tc --tc-order before=nosuch \
	>/dev/null 2>"$TMP/a6.err"
check "--tc-order before=nosuch is refused, naming what is missing" \
	grep -q 'no program named nosuch is attached at TC egress of vs' "$TMP/a6.err"
check "... and leaves nothing attached or pinned" eval \
	'test -z "$(xdp_prog_id)" && test ! -e "$PIN_DIR/flows" && test "$(order)" = nb_tc'
nb_detach

# ---- 5. netlink: explicit priorities against a filter tc attached ----------------
tc -n "$NS_S" qdisc add dev vs clsact 2>/dev/null
tc -n "$NS_S" filter add dev vs egress prio 100 bpf da obj "$TMP/nb.o" sec tc ||
	bail "tc could not attach the neighbour"
NB_MAP=$(bpftool -j prog show name nb_tc | jq -r '[if type == "array" then .[] else . end | .map_ids[]?][0]')
rm -rf "$NB_DIR"; mkdir -p "$NB_DIR"; bpftool map pin id "$NB_MAP" "$NB_DIR/nb_seen"
agent_start a7 --tc --tc-link netlink --tc-order first || diag "$TMP/a7.err"
check "netlink first: a7 says priority 1" grep -q 'netlink filter, priority 1 (first)' "$TMP/a7.err"
check "netlink first: tc lists ls_tc at pref 1 before nb_tc at pref 100" bash -c \
	"tc -n $NS_S filter show dev vs egress | grep -o 'pref [0-9]* bpf.*\(ls_tc\|nb_tc\)' | awk '{print \$2}' | paste -sd' ' | grep -qx '1 100'"
send 41007
check "netlink first: lockstep announced the 7001 flow" announced a7 41007 7001
check "netlink first: the neighbour after it saw 5 to 7001" test "$(seen 7001)" = 5
stop_agent
in_s_net "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" --tc --tc-link netlink --tc-order after=nb_tc \
	>/dev/null 2>"$TMP/a9.err"
check "netlink refuses before/after, saying what works" grep -q 'needs a TCX link' "$TMP/a9.err"
agent_start a8 --tc --tc-link netlink --tc-order last || diag "$TMP/a8.err"
check "netlink last: priority 65535" grep -q 'netlink filter, priority 65535 (last)' "$TMP/a8.err"
send 41008
check "netlink last: the neighbour first saw 5 more to 7001" test "$(seen 7001)" = 10
check "netlink last: lockstep never saw the 7001 flow" not announced a8 41008 7001
check "netlink last: lockstep saw the 7002 flow" announced a8 41008 7002

# ---- 6. an earlier agent's netlink filter gives way to a TCX link ----------------
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
agent_start a10 --tc || diag "$TMP/a10.err"
check "a10 attached a TCX link and removed the netlink filter" \
	grep -q "TCX link, placed first; the earlier agent's netlink filter removed" "$TMP/a10.err"
tc -n "$NS_S" filter show dev vs egress >"$TMP/tc.after"
diag "$TMP/tc.after"
check "tc no longer lists ls_tc; nb_tc stays" eval '! grep -q ls_tc "$TMP/tc.after" && grep -q nb_tc "$TMP/tc.after"'
check "the kernel lists ls_tc at TCX egress" test "$(order)" = "ls_tc"
check "no tc_egress pin is left" bash -c "! ls $PIN_DIR | grep -q '^tc_egress_'"
send 41010
check "TCX lockstep runs before the tc filter: it saw the 7001 flow" announced a10 41010 7001
stop_agent
check "stop leaves no lockstep program at egress" eval \
	'test -z "$(order)" && ! tc -n "$NS_S" filter show dev vs egress | grep -q ls_tc'
finish
