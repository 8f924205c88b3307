#!/usr/bin/env bash
# labels_live.sh - guest metrics with labels (docs/abi.md, "Labels") on the
# real data plane, scraped from the agent's /metrics with curl:
#  1. ai-gateway (C) with --workers 2: requests sent from client ports whose
#     worker is computed here from docs/workers.md's hash, so that the
#     models requests are 2 on each worker; the exported
#     aigw_requests_by_host_total{host,class,verdict} series are the sums by
#     hand (4 = 2 + 2: a merge that lost a worker shows 2), and a reload
#     keeps them (one more request: 5);
#  2. blocklist (AssemblyScript, the SDK's lvAdd): its
#     blocklist_decisions_total{kind,verdict} series, exactly;
#  3. a hostile guest (tests/policy/guests/labelflood.c): bad label names,
#     bad UTF-8 and over-long values get the codes docs/abi.md gives, a
#     value needing every escape is exported escaped as the text format
#     says, and 12,500 + 10,000 a tick distinct label values leave 4,000
#     series (the cap), the refused updates counted, the agent's memory
#     flat and the agent answering.
# Every scrape passes promtool check metrics and the strict promcheck.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh"
policy_init plabels
command -v promtool >/dev/null || bail "promtool missing (scripts/deps.sh)"
[ -x "$PROMCHECK" ] || bail "$PROMCHECK not built (make tests-build)"
FLOOD=$G/test/labelflood.wasm
[ -f "$FLOOD" ] || bail "$FLOOD not built (make guests)"
mkdir -p "$TMP/www/v1/chat"
for f in v1/chat/completions v1/models v1/embeddings admin index.html; do echo ok >"$TMP/www/$f"; done
# static files answer POST too (a stand-in for an inference API)
nginx_start 'error_page 405 =200 $uri;' || bail "nginx did not start"

prom_ok() { # FILE: promtool and promcheck both accept it
	promtool check metrics <"$1" >"$TMP/promtool.out" 2>&1 || { diag "$TMP/promtool.out"; return 1; }
	"$PROMCHECK" "$1" >"$TMP/promcheck.out" 2>&1 || { diag "$TMP/promcheck.out"; return 1; }
}
has() { grep -qFx -- "$2" "$1" || { echo "missing: $2" | diag; grep -F "${2%%\{*}" "$1" | head -20 | diag; return 1; }; }
stop_agent() { kill -TERM "$AGENT" 2>/dev/null; wait "$AGENT" 2>/dev/null; }

# ---- 1. ai-gateway, two workers ------------------------------------------
# the worker of each client port (docs/workers.md: FNV-1a 32 of the
# canonical 5-tuple, times n, the high 32 bits), from 42000 on
python3 - "$C4" "$S4" 42000 200 2 >"$TMP/ports" <<'PY'
import ipaddress, sys
c, s, p0, n, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def mapped(a): return b"\0" * 10 + b"\xff\xff" + ipaddress.IPv4Address(a).packed
def fnv1a(b):
    h = 2166136261
    for x in b: h = ((h ^ x) * 16777619) & 0xffffffff
    return h
for port in range(p0, p0 + n):
    a, b = (mapped(c), port), (mapped(s), 80)
    lo, hi = (a, b) if (a[0], a[1]) <= (b[0], b[1]) else (b, a)
    key = lo[0] + hi[0] + lo[1].to_bytes(2, "big") + hi[1].to_bytes(2, "big") + bytes([6])
    print(port, (fnv1a(key) * workers) >> 32)
