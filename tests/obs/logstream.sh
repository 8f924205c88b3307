#!/usr/bin/env bash
# logstream.sh - one structured log stream (docs/observability.md, "Log"):
# `lockstep run --workers 2` with a guest that logs every tick
# (guests/shardcheck.c), the heartbeat and --log-level debug writes, to its
# --log file only:
#   - every line in one schema: ts (RFC 3339, parsed by Python's
#     datetime.fromisoformat and by date -d, within a minute of now), k_ns,
#     level, kind, msg;
#   - the guest's lines (guest_log) carry the policy, its instance and the
#     worker that ran it: both workers are heard from;
#   - the policy's lifecycle (loaded), the agent's (agent_start) and
#     libbpf's own messages (kind libbpf, level debug) in the same file;
# stderr keeps only human-readable lines (no JSON, no "libbpf:"), and
# --print all,-beat leaves the heartbeat's beat events off stdout while the
# flows' events and the verdicts stay. inspect: --print dpi prints only
# the DPI events; the old --events works and its warning names --print all.
set -uo pipefail
. "$(dirname "$0")/../policy/lib/policy.sh"
policy_init lstream
need jq
nginx_start || bail "nginx did not start"
SC=$LS_ROOT/build/guests/test/shardcheck.wasm
[ -f "$SC" ] || bail "$SC not built (make guests)"
LOG=$TMP/agent.jsonl

agent_start a1 --tc --workers 2 --policy "$SC" --tick-interval 200ms --heartbeat \
	--log "$LOG" --log-level debug --print all,-beat ||
	{ diag "$TMP/a1.err"; bail "the agent did not start"; }
for i in $(seq 0 11); do
	fetch "r$i" "http://$S4/" -H 'Host: l.test' --local-port $((42000 + i)) || echo "fetch $i failed" >>"$TMP/fetch.err"
done
check "12 HTTP requests answered" test ! -s "$TMP/fetch.err"
both_workers() { [ "$(jq -r 'select(.kind == "guest_log") | .worker' "$LOG" 2>/dev/null | sort -u | wc -l)" -ge 2 ]; }
check "guest lines from both workers reach --log" wait_for 10 both_workers
sleep 1
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null

# the schema, line by line, in Python (its own RFC 3339 parser)
python3 - "$LOG" >"$TMP/schema.out" 2>&1 <<'PY'
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
bad = 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        o = json.loads(line)
        assert list(o)[:5] == ["ts", "k_ns", "level", "kind", "msg"], list(o)[:5]
        assert o["level"] in ("debug", "info", "warn", "error"), o["level"]
        assert isinstance(o["k_ns"], int) and isinstance(o["msg"], str)
        ts = datetime.datetime.fromisoformat(o["ts"].replace("Z", "+00:00"))
        assert ts.tzinfo is not None and abs((now - ts).total_seconds()) < 60, o["ts"]
    except Exception as e:  # noqa: BLE001 - every failure is reported
        bad += 1
        print(f"line {n}: {e!r}: {line.strip()[:200]}")
print(f"{n} lines, {bad} bad")
sys.exit(1 if bad else 0)
PY
check "every --log line: ts (RFC 3339, now), k_ns, level, kind, msg ($(tail -1 "$TMP/schema.out"))" \
	test "$(tail -1 "$TMP/schema.out" | sed -n 's/.* \([0-9]*\) bad/\1/p')" = 0
grep -v ' 0 bad' "$TMP/schema.out" | head -5 | diag
ts=$(jq -r 'select(.kind == "guest_log") | .ts' "$LOG" | head -1)
check "  date -d reads the same ts ($ts)" test "$(date -u -d "$ts" +%s)" -ge $(($(date +%s) - 60))
check "guest lines carry policy, instance and worker" jq -e -s \
	'[.[] | select(.kind == "guest_log")] | length > 0 and all(.policy == "shardcheck.wasm"
		and (.instance | type) == "number" and .instance >= 1 and (.worker == 0 or .worker == 1)
		and (.msg | startswith("shardcheck id=")))' "$LOG"
check "the policy's lifecycle is there too (loaded, per worker)" \
	test "$(jq -r 'select(.kind == "loaded") | .worker' "$LOG" | sort -u | wc -l)" -eq 2
check "and the agent's own lines (agent_start)" grep -q '"kind":"agent_start"' "$LOG"
check "libbpf's messages are log lines at debug level" jq -e -s \
	'[.[] | select(.kind == "libbpf")] | length > 0 and all(.level == "debug")' "$LOG"
check "stderr: no JSON line, no libbpf line" \
	bash -c "! grep -E '^\{|libbpf' '$TMP/a1.err'"
grep -E '^\{|libbpf' "$TMP/a1.err" | head -3 | diag
check "stdout: --print all,-beat left the beats out" bash -c "! grep -q '\"event\":\"beat\"' '$TMP/a1.json'"
check "  and kept the flows' events and the verdicts" \
	bash -c "grep -q '\"event\":\"flow_new\"' '$TMP/a1.json' && grep -q '\"event\":\"verdict\"' '$TMP/a1.json'"
"$LS_BIN" run --iface vs --print dpi,bogus >/dev/null 2>"$TMP/bad.err"
check "an unknown kind is refused (exit 2) and named" \
	bash -c "[ $? -eq 2 ] && grep -q \"unknown kind 'bogus'\" '$TMP/bad.err'"

PCAP=$LS_ROOT/../shared/pcaps/http.pcap
[ -f "$PCAP" ] || PCAP=$(ls "$LS_ROOT"/../shared/pcaps/*.pcap* 2>/dev/null | head -1)
if [ -n "$PCAP" ]; then
	"$LS_BIN" inspect --pcap "$PCAP" --print dpi >"$TMP/i.out" 2>"$TMP/i.err"
	check "inspect --print dpi: only DPI events ($(wc -l <"$TMP/i.out") lines)" \
		jq -e -s 'length > 0 and all(.event == "dpi")' "$TMP/i.out"
	"$LS_BIN" inspect --pcap "$PCAP" --policy "$SC" --events >"$TMP/e.out" 2>"$TMP/e.err"
	check "inspect --events still prints the events, and warns to use --print all" \
		bash -c "grep -q '\"event\":\"flow_new\"' '$TMP/e.out' &&
			grep -q -- '--events is deprecated; use --print all' '$TMP/e.err'"
	check "  the guest's info lines show on inspect's stderr in the log's schema" \
		bash -c "grep '\"kind\":\"loaded\"' '$TMP/e.err' | jq -e -s 'length == 1 and .[0].level == \"info\" and (.[0].ts | test(\"Z$\"))'"
else
	skip "inspect --print" "no capture in ../shared/pcaps"
fi
finish
