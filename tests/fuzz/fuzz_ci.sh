#!/usr/bin/env bash
# fuzz_ci.sh - the fuzzers that reach what a guest, a local client and a
# remote sender hand the agent (docs/policy.md, "Threat model"), each run
# for LS_FUZZ_SECONDS (default 60) from its seed corpus in
# tests/fuzz/corpus/NAME/, two at a time (the CI machine has 2 cores: about
# 4.5 minutes in all):
#   fuzz_guest    generated modules calling the host ABI with hostile
#                 arguments, through the policy pipeline (load, reload, events)
#   fuzz_hostabi  the same imports through one instance running the input
#                 as a script of host calls (hundreds of inputs a second)
#   fuzz_control  the control socket's protocol and handlers
#   fuzz_report   `lockstep report`'s trace JSON reader
#   fuzz_cli      the option, number, clock-spec and config-file parsers
#   fuzz_pcap     `inspect --pcap`'s capture reader
#   fuzz_http     the metrics server's request path (real TCP, libmicrohttpd)
#   fuzz_flow     several frames of one flow through the XDP program (root)
# The seeds are replayed first (each must run clean). A crash, sanitizer
# report, leak or timeout fails the suite; the input and log stay in a
# temporary directory named in the output (never in the repository); add
# the input to the corpus once the bug is fixed, with a unit test.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
SECS="${LS_FUZZ_SECONDS:-60}"
# LS_FUZZERS="guest hostabi" runs only those (default: all of them)
read -r -a FUZZERS <<<"${LS_FUZZERS:-guest hostabi control report cli pcap http flow}"
need_root
OUT=$(mktemp -d /tmp/ls-fuzz-ci.XXXXXX)
keep=0
at_exit '[ "$keep" = 1 ] || rm -rf "$OUT"'

targets=()
for f in "${FUZZERS[@]}"; do targets+=("build/fuzz/fuzz_$f"); done
# fuzz_hostabi's guest is built by the guest rules (clang for wasm32)
if make --no-print-directory -j2 "${targets[@]}" build/guests/test/abiscript.wasm >"$OUT/build.log" 2>&1; then
	ok "make builds the ${#FUZZERS[@]} fuzzers"
else
	not_ok "make ${targets[*]}"
	tail -n 20 "$OUT/build.log" | diag
	keep=1
	finish
fi

# one fuzzer: seeds replayed, then SECS of fuzzing; writes $OUT/NAME.rc
run_one() {
	local f=$1 bin="build/fuzz/fuzz_$1" seeds="tests/fuzz/corpus/$1"
	mkdir -p "$OUT/$f/corpus" "$OUT/$f/crash"
	# the seeds must run clean on their own (libFuzzer runs files given
	# as arguments once each)
	"$bin" -close_fd_mask=3 -timeout=10 -rss_limit_mb=2048 "$seeds"/* >"$OUT/$f/replay.log" 2>&1
	echo $? >"$OUT/$f/replay.rc"
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$OUT/$f/crash/" \
		"$OUT/$f/corpus" "$seeds" >"$OUT/$f/fuzz.log" 2>&1
	echo $? >"$OUT/$f/fuzz.rc"
}

# two at a time
for ((i = 0; i < ${#FUZZERS[@]}; i += 2)); do
	run_one "${FUZZERS[i]}" &
	[ $((i + 1)) -lt ${#FUZZERS[@]} ] && run_one "${FUZZERS[i + 1]}" &
	wait
done

for f in "${FUZZERS[@]}"; do
	nseeds=$(find "tests/fuzz/corpus/$f" -type f | wc -l)
	if [ "$(cat "$OUT/$f/replay.rc")" = 0 ] && [ "$nseeds" -gt 0 ]; then
		ok "fuzz_$f: its $nseeds seeds run clean"
	else
		not_ok "fuzz_$f: seeds (tests/fuzz/corpus/$f, $nseeds files)"
		grep -E 'ERROR|runtime error|SUMMARY|invariant' "$OUT/$f/replay.log" | head -5 | diag
		keep=1
	fi
	runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$OUT/$f/fuzz.log" | grep -oE '[0-9]+$')
	rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$OUT/$f/fuzz.log" | grep -oE '[0-9]+$')
	crashes=$(find "$OUT/$f/crash" -type f | wc -l)
	if [ "$(cat "$OUT/$f/fuzz.rc")" = 0 ] && [ "$crashes" = 0 ]; then
		ok "fuzz_$f ran ${SECS}s: ${runs:-?} executions (${rate:-?}/s), 0 crashes"
	else
		not_ok "fuzz_$f found a problem (rc=$(cat "$OUT/$f/fuzz.rc")); input and log in $OUT/$f/"
		grep -E 'ERROR|runtime error|SUMMARY|invariant|Test unit written' "$OUT/$f/fuzz.log" |
			head -8 | diag
		keep=1
	fi
done
[ "$keep" = 1 ] && echo "# kept: $OUT"
finish