PY
W0=($(awk '$2 == 0 { print $1 }' "$TMP/ports" | head -2))
W1=($(awk '$2 == 1 { print $1 }' "$TMP/ports" | head -2))
OTHER=($(awk '{ print $1 }' "$TMP/ports" | tail -10))
[ ${#W0[@]} = 2 ] && [ ${#W1[@]} = 2 ] || bail "no ports for both workers"

if agent_start a1 --tc --workers 2 --policy "$G/ai-gateway.wasm" --metrics 127.0.0.1:0 \
	--policy-config 'hosts=api.example.com quota_chat=2 window_ms=600000 ttl_ms=3000 passive'; then
	ok "agent runs ai-gateway with --workers 2"
else
	not_ok "agent runs ai-gateway with --workers 2"; diag "$TMP/a1.err"; exit 1
fi
H='Host: api.example.com'
for p in "${W0[@]}" "${W1[@]}"; do
	fetch "m$p" "http://$S4/v1/models" -H "$H" --local-port "$p"
done
for i in 0 1 2; do # the third is over the quota of 2
	fetch "c$i" "http://$S4/v1/chat/completions" -X POST -H "$H" -d '{}' --local-port "${OTHER[$i]}"
	sleep 0.3 # in order: the quota is shared (key-value store)
done
fetch u1 "http://$S4/v1/models" -H 'Host: unknown.example.org' --local-port "${OTHER[5]}"
fetch u2 "http://$S4/admin" -H "$H" --local-port "${OTHER[6]}"
PORT=$(metrics_port a1)
by_host_sum() { scrape "$PORT" "$TMP/a1.prom" &&
	[ "$(awk '/^lockstep_guest_aigw_requests_by_host_total\{/ { s += $2 } END { print s + 0 }' "$TMP/a1.prom")" = 9 ]; }
check "the 9 decisions reached the export" wait_for 15 by_host_sum
check "  the scrape passes promtool check metrics and promcheck" prom_ok "$TMP/a1.prom"
# by hand: 4 models (2 on each worker), chat 2 allowed + 1 over quota, an
# unknown host (http, denied), an unknown path (other, denied)
P=lockstep_guest_aigw_requests_by_host_total
check "  models: 2 + 2 over the two workers = 4" has "$TMP/a1.prom" "$P{host=\"api.example.com\",class=\"models\",verdict=\"allow\"} 4"
check "  chat: 2 allowed" has "$TMP/a1.prom" "$P{host=\"api.example.com\",class=\"chat\",verdict=\"allow\"} 2"
check "  chat: 1 over the quota" has "$TMP/a1.prom" "$P{host=\"api.example.com\",class=\"chat\",verdict=\"over_quota\"} 1"
check "  an unknown host denied" has "$TMP/a1.prom" "$P{host=\"(unknown)\",class=\"http\",verdict=\"deny\"} 1"
check "  an unknown path denied" has "$TMP/a1.prom" "$P{host=\"api.example.com\",class=\"other\",verdict=\"deny\"} 1"
check "  5 series, one TYPE line" test "$(grep -c "^$P{" "$TMP/a1.prom") $(grep -c "^# TYPE $P counter" "$TMP/a1.prom")" = "5 1"
check "  the unlabelled counter agrees (models 4)" has "$TMP/a1.prom" "lockstep_guest_aigw_requests_models_total 4"
check "  no series dropped, 5 + 5 held over the workers at most" bash -c \
	"grep -qx 'lockstep_policy_guest_series_dropped_total 0' '$TMP/a1.prom' &&
	 awk '/^lockstep_policy_guest_series / { exit !(\$2 >= 5 && \$2 <= 10) }' '$TMP/a1.prom'"
# a reload keeps the series as it keeps unlabelled values: the new
# instances define the metric again (the same id) and count on
"$LS_BIN" reload --policy "$G/ai-gateway.wasm" >"$TMP/reload.out" 2>&1
check "a reload of ai-gateway succeeds" test $? -eq 0
diag "$TMP/reload.out"
fetch after "http://$S4/v1/models" -H "$H" --local-port "${OTHER[7]}"
five() { scrape "$PORT" "$TMP/a1r.prom" &&
	grep -qFx "$P{host=\"api.example.com\",class=\"models\",verdict=\"allow\"} 5" "$TMP/a1r.prom"; }
check "  the series carried over the reload: models 4 + 1 = 5" wait_for 15 five
check "  the others kept their values (chat allowed 2)" \
	has "$TMP/a1r.prom" "$P{host=\"api.example.com\",class=\"chat\",verdict=\"allow\"} 2"
stop_agent
check "no guest failures, no sanitizer report" bash -c "! grep -q 'guest_failed\|Sanitizer' '$TMP/a1.err'"

# ---- 2. blocklist in AssemblyScript ----------------------------------------
if [ -f "$G/blocklist_as.wasm" ]; then
	if agent_start a2 --policy "$G/blocklist_as.wasm" --policy-config 'bad.test passive' --metrics 127.0.0.1:0; then
		ok "agent runs blocklist_as"
	else
		not_ok "agent runs blocklist_as"; diag "$TMP/a2.err"
	fi
	fetch b1 "http://$S4/" -H 'Host: good.test'
	fetch b2 "http://$S4/" -H 'Host: also-good.test'
	fetch b3 "http://$S4/" -H 'Host: bad.test'
	PORT=$(metrics_port a2)
	three() { scrape "$PORT" "$TMP/a2.prom" &&
		[ "$(awk '/^lockstep_guest_blocklist_decisions_total\{/ { s += $2 } END { print s + 0 }' "$TMP/a2.prom")" = 3 ]; }
	check "the 3 decisions reached the export" wait_for 15 three
	check "  the scrape passes promtool check metrics and promcheck" prom_ok "$TMP/a2.prom"
	B=lockstep_guest_blocklist_decisions_total
	check "  {kind=\"http\",verdict=\"pass\"} 2" has "$TMP/a2.prom" "$B{kind=\"http\",verdict=\"pass\"} 2"
	check "  {kind=\"http\",verdict=\"refuse\"} 1" has "$TMP/a2.prom" "$B{kind=\"http\",verdict=\"refuse\"} 1"
	stop_agent
	check "no guest failures, no sanitizer report" bash -c "! grep -q 'guest_failed\|Sanitizer' '$TMP/a2.err'"
else
	skip_missing "blocklist_as.wasm (AssemblyScript, scripts/deps.sh)"
fi

# ---- 3. a hostile guest ----------------------------------------------------
# init floods 12,500 series (generous deadline: the test is of bounds, not
# of speed, and runs under ASan on a shared machine); each tick 10,000 more.
# ASan's quarantine would hold every freed scrape buffer (and show as RSS):
# kept at 1 MiB for this agent, so that its RSS is what it holds.
# one worker: the caps and the exact counts below are one instance's (with N
# workers each instance has its own caps; part 1 checks the merge)
if ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=1" agent_start a3 --workers 1 --policy "$FLOOD" --metrics 127.0.0.1:0 --guest-deadline 5s \
	--tick-interval 200ms; then
	ok "agent runs the label-flooding guest"
else
	not_ok "agent runs the label-flooding guest"; diag "$TMP/a3.err"; exit 1
fi
PORT=$(metrics_port a3)
scrape "$PORT" "$TMP/f1.prom"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT/status"; }
check "  the scrape passes promtool check metrics and promcheck" prom_ok "$TMP/f1.prom"
check "  a label value with \\, \" and a line feed, escaped" \
	has "$TMP/f1.prom" 'lockstep_guest_esc_total{v="a\\b\"c\nd é"} 1'
check "  and a plain one" has "$TMP/f1.prom" 'lockstep_guest_esc_total{v="plain"} 2'
# the codes docs/abi.md gives: E_INVAL -1, E_BOUNDS -2, E_NOTFOUND -5, E_TOOBIG -6
while read -r case want what; do
	check "  $what: $want" has "$TMP/f1.prom" "lockstep_guest_rc_$case $want"
done <<'EOF'
esc 0 the escaped value taken
dunder -1 label name __x
dup -1 label names a,a
le -1 label le on a histogram
worker -1 label worker
badname -1 label name a-b
nonul -1 a list without its final NUL
names_toobig -6 a name list of 521 bytes
names_bounds -2 a name list outside memory
bad_utf8 -1 value C3 28
overlong -1 value C0 AF (overlong)
surrogate -1 value ED A0 80 (a surrogate)
nvalues -1 two values for one label
value_toobig -6 a value of 129 bytes
values_bounds -2 a value list outside memory
unlabelled -1 metric_add on a labelled metric
delete_absent -5 deleting a series never made
EOF
# by hand: esc holds 2; flood0..2 1,000 each (the per-metric cap), flood3
# 998 (the instance's 4,000), flood4 none: 3,998 taken, 8,502 refused
check "  the flood: 3,998 series taken" has "$TMP/f1.prom" "lockstep_guest_flood_ok_total 3998"
check "  no other error than E_FULL" has "$TMP/f1.prom" "lockstep_guest_flood_other_total 0"
check "  4,000 series held (the instance's cap)" has "$TMP/f1.prom" "lockstep_policy_guest_series 4000"
check "  3,998 flood series exported" test "$(grep -c '^lockstep_guest_flood[0-9]_total{' "$TMP/f1.prom")" = 3998
check "  1,000 per metric at most" test "$(grep -c '^lockstep_guest_flood0_total{' "$TMP/f1.prom") $(grep -c '^lockstep_guest_flood3_total{' "$TMP/f1.prom") $(grep -c '^lockstep_guest_flood4_total{' "$TMP/f1.prom")" = "1000 998 0"
full() { awk '/^lockstep_guest_flood_full_total / { print $2 }' "$1"; }
dropped() { awk '/^lockstep_policy_guest_series_dropped_total / { print $2 }' "$1"; }
# ticks of 10,000 new values each: the RSS after 10 (warm), then after 30
# more (300,000 more would-be series: 100 MiB at 360 bytes each)
ticks() { scrape "$PORT" "$TMP/f2.prom" && ge "$(full "$TMP/f2.prom")" $((8502 + $1 * 10000)); }
check "ten ticks of 10,000 new values each" wait_for 60 ticks 10
RSS1=$(rss)
check "thirty more" wait_for 120 ticks 40
RSS2=$(rss)
check "  still 4,000 series" has "$TMP/f2.prom" "lockstep_policy_guest_series 4000"
check "  every refusal counted by the host as by the guest ($(dropped "$TMP/f2.prom") = $(full "$TMP/f2.prom"))" \
	test "$(dropped "$TMP/f2.prom")" = "$(full "$TMP/f2.prom")"
check "    and the agent's RSS grew by less than 8 MiB (${RSS1} kB -> ${RSS2} kB)" \
	test $((RSS2 - RSS1)) -lt 8192
check "  the scrape still passes promtool check metrics and promcheck" prom_ok "$TMP/f2.prom"
check "  the agent still answers: an HTTP request through it" fetch h1 "http://$S4/" -H 'Host: x.test'
check "  and its health" bash -c "grep -qx 'lockstep_policy_healthy 1' '$TMP/f2.prom'"
stop_agent
check "no guest failures, no sanitizer report" bash -c "! grep -q 'guest_failed\|Sanitizer' '$TMP/a3.err'"
finish
