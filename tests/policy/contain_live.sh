#!/usr/bin/env bash
# contain_live.sh - a hostile guest against a live agent (issue 14).
# Memory: the agent runs under a memory cgroup cap (v2 memory.max, or v1
# memory.limit_in_bytes where v2 has no memory controller) of 768 MiB with a
# good policy; reloads of a table bomb (1000 tables of 2^20 entries, filled
# by its start function: 8 GiB) and of a memory bomb by its declared minimum
# (2000 pages, 125 MiB, with --max-memory-pages 4096 so that the budget is
# what refuses it) are refused naming what is over the budget; the agent is
# not OOM-killed and keeps its old policy, which still decides new flows. A
# guest that grows its memory and a table in a loop on every flow gets -1
# at the budget and keeps running.
# Time: with the heartbeat on (100 ms beats), a guest that loops forever in
# on_flow_new under a fuel budget of 4.6 x 10^18, while new flows keep
# arriving: every
# `lockstep status` is answered within 1 s, each callback is stopped by the
# deadline (guest_failed, failure "deadline"), no beat is missed, and the data
# plane enters fail-safe only as the beat health rule asks for an unhealthy
# guest, never for a stalled loop.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init contain
need wat2wasm jq
CAP=$((768 << 20))
CG=
cg_cleanup() {
	[ -n "$CG" ] || return 0
	# whatever is left in it goes back to the root before it is removed
	if [ -f "$CG/cgroup.procs" ]; then
		while read -r p; do echo "$p" >"$CG_ROOT/cgroup.procs" 2>/dev/null; done <"$CG/cgroup.procs"
	fi
	rmdir "$CG" 2>/dev/null
}
at_exit cg_cleanup
# a memory cgroup of our own: v2 when it has the memory controller, else v1
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	CG_ROOT=/sys/fs/cgroup CG=/sys/fs/cgroup/ls-contain-$$
	mkdir "$CG" && echo "$CAP" >"$CG/memory.max" && echo 0 >"$CG/memory.swap.max" 2>/dev/null
	cg_ooms() { awk '$1 == "oom_kill" {print $2}' "$CG/memory.events"; }
	cg_peak() { cat "$CG/memory.peak" 2>/dev/null || cat "$CG/memory.current"; }
elif [ -d /sys/fs/cgroup/memory ]; then
	CG_ROOT=/sys/fs/cgroup/memory CG=/sys/fs/cgroup/memory/ls-contain-$$
	mkdir "$CG" && echo "$CAP" >"$CG/memory.limit_in_bytes"
	echo "$CAP" >"$CG/memory.memsw.limit_in_bytes" 2>/dev/null
	cg_ooms() { awk '$1 == "oom_kill" {print $2}' "$CG/memory.oom_control"; }
	cg_peak() { cat "$CG/memory.max_usage_in_bytes"; }
else
	bail "no memory cgroup controller (v2 or v1) to cap the agent with"
fi
[ -d "$CG" ] || bail "could not make the memory cgroup $CG"

# ---- the modules (wat2wasm at test time) ----------------------------------------
ABI='(func (export "lockstep_abi_version") (result i32) i32.const 1)
 (func (export "lockstep_event_buffer") (result i32) i32.const 0)'
{
	echo '(module (memory (export "memory") 1)'
	for i in $(seq 0 999); do echo " (table \$t$i 1048576 funcref)"; done
	echo " (func \$fill"
	for i in $(seq 0 999); do echo "  (table.fill \$t$i (i32.const 0) (ref.null func) (i32.const 1048576))"; done
	echo " ) (start \$fill)"
	echo " $ABI)"
} >"$TMP/tablebomb.wat"
echo "(module (memory (export \"memory\") 2000) $ABI)" >"$TMP/membomb.wat"
# on every flow: memory.grow 64 (4 MiB) and table.grow 65536 until each says -1; then
# pass the flow (the verdict: flow handle, PASS = 1, ttl 0 from the ABI)
cat >"$TMP/grower.wat" <<EOF
(module
 (import "lockstep" "set_verdict" (func \$verdict (param i32 i32 i64) (result i32)))
 (memory (export "memory") 1) (table 0 funcref)
 $ABI
 (func (export "on_flow_new") (param i32) (result i32)
  (block \$b (loop \$l
   (br_if \$b (i32.eq (memory.grow (i32.const 64)) (i32.const -1))) (br \$l)))
  (block \$b (loop \$l
   (br_if \$b (i32.eq (table.grow 0 (ref.null func) (i32.const 65536)) (i32.const -1))) (br \$l)))
  (drop (call \$verdict (local.get 0) (i32.const 1) (i64.const 0)))
  (i32.const 0)))
