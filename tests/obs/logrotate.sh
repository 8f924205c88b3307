#!/usr/bin/env bash
# logrotate.sh - the structured log survives rotation the way operators do
# it: logrotate (Debian's, the real tool) renames --log's file and its
# postrotate sends SIGUSR1; the agent reopens the path, says so as the new
# file's first line, and writes on there, mode 0600; the renamed file keeps
# what came before. When the path cannot be reopened (a directory took its
# place) the agent keeps the old file, says why on stderr and in the log.
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
topo_init lrot
need_root
need logrotate jq
topo_up || bail "could not build the topology"
mkdir -p "$TMP/log"
LOG=$TMP/log/lockstep.jsonl
# not through in_s (a function: $! would be its subshell, not the agent)
ip netns exec "$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" --log "$LOG" \
	>"$TMP/agent.out" 2>"$TMP/agent.err" &
AGENT=$!
PIDS+=($AGENT)
wait_for 20 grep -q 'lockstep: running' "$TMP/agent.err" || { diag "$TMP/agent.err"; bail "the agent did not start"; }
check "the agent logs to --log (agent_start)" wait_for 5 grep -q '"kind":"agent_start"' "$LOG"
check "  the file is mode 0600 (it holds DPI names)" test "$(stat -c %a "$LOG")" = 600
cat >"$TMP/logrotate.conf" <<CONF
$LOG {
	rotate 3
	nocompress
	nocreate
	missingok
	postrotate
		kill -USR1 $AGENT
	endscript
}
CONF
# kind: the kinds of lines in FILE, in order
kinds() { jq -r .kind "$1" | tr '\n' ' '; }
logrotate -f -s "$TMP/logrotate.state" "$TMP/logrotate.conf" 2>"$TMP/logrotate.err"
check "logrotate -f rotates it (exit $?)" test -f "$LOG.1"
check "  the agent reopened the path: log_reopen is the new file's first line" \
	wait_for 5 bash -c "head -1 '$LOG' 2>/dev/null | grep -q '\"kind\":\"log_reopen\"'"
check "  the new file is mode 0600" test "$(stat -c %a "$LOG")" = 600
"$LS_BIN" trace level 1,0 >/dev/null 2>&1
check "  a later line goes to the new file ($(kinds "$LOG"))" wait_for 5 grep -q '"kind":"trace_level"' "$LOG"
check "  and the rotated one kept what came before, nothing after ($(kinds "$LOG.1"))" \
	bash -c "grep -q '\"kind\":\"agent_start\"' '$LOG.1' && ! grep -q '\"kernel\":1' '$LOG.1'"
logrotate -f -s "$TMP/logrotate.state" "$TMP/logrotate.conf" 2>>"$TMP/logrotate.err"
"$LS_BIN" trace level 0,0 >/dev/null 2>&1
check "a second rotation: .2 holds the first reopen, the new file the next line" \
	wait_for 5 bash -c "grep -q '\"kernel\":0' '$LOG' && grep -q '\"kernel\":1' '$LOG.1' && test -f '$LOG.2'"
# the path cannot be reopened: the agent keeps writing the old file
mv "$LOG" "$LOG.moved" && mkdir "$LOG"
kill -USR1 "$AGENT"
check "a path that cannot be reopened: the agent says why on stderr" \
	wait_for 5 grep -q "SIGUSR1: --log $LOG: .*still writing the old file" "$TMP/agent.err"
grep SIGUSR1 "$TMP/agent.err" | sed 's/^/# /'
check "  and in the log, which it keeps writing" \
	wait_for 5 grep -q '"kind":"log_reopen","msg":"--log' "$LOG.moved"
"$LS_BIN" trace level 1,0 >/dev/null 2>&1
check "  later lines still land there" wait_for 5 bash -c "tail -1 '$LOG.moved' | grep -q '\"kind\":\"trace_level\"'"
check "the agent is still running" kill -0 "$AGENT"
finish
