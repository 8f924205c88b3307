#!/usr/bin/env bash
# report.sh - `lockstep report` draws what a reader can trust, at any window
# width: on a trace whose records are shuffled and whose flow ids fall as
# time rises (tests/obs/lib/make_trace.py), every plotted line runs forward
# in time, every axis is labelled with round numbers (steps of 1, 2 or 5
# times a power of ten, the same step between all ticks), and the plots fit
# the window: Chromium lays the page out at 800 and at 1600 pixels, and
# nothing is wider than the window.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
LS_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${LS_BIN:=$LS_ROOT/build/asan/lockstep}"
. "$LS_ROOT/tests/obs/lib/report.sh"
need chromium jq python3
TMP=$(mktemp -d /tmp/ls-report-$$.XXXXXX)
at_exit "rm -rf $TMP"
jqt() { jq -e "$1" "$2" >/dev/null; }

python3 "$LS_ROOT/tests/obs/lib/make_trace.py" "$TMP/trace.json" || bail "make_trace.py failed"
check "lockstep report renders the shuffled trace" \
	"$LS_BIN" report "$TMP/trace.json" -o "$TMP/report.html"
# a step is round when it is 1, 2 or 5 times a power of ten; ticks are
# round when every gap is that one step
round='def round_ticks: (length < 2) or (
	(.[1] - .[0]) as $s | ($s > 0) and
	((($s | log10 | floor) as $k | $s / pow(10; $k)) as $m | [1, 2, 5, 10] | any(. - $m | fabs < 1e-6)) and
	([range(1; length) as $i | (.[$i] - .[$i - 1] - $s) | fabs < $s * 1e-6] | all));'
for w in 800 1600; do
	if ! report_render "$TMP/report.html" "$TMP/r$w" "$w"; then
		not_ok "chromium lays the report out at $w px"
		diag "$TMP/r$w.chromium.log"
		continue
	fi
	P=$TMP/r$w.probe.json
	ok "chromium lays the report out at $w px"
	check "  six plots, each drawn" jqt '[.plots[].id] == ["offset", "heartbeat", "rates",
		"latency_t", "latency_hist", "guest_hist"] and all(.plots[]; .width > 100 and .height > 40)' "$P"
	check "  nothing is wider than the window ($(jq -r '"\(.scroll_width) <= \(.inner_width)"' "$P"))" \
		jqt ".scroll_width <= .inner_width and all(.plots[]; .width <= $w)" "$P"
	check "  every line runs forward in time ($(jq '[.plots[].series[]] | length' "$P") series)" \
		jqt '[.plots[].series[]] | length >= 6 and all(.monotonic)' "$P"
	check "  the latency line has all 300 event->verdict pairs" \
		jqt 'any(.plots[] | select(.id == "latency_t") | .series[]; .points == 300)' "$P"
	check "  x ticks (time) are round: $(jq -c '.plots[0].ticks_x' "$P")" \
		jqt "$round"' all(.plots[] | select(.ticks_x | length > 0); .ticks_x | round_ticks)
		and (.plots[0].ticks_x | length >= 4 and .[0] == 0)' "$P"
	check "  y ticks are round: offset $(jq -c '.plots[0].ticks_y' "$P")" \
		jqt "$round"' all(.plots[]; .ticks_y | length >= 2 and round_ticks)' "$P"
	check "  the fail-safe period and the alarm are marked" \
		jqt 'any(.plots[]; .failsafe == 1 and .alarms == 1)' "$P"
done
check "the plots scale with the window (1600 px: wider than at 800)" \
	test "$(jq '.plots[0].width' "$TMP/r1600.probe.json" | cut -d. -f1)" -gt \
	"$(jq '.plots[0].width' "$TMP/r800.probe.json" | cut -d. -f1)"
finish