EOF
for w in tablebomb membomb grower; do
	wat2wasm --enable-all "$TMP/$w.wat" -o "$TMP/$w.wasm" 2>"$TMP/$w.wat.err" ||
		{ diag "$TMP/$w.wat.err"; bail "wat2wasm $w.wat failed"; }
done
[ -f "$G/test/hostile.wasm" ] || bail "test guests not built (make guests)"

nginx_start || bail "nginx did not start"
# flows CLIENT_PORT_BASE N: N new connections (distinct client ports)
flows() {
	local i
	for ((i = 0; i < $2; i++)); do
		in_c curl -s -o /dev/null --max-time 1 --local-port $(($1 + i)) "http://$S4/" || true
		sleep 0.05
	done
}
# status_ok N: `lockstep status --json` answered N times in a row, each in
# under 1 s, 0.3 s apart (exit 0, or 1: answered, with the guest unhealthy,
# as a failing guest is; 3 is no answer)
status_ok() {
	local i t0 t1 rc
	for ((i = 0; i < $1; i++)); do
		t0=$(date +%s%N)
		timeout 5 "$LS_BIN" status --json >"$TMP/status.json" 2>"$TMP/status.err"
		rc=$?
		if [ $rc -gt 1 ] || ! jq -e .heartbeat "$TMP/status.json" >/dev/null 2>&1; then
			echo "status $i: exit $rc" | diag; diag "$TMP/status.err"; return 1
		fi
		t1=$(date +%s%N)
		if [ $(((t1 - t0) / 1000000)) -ge 1000 ]; then
			echo "status $i took $(((t1 - t0) / 1000000)) ms" | diag
			return 1
		fi
		sleep 0.3
	done
}
# policy_file: the policy the running agent has loaded (status --json)
policy_file() { timeout 5 "$LS_BIN" status --json 2>/dev/null | jq -r '.policy.path // empty'; }
# no_stall_failsafe AGENT LINE: after LINE of the agent's log, no fail-safe
# entry while the heartbeat still called the beats good: the only fail-safe
# allowed is the one the beat health rule asks for on purpose because the
# guest is unhealthy ("beats are not good: the policy side is unhealthy,
# fail-safe follows", docs/clock.md), never one from a stalled loop
no_stall_failsafe() {
	# with N workers a worker whose guest fails is silenced by the same
	# health rule, for its shard alone: its worker_health line (good false,
	# a reason other than a stall) comes before its shard's fail-safe.
	# The health state is read from the agent's first line: the adopted
	# flows' callbacks can make the guest fail (and its worker_health line
	# be written) just before LINE, its shard's fail-safe just after.
	awk -v from="$2" '
		/beats are not good: the policy side is unhealthy/ {bad = 1}
		/beats are good again/ {bad = 0}
		/"kind":"worker_health"/ {
			match($0, /"worker":[0-9]+/); w = substr($0, RSTART + 9, RLENGTH - 9)
			wbad[w] = /"good":false/ && !/made no progress/
		}
		/entered fail-safe/ && NR >= from {
			w = ""
			if (match($0, /"worker":[0-9]+/)) w = substr($0, RSTART + 9, RLENGTH - 9)
			if (!bad && !(w != "" && wbad[w])) {print; stall = 1}
		}
		END {exit stall}' "$TMP/$1.err" | diag
	return "${PIPESTATUS[0]}"
}

