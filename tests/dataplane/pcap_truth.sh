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
. tests/lib/tap.sh
at_exit 'rm -rf "$TMP"'

treq=0 tfound=0 trep=0 tcorr=0
table=""
for pcap in "$PCAPS"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	truth="$PCAPS/$name.truth.tsv"
	[ -f "$truth" ] || continue
	if ! "$LS_BIN" inspect --pcap "$pcap" >"$TMP/$name.jsonl" 2>"$TMP/$name.err"; then
		not_ok "inspect $name exits 0"
		diag "$TMP/$name.err"
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
		ok "$name: precision 100% ($rep names), recall $found/$req"
	else
		not_ok "$name: precision $corr/$rep, recall $found/$req, bad json lines $badjson"
	fi
done
printf '# %-34s %8s %6s %8s %8s %9s %7s\n' capture required found recall% reported correct prec%
printf '%s' "$table"
tprec=$(python3 -c "print('%.2f' % (100.0*$tcorr/$trep) if $trep else '100.00')")
trec=$(python3 -c "print('%.2f' % (100.0*$tfound/$treq) if $treq else '100.00')")
printf '# %-34s %8s %6s %8s %8s %9s %7s\n' TOTAL "$treq" "$tfound" "$trec" "$trep" "$tcorr" "$tprec"
[ "$tcorr" -eq "$trep" ] && ok "total precision $tprec%" || not_ok "total precision $tprec% < 100%"
python3 -c "import sys; sys.exit(0 if $treq == 0 or $tfound * 100 >= 99 * $treq else 1)" &&
	ok "total recall $trec% >= 99%" || not_ok "total recall $trec% < 99%"
set_counts shared-pcaps "$treq" "$tfound" "$trep" "$tcorr"

# ---- every payload packet: DNS by content -----------------------------------
# DNS is recognised by content on any port, so its false positives are
# measured where they could be: every payload packet of every flow
# (--dpi-packets 255, not the window of 4), every capture. The truth holds
# every name tshark finds in any packet, so every name reported must be in
# it: 0 wrong reports of any kind, and a count of DNS names found off the
# DNS ports (where tshark, run with the capture's own hints, found them too).
wrong=0 wrong_dns=0 outcomes=0 dns_all=0 dns_off=0
for pcap in "$PCAPS"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	truth="$PCAPS/$name.truth.tsv"
	[ -f "$truth" ] || continue
	"$LS_BIN" inspect --pcap "$pcap" --dpi-packets 255 --stats >"$TMP/$name.all.jsonl" \
		2>"$TMP/$name.all.stats" || { not_ok "inspect --dpi-packets 255 $name"; continue; }
	python3 tests/dataplane/pcap_score.py "$truth" "$TMP/$name.all.jsonl" >"$TMP/$name.all.score"
	read -r _ _ rep corr _ <"$TMP/$name.all.score"
	wrong=$((wrong + rep - corr))
	wrong_dns=$((wrong_dns + $(grep -c "^# FP .* dns_qname=" "$TMP/$name.all.score")))
	grep "^# FP" "$TMP/$name.all.score" | sed "s/^# /# $name: /"
	outcomes=$((outcomes + $(tail -1 "$TMP/$name.all.stats" | jq '.dpi_http + .dpi_tls + .dpi_dns + .dpi_malformed + .dpi_partial + .dpi_none')))
	dns_all=$((dns_all + $(jq -s '[.[] | select(.event == "dpi" and .dpi == "dns" and .dns_qname)] | length' "$TMP/$name.all.jsonl")))
	dns_off=$((dns_off + $(jq -s '[.[] | select(.event == "dpi" and .dpi == "dns" and .dns_qname and ([.sport, .dport] - [53, 5353, 5355] | length) == 2)] | length' "$TMP/$name.all.jsonl")))
done
check "every payload packet inspected ($outcomes inspection outcomes): 0 wrong names (got $wrong, $wrong_dns of them DNS); $dns_all DNS names reported ($dns_off off the DNS ports), all in the truth" \
	test "$wrong" -eq 0

