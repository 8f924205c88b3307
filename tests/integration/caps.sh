#!/usr/bin/env bash
# caps.sh - the agent runs with the least privilege the systemd unit gives
# it: as user nobody holding only the capabilities the unit's
# CapabilityBoundingSet names (less CAP_NET_RAW, which only hold's
# re-injection uses), on a bpffs of its own. It attaches XDP and TC, runs
# the heartbeat and a policy, decides real connections and answers on its
# control socket; the kernel (/proc/PID/status, decoded by capsh) says it
# held exactly those capabilities and that uid. Each of them is necessary:
# without any one the agent stops at start with a message naming them all.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init caps
need_root
need setpriv capsh unshare curl nginx
UNIT=$LS_ROOT/packaging/lockstep.service.in
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' | grep -v '^CAP_NET_RAW$' |
	tr 'A-Z' 'a-z' | sort)
[ -n "$caps" ] || bail "no CapabilityBoundingSet in $UNIT"
topo_up || bail "could not build the topology"
nginx_start || bail "nginx did not start"
NOBODY=$(id -u nobody)
R=$TMP/run # the agent's own files: nobody must reach them
mkdir -p "$R" && chmod 711 "$TMP" && chmod 777 "$R"
cp "$LS_ROOT/build/guests/allowlist.wasm" "$R/" && chmod 644 "$R/allowlist.wasm"

# run_as_nobody NAME CAPS [run options...]: the agent in the server
# namespace, in a mount namespace with a private bpffs at $R/NAME.bpf
run_as_nobody() {
	local name=$1 set=$2; shift 2
	local b=$R/$name.bpf
	mkdir -p "$b"
	nsenter --net=/run/netns/"$NS_S" unshare --mount --propagation private sh -c \
		'b=$1 set=$2; shift 2; mount -t bpf bpf "$b" && chown nobody "$b" &&
		 exec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all,$set \
			--ambient-caps=-all,$set --bounding-set=-all,$set "$@"' \
		sh "$b" "$set" "$LS_BIN" run --iface vs --pin-dir "$b/v1" \
		--control-socket "$R/$name.sock" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" &
	AGENT=$!
	PIDS+=($AGENT)
}
setpriv_caps() { echo "$@" | sed 's/cap_/+/g; s/ /,/g'; }

# "passive": the allowlist decides in on_dpi, so its verdict is on stdout
# (its default pushes kernel rules instead: inline_live.sh)
run_as_nobody a1 "$(setpriv_caps $caps)" --tc --heartbeat \
	--policy "$R/allowlist.wasm" --policy-config '*.allowed.test passive'
if wait_for 20 grep -q 'lockstep: running' "$TMP/a1.err"; then
	ok "the agent runs as nobody with $(echo $caps) alone"
else
	not_ok "the agent runs as nobody with $(echo $caps) alone"
	diag "$TMP/a1.err"
	exit 1
fi
check "  attached XDP and TC egress" grep -q 'attached XDP to vs' "$TMP/a1.err"
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/"$AGENT"/status)
check "  the kernel says its uid is nobody's ($NOBODY): $uids" \
	test "$uids" = "$NOBODY $NOBODY $NOBODY $NOBODY"
eff=$(caps_of "$AGENT" CapEff)
check "  and its effective capabilities are exactly the unit's: $eff" \
	test "$eff" = "$(echo $caps) "
bnd=$(caps_of "$AGENT" CapBnd)
check "  its bounding set too: it can never gain another ($bnd)" test "$bnd" = "$(echo $caps) "

code=$(in_c curl -s -o /dev/null --max-time 5 -w '%{http_code}' -H 'Host: www.allowed.test' "http://$S4/")
check "a connection to an allowed host is answered ($code)" test "$code" = 200
check "  the agent saw it (flow_new on stdout)" \
	wait_for 5 grep -q "\"event\":\"flow_new\".*\"dst\":\"$S4\",\"dport\":80" "$TMP/a1.json"
check "  and its policy decided it (verdict pass)" \
	wait_for 5 grep -q '"event":"verdict".*"verdict":"pass"' "$TMP/a1.json"
"$LS_BIN" status --control-socket "$R/a1.sock" >"$TMP/status.txt" 2>&1
check "lockstep status (root) reaches nobody's control socket" grep -q '^guest: *healthy' "$TMP/status.txt"
diag "$TMP/status.txt"
kill "$AGENT" 2>/dev/null
wait "$AGENT" 2>/dev/null

# each capability is necessary
i=2
for drop in $caps; do
	rest=$(echo $caps | tr ' ' '\n' | grep -vx "$drop" | tr '\n' ' ')
	run_as_nobody "a$i" "$(setpriv_caps $rest)" --heartbeat
	wait_for 20 bash -c "! kill -0 $AGENT 2>/dev/null"
	wait "$AGENT" 2>/dev/null
	rc=$?
	check "without $drop the agent stops at start (exit $rc)" test "$rc" = 1
	check "  saying which capabilities it needs" \
		grep -q 'needs root or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON' "$TMP/a$i.err"
	tail -1 "$TMP/a$i.err" | sed 's/^/# /'
	i=$((i + 1))
done
finish
