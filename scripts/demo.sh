#!/usr/bin/env bash
# demo.sh - lockstep's built-in demo (`make demo`), in under two minutes:
#
#   client ns (198.18.1.1) --veth-- server ns (198.18.1.2): nginx stands in
#   for an inference API; lockstep is attached to the server-side veth (XDP
#   for the requests, TC egress for the replies, so that it sees each
#   connection end and the policy stops refreshing it) with the ai-gateway
#   policy (guests/ai-gateway.c) in its default (inline) mode, deny-by-default
#   (--default-verdict hold: a request waits, held, until the policy
#   decides; a refused one is answered with a RST by the kernel), the
#   heartbeat and clock mapping on, and a guest clock that lags the kernel
#   (offset, delay, 1 ms quantum) -- the production failure lockstep
#   exists to prevent.
#
# It drives real traffic (an allowed request timed by curl: no retransmit;
# long keep-alive downloads that outlive several verdict TTLs, chat
# requests against a quota, an unknown host refused at once), reloads the
# policy under load, stalls the agent (SIGSTOP) to show fail-safe and
# recovery, then prints a summary and leaves build/demo/{trace.json,
# report.html,metrics.txt,log.jsonl}. Needs root; uses only 198.18.0.0/15
# and 2001:db8::/32; removes everything it made on every exit path.
set -uo pipefail
cd "$(dirname "$0")/.."
LS_ROOT=$PWD
LS_BIN=${LS_BIN:-$LS_ROOT/build/lockstep}
OUT=$LS_ROOT/build/demo
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespaces, BPF)" >&2; exit 1; }
. tests/integration/lib/topo.sh
topo_init demo
demo_cleanup() { topo_cleanup >/dev/null 2>&1; }
trap demo_cleanup EXIT
rm -rf "$OUT" && mkdir -p "$OUT"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }
HOST=api.inference.example
GUEST_CLOCK='offset=-2s,delay=3ms,quantum=1ms'

say "topology: client $C4  <-veth->  server $S4 (nginx as an inference API)"
topo_up || fail "could not create the namespaces"
mkdir -p "$TMP/www/v1/chat"
head -c 1500k /dev/zero >"$TMP/www/v1/models"
head -c 2M /dev/zero >"$TMP/www/v1/chat/completions"  # big enough that a refusal cuts it
# answers POST (a stand-in for an inference API), paced like a model streaming
# tokens, so a refusal lands mid-response
# (/v1/models?probe=1 answers at once: the request that times the hold)
nginx_start 'limit_rate 2m; error_page 405 =200 $uri;
  location = /v1/models { if ($arg_probe) { return 200 "models\n"; } }' ||
	fail "nginx did not start"

say "lockstep: deny-by-default (hold), ai-gateway policy (default mode: kernel rules, rejects), heartbeat on, guest clock lagging ($GUEST_CLOCK)"
SOCK=$TMP/control.sock
# XDP_TX (a rejected request's RST) on a veth needs NAPI on the peer: a
# pass program on the client's end (a NIC needs nothing)
ip -n "$NS_C" link set vc xdp obj build/bpf/baseline.bpf.o sec xdp.frags ||
	fail "cannot attach a pass program to the client's veth"
agent_start demo --tc --default-verdict hold --policy build/guests/ai-gateway.wasm \
	--policy-config "hosts=$HOST quota_chat=3 window_ms=600000 ttl_ms=1500" \
	--tick-interval 500ms --heartbeat --beat-interval 100ms --guest-clock "$GUEST_CLOCK" \
	--metrics 127.0.0.1:0 --trace "$OUT/trace.json" --log "$OUT/log.jsonl" \
	--control-socket "$SOCK" || { cat "$TMP/demo.err"; fail "agent did not start"; }
grep -E 'attached|adopted' "$TMP/demo.err" | sed 's/^/  /'
PORT=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/demo.err" "$OUT/log.jsonl" 2>/dev/null | head -1)

# allowed traffic: downloads of ~4 s each (TTL 1.5 s, refreshed on ticks)
DL=0
download() { # N: one long request on its own connection; records ok/fail
	if in_c curl -sS -o /dev/null --max-time 20 --limit-rate 400k -H "Host: $HOST" \
		"http://$S4/v1/models" 2>>"$TMP/dl.err"; then echo ok >>"$TMP/dl.res"; else echo fail >>"$TMP/dl.res"; fi
}
wave() { # COUNT: start COUNT downloads in the background
	for _ in $(seq "$1"); do download & DLP+=($!); DL=$((DL + 1)); sleep 0.05; done
}
DLP=()

say "deny-by-default: every request is held until the policy decides"
rejects() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq '.reject_tcp // 0'; }
# an allowed connection under hold: the handshake passes, the request waits
# for the verdict; a retransmit would show as >= 1 s (a SYN) or >= 200 ms
# (a data segment)
T=$(in_c curl -sS -o /dev/null --max-time 5 -w '%{time_connect} %{time_total}' -H "Host: $HOST" \
	"http://$S4/v1/models?probe=1" 2>/dev/null)
