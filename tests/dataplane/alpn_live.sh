#!/usr/bin/env bash
# alpn_live.sh - the ALPN protocol a TLS client over TCP prefers, read by
# the kernel's TLS inspector (bpf/dpi_tls.h), from real handshakes across a
# veth pair: openssl s_client with ALPN lists of its own, and curl over
# HTTPS (h2 first). Recorded by dumpcap, run through the real kernel
# program (`lockstep inspect --pcap`), judged against the lists the clients
# were given (by hand) and against tshark's TLS dissector
# (tls.handshake.extensions_alpn_str: every id, in order; the first is the
# client's most preferred, RFC 7301 3.1), cut to the 11 bytes the event
# holds.
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
topo_init alpnlive
need_root
need dumpcap tshark openssl curl jq
topo_up || bail "cannot create namespaces"
topo_dad_done
tls_start || bail "openssl s_server did not start"

PCAP=$TMP/alpn.pcap
ip netns exec "$NS_S" dumpcap -q -i vs -P -w "$PCAP" >"$TMP/dumpcap.log" 2>&1 &
DUMPCAP=$!
PIDS+=($DUMPCAP)
wait_for 5 test -s "$PCAP" || { diag "$TMP/dumpcap.log"; bail "dumpcap did not start"; }

hello() { # SNI ADDR [ALPN]: one handshake (the answer does not matter)
	printf 'GET / HTTP/1.0\r\n\r\n' | in_c timeout 5 openssl s_client -quiet -connect "$2:443" \
		-servername "$1" ${3:+-alpn "$3"} >/dev/null 2>&1
}
hello a.alpn.test "$S4" "h2,http/1.1"
hello b.alpn.test "$S4" "http/1.1"
hello c.alpn.test "[$S6]" "acme-tls/1"
hello d.alpn.test "$S4" "x-a-protocol-id-past-eleven,h2"
hello e.alpn.test "$S4"
in_c curl -sk -o /dev/null --max-time 5 --resolve "f.alpn.test:443:$S4" https://f.alpn.test/ 2>/dev/null
sleep 0.5
kill -TERM "$DUMPCAP" 2>/dev/null
wait "$DUMPCAP" 2>/dev/null

"$LS_BIN" inspect --pcap "$PCAP" >"$TMP/alpn.jsonl" 2>"$TMP/inspect.err" || {
	not_ok "lockstep inspect"
	diag "$TMP/inspect.err"
	exit 1
}
mine=$(jq -r 'select(.event == "dpi" and .dpi == "tls") |
	"\(.tls_sni) \(.tls_alpn // "-")\(if .truncated then " cut" else "" end)"' "$TMP/alpn.jsonl" | sort | paste -sd'|')
# by hand: the first id of each list; none for e; curl (OpenSSL, built with
# nghttp2) offers h2 first
want="a.alpn.test h2|b.alpn.test http/1.1|c.alpn.test acme-tls/1|d.alpn.test x-a-protoco cut|e.alpn.test -|f.alpn.test h2"
check "each handshake's SNI and most preferred ALPN, as the clients were told ($mine)" \
	test "$mine" = "$want"
tshark -r "$PCAP" -Y 'tls.handshake.type == 1' -T fields -E separator=/t -E aggregator=, \
	-e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str \
	>"$TMP/tshark.tsv" 2>"$TMP/tshark.err"
diag "$TMP/tshark.err"
truth=$(awk -F'\t' '{ split($2, a, ","); id = a[1]; if (id == "") id = "-";
	cut = length(id) > 11; if (cut) id = substr(id, 1, 11);
	print $1 " " id (cut ? " cut" : "") }' "$TMP/tshark.tsv" | sort | paste -sd'|')
check "tshark sees the 6 ClientHellos" test "$(wc -l <"$TMP/tshark.tsv")" -eq 6
check "lockstep's SNI and ALPN are tshark's, every handshake ($truth)" test "$mine" = "$truth"
tr '|' '\n' <<<"$truth" >"$TMP/set.truth"
tr '|' '\n' <<<"$mine" >"$TMP/set.got"
set_score tls-alpn "$TMP/set.truth" "$TMP/set.got"
finish
