#!/usr/bin/env bash
# fuzz_quic_short.sh - builds the user-space decoder fuzzers (QUIC, and
# HTTP/2 with HPACK: make fuzz) and runs each for ~20 s (LS_FUZZ_SECONDS), seeded with the RFC 9001 and
# RFC 9369 client Initials (raw: mode 0) and the RFC's ClientHello as
# Initial plaintext (mode 1). Any broken invariant aborts the fuzzer with a
# crash file, which this suite reports (kept in build/fuzz/crashes/).
set -uo pipefail
cd "$(dirname "$0")/../.."
SECS="${LS_FUZZ_SECONDS:-20}"
TMP=$(mktemp -d /tmp/ls-fuzz-quic.XXXXXX)
. tests/lib/tap.sh
at_exit 'rm -rf "$TMP"'

if make --no-print-directory build/fuzz/fuzz_quic >"$TMP/build.log" 2>&1; then
	ok "make builds the fuzz_quic libFuzzer target"
else
	not_ok "make build/fuzz/fuzz_quic"
	tail -n 20 "$TMP/build.log" | diag
	exit 1
fi
mkdir -p "$TMP/corpus" build/fuzz/crashes
python3 - "$TMP/corpus" <<'PY'
import os, re, struct, sys
src = open("tests/unit/quic_vectors.h").read()
vecs = [bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body))
        for body in re.findall(r"\{([^}]*)\}", src)]
out = sys.argv[1]
for i, v in enumerate(vecs):
    open(os.path.join(out, "raw%d" % i), "wb").write(b"\x00" + struct.pack("!H", len(v)) + v)
hello = bytes.fromhex(re.search(r'rfc_hello_hex\[\] =((?:\s*"[0-9a-f]*")+)', open("tests/unit/quic_protect.h").read()).group(1).replace('"', "").replace("\n", "").replace("\t", "").replace(" ", ""))
fr = b"\x06\x00\x40" + bytes([len(hello)]) + hello
open(os.path.join(out, "plain0"), "wb").write(b"\x01" + struct.pack("!H", len(fr)) + fr)
half = 120
a = b"\x06\x40" + bytes([half]) + b"\x40" + bytes([len(hello) - half]) + hello[half:]
b = b"\x06\x00\x40" + bytes([half]) + hello[:half]
open(os.path.join(out, "plain1"), "wb").write(b"\x01" + struct.pack("!H", len(a)) + a + struct.pack("!H", len(b)) + b)
open(os.path.join(out, "hello"), "wb").write(b"\x02" + hello)
PY
ok "seeded with $(ls "$TMP/corpus" | wc -l) inputs"
build/fuzz/fuzz_quic -max_total_time="$SECS" -max_len=4096 -timeout=10 -print_final_stats=1 \
	-artifact_prefix=build/fuzz/crashes/ "$TMP/corpus" >"$TMP/fuzz.log" 2>&1
rc=$?
grep -E "stat::number_of_executed_units|stat::new_units_added|cov:" "$TMP/fuzz.log" | tail -n 3 | diag
if [ "$rc" -eq 0 ]; then
	ok "fuzz_quic ran ${SECS}s without breaking an invariant"
else
	not_ok "fuzz_quic exited $rc"
	grep -E "ERROR|SUMMARY|crash-|Test unit written" "$TMP/fuzz.log" | head -n 20 | diag
fi
# HTTP/2 + HPACK: seeded with RFC 7541 C.3 and C.4 header blocks (even
# first byte) and a client stream carrying C.4.1 (odd)
if make --no-print-directory build/fuzz/fuzz_h2 >"$TMP/build2.log" 2>&1; then
	ok "make builds the fuzz_h2 libFuzzer target"
else
	not_ok "make build/fuzz/fuzz_h2"
	tail -n 20 "$TMP/build2.log" | diag
	finish
	exit 1
fi
mkdir -p "$TMP/h2"
python3 - "$TMP/h2" <<'PY'
import os, sys
out = sys.argv[1]
for i, h in enumerate(("828684410f7777772e6578616d706c652e636f6d", "828684be58086e6f2d6361636865",
                       "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")):
    open(os.path.join(out, "blk%d" % i), "wb").write(b"\x00" + bytes.fromhex(h))
blk = bytes.fromhex("828684418cf1e3c2e5f23a6ba0ab90f4ff")
stream = bytes(9)[:3] + b"\x04\x00" + bytes(4) + len(blk).to_bytes(3, "big") + b"\x01\x05\x00\x00\x00\x01" + blk
open(os.path.join(out, "stream"), "wb").write(b"\x07" + stream)
PY
build/fuzz/fuzz_h2 -max_total_time="$SECS" -max_len=4096 -timeout=10 -print_final_stats=1 \
	-artifact_prefix=build/fuzz/crashes/ "$TMP/h2" >"$TMP/fuzz2.log" 2>&1
rc=$?
grep -E "stat::number_of_executed_units|cov:" "$TMP/fuzz2.log" | tail -n 2 | diag
if [ "$rc" -eq 0 ]; then
	ok "fuzz_h2 ran ${SECS}s without breaking an invariant"
else
	not_ok "fuzz_h2 exited $rc"
	grep -E "ERROR|SUMMARY|crash-|Test unit written" "$TMP/fuzz2.log" | head -n 20 | diag
fi
finish
