#!/usr/bin/env bash
# hold_loss.sh - where do held UDP requests go that are never answered?
# (docs/dataplane.md, "Hold", the loaded row of hold_bench.sh). One run of
# hold_bench.sh's loaded UDP measurement -- N request/answer exchanges on a
# new flow each, `lockstep run --default-verdict hold` with a policy that
# passes every new flow, `stress-ng --cpu 2` -- with every stage of a
# request's path counted, so that a request without an answer is found at
# the stage that lost it:
#   client sent / answered in time (3 s) / answered late (the answer met a
#   closed socket: UdpNoPorts in the client namespace);
#   kernel: held, refused a hold (hold_overflow), ring full, stale holds;
#   agent: held records received, re-injected, dropped, timeouts,
#   re-injection errors (lockstep_hold_* metrics);
#   the stack: requests the server's socket received and answers it sent
#   (counted by the server itself), UDP and backlog drop counters.
# An idle run first, then a loaded one, with one agent (as hold_bench.sh
# does: the second run meets flows of the first whose verdicts expired).
# It found the 3.5% of hold_bench.sh's loaded row: holds timed out on
# flows whose expired verdict had left them undecided (docs/dataplane.md,
# "Hold", Measured). Prints the accounting; asserts nothing. Needs root.
# HL_FLOWS (3000), HL_LOAD=0 for two idle runs.
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
: "${LS_BIN:=$LS_ROOT/build/lockstep}"
N=${HL_FLOWS:-3000}
. tests/integration/lib/topo.sh
need_root
topo_init hloss
topo_up || bail "could not build the topology"
G=$LS_ROOT/build/guests/test/minimal.wasm
[ -f "$G" ] || bail "$G not built (make guests)"

# the server counts the requests its socket received (each is answered)
cat >"$TMP/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
n = 0
while True:
    b, a = s.recvfrom(2048)
    s.sendto(b, a)
    if b == b"ping":
        n += 1
        with open(sys.argv[3], "w") as f:
            f.write("%d\n" % n)
PY
# the client of hold_bench.sh, printing the round trip or -1 per request
cat >"$TMP/rtt.py" <<'PY'
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lost = 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.bind(("", 0))
    s.sendto(b"ping", (host, port))
    try:
        s.recv(64)
    except socket.timeout:
        lost += 1
        print("lost %d port %d" % (i, s.getsockname()[1]), file=sys.stderr)
    s.close()
print(lost)
PY
in_s python3 "$TMP/echo.py" "$S4" 9999 "$TMP/server.count" &
EPID=$!
PIDS+=($EPID)
wait_for 5 in_s ss -lun 'sport = :9999' | grep -q 9999

agent_start hl --default-verdict hold --policy "$G" --metrics 127.0.0.1:0 ||
	{ diag "$TMP/hl.err"; bail "agent did not start"; }
