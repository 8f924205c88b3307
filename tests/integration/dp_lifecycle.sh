#!/usr/bin/env bash
# dp_lifecycle.sh - the data plane's life on a real veth in network
# namespaces: attach (native, generic, TC egress), pins, a second agent
# refused, SIGKILL + restart adopting the pins with the program never
# detached while a transfer runs through it, SIGTERM leaving it attached,
# --detach-on-exit and `lockstep stop` removing it, and CLI usage errors.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init dplife

need_root
topo_up || bail "could not build the topology"
nginx_start || { diag "$TMP/nginx-error.log"; bail "nginx did not start"; }

# ---- usage errors: exit 2 with a message ---------------------------------
usage_err() { # ARGS...: exit status 2 and something on stderr
	"$LS_BIN" "$@" >/dev/null 2>"$TMP/usage.err"; local rc=$?
	[ $rc -eq 2 ] && [ -s "$TMP/usage.err" ]
}
check "run without --iface is a usage error" usage_err run --pin-dir "$PIN_DIR"
check "run --default-verdict maybe is a usage error" usage_err run --iface vs --default-verdict maybe
check "run --xdp-mode hw is a usage error" usage_err run --iface vs --xdp-mode hw
check "run --bogus is a usage error" usage_err run --bogus
check "verdict set with a bad tuple is a usage error" usage_err verdict set --flow 'tcp 1.2.3.4 80' drop
check "verdict set with a bad ttl is a usage error" usage_err verdict set --flow 'tcp 198.18.1.1 1 198.18.1.2 80' drop --ttl 5x
check "verdict set without a verdict is a usage error" usage_err verdict set --flow 'tcp 198.18.1.1 1 198.18.1.2 80'
for c in run stop verdict flows counters; do
	check "$c --help exits 0 with usage" bash -c "'$LS_BIN' $c --help | grep -q usage"
done
check "run on a missing interface fails clearly" bash -c \
	"! nsenter --net=/run/netns/$NS_S '$LS_BIN' run --iface nosuch0 --pin-dir $PIN_DIR 2>&1 | grep -q \"no interface named 'nosuch0'\" && exit 1 || exit 0"
check "a failed start leaves no pins behind" test ! -e "$PIN_DIR/flows"
check "flows without pins says where it looked" bash -c \
	"'$LS_BIN' flows --pin-dir $PIN_DIR 2>&1 | grep -q 'no lockstep data plane pinned in $PIN_DIR'"

# ---- attach ----------------------------------------------------------------
if agent_start a1; then ok "agent attaches"; else not_ok "agent attaches"; diag "$TMP/a1.err"; exit 1; fi
A1=$AGENT
check "attached in native mode (veth supports it)" grep -q 'attached XDP to vs in native mode' "$TMP/a1.err"
ID1=$(xdp_prog_id)
check "ip link shows an XDP program on vs" test -n "$ID1"
check "bpftool sees ls_xdp attached" bash -c "bpftool prog show id $ID1 | grep -q ls_xdp"
for p in flows verdicts config liveness counters events verdict_gen hold_slots link_xdp; do
	check "pin $p exists" test -e "$PIN_DIR/$p"
done
# exactly this link: of type xdp, holding the program ip link shows on vs
# (not any XDP link: a grep for "xdp" matched every one)
bpftool link show pinned "$PIN_DIR/link_xdp" -j >"$TMP/link.json" 2>&1
check "the pinned link is the XDP link of vs (prog $ID1)" jq -e \
	--argjson p "${ID1:-0}" '.type == "xdp" and .prog_id == $p' "$TMP/link.json"
check "ping passes through the data plane" quiet in_c ping -q -c 3 -i 0.2 -W 2 $S4
check "counters count packets" bash -c \
	"'$LS_BIN' counters --json --pin-dir $PIN_DIR | jq -e '.pkts >= 3 and .pass >= 3' >/dev/null"
check "default config written (pass, 4 dpi packets)" grep -q 'default verdict pass, dpi packets 4' "$TMP/a1.err"

nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" >/dev/null 2>"$TMP/a2.err"
check "a second agent on the same pins is refused" grep -q 'another lockstep agent is running' "$TMP/a2.err"

