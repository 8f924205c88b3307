#!/usr/bin/env bash
# abi_examples.sh - the examples of docs/abi.md work as written: every code
# block there that starts by naming its file (`/* pass.c - ...`, `// pass.ts
# - ...`) is extracted, built with the command the page gives, and run
# offline (`lockstep inspect`) over a capture made here (two HTTP requests
# and a DNS query) with the verdicts its text promises checked.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${LS_BIN:=build/asan/lockstep}"
DOC=docs/abi.md
ASC=guests/as/node_modules/.bin/asc
TMP=$(mktemp -d /tmp/ls-pabi-$$.XXXXXX)
. tests/lib/tap.sh
at_exit 'rm -rf "$TMP"'

need_root # BPF_PROG_TEST_RUN

# the named code blocks, one file each in $TMP
python3 - "$DOC" "$TMP" <<'PY'
import re, sys
doc, out = sys.argv[1], sys.argv[2]
blocks = re.findall(r"^```(?:c|ts)\n(.*?)^```", open(doc).read(), re.S | re.M)
for b in blocks:
    m = re.match(r"(?:/\*|//) ([A-Za-z0-9_-]+\.(?:c|ts)) - ", b)
    if m:
        open("%s/%s" % (out, m.group(1)), "w").write(b)
        print(m.group(1))
PY
for f in pass.c pass.ts renew.c rules.c rules.ts h3.c labels.c labels.ts; do
	check "$DOC has the example $f" test "$([ -f "$TMP/$f" ]; echo $?)" = 0
done

# the build commands as the page gives them (-Wall -Werror on top: the
# examples compile cleanly)
CC_CMD='clang --target=wasm32-unknown-unknown -O2 -nostdlib -Iinclude'
CC_LD='-Wl,--no-entry -Wl,--export-dynamic'
AS_FLAGS='-O3 --runtime stub --noAssert --use abort='
check "$DOC gives the C build command checked here" test "$(grep -q -- "$CC_CMD" "$DOC" && grep -q -- "$CC_LD" "$DOC"; echo $?)" = 0
check "$DOC gives the AssemblyScript build command checked here" test "$(grep -q -- "asc pass.ts $AS_FLAGS" "$DOC"; echo $?)" = 0
for c in pass renew rules h3 labels; do
	$CC_CMD -Wall -Werror $CC_LD "$TMP/$c.c" -o "$TMP/$c.wasm" 2>"$TMP/$c.cc.err"
	check "$c.c builds" test $? = 0
	diag "$TMP/$c.cc.err"
done
AS_OK=0
if have "$ASC"; then
	"$ASC" "$TMP/pass.ts" $AS_FLAGS -o "$TMP/pass_as.wasm" >"$TMP/as.err" 2>&1
	check "pass.ts builds" test $? = 0
	"$ASC" "$TMP/rules.ts" $AS_FLAGS -o "$TMP/rules_as.wasm" >"$TMP/as2.err" 2>&1
	check "rules.ts builds" test $? = 0
	diag "$TMP/as2.err"
	"$ASC" "$TMP/labels.ts" $AS_FLAGS -o "$TMP/labels_as.wasm" >"$TMP/as3.err" 2>&1
	check "labels.ts builds" test $? = 0
	diag "$TMP/as3.err"
	AS_OK=1
else
	skip_missing "pass.ts builds"
fi

# a capture: HTTP to www.example.com and to evil.test (SYN, then the
# request), a DNS query for www.example.com
python3 - "$TMP/cap.pcap" <<'PY'
import struct, sys
def frame(proto, sport, dport, flags, payload):
    l4 = (struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)
          if proto == 6 else struct.pack(">HHHH", sport, dport, 8 + len(payload), 0))
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4) + len(payload), 1, 0, 64,
                     proto, 0, bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + l4 + payload
def http(host):
    return ("GET / HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n" % host).encode()
dns = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
       b"\x03www\x07example\x03com\x00\x00\x01\x00\x01")