PORT=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/hl.err" | head -1)
metric() { in_s curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
kcnt() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq -r "[.held, .hold_overflow, .ringbuf_full, .hold_stale, .pass, .verdict_expired, .sticky_pass] | @tsv"; }
nst() { ip netns exec "$1" nstat -az "$2" | awk -v m="$2" '$1 == m { print $2 }'; }
softdrop() { local s=0 x; while read -r _ x _; do s=$((s + 16#$x)); done </proc/net/softnet_stat; echo $s; }

in_c python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(b"ping-warm", ("'"$S4"'", 9999)); s.recv(64)' ||
	diag "warm-up request unanswered"
sleep 1.2

d() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", a - b }'; }
# phase LOAD(0|1): N requests, then the accounting of every stage
phase() {
	local k_held0 k_ovf0 k_rb0 k_st0 k_pass0 k_exp0 k_sticky0 lost load=idle
	local k_held k_ovf k_rb k_st k_pass k_exp k_sticky
	read -r k_held0 k_ovf0 k_rb0 k_st0 k_pass0 k_exp0 k_sticky0 <<<"$(kcnt)"
	local a_held0=$(metric lockstep_hold_held_total) a_rel0=$(metric lockstep_hold_released_total)
	local a_drop0=$(metric lockstep_hold_dropped_total) a_to0=$(metric lockstep_hold_timeout_total)
	local a_err0=$(metric lockstep_hold_reinject_errors_total)
	local c_noport0=$(nst "$NS_C" UdpNoPorts) s_rcvbuf0=$(nst "$NS_S" UdpRcvbufErrors)
	local sd0=$(softdrop) s_rx0=$(cat "$TMP/server.count" 2>/dev/null || echo 0) SPID=
	if [ "$1" = 1 ] && command -v stress-ng >/dev/null; then
		stress-ng --cpu 2 --timeout 600s >/dev/null 2>&1 &
		SPID=$!
		PIDS+=($SPID)
		sleep 1
		load="stress-ng --cpu 2"
	fi
	lost=$(in_c python3 "$TMP/rtt.py" "$S4" 9999 "$N" 2>"$TMP/lost")
	[ -n "$SPID" ] && { kill "$SPID"; wait "$SPID" 2>/dev/null; }
	sleep 4 # late answers arrive, the agent publishes its statistics
	read -r k_held k_ovf k_rb k_st k_pass k_exp k_sticky <<<"$(kcnt)"
	echo "# hold_loss: $N UDP requests on new flows, $load, $(nproc) CPUs, $(date -u +%FT%TZ)"
	printf '%-50s %s\n' "client: unanswered within 3 s" "$lost"
	printf '%-50s %s\n' "client: answers that met a closed socket (late)" "$(d "$(nst "$NS_C" UdpNoPorts)" "$c_noport0")"
	printf '%-50s %s\n' "kernel: held" "$(d "$k_held" "$k_held0")"
	printf '%-50s %s\n' "kernel: hold refused (hold_overflow)" "$(d "$k_ovf" "$k_ovf0")"
	printf '%-50s %s\n' "kernel: ring buffer full" "$(d "$k_rb" "$k_rb0")"
	printf '%-50s %s\n' "kernel: stale holds closed" "$(d "$k_st" "$k_st0")"
	printf '%-50s %s\n' "kernel: passed (not held: a reused port's flow)" "$(d "$k_pass" "$k_pass0")"
	printf '%-50s %s / %s\n' "kernel: ... of them after their verdict expired / sticky" "$(d "$k_exp" "$k_exp0")" "$(d "$k_sticky" "$k_sticky0")"
	printf '%-50s %s\n' "agent: held records received" "$(d "$(metric lockstep_hold_held_total)" "$a_held0")"
	printf '%-50s %s\n' "agent: re-injected" "$(d "$(metric lockstep_hold_released_total)" "$a_rel0")"
	printf '%-50s %s / %s\n' "agent: dropped / timeouts" "$(d "$(metric lockstep_hold_dropped_total)" "$a_drop0")" \
		"$(d "$(metric lockstep_hold_timeout_total)" "$a_to0")"
	printf '%-50s %s\n' "agent: re-injection errors" "$(d "$(metric lockstep_hold_reinject_errors_total)" "$a_err0")"
	printf '%-50s %s\n' "server socket: requests received (each answered)" "$(d "$(cat "$TMP/server.count")" "$s_rx0")"
	printf '%-50s %s\n' "server: UDP receive-buffer drops" "$(d "$(nst "$NS_S" UdpRcvbufErrors)" "$s_rcvbuf0")"
	printf '%-50s %s\n' "softnet backlog drops (all CPUs, whole host)" "$(d "$(softdrop)" "$sd0")"
	head -5 "$TMP/lost" | diag
}
# as in hold_bench.sh: an idle run, then a loaded one, one agent
phase 0
phase "${HL_LOAD:-1}"
kill "$AGENT"
wait "$AGENT" 2>/dev/null
