#!/usr/bin/env bash
# write_errors.sh - output files that stop taking writes, for real: the log
# and the trace each on a tmpfs of 64 KiB (mount -t tmpfs -o size=64k) that
# is then filled up. For each: the failure is said once (the trace's in the
# log, the log's own on stderr, the journal under systemd), however many
# writes fail; lockstep_output_write_errors_total{file=...} counts them; the
# output_write alarm opens (metrics, `lockstep status`); once space is
# freed the next write works and the recovery is said once (with the lines
# lost, for the log); no half line is left in the log. The mounts are
# removed on every exit path.
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
topo_init werr
need_root
need jq curl
PROMCHECK=$LS_ROOT/build/asan/tools/promcheck
metric() { "$PROMCHECK" "$1" "$2" 2>/dev/null; }
mkdir -p "$TMP/logfs" "$TMP/tracefs"
# registered before mounting, run after the agent is stopped (latest first)
at_exit 'umount -l "$TMP/logfs" 2>/dev/null; umount -l "$TMP/tracefs" 2>/dev/null'
mount -t tmpfs -o size=64k,mode=0700 lswerr-log "$TMP/logfs" || bail "mount tmpfs"
mount -t tmpfs -o size=64k,mode=0700 lswerr-trace "$TMP/tracefs" || bail "mount tmpfs"
topo_up || bail "could not build the topology"
LOG=$TMP/logfs/lockstep.jsonl
agent_start a --log "$LOG" --trace "$TMP/tracefs/trace.json" --metrics 127.0.0.1:0 ||
	{ diag "$TMP/a.err"; bail "the agent did not start"; }
port=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/a.err" | head -1)
scrape() { in_s curl -sS --max-time 5 -o "$1" "http://127.0.0.1:$port/metrics"; }
# fill DIR: a file taking every byte left
fill() { dd if=/dev/zero of="$1/filler" bs=4k >/dev/null 2>&1; sync; }
nkind() { grep -c "\"kind\":\"$2\"" "$1" 2>/dev/null; }

# --- the trace
fill "$TMP/tracefs"
for i in 1 2 3; do "$LS_BIN" trace dump >"$TMP/dump$i.out" 2>&1; done
check "a trace dump onto a full disk is refused ($(head -c 120 "$TMP/dump1.out"))" \
	grep -q "No space left on device" "$TMP/dump1.out"
scrape "$TMP/m1.prom"
v=$(metric "$TMP/m1.prom" 'lockstep_output_write_errors_total{file="trace"}')
check "  lockstep_output_write_errors_total{file=\"trace\"} counts the 3 ($v)" test "$v" = 3
check "  the log says it once ($(nkind "$LOG" trace_write_error) trace_write_error lines)" \
	test "$(nkind "$LOG" trace_write_error)" = 1
check "  the output_write alarm is raised (metric)" \
	test "$(metric "$TMP/m1.prom" 'lockstep_alarm_active{kind="output_write"}')" = 1
"$LS_BIN" status --json >"$TMP/status1" 2>/dev/null
check "  lockstep status lists it open" jq -e 'any(.alarms[]; .kind == "output_write" and .open)' "$TMP/status1"
rm -f "$TMP/tracefs/filler"
check "space freed: the next dump works" "$LS_BIN" trace dump
check "  and the recovery is said once" test "$(nkind "$LOG" trace_write_recovered)" = 1
check "  the trace file is there, whole" jq -e '.traceEvents | length > 0' "$TMP/tracefs/trace.json"

# --- the log
rm -f "$TMP/tracefs/trace.json"
fill "$TMP/logfs"
# the log file's last page still takes lines: log until writes fail (one
# line of ~150 bytes per request; the rate limit lets 10 a second through)
lost() {
	scrape "$TMP/m2.prom" &&
		v=$(metric "$TMP/m2.prom" 'lockstep_output_write_errors_total{file="log"}') &&
		test "${v:-0}" -ge 5
}
for i in $(seq 1 150); do
	"$LS_BIN" trace level $((i % 2)),0 >/dev/null 2>&1
	[ $((i % 10)) = 0 ] && lost && break
	sleep 0.05
done
lost
check "a full log disk: lockstep_output_write_errors_total{file=\"log\"} counts the lines lost ($v)" \
	test "${v:-0}" -ge 5
check "  stderr says it once ($(nkind "$TMP/a.err" log_write_error) log_write_error lines)" \
	test "$(nkind "$TMP/a.err" log_write_error)" = 1
grep log_write_error "$TMP/a.err" | head -1 | diag
check "  the output_write alarm is open" \
	test "$(metric "$TMP/m2.prom" 'lockstep_alarm_active{kind="output_write"}')" = 1
rm -f "$TMP/logfs/filler"
sleep 2.2 # the rate limit's bucket refills: the next line is written
"$LS_BIN" trace level 0,0 >/dev/null 2>&1
check "space freed: the log says once that writes work again, with the lines lost" \
	wait_for 5 bash -c "test \$(grep -c '\"kind\":\"log_write_recovered\"' '$LOG') = 1 &&
		grep '\"kind\":\"log_write_recovered\"' '$LOG' | jq -e '.lost >= 5' >/dev/null"
check "  and the line that went through comes right after it" \
	bash -c "grep -A1 '\"kind\":\"log_write_recovered\"' '$LOG' | tail -1 | grep -q '\"kind\":\"trace_level\"'"
check "  every line of the log is whole JSON (no line cut by the full disk)" \
	bash -c "jq -c . '$LOG' >/dev/null"
check "  stderr says the recovery once" test "$(nkind "$TMP/a.err" log_write_recovered)" = 1
check "the agent kept running" kill -0 "$AGENT"
finish