read -r TC TT <<<"${T:-x x}"
if awk -v t="$TT" 'BEGIN { exit !(t + 0 > 0 && t + 0 < 0.2) }'; then
	echo "  allowed request: connected in ${TC} s, answered in time_total ${TT} s (held until decided; no retransmit)"
else echo "  allowed request: time_total ${TT} s: SLOW (a retransmit?)"; fi

say "traffic under a lagging guest clock (sync on)"
wave 12
# refused: a request the kernel answered with a RST because the policy
# rejected it -- curl fails at once, the policy wrote a reject verdict for
# its flow (client port PORT) and the kernel's reject_tcp counter grew; a
# request failing any other way (a timeout, the server down) is a
# failure, never a refusal
refused() { # PORT REJECTS_BEFORE
	wait_for 3 verdict_for demo "$1" reject && [ "$(rejects)" -gt "$2" ]
}
for i in 1 2 3 4 5; do
	# 2 MB paced at 2 MB/s: an allowed request takes 1 s
	port=$((41000 + i)) r0=$(rejects)
	T=$(in_c curl -sS -o /dev/null --max-time 3 --local-port "$port" -X POST -H "Host: $HOST" -d '{}' \
		-w '%{time_total}' "http://$S4/v1/chat/completions" 2>/dev/null) && ok=1 || ok=0
	if [ $ok = 1 ]; then echo "  chat request $i: allowed"
	elif refused "$port" "$r0"; then echo "  chat request $i: refused (quota of 3 per client; reset by the kernel after ${T:-?} s)"
	else echo "  chat request $i: FAILED without a reject verdict (not a refusal)"; fi
done
r0=$(rejects)
T=$(in_c curl -sS -o /dev/null --max-time 3 --local-port 41010 -H 'Host: unknown.example.org' \
	-w '%{time_total}' "http://$S4/v1/models?unknown=1" 2>/dev/null) && ok=1 || ok=0
if [ $ok = 1 ]; then echo "  unknown host: allowed (unexpected)"
elif refused 41010 "$r0"; then echo "  unknown host: refused at once (reset by the kernel after ${T:-?} s)"
else echo "  unknown host: FAILED without a reject verdict (not a denial)"; fi
sleep 0.3
if grep -q 'unknown=1' "$TMP/nginx-access.log" 2>/dev/null; then
	echo "  (the unknown host's request reached nginx: unexpected)"
else echo "  nginx's access log: the refused requests never reached it"; fi

say "policy reload under load"
wave 6
sleep 1
"$LS_BIN" reload --control-socket "$SOCK" 2>&1 | sed 's/^/  /'

say "guest stall: the agent is stopped for 2 s (SIGSTOP)"
wave 6
sleep 0.5
kill -STOP "$AGENT"
sleep 2
FS_IN=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq '.failsafe_enter // 0')
kill -CONT "$AGENT"
sleep 1
FS_OUT=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" | jq '.failsafe_leave // 0')
echo "  data plane entered fail-safe: $FS_IN time(s); left it when beats resumed: $FS_OUT time(s)"

say "waiting for every connection to finish"
for p in "${DLP[@]}"; do wait "$p"; done
[ -n "$PORT" ] && in_s curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$OUT/metrics.txt"
"$LS_BIN" status --control-socket "$SOCK" 2>/dev/null | sed 's/^/  /' | head -20
kill -TERM "$AGENT"; wait "$AGENT" 2>/dev/null
"$LS_BIN" report "$OUT/trace.json" -o "$OUT/report.html" 2>&1 | sed 's/^/  /'

OK=$(grep -c ok "$TMP/dl.res" 2>/dev/null); FAILED=$(grep -c fail "$TMP/dl.res" 2>/dev/null)
ENDS=$(sed -n 's/^lockstep_events_total{kind="flow_end"} //p' "$OUT/metrics.txt" 2>/dev/null)
say "summary"
echo "  allowed long-lived connections: $DL, completed: ${OK:-0}, dropped: ${FAILED:-0}"
echo "  connections the data plane saw end: ${ENDS:-0} (TC egress shows the server's FIN;"
echo "   the policy then stops refreshing their verdicts)"
echo "  guest clock: $GUEST_CLOCK; fail-safe entered $FS_IN, left $FS_OUT"
echo "  alarms raised:"
grep '"alarm"' "$OUT/log.jsonl" 2>/dev/null | jq -r '"    " + .alarm + ": " + .msg' | sort | uniq -c | sed 's/^ */  /'
grep -q '"alarm"' "$OUT/log.jsonl" 2>/dev/null || echo "    none"
echo "  (expected here: offset, from the injected -2 s guest clock that the mapping"
echo "   absorbs; failsafe, from the deliberate 2 s stall)"
echo "  files: $OUT/trace.json, $OUT/report.html, $OUT/metrics.txt, $OUT/log.jsonl"
[ "${FAILED:-1}" -eq 0 ] && [ "${OK:-0}" -eq "$DL" ]