frames = [frame(6, 40000, 80, 0x02, b""), frame(6, 40000, 80, 0x18, http("www.example.com")),
          frame(6, 40001, 80, 0x02, b""), frame(6, 40001, 80, 0x18, http("evil.test")),
          frame(17, 40002, 53, 0, dns)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1000 + i, 0, len(fr), len(fr)) + fr)
PY

# verdict FILE PORT: "verdict ttl_ns" of the flow with this client port
verdict() { jq -r --arg p " $2 " 'select(.event == "verdict" and (.flow | contains($p))) |
	"\(.verdict) \(.ttl_ns)"' "$1" | tail -1; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 > lo && v + 0 <= hi) }'; }

passes_all() { # WASM NAME: every flow of the capture passes for 30 s
	"$LS_BIN" inspect --pcap "$TMP/cap.pcap" --policy "$1" >"$TMP/$2.out" 2>"$TMP/$2.err"
	check "$2: lockstep inspect runs it" test $? = 0
	for p in 40000 40001 40002; do
		read -r v ttl <<<"$(verdict "$TMP/$2.out" $p)"
		check "$2: the flow from port $p passes for 30 s ($v $ttl)" test "$([ "$v" = pass ] && within "$ttl" 29e9 30e9; echo $?)" = 0
	done
}
passes_all "$TMP/pass.wasm" pass.c
if [ "$AS_OK" = 1 ]; then
	passes_all "$TMP/pass_as.wasm" pass.ts
else
	skip_missing "pass.ts: every flow passes for 30 s"
fi

"$LS_BIN" inspect --pcap "$TMP/cap.pcap" --policy "$TMP/renew.wasm" \
	--policy-config '*.example.com' >"$TMP/renew.out" 2>"$TMP/renew.err"
check "renew.c: lockstep inspect runs it" test $? = 0
read -r v ttl <<<"$(verdict "$TMP/renew.out" 40000)"
check "renew.c: Host www.example.com passes for 2 s ($v $ttl)" test "$([ "$v" = pass ] && within "$ttl" 1e9 2e9; echo $?)" = 0
read -r v ttl <<<"$(verdict "$TMP/renew.out" 40001)"
check "renew.c: Host evil.test is dropped for good ($v $ttl)" test "$([ "$v" = drop ] && [ "$ttl" = 0 ]; echo $?)" = 0
read -r v ttl <<<"$(verdict "$TMP/renew.out" 40002)"
check "renew.c: the DNS query for www.example.com passes ($v $ttl)" test "$([ "$v" = pass ] && within "$ttl" 1e9 2e9; echo $?)" = 0
"$LS_BIN" inspect --pcap "$TMP/cap.pcap" --policy "$TMP/renew.wasm" >/dev/null 2>"$TMP/renew2.err"
check "renew.c without a pattern: refused by its init, as the example says" test "$([ $? -ne 0 ] && grep -q 'init refused its configuration' "$TMP/renew2.err"; echo $?)" = 0
# rules.c: its init installs two kernel rules; the DNS query under
# *.example.com and the HTTP request for evil.test are decided by them in
# the kernel (no on_dpi, no verdict from the policy); www.example.com is
# decided once by on_dpi and memoised as an exact HTTP rule
"$LS_BIN" inspect --pcap "$TMP/cap.pcap" --policy "$TMP/rules.wasm" >"$TMP/rules.out" 2>"$TMP/rules.err"
check "rules.c: lockstep inspect runs it" test $? = 0
rule_ok() { jq -e -s --arg p "$1" --arg v "$2" \
	'any(.[]; .event == "rule" and .op == "add" and .pattern == $p and .verdict == $v and .ok)' \
	"$TMP/rules.out" >/dev/null; }
