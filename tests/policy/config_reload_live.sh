#!/usr/bin/env bash
# config_reload_live.sh - SIGHUP re-reads `--config FILE` (docs/
# configuration.md, "Reload"), live: an agent runs the allowlist policy
# from a file, with --log-level info on the command line beside it.
#  - v2 of the file changes the policy's configuration (another host
#    allowed), the print filter (flow_new off stdout), a detector threshold
#    (latency-budget 10s -> 1us), the file's log-level (debug; the flag
#    still wins) and the ring size (a restart's): after SIGHUP the new host
#    passes and the old one is dropped (the guest's verdicts), stdout has no
#    flow_new while DPI and verdict lines go on, the verdict-latency alarm
#    opens, the log says config_changed for policy-config, print and alarm,
#    config_needs_restart for ringbuf-size (the running value kept), and
#    nothing for log-level; the level stays info (no debug line);
#  - v3 has an unknown key on line 4: refused (config_refused, the file and
#    line in the log and on stderr), and the agent keeps v2's behaviour;
#  - v4 names another policy module file: loaded (policy changed).
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init cfgrl
need jq
nginx_start || bail "nginx did not start"
CFG=$TMP/agent.yaml
LOG=$TMP/agent.jsonl
cp "$G/allowlist.wasm" "$TMP/p1.wasm"
cp "$G/allowlist.wasm" "$TMP/p2.wasm"
v1() {
	cat >"$CFG" <<EOF
tc: true
log-level: warn
policy: $TMP/p1.wasm
policy-config: "one.test ttl_ms=0 passive"
alarm: [latency-budget=10s]
EOF
}
v1
agent_start a1 --config "$CFG" --log-level info --log "$LOG" ||
	{ diag "$TMP/a1.err"; bail "the agent did not start from the file"; }
req() { fetch "r$2" "http://$S4/" -H "Host: $1" --local-port "$2"; }
req one.test 41001
req two.test 41002
check "v1: one.test passes by the guest's verdict" wait_for 5 verdict_for a1 41001 pass
check "v1: two.test is dropped by the guest's verdict" wait_for 5 verdict_for a1 41002 drop
check "v1: flow_new lines on stdout" grep -q '"event":"flow_new"' "$TMP/a1.json"

cat >"$CFG" <<EOF
tc: true
log-level: debug
policy: $TMP/p1.wasm
policy-config: "two.test ttl_ms=0 passive"
alarm: [latency-budget=1us]
print: all,-flow_new
ringbuf-size: 8M
EOF
NL=$(wc -l <"$LOG")
kill -HUP "$AGENT"
check "v2: SIGHUP re-read the file" wait_for 5 grep -q '"kind":"config_reloaded"' "$LOG"
SO=$(wc -l <"$TMP/a1.json")
changed() { tail -n +"$((NL + 1))" "$LOG" | jq -e -s --arg k "$1" --arg kind "$2" 'any(.[]; .kind == $kind and .key == $k)' >/dev/null; }
for k in policy-config print alarm; do
	check "  $k: config_changed in the log" changed "$k" config_changed
done
check "  ringbuf-size: config_needs_restart, was unset, now 8M" \
	bash -c "tail -n +$((NL + 1)) '$LOG' | jq -e -s 'any(.[]; .kind == \"config_needs_restart\" and .key == \"ringbuf-size\" and .was == null and .now == \"8M\" and .level == \"warn\")' >/dev/null"
check "  and on stderr, in words" grep -q "'ringbuf-size' changed (unset -> 8M); it needs a restart" "$TMP/a1.err"
check "  log-level: nothing (the command line's info still overrides the file)" \
	bash -c "! tail -n +$((NL + 1)) '$LOG' | grep -q '\"key\":\"log-level\"'"
req one.test 41003
req two.test 41004
check "v2: two.test passes now" wait_for 5 verdict_for a1 41004 pass
check "v2: one.test is dropped now" wait_for 5 verdict_for a1 41003 drop
check "v2: no flow_new line on stdout since the reload, DPI and verdict lines still" \
	bash -c "tail -n +$((SO + 1)) '$TMP/a1.json' >'$TMP/after.json';
		! grep -q '\"event\":\"flow_new\"' '$TMP/after.json' &&
		grep -q '\"event\":\"dpi\"' '$TMP/after.json' && grep -q '\"event\":\"verdict\"' '$TMP/after.json'"
check "v2: the 1us latency budget raised verdict_latency" \
	wait_for 5 grep -q '"kind":"alarm".*verdict_latency\|"alarm":"verdict_latency"' "$LOG"
grep -m2 'verdict_latency' "$LOG" | diag
check "v2: still no debug line (the level stayed info)" bash -c "! jq -e 'select(.level == \"debug\")' '$LOG' | grep -q ."
"$LS_BIN" status --json >"$TMP/st.json" 2>/dev/null
check "  the ring is still the running one's (4 MiB)" jq -e '.attach.ringbuf_bytes == 4194304' "$TMP/st.json"

cat >"$CFG" <<EOF
tc: true
policy: $TMP/p1.wasm
policy-config: "one.test ttl_ms=0 passive"
polcy: oops
EOF
NL=$(wc -l <"$LOG")
kill -HUP "$AGENT"
check "v3: a file with an unknown key is refused" wait_for 5 \
	bash -c "tail -n +$((NL + 1)) '$LOG' | jq -e -s 'any(.[]; .kind == \"config_refused\" and (.error | test(\"agent.yaml:4: unknown key .polcy.\")))' >/dev/null"
check "  the line number on stderr too" grep -q "agent.yaml:4: unknown key 'polcy'" "$TMP/a1.err"
req one.test 41005
req two.test 41006
check "v3: the running configuration is kept: two.test passes" wait_for 5 verdict_for a1 41006 pass
check "  one.test is still dropped" wait_for 5 verdict_for a1 41005 drop

cat >"$CFG" <<EOF
tc: true
policy: $TMP/p2.wasm
policy-config: "two.test ttl_ms=0 passive"
alarm: [latency-budget=1us]
print: all,-flow_new
ringbuf-size: 8M
EOF
NL=$(wc -l <"$LOG")
kill -HUP "$AGENT"
check "v4: another module file is loaded (policy: config_changed)" wait_for 5 \
	bash -c "tail -n +$((NL + 1)) '$LOG' | jq -e -s 'any(.[]; .kind == \"config_changed\" and .key == \"policy\" and (.now | endswith(\"p2.wasm\")))' >/dev/null"
"$LS_BIN" status --json >"$TMP/st.json" 2>/dev/null
check "  status names it" jq -e '.policy.path | endswith("p2.wasm")' "$TMP/st.json"
check "  the agent is still running" kill -0 "$AGENT"
finish