# ---- error paths --------------------------------------------------------
expect_err() { # expect_err NAME STATUS PATTERN -- cmd...
	local what=$1 want=$2 pat=$3
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ "$rc" -eq "$want" ] && grep -qiE "$pat" "$TMP/err"; then
		ok "$what (exit $rc: $(head -c 160 "$TMP/err" | head -1))"
	else
		not_ok "$what: exit $rc (want $want), stderr: $(head -c 300 "$TMP/err")"
	fi
}
# a record header promising more bytes than the file holds
head -c 100 "$PCAPS/http.pcap" >"$TMP/truncated.pcap"
expect_err "truncated capture is an error" 1 "corrupt|truncated" -- "$LS_BIN" inspect --pcap "$TMP/truncated.pcap"
# not a capture at all
printf 'this is not a capture file, just text\n' >"$TMP/garbage.pcap"
expect_err "garbage file is an error" 1 "cannot read capture" -- "$LS_BIN" inspect --pcap "$TMP/garbage.pcap"
# a valid capture of raw IP (link type 101), made by text2pcap, as pcap and
# as pcapng; a text2pcap that fails is a failure, never a vanished check
printf '0000  45 00 00 1c 00 00 00 00 40 11 00 00 c6 12 00 01 c6 12 00 02 00 35 00 35 00 08 00 00\n' >"$TMP/raw.txt"
if have text2pcap; then
	if text2pcap -q -l 101 "$TMP/raw.txt" "$TMP/raw.pcap" 2>"$TMP/t2p.err"; then
		expect_err "non-Ethernet link type is an error" 1 "link type.*not supported" -- "$LS_BIN" inspect --pcap "$TMP/raw.pcap"
	else
		not_ok "non-Ethernet link type is an error: text2pcap could not make a raw-IP capture"; diag "$TMP/t2p.err"
	fi
	if text2pcap -q -n -l 101 "$TMP/raw.txt" "$TMP/raw.pcapng" 2>"$TMP/t2p.err"; then
		expect_err "non-Ethernet pcapng is an error" 1 "link type.*not supported" -- "$LS_BIN" inspect --pcap "$TMP/raw.pcapng"
	else
		not_ok "non-Ethernet pcapng is an error: text2pcap could not make a raw-IP pcapng"; diag "$TMP/t2p.err"
	fi
else
	skip_missing "non-Ethernet link type is an error" "non-Ethernet pcapng is an error"
fi
expect_err "missing file is an error" 1 "cannot read capture" -- "$LS_BIN" inspect --pcap "$TMP/nope.pcap"
expect_err "no --pcap is a usage error" 2 "required" -- "$LS_BIN" inspect
expect_err "unknown option is a usage error" 2 "unknown option" -- "$LS_BIN" inspect --bogus
expect_err "bad --dpi-packets is a usage error" 2 "dpi-packets" -- "$LS_BIN" inspect --pcap x --dpi-packets 0
"$LS_BIN" inspect --help >"$TMP/help" 2>&1 && grep -q -- "--pcap FILE" "$TMP/help" &&
	ok "inspect --help" || not_ok "inspect --help"
# pcapng input gives the same events as pcap
if ! have editcap; then
	skip_missing "pcapng gives the same DPI events as pcap"
elif editcap -F pcapng "$PCAPS/http.pcap" "$TMP/http.pcapng" 2>"$TMP/editcap.err"; then
	"$LS_BIN" inspect --pcap "$TMP/http.pcapng" | grep -c '"event":"dpi"' >"$TMP/ng" 2>/dev/null
	"$LS_BIN" inspect --pcap "$PCAPS/http.pcap" | grep -c '"event":"dpi"' >"$TMP/pc" 2>/dev/null
	[ "$(cat "$TMP/ng")" = "$(cat "$TMP/pc")" ] && [ "$(cat "$TMP/pc")" -gt 0 ] &&
		ok "pcapng gives the same DPI events as pcap" || not_ok "pcapng differs from pcap"
else
	not_ok "pcapng gives the same DPI events as pcap: editcap could not convert http.pcap"
	diag "$TMP/editcap.err"
fi
finish
