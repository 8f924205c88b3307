#!/usr/bin/env bash
# pcap_truth.sh - `lockstep inspect` over every capture in ../shared/pcaps,
# scored against its tshark ground truth (pcap_score.py; rules in
# ../shared/pcaps/README.md): one TAP line per capture (fails below 100%
# precision), a precision/recall table, totals (fail below 100% precision or
# 99% recall), then the error paths: corrupt capture, non-Ethernet link
# type, missing file and bad arguments give a clear message and the right
# exit status.
set -uo pipefail
cd "$(dirname "$0")/../.."
LS_BIN="${LS_BIN:-$PWD/build/asan/lockstep}"
PCAPS="${LS_SHARED:-$PWD/../shared}/pcaps"
TMP=$(mktemp -d /tmp/ls-pcap-truth.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
n=0 fail=0
tap() { # tap OK|FAIL name
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi
}

treq=0 tfound=0 trep=0 tcorr=0
table=""
for pcap in "$PCAPS"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	truth="$PCAPS/$name.truth.tsv"
	[ -f "$truth" ] || continue
	if ! "$LS_BIN" inspect --pcap "$pcap" >"$TMP/$name.jsonl" 2>"$TMP/$name.err"; then
		tap FAIL "inspect $name exits 0"
		sed 's/^/# /' "$TMP/$name.err"
		continue
	fi
	python3 tests/dataplane/pcap_score.py "$truth" "$TMP/$name.jsonl" >"$TMP/$name.score"
	read -r req found rep corr badjson <"$TMP/$name.score"
	grep '^#' "$TMP/$name.score"
	treq=$((treq + req)) tfound=$((tfound + found)) trep=$((trep + rep)) tcorr=$((tcorr + corr))
	prec=$(python3 -c "print('%.1f' % (100.0*$corr/$rep) if $rep else '-')")
	rec=$(python3 -c "print('%.1f' % (100.0*$found/$req) if $req else '-')")
	table+=$(printf '# %-34s %8s %6s %8s %8s %9s %7s' "$name" "$req" "$found" "$rec" "$rep" "$corr" "$prec")$'\n'
	if [ "$corr" -eq "$rep" ] && [ "$badjson" -eq 0 ]; then
		tap OK "$name: precision 100% ($rep names), recall $found/$req"
	else
		tap FAIL "$name: precision $corr/$rep, recall $found/$req, bad json lines $badjson"
	fi
done
printf '# %-34s %8s %6s %8s %8s %9s %7s\n' capture required found recall% reported correct prec%
printf '%s' "$table"
tprec=$(python3 -c "print('%.2f' % (100.0*$tcorr/$trep) if $trep else '100.00')")
trec=$(python3 -c "print('%.2f' % (100.0*$tfound/$treq) if $treq else '100.00')")
printf '# %-34s %8s %6s %8s %8s %9s %7s\n' TOTAL "$treq" "$tfound" "$trec" "$trep" "$tcorr" "$tprec"
[ "$tcorr" -eq "$trep" ] && tap OK "total precision $tprec%" || tap FAIL "total precision $tprec% < 100%"
python3 -c "import sys; sys.exit(0 if $treq == 0 or $tfound * 100 >= 99 * $treq else 1)" &&
	tap OK "total recall $trec% >= 99%" || tap FAIL "total recall $trec% < 99%"

# ---- error paths --------------------------------------------------------
expect_err() { # expect_err NAME STATUS PATTERN -- cmd...
	local what=$1 want=$2 pat=$3
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq "$want" ] && grep -qiE "$pat" "$TMP/err"; then
		tap OK "$what (exit $rc: $(head -c 160 "$TMP/err" | head -1))"
	else
		tap FAIL "$what: exit $rc (want $want), stderr: $(head -c 300 "$TMP/err")"
	fi
}
# a record header promising more bytes than the file holds
head -c 100 "$PCAPS/http.pcap" >"$TMP/truncated.pcap"
expect_err "truncated capture is an error" 1 "corrupt|truncated" -- "$LS_BIN" inspect --pcap "$TMP/truncated.pcap"
# not a capture at all
printf 'this is not a capture file, just text\n' >"$TMP/garbage.pcap"
expect_err "garbage file is an error" 1 "cannot read capture" -- "$LS_BIN" inspect --pcap "$TMP/garbage.pcap"
# a valid capture of raw IP (link type 101), made by text2pcap
printf '0000  45 00 00 1c 00 00 00 00 40 11 00 00 c6 12 00 01 c6 12 00 02 00 35 00 35 00 08 00 00\n' >"$TMP/raw.txt"
if text2pcap -q -l 101 "$TMP/raw.txt" "$TMP/raw.pcap" 2>/dev/null; then
	expect_err "non-Ethernet link type is an error" 1 "link type.*not supported" -- "$LS_BIN" inspect --pcap "$TMP/raw.pcap"
else
	tap FAIL "text2pcap could not make a raw-IP capture"
fi
# pcapng with a non-Ethernet interface
if text2pcap -q -n -l 101 "$TMP/raw.txt" "$TMP/raw.pcapng" 2>/dev/null; then
	expect_err "non-Ethernet pcapng is an error" 1 "link type.*not supported" -- "$LS_BIN" inspect --pcap "$TMP/raw.pcapng"
fi
expect_err "missing file is an error" 1 "cannot read capture" -- "$LS_BIN" inspect --pcap "$TMP/nope.pcap"
expect_err "no --pcap is a usage error" 2 "required" -- "$LS_BIN" inspect
expect_err "unknown option is a usage error" 2 "unknown option" -- "$LS_BIN" inspect --bogus
expect_err "bad --dpi-packets is a usage error" 2 "dpi-packets" -- "$LS_BIN" inspect --pcap x --dpi-packets 0
"$LS_BIN" inspect --help >"$TMP/help" 2>&1 && grep -q -- "--pcap FILE" "$TMP/help" &&
	tap OK "inspect --help" || tap FAIL "inspect --help"
# pcapng input gives the same events as pcap
if editcap -F pcapng "$PCAPS/http.pcap" "$TMP/http.pcapng" 2>/dev/null; then
	"$LS_BIN" inspect --pcap "$TMP/http.pcapng" | grep -c '"event":"dpi"' >"$TMP/ng" 2>/dev/null
	"$LS_BIN" inspect --pcap "$PCAPS/http.pcap" | grep -c '"event":"dpi"' >"$TMP/pc" 2>/dev/null
	[ "$(cat "$TMP/ng")" = "$(cat "$TMP/pc")" ] && [ "$(cat "$TMP/pc")" -gt 0 ] &&
		tap OK "pcapng gives the same DPI events as pcap" || tap FAIL "pcapng differs from pcap"
fi
echo "1..$n"
[ "$fail" -eq 0 ]