check "rules.c: init installed both rules" test "$(rule_ok '*.example.com' reject && rule_ok evil.test drop; echo $?)" = 0
check "rules.c: lsg_memo published www.example.com as a pass rule" test "$(rule_ok www.example.com pass; echo $?)" = 0
read -r v ttl <<<"$(verdict "$TMP/rules.out" 40000)"
check "rules.c: Host www.example.com passes, by on_dpi ($v $ttl)" test "$([ "$v" = pass ] && [ "$ttl" = 0 ]; echo $?)" = 0
check "rules.c: evil.test and the DNS query got no verdict from the policy (the kernel decided)" test "$([ -z "$(verdict "$TMP/rules.out" 40001)" ] && [ -z "$(verdict "$TMP/rules.out" 40002)" ]; echo $?)" = 0
check "rules.c: 4 events reached the policy: 3 flows, 1 DPI name (the 2 rule hits sent none)" test "$(grep -q '"policy_events":4,' "$TMP/rules.err"; echo $?)" = 0
# rules.ts: its init pushed *.example.com -> reject for DNS; the query is
# decided by the kernel (no verdict from the policy), both HTTP flows pass
# by on_dpi
if [ "$AS_OK" = 1 ]; then
	"$LS_BIN" inspect --pcap "$TMP/cap.pcap" --policy "$TMP/rules_as.wasm" >"$TMP/rules.out" 2>"$TMP/rules_as.err"
	check "rules.ts: lockstep inspect runs it" test $? = 0
	check "rules.ts: init installed *.example.com -> reject (DNS)" test "$(rule_ok '*.example.com' reject; echo $?)" = 0
	check "rules.ts: both HTTP flows pass by on_dpi" test \
		"$(verdict "$TMP/rules.out" 40000 | cut -d' ' -f1)$(verdict "$TMP/rules.out" 40001 | cut -d' ' -f1)" = passpass
	check "rules.ts: the DNS query got no verdict from the policy (the kernel decided)" test -z "$(verdict "$TMP/rules.out" 40002)"
else
	skip_missing "rules.ts: the kernel decides the DNS query"
fi
# labels.c, labels.ts (labelled metrics, docs/abi.md "Labels"): every
# flow of the capture passes (each got its on_dpi), and the host took every
# labelled update: the example logs "update refused" at error otherwise
labels_run() { # WASM NAME
	"$LS_BIN" inspect --pcap "$TMP/cap.pcap" --policy "$1" --log-level debug >"$TMP/$2.out" 2>"$TMP/$2.err"
	check "$2: lockstep inspect runs it (its init defined the labelled metric)" test $? = 0
	check "$2: the three flows pass, by on_dpi" test \
		"$(for p in 40000 40001 40002; do verdict "$TMP/$2.out" $p | cut -d' ' -f1; done | tr -d '\n')" = passpasspass
	check "$2: every labelled update was taken" test "$(grep -c 'update refused' "$TMP/$2.err")" = 0
}
labels_run "$TMP/labels.wasm" labels.c
if [ "$AS_OK" = 1 ]; then
	labels_run "$TMP/labels_as.wasm" labels.ts
else
	skip_missing "labels.ts: every flow passes"
fi
# h3.c (ABI version 2): over the QUIC capture of tests/dataplane (the RFC
# 9001 A.2 Initial, SNI example.com, ALPN "alpn", from port 41001; a split
# ClientHello for split-v1.quic.example from 41003), example.com passes and
# the other QUIC flow is dropped; the ALPN is logged
python3 tests/dataplane/quic_tshark.py "$LS_BIN" --make "$TMP/quic.pcap"
"$LS_BIN" inspect --pcap "$TMP/quic.pcap" --policy "$TMP/h3.wasm" --policy-config example.com \
	>"$TMP/h3.out" 2>"$TMP/h3.err"
check "h3.c: lockstep inspect runs it" test $? = 0
check "h3.c: the QUIC flow to example.com passes" test "$(verdict "$TMP/h3.out" 41001 | cut -d' ' -f1)" = pass
check "h3.c: the QUIC flow to split-v1.quic.example is dropped" test "$(verdict "$TMP/h3.out" 41003 | cut -d' ' -f1)" = drop
check "h3.c: the offered ALPN reached the log" grep -q '"msg":"alpn"' "$TMP/h3.err"
finish