# ---- SIGKILL + restart while a transfer runs ---------------------------------
in_c curl -sS -o "$TMP/big.out" --limit-rate 400k --max-time 90 http://$S4/big.bin 2>"$TMP/curl.err" &
CURL=$!
PIDS+=($CURL)
wait_for 5 bash -c "[ -s '$TMP/big.out' ]"
# state written before the kill must be there after it (maps adopted)
"$LS_BIN" verdict set --pin-dir "$PIN_DIR" --flow "udp $C4 5000 $S4 5001" pass 2>/dev/null
PK1=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq .pkts)
kill -9 "$A1"
wait "$A1" 2>/dev/null
check "after SIGKILL the program stays attached" test "$(xdp_prog_id)" = "$ID1"
check "after SIGKILL the pins stay" test -e "$PIN_DIR/link_xdp"
sleep 1 # the thing under test: a moment with no agent at all
if agent_start a3; then ok "agent restarts"; else not_ok "agent restarts"; diag "$TMP/a3.err"; fi
A3=$AGENT
# the pinned maps, counted by hand from docs/dataplane.md: flows, verdicts,
# config, liveness, counters, events, verdict_gen, hold_slots, rules_name,
# rules_prefix, shard_cfg, shard_rings, shard_live
check "the new agent reports adopting the pins (13 maps)" grep -q 'adopted the data plane pinned in .*13 maps.*nothing re-attached' "$TMP/a3.err"
check "the same program is still attached (no re-attach)" test "$(xdp_prog_id)" = "$ID1"
check "the transfer is still running across the restart" kill -0 "$CURL"
wait "$CURL"; CRC=$?
check "the transfer completes (curl exit 0)" test "$CRC" -eq 0
check "every byte arrived" test "$(stat -c %s "$TMP/big.out" 2>/dev/null)" = "$(stat -c %s "$TMP/www/big.bin")"
[ "$CRC" -eq 0 ] || diag "$TMP/curl.err"
PK2=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq .pkts)
check "counters kept counting across the restart ($PK1 -> $PK2)" test "${PK2:-0}" -gt "${PK1:-0}"
check "a verdict set before the kill is still there" bash -c \
	"'$LS_BIN' verdict get --pin-dir $PIN_DIR --flow 'udp $S4 5001 $C4 5000' | grep -q '\"verdict\":\"pass\"'"

# ---- SIGTERM without --detach-on-exit leaves everything -------------------
kill -TERM "$A3"; wait "$A3"; RC=$?
check "SIGTERM exits 0" test "$RC" -eq 0
check "SIGTERM says it leaves the data plane attached" grep -q 'stays attached' "$TMP/a3.err"
check "after SIGTERM the program is still attached" test "$(xdp_prog_id)" = "$ID1"

# ---- a lost map pin: fresh map, program swapped in place onto it -----------
LINK1=$(bpftool link show pinned "$PIN_DIR/link_xdp" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p')
rm -f "$PIN_DIR/counters"
agent_start a3b || diag "$TMP/a3b.err"
check "a lost map pin: the program is replaced in place" grep -q 'replaced it in place' "$TMP/a3b.err"
check "a lost map pin: still the same link (no re-attach)" test "$(bpftool link show pinned "$PIN_DIR/link_xdp" 2>/dev/null | sed -n 's/^\([0-9]*\):.*/\1/p')" = "$LINK1"
check "a lost map pin: a new program is attached" test "$(xdp_prog_id)" != "$ID1"
check "a lost map pin: the map is pinned again" test -e "$PIN_DIR/counters"
quiet in_c ping -q -c 2 -i 0.2 -W 2 $S4
check "a lost map pin: the new map counts" bash -c \
	"'$LS_BIN' counters --json --pin-dir $PIN_DIR | jq -e '.pkts >= 2' >/dev/null"
kill -TERM "$AGENT"; wait "$AGENT"

# ---- lockstep stop with a running agent ------------------------------------
agent_start a4 || diag "$TMP/a4.err"
A4=$AGENT
"$LS_BIN" stop --pin-dir "$PIN_DIR" 2>"$TMP/stop.err"; RC=$?
check "stop exits 0" test "$RC" -eq 0
check "stop detaches XDP from vs" test -z "$(xdp_prog_id)"
check "stop removes the pin dir" test ! -e "$PIN_DIR"
check "the running agent notices and exits 0" bash -c "timeout 5 tail --pid=$A4 -f /dev/null; wait $A4 2>/dev/null; ! kill -0 $A4 2>/dev/null"
check "the agent said why it exits" grep -q 'stopped from outside' "$TMP/a4.err"
check "stop with nothing pinned is fine" bash -c "'$LS_BIN' stop --pin-dir $PIN_DIR 2>&1 | grep -q 'nothing to stop'"
check "traffic flows after stop" in_c curl -sS -o /dev/null --max-time 5 http://$S4/

# ---- generic mode, TC egress, --detach-on-exit ---------------------------------
agent_start a5 --xdp-mode generic --tc --detach-on-exit || diag "$TMP/a5.err"
A5=$AGENT
check "generic mode asked, generic mode reported" grep -q 'attached XDP to vs in generic mode' "$TMP/a5.err"
check "ip link shows xdpgeneric" bash -c "ip -n $NS_S link show vs | grep -q xdpgeneric"
# a TCX link on this kernel (>= 6.6); tests/integration/tc_neighbours.sh
# has the netlink fallback
TCX_SHOW="nsenter --net=/run/netns/$NS_S $LS_ROOT/build/asan/tools/tcx_tool show vs"
check "TC egress: a TCX link runs ls_tc" bash -c "$TCX_SHOW | grep -q ls_tc"
check "TC egress: the TCX link is pinned" test -e "$PIN_DIR/link_tc_egress"
check "traffic passes with XDP generic + TC" in_c curl -sS -o /dev/null --max-time 5 http://$S4/
kill -TERM "$A5"; wait "$A5"; RC=$?
check "--detach-on-exit: SIGTERM exits 0" test "$RC" -eq 0
check "--detach-on-exit: XDP detached" test -z "$(xdp_prog_id)"
check "--detach-on-exit: TCX link removed" bash -c "! $TCX_SHOW | grep -q ls_tc"
check "--detach-on-exit: pins removed" test ! -e "$PIN_DIR"
check "--detach-on-exit: said so" grep -q 'detached and removed the pins' "$TMP/a5.err"