# ---- memory ---------------------------------------------------------------------------
# "passive": the allowlist decides in on_dpi and drops (the verdict checked below)
cp "$G/allowlist.wasm" "$TMP/good.wasm"
if agent_start a1 --heartbeat --max-memory-pages 4096 --policy "$TMP/good.wasm" \
	--policy-config 'allowed.test passive'; then
	ok "agent runs the allowlist policy"
else
	not_ok "agent runs the allowlist policy"; diag "$TMP/a1.err"; exit 1
fi
echo "$AGENT" >"$CG/cgroup.procs"
check "the agent is in a memory cgroup capped at $((CAP >> 20)) MiB" \
	grep -qx "$AGENT" "$CG/cgroup.procs"
OOM0=$(cg_ooms)
"$LS_BIN" reload --policy "$TMP/tablebomb.wasm" >"$TMP/bomb.out" 2>&1
RC=$?
diag "$TMP/bomb.out"
check "the table bomb's reload is refused (exit 1)" test "$RC" = 1
check "  naming what is over the budget and the option" grep -q \
	'table 0: 1048576 elements × 8 bytes = 8 MiB), more than the instance memory budget of 64 MiB (--guest-memory)' \
	"$TMP/bomb.out"
"$LS_BIN" reload --policy "$TMP/membomb.wasm" >"$TMP/mbomb.out" 2>&1
RC=$?
diag "$TMP/mbomb.out"
check "the memory bomb's reload is refused (exit 1)" test "$RC" = 1
check "  naming its memory" grep -q \
	'memory 0: 2000 pages × 64 KiB = 125 MiB exceeds the instance memory budget of 64 MiB (--guest-memory)' \
	"$TMP/mbomb.out"
check "the agent survived" kill -0 "$AGENT"
check "  no OOM kill in its cgroup" test "$(cg_ooms)" = "$OOM0"
check "  and keeps its old policy" test "$(policy_file)" = "$TMP/good.wasm"
flows 61000 1
check "  which still decides new flows (allowlist: a drop for an unlisted Host)" \
	wait_for 3 verdict_for a1 61000 drop
# a guest that grows to the budget on every flow: -1, not a trap, not a kill
"$LS_BIN" reload --policy "$TMP/grower.wasm" >"$TMP/grow.out" 2>&1
check "the grow-loop guest loads" grep -q reloaded "$TMP/grow.out"
flows 61010 5
check "  its flows get its verdict (it ran to the end of its loops)" wait_for 3 verdict_for a1 61014 pass
check "  never trapping on a grow (a refused grow is -1)" \
	bash -c "! grep guest_failed '$TMP/a1.err' | grep -v '\"failure\":\"deadline\"' | grep -q ."
check "  the agent survived it" kill -0 "$AGENT"
check "  no OOM kill in its cgroup" test "$(cg_ooms)" = "$OOM0"
echo "cgroup peak: $(($(cg_peak) >> 20)) MiB of $((CAP >> 20)) MiB" | diag
kill -TERM "$AGENT"
wait "$AGENT"

# ---- time -----------------------------------------------------------------------------
if agent_start a2 --heartbeat --fuel 4611686018427387903 --policy "$G/test/hostile.wasm" \
	--policy-config loop; then
	ok "agent runs a guest that loops forever, fuel 4.6 x 10^18"
else
	not_ok "agent runs the looping guest"; diag "$TMP/a2.err"; exit 1
fi
sleep 1 # the first beats, then count from here
FROM=$(($(wc -l <"$TMP/a2.err") + 1))
flows 62000 60 &
FL=$!
PIDS+=($FL)
check "status answers within 1 s, 12 times, while flows run into the loop" status_ok 12
wait "$FL"
check "  the callbacks were stopped by the deadline" grep -q '"failure":"deadline"' "$TMP/a2.err"
check "  no fail-safe from a stalled loop (only the health rule's, for the failing guest)" \
	no_stall_failsafe a2 "$FROM"
check "  the beats kept coming: none missed" \
	test "$(jq -r '.heartbeat.missed' "$TMP/status.json")" = 0
check "the agent is still running" kill -0 "$AGENT"
kill -TERM "$AGENT"
wait "$AGENT"
finish
