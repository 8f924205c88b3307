#!/usr/bin/env bash
# dns_live.sh - live DNS under the allowlist policy: dnsmasq in the server
# namespace is authoritative for the zone lockstep.test (no upstream), dig in
# the client namespace asks it over UDP and TCP through the attached data
# plane. The queries are seen as DPI dns_qname events, DNS passes (even for
# a name whose web traffic the policy denies), and the names dig resolved
# are then used: HTTP and TLS to the denied name are blocked, to the allowed
# one answered. Asserts the names, the answers and the counters.
set -uo pipefail
. "$(dirname "$0")/../obs/lib/obs.sh" # the policy topology, and metric scraping
policy_init pdns
need dnsmasq
nginx_start || bail "nginx did not start"
tls_start || bail "openssl s_server did not start"
ZONE=lockstep.test
OK_NAME=www.allowed.$ZONE BAD_NAME=evil.$ZONE
dnsmasq_start "$ZONE" --host-record="$OK_NAME,$S4,$S6" --host-record="$BAD_NAME,$S4" \
	--log-queries --log-facility="$TMP/dnsmasq.log" || bail "dnsmasq did not start"

if agent_start a1 --tc --policy "$G/allowlist.wasm" --policy-config "*.allowed.$ZONE passive" \
	--metrics 127.0.0.1:0; then
	ok "agent runs the allowlist policy"
else
	not_ok "agent runs the allowlist policy"; diag "$TMP/a1.err"; exit 1
fi

# dig NAME TYPE PORT [+tcp]: one query from the client port PORT; the answer
# section in $TMP/dig-PORT.out, the whole reply in $TMP/dig-PORT.full
ask() {
	in_c dig @"$S4" -b "$C4#$3" +tries=1 +time=3 ${4:-+notcp} "$1" "$2" >"$TMP/dig-$3.full" 2>&1
	local rc=$?
	grep -v '^;' "$TMP/dig-$3.full" | awk 'NF' >"$TMP/dig-$3.out"
	return $rc
}
check "dig over UDP: $OK_NAME A answered" ask "$OK_NAME" A 40531
check "  with the zone's address" grep -qE "^$OK_NAME\.[[:space:]].*IN[[:space:]]+A[[:space:]]+$S4\$" "$TMP/dig-40531.out"
check "  authoritatively (aa), NOERROR" bash -c \
	"grep -q 'status: NOERROR' '$TMP/dig-40531.full' && grep -qE 'flags:.* aa' '$TMP/dig-40531.full'"
check "dig over TCP: $BAD_NAME A answered" ask "$BAD_NAME" A 40532 +tcp
check "  with the zone's address" grep -qE "^$BAD_NAME\.[[:space:]].*IN[[:space:]]+A[[:space:]]+$S4\$" "$TMP/dig-40532.out"
check "  over TCP (dig says so)" grep -q "($S4) (TCP)" "$TMP/dig-40532.full"
check "dig over TCP: $OK_NAME AAAA answered" ask "$OK_NAME" AAAA 40533 +tcp
check "  with the zone's IPv6 address" grep -qiE "IN[[:space:]]+AAAA[[:space:]]+$S6\$" "$TMP/dig-40533.out"
ask "nope.$ZONE" A 40534
check "a name the zone does not hold: NXDOMAIN, no upstream asked" \
	grep -q 'status: NXDOMAIN' "$TMP/dig-40534.full"
check "dnsmasq answered them from its zone (auth[A] in its log)" bash -c \
	"grep -q 'auth\[A\] $OK_NAME from $C4' '$TMP/dnsmasq.log' && grep -q 'auth\[A\] $BAD_NAME from $C4' '$TMP/dnsmasq.log'"

# the DPI saw each query: its name, over UDP and over TCP, client -> server
qname_event() { # PROTO PORT NAME
	wait_for 5 jq -e -s --arg p "$1" --argjson port "$2" --arg n "$3" \
		'any(.[]; .event == "dpi" and .dpi == "dns" and .proto == $p and .sport == $port
		     and .dport == 53 and (.dns_qname == $n or .dns_qname == ($n + ".")))' "$TMP/a1.json"
}
check "dns_qname event: $OK_NAME over UDP" qname_event udp 40531 "$OK_NAME"
check "dns_qname event: $BAD_NAME over TCP" qname_event tcp 40532 "$BAD_NAME"
check "dns_qname event: $OK_NAME (AAAA) over TCP" qname_event tcp 40533 "$OK_NAME"
check "no DNS name that no client asked for" bash -c "! jq -r 'select(.event==\"dpi\" and .dpi==\"dns\") | .dns_qname' '$TMP/a1.json' | grep -vxE '(www\.allowed|evil|nope)\.$ZONE\.?'"
# the policy passed them: a pass verdict for each query's flow
dns_pass() { # PROTO PORT
	local id
	id=$(jq -r --arg p "$1" --argjson port "$2" \
		'select(.event == "flow_new" and .proto == $p and .sport == $port) | .flow_id' \
		"$TMP/a1.json" | head -1)
	[ -n "$id" ] && jq -e -s --argjson id "$id" \
		'any(.[]; .event == "verdict" and .flow_id == $id and .verdict == "pass")' \
		"$TMP/a1.json" >/dev/null
}
check "the UDP query's flow got a pass verdict" dns_pass udp 40531
check "the TCP query for the denied web name got a pass verdict too" dns_pass tcp 40532

# the resolved names in use: the web traffic of the denied one is blocked
ADDR=$(awk '$4 == "A" {print $5}' "$TMP/dig-40532.out" | head -1)
check "the denied name resolved to the server ($ADDR)" test "$ADDR" = "$S4"
R=$(after_verdict a1 "$BAD_NAME" 61200)
check "HTTP Host $BAD_NAME: cut once the policy decided ($R)" test "$R" = cut
R=$(after_verdict a1 "$OK_NAME" 61201)
check "HTTP Host $OK_NAME: answered ($R)" test "$R" = answered
check "TLS SNI $OK_NAME: request answered" sclient "$OK_NAME"
# s_server serves one connection at a time; a blocked one holds it: last
check "TLS SNI $BAD_NAME: no answer" no_sclient "$BAD_NAME"

# counters: the data plane's and the policy's
"$LS_BIN" counters --json --pin-dir "$PIN_DIR" >"$TMP/cnt.json"
check "data plane counter dpi_dns >= 4 ($(jq .dpi_dns "$TMP/cnt.json"))" \
	jq -e '.dpi_dns >= 4' "$TMP/cnt.json"
check "data plane dropped by verdict" jq -e '.drop_verdict > 0' "$TMP/cnt.json"
PORT=$(metrics_port a1)
scrape "$PORT" "$TMP/m.txt"
DNS_N=$(metric "$TMP/m.txt" lockstep_guest_allowlist_dns_total)
check "the policy counted the DNS flows it passed (${DNS_N:-none} >= 4)" ge "${DNS_N:-0}" 4
DENIED_N=$(metric "$TMP/m.txt" lockstep_guest_allowlist_denied_total)
check "and the flows it denied by name (${DENIED_N:-none} >= 2)" ge "${DENIED_N:-0}" 2
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
