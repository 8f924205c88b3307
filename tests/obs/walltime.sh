#!/usr/bin/env bash
# walltime.sh - RFC 3339 wall time beside the kernel time on every stdout
# line (docs/events.md, "Common fields") and in `lockstep status` (docs/
# observability.md): a live agent with the heartbeat and a policy (flows,
# DPI, beats, verdicts), then `lockstep inspect` with a policy and with
# --default-verdict hold (verdict, rule and hold lines). Every JSON line's
# ts is parsed by Python's datetime.fromisoformat, lies between two `date`
# reads taken before and after the run, is UTC with microseconds, and is
# the wall time of the same instant as its ts_k: (ts - ts_k) is one offset,
# REALTIME - BOOTTIME, across every line (within 50 ms: the offset is read
# per line, and NTP slews at most 500 ppm). status (text and --json)
# carries its times the same way, read back by date -d.
set -uo pipefail
. "$(dirname "$0")/lib/obs.sh"
policy_init wtime
need jq
nginx_start || bail "nginx did not start"

# check_lines FILE BEFORE AFTER: every line is JSON with ts and ts_k, ts in
# [BEFORE - 1, AFTER + 1] (Unix seconds from `date`), one offset ts - ts_k
check_lines() {
	python3 - "$@" <<'PY'
import datetime, json, re, sys
path, lo, hi = sys.argv[1], int(sys.argv[2]) - 1, int(sys.argv[3]) + 1
offs, n, bad = [], 0, 0
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    try:
        o = json.loads(line)
        s = o["ts"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", s), s
        ts = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
        assert ts.utcoffset() == datetime.timedelta(0), s
        t = ts.timestamp()
        assert lo <= t <= hi, f"{s} not within the run ({lo}..{hi})"
        assert isinstance(o["ts_k"], int), o.get("ts_k")
        offs.append(t - o["ts_k"] / 1e9)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        bad += 1
        if bad <= 5:
            print(f"line {n}: {e!r}: {line.strip()[:160]}")
spread = (max(offs) - min(offs)) * 1e3 if offs else 0
print(f"{n} lines, {bad} bad, offset spread {spread:.3f} ms")
sys.exit(1 if bad or not n or spread > 50 else 0)
PY
}

T0=$(date -u +%s)
agent_start a1 --tc --policy "$G/allowlist.wasm" --policy-config 'w.test ttl_ms=2000 passive' \
	--heartbeat --beat-interval 100ms ||
	{ diag "$TMP/a1.err"; bail "the agent did not start"; }
for i in $(seq 1 5); do fetch "r$i" "http://$S4/" -H 'Host: w.test'; done
sleep 1
"$LS_BIN" status >"$TMP/st.txt" 2>&1
"$LS_BIN" status --json >"$TMP/st.json" 2>&1
kill -TERM "$AGENT"
wait "$AGENT" 2>/dev/null
T1=$(date -u +%s)
check "run: stdout has flow, DPI, beat and verdict lines" bash -c "
	for e in flow_new dpi beat verdict; do grep -q \"\\\"event\\\":\\\"\$e\\\"\" '$TMP/a1.json' || exit 1; done"
check_lines "$TMP/a1.json" "$T0" "$T1" >"$TMP/run.out" 2>&1
rc=$?
check "  every line: ts RFC 3339 UTC, within the run, one offset from ts_k ($(tail -1 "$TMP/run.out"))" test $rc -eq 0
head -5 "$TMP/run.out" | diag

st_ts() { jq -r "$1" "$TMP/st.json"; }
in_run() { local s; s=$(date -u -d "$1" +%s 2>/dev/null) && [ "$s" -ge $((T0 - 1)) ] && [ "$s" -le $((T1 + 1)) ]; }
rfc() { [[ $1 =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]]; }
for f in .ts .started .heartbeat.last_beat_at; do
	v=$(st_ts "$f")
	check "status --json $f is RFC 3339 within the run ($v)" bash -c "$(declare -f rfc in_run); T0=$T0 T1=$T1; rfc '$v' && in_run '$v'"
done
check "  started <= last beat <= ts" python3 -c "
import datetime, json, sys
j = json.load(open('$TMP/st.json')); p = lambda s: datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
sys.exit(not (p(j['started']) <= p(j['heartbeat']['last_beat_at']) <= p(j['ts'])))"
v=$(sed -n 's/^as of: *//p' "$TMP/st.txt")
check "status: 'as of' $v" bash -c "$(declare -f rfc in_run); T0=$T0 T1=$T1; rfc '$v' && in_run '$v'"
v=$(sed -n 's/^agent:.*(since \([^)]*\)).*/\1/p' "$TMP/st.txt")
check "status: the agent's start $v" bash -c "$(declare -f rfc in_run); T0=$T0 T1=$T1; rfc '$v' && in_run '$v'"
v=$(sed -n 's/^beats:.* ago (\([^)]*\)).*/\1/p' "$TMP/st.txt")
check "status: the last beat $v" bash -c "$(declare -f rfc in_run); T0=$T0 T1=$T1; rfc '$v' && in_run '$v'"

PCAP=$LS_ROOT/../shared/pcaps/http.pcap
if [ -f "$PCAP" ]; then
	T0=$(date -u +%s)
	"$LS_BIN" inspect --pcap "$PCAP" --print all --policy "$G/allowlist.wasm" \
		--policy-config 'nothing.test' >"$TMP/i1.json" 2>"$TMP/i1.err"
	"$LS_BIN" inspect --pcap "$PCAP" --print all --policy "$G/allowlist.wasm" \
		--policy-config 'nothing.test passive' >>"$TMP/i1.json" 2>>"$TMP/i1.err"
	"$LS_BIN" inspect --pcap "$PCAP" --print all --default-verdict hold \
		--policy "$G/allowlist.wasm" --policy-config 'nothing.test passive' \
		>"$TMP/i2.json" 2>"$TMP/i2.err"
	T1=$(date -u +%s)
	check "inspect: events, rule and verdict lines" bash -c "
		for e in flow_new dpi rule verdict; do grep -q \"\\\"event\\\":\\\"\$e\\\"\" '$TMP/i1.json' || exit 1; done"
	check_lines "$TMP/i1.json" "$T0" "$T1" >"$TMP/i1.out" 2>&1
	rc=$?
	check "  every line: ts RFC 3339, within the run, one offset from ts_k ($(tail -1 "$TMP/i1.out"))" test $rc -eq 0
	head -5 "$TMP/i1.out" | diag
	check "inspect --default-verdict hold: hold lines" grep -q '"event":"hold"' "$TMP/i2.json"
	check_lines "$TMP/i2.json" "$T0" "$T1" >"$TMP/i2.out" 2>&1
	rc=$?
	check "  every line: ts RFC 3339, within the run, one offset from ts_k ($(tail -1 "$TMP/i2.out"))" test $rc -eq 0
	head -5 "$TMP/i2.out" | diag
else
	skip "inspect" "no ../shared/pcaps/http.pcap"
fi
finish
