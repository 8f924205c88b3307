#!/usr/bin/env bash
# refuse_early.sh - every option `lockstep run` would refuse is refused
# before anything is attached (issue 14): exit 2, one line on stderr naming
# the option, and nothing left behind — no XDP program on the interface, no
# pin directory, no control socket, no log file. Each case was refused only
# after the attach before (exit 1, the data plane left attached and pinned).
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init refuse

need_root
need python3
topo_up || bail "could not build the topology"
mkdir -p "$TMP/adir"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' a >"$TMP/big.cfg"
echo "not wasm" >"$TMP/bad.wasm"
POL=$LS_ROOT/build/guests/allowlist.wasm
# a port already taken in the server namespace
in_s python3 -c 'import socket,time; s=socket.socket(); s.bind(("198.18.1.2",19470)); s.listen(); time.sleep(120)' &
PIDS+=($!)
wait_for 5 bash -c "ip netns exec $NS_S ss -ltn | grep -q 198.18.1.2:19470"

# refused WHAT PATTERN ARGS...: exit 2, one line matching PATTERN, nothing
# attached or left
refused() {
	local what=$1 pat=$2; shift 2
	rm -rf "$TMP/sock"
	nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" \
		--control-socket "$TMP/sock/control.sock" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$? n
	n=$(wc -l <"$TMP/err")
	if [ $rc = 2 ] && [ "$n" = 1 ] && grep -q -- "$pat" "$TMP/err" && [ ! -e "$PIN_DIR" ] &&
		[ -z "$(xdp_prog_id)" ] && [ ! -e "$TMP/sock/control.sock" ]; then
		ok "$what: exit 2, one line, nothing attached or pinned"
	else
		not_ok "$what: rc $rc, $n lines, pins $([ -e "$PIN_DIR" ] && echo left || echo none), xdp '$(xdp_prog_id)'"
		diag "$TMP/err"
	fi
}

refused "--policy that is not Wasm" "^lockstep run: --policy $TMP/bad.wasm" --policy "$TMP/bad.wasm"
refused "--policy that is a directory" "not a regular file" --policy "$TMP/adir"
refused "--policy-config @/dev/zero" "^lockstep run: --policy-config /dev/zero: not a regular file" \
	--policy "$POL" --policy-config @/dev/zero
refused "--policy-config @DIR" "not a regular file" --policy "$POL" --policy-config "@$TMP/adir"
refused "--policy-config @FILE over 1 MiB" "larger than 1 MiB" --policy "$POL" --policy-config "@$TMP/big.cfg"
refused "--tc-order without --tc" "^lockstep run: --tc-order and --tc-link need --tc" --tc-order last
refused "--tc-order with a bad place" "^lockstep run: --tc-order wants first, last" --tc --tc-order middle
refused "--tc-link with a bad word" "^lockstep run: --tc-link wants auto, tcx or netlink" --tc --tc-link ebpf
refused "--metrics with a bad address" "^lockstep run: --metrics wants HOST:PORT" --metrics 999.1.1.1:1
refused "--metrics on a port in use" "^lockstep run: --metrics 198.18.1.2:19470: cannot listen there" \
	--metrics 198.18.1.2:19470
refused "--log in a missing directory" "^lockstep run: --log $TMP/nodir/x.log: cannot write in" \
	--log "$TMP/nodir/x.log"
check "  and no log file was created" test ! -e "$TMP/nodir"
refused "--log that is a directory" "^lockstep run: --log $TMP/adir: not a regular file" --log "$TMP/adir"
refused "--trace in a missing directory" "^lockstep run: --trace $TMP/nodir/t.json: cannot write in" \
	--trace "$TMP/nodir/t.json"
refused "--state-dir that is a file" "^lockstep run: --state-dir $TMP/big.cfg: not a directory" \
	--policy "$POL" --state-dir "$TMP/big.cfg"
refused "--state-dir that is missing" "^lockstep run: --state-dir $TMP/nodir: No such file" \
	--policy "$POL" --state-dir "$TMP/nodir"
mkdir -p "$TMP/sdir/kv.state"
refused "--state-dir whose kv.state is a directory" \
	"^lockstep run: --state-dir $TMP/sdir: $TMP/sdir/kv.state is not a regular file" \
	--policy "$POL" --state-dir "$TMP/sdir"
rm -rf "$TMP/sock"
nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface nosuch0 --pin-dir "$PIN_DIR" \
	--control-socket "$TMP/sock/control.sock" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--iface that does not exist: exit 2, one line" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -q \"no interface named 'nosuch0'\" '$TMP/err' && [ ! -e '$PIN_DIR' ]"

# a second agent on a control socket a running one holds
agent_start first --control-socket "$TMP/ctl.sock" || { diag "$TMP/first.err"; bail "agent did not start"; }
FIRST_XDP=$(xdp_prog_id)
nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR.2" \
	--control-socket "$TMP/ctl.sock" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a second agent on a socket another agent holds: exit 2, one line" \
	bash -c "[ $rc = 2 ] && [ \$(wc -l <'$TMP/err') = 1 ] && grep -q 'another lockstep agent is running: it listens on $TMP/ctl.sock' '$TMP/err'"
check "  it pinned nothing and left the first agent's program in place" \
	bash -c "[ ! -e '$PIN_DIR.2' ] && [ '$(xdp_prog_id)' = '$FIRST_XDP' ]"
check "  the first agent still answers on its socket" quiet "$LS_BIN" status --control-socket "$TMP/ctl.sock"
rm -rf "$PIN_DIR.2" 2>/dev/null
finish
