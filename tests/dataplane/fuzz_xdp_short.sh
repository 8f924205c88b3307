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
# and the paths the captures hardly reach: DNS with several questions, on
# and off its ports, over UDP and TCP, with an EDNS OPT and the root name;
# pipelined HTTP requests, one with a body announced, token methods
python3 - "$TMP/corpus" <<'PY'
import os, struct, sys
sys.path.insert(0, "tests/tools")
from pcap_write import tcp4
q = (b"\x01a\x07example\x00\x00\x01\x00\x01\x01b\xc0\x0e\x00\x01\x00\x01"
     b"\x00\x00\x02\x00\x01")
opt = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"
dns = b"\xbe\xef\x01\x20\x00\x03\x00\x00\x00\x00\x00\x01" + q + opt
http = (b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nM-SEARCH * HTTP/1.1\nHost: b\n\n"
        b"POST /3 HTTP/1.1\r\nContent-Length: 4\r\n\r\nGET /")
seeds = [tcp4("198.18.0.2", "198.18.0.1", 40000, 53, dns, proto=17),
         tcp4("198.18.0.2", "198.18.0.1", 40000, 4053, dns, proto=17),
         tcp4("198.18.0.2", "198.18.0.1", 40000, 8053, struct.pack("!H", len(dns)) + dns),
         tcp4("198.18.0.2", "198.18.0.1", 40000, 8080, http)]
for i, f in enumerate(seeds):
    open(os.path.join(sys.argv[1], "dpil7-%d" % i), "wb").write(f)
PY
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
