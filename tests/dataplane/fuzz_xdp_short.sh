#!/usr/bin/env bash
# fuzz_xdp_short.sh - builds the data plane fuzzer (make fuzz) and runs it for
# ~30 s (LS_FUZZ_SECONDS), seeded with the frames of ../shared/pcaps, against
# the real program in the kernel. Any broken invariant aborts the fuzzer with
# a crash file, which this suite reports (and keeps in build/fuzz/crashes/).
set -uo pipefail
cd "$(dirname "$0")/../.."
PCAPS="${LS_SHARED:-$PWD/../shared}/pcaps"
SECS="${LS_FUZZ_SECONDS:-30}"
TMP=$(mktemp -d /tmp/ls-fuzz-xdp.XXXXXX)
. tests/lib/tap.sh
at_exit 'rm -rf "$TMP"'

if make --no-print-directory build/fuzz/fuzz_xdp >"$TMP/build.log" 2>&1; then
	ok "make builds the fuzz_xdp libFuzzer target"
else
	not_ok "make build/fuzz/fuzz_xdp"
	tail -n 20 "$TMP/build.log" | diag
	exit 1
fi
# the hand-built tunnelled frames too (VXLAN, Geneve, GRE, ERSPAN, MPLS,
# PPPoE, nested, truncated: tests/dataplane/encap_frames.py)
mkdir -p "$TMP/encap"
python3 tests/dataplane/encap_frames.py --pcaps "$TMP/encap" ||
	not_ok "encap_frames.py --pcaps wrote the tunnelled seeds"
seeds=$(python3 tests/dataplane/pcap_frames.py "$TMP/corpus" 3000 "$TMP"/encap/*.pcap "$PCAPS"/*.pcap)
[ "$seeds" -gt 0 ] && ok "seeded with $seeds frames from the tunnelled frames and the shared captures" || not_ok "no seeds"
mkdir -p build/fuzz/crashes
build/fuzz/fuzz_xdp -max_total_time="$SECS" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
	-print_final_stats=1 -artifact_prefix=build/fuzz/crashes/ "$TMP/corpus" >"$TMP/fuzz.log" 2>&1
rc=$?
grep -E "stat::number_of_executed_units|stat::new_units_added|cov:" "$TMP/fuzz.log" | tail -n 3 | diag
if [ "$rc" -eq 0 ]; then
	ok "fuzz_xdp ran ${SECS}s without breaking an invariant"
else
	not_ok "fuzz_xdp exited $rc"
	grep -E "invariant|ERROR|SUMMARY|crash-|Test unit written" "$TMP/fuzz.log" | head -n 20 | diag
fi
finish
