#!/usr/bin/env bash
# quic_live.sh - real QUIC handshakes, Debian 12's ngtcp2 client
# (gtlsclient: ngtcp2 0.12 over GnuTLS) to its server (gtlsserver, a
# certificate made here by openssl), across the test veth while `lockstep
# run` is attached by XDP to the server's side: the kernel hands each client
# Initial to user space (bpf/dpi_handoff.h), which decrypts it
# (src/dataplane/quic_initial.c) and reports the ClientHello's SNI and first
# ALPN as a DPI event. Recorded by dumpcap on the same device, judged per
# connection against the names the test asked for and against tshark's own
# decryption of the Initials, and scored per set (tap.sh set_score).
#
#   quic-v1      QUIC v1, IPv4 and IPv6, SNIs from the client's host name
#                (resolved through /etc/netns/NS/hosts: the GnuTLS client
#                sends its host argument as SNI and ignores --sni), ALPN h3
#                (the client's own) and other lists
#   quic-v2      the v2 this client speaks, `-v v2draft`: version 0x709a50c4,
#                RFC 9369's packet types and labels with the drafts' salt.
#                tshark 4.0 names the version but cannot decrypt it: the
#                second reader of every connection is quic_open.py (Python's
#                `cryptography`, written from the RFCs, none of lockstep's code)
#   quic-split   ClientHellos too large for one Initial (an FFDHE-8192 key
#                share, 1 KiB, beside X25519's: ~1.3 KB), sent in two
#                Initial datagrams, v1 and v2, IPv4 and IPv6
#
# The client offers one ALPN, "h3", fixed in its source; other lists come
# from quic_alpn_shim.c, an LD_PRELOAD wrapper of the one GnuTLS call that
# sets them (GnuTLS still builds the ClientHello, ngtcp2 still encrypts it).
set -uo pipefail
. "$(dirname "$0")/../integration/lib/topo.sh"
topo_init quiclive
need_root
need gtlsclient gtlsserver dumpcap tshark openssl jq cc python3
topo_up || bail "cannot create namespaces"
# names for the client: `ip netns exec` binds /etc/netns/NS/hosts over
# /etc/hosts for the commands it runs
HOSTS_DIR=/etc/netns/$NS_C
mkdir -p "$HOSTS_DIR" || bail "cannot make $HOSTS_DIR"
at_exit "rm -rf '$HOSTS_DIR'"
wait_for 5 topo_dad_done || bail "IPv6 addresses stay tentative"

cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$TMP/alpn_shim.so" \
	"$LS_ROOT/tests/dataplane/quic_alpn_shim.c" -ldl 2>"$TMP/cc.err" || {
	diag "$TMP/cc.err"
	bail "cannot build the ALPN shim"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=quic.test -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 ||
	bail "openssl cannot make a certificate"
in_s gtlsserver -q '*' 4433 "$TMP/key.pem" "$TMP/cert.pem" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
wait_for 5 eval "in_s ss -Hlun 'sport = :4433' | grep -q 4433" || { diag "$TMP/server.log"; bail "gtlsserver did not bind"; }
agent_start a1 || { diag "$TMP/a1.err"; bail "agent did not start"; }
in_s dumpcap -q -i vs -P -w "$TMP/quic.pcap" >"$TMP/dumpcap.log" 2>&1 &
DUMPCAP=$!
PIDS+=($DUMPCAP)
wait_for 5 test -s "$TMP/quic.pcap" || { diag "$TMP/dumpcap.log"; bail "dumpcap did not start"; }

# ---- the connections: SET NAME FAMILY VERSION ALPN-LIST (- = the client's
# own, h3) GROUPS (- = the client's default) -----------------------------------
BIG=-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519
CONNS=(
	"quic-v1 a.quic.test 4 v1 - -"
	"quic-v1 six.quic.test 6 v1 - -"
	"quic-v1 b.quic.test 4 v1 hq-interop,h3 -"
	"quic-v1 c.quic.test 6 v1 doq -"
	"quic-v1 d.quic.test 4 v1 an-alpn-longer-than-eleven,h3 -"
	"quic-v1 a-label-of-sixty-three-bytes-for-a-long-sni-0123456789abcdefgh.quic.test 4 v1 h3,h3-29 -"
	"quic-v2 v2.quic.test 4 v2draft - -"
	"quic-v2 v2six.quic.test 6 v2draft hq-interop,h3 -"
	"quic-v2 v2c.quic.test 4 v2draft doq -"
	"quic-split big.quic.test 4 v1 - $BIG"
	"quic-split big6.quic.test 6 v1 hq-interop,h3 $BIG"
	"quic-split big2.quic.test 4 v2draft - $BIG"
	"quic-split big26.quic.test 6 v2draft - $BIG"
)
: >"$HOSTS_DIR/hosts"
for c in "${CONNS[@]}"; do
	read -r _ name fam _ <<<"$c"
	if [ "$fam" = 6 ]; then echo "$S6 $name"; else echo "$S4 $name"; fi >>"$HOSTS_DIR/hosts"
done
: >"$TMP/hand.tsv"
nok=0
for c in "${CONNS[@]}"; do
	read -r set name fam ver alpn groups <<<"$c"
	# the hand list: the SNI as given, the first ALPN id cut to the
	# event's 11 bytes (docs/dataplane.md, TLS)
	first=${alpn%%,*}
	[ "$alpn" = - ] && first=h3
	cut=""
	[ ${#first} -gt 11 ] && first=${first:0:11} cut=" cut"
	printf '%s\t%s %s%s\t%s\n' "$set" "$name" "$first" "$cut" "$ver" >>"$TMP/hand.tsv"
	args=(-q --exit-on-all-streams-close --timeout=3s -v "$ver")
	[ "$groups" = - ] || args+=(--groups="$groups")
	if [ "$alpn" = - ]; then
		in_c timeout 8 gtlsclient "${args[@]}" "$name" 4433 "https://$name/" >"$TMP/client-$name.log" 2>&1
	else
		LS_ALPN=$alpn LD_PRELOAD=$TMP/alpn_shim.so in_c timeout 8 gtlsclient "${args[@]}" \
			"$name" 4433 "https://$name/" >"$TMP/client-$name.log" 2>&1
	fi
	[ $? -eq 0 ] && nok=$((nok + 1))
done
sleep 0.5
kill -TERM "$DUMPCAP" 2>/dev/null
wait "$DUMPCAP" 2>/dev/null
# the clients whose list holds h3 complete their handshake and request; the
# "doq" ones may be refused by the h3 server, which is no matter here
check "the h3 connections completed (${nok} of ${#CONNS[@]} clients exited 0)" test "$nok" -ge 10

# ---- tshark: every datagram, and every ClientHello it decrypts --------------
tshark -n -r "$TMP/quic.pcap" -d udp.port==4433,quic -T fields -E separator=/t -E aggregator=, \
	-e frame.number -e udp.srcport -e udp.dstport -e quic.version -e quic.long.packet_type \
	-e tls.handshake.type -e tls.handshake.extensions_server_name \
	-e tls.handshake.extensions_alpn_str -Y udp >"$TMP/tshark.tsv" 2>"$TMP/tshark.err"
grep -v 'Running as user' "$TMP/tshark.err" | diag

# lockstep's QUIC events, as the agent wrote them: client port, then SNI,
# first ALPN and "cut" as the hand list has them
jq -r 'select(.event == "dpi" and .quic == true) |
	"\(.sport)\t\(.tls_sni // "-") \(.tls_alpn // "-")\(if .truncated then " cut" else "" end)"' \
	"$TMP/a1.json" >"$TMP/mine.tsv" 2>/dev/null

# the second reader: every client flow's Initials opened by quic_open.py
python3 "$LS_ROOT/tests/dataplane/quic_open.py" "$TMP/quic.pcap" 4433 >"$TMP/open.tsv" 2>"$TMP/open.err" ||
	diag "$TMP/open.err"

# The clients ran one after the other, so the n-th client port in the
# capture is the n-th connection of the list: each connection is judged by
# its port, against the hand list and (v1: tshark decrypts it) tshark.
python3 - "$TMP/tshark.tsv" "$TMP/hand.tsv" "$TMP/mine.tsv" "$TMP" "$TMP/open.tsv" >"$TMP/cmp.txt" <<'PY'
import sys, collections
tshark, hand, mine_tsv, tmp, open_tsv = sys.argv[1:6]
opened = dict(l.rstrip("\n").split("\t") for l in open(open_tsv) if "\t" in l)
V = {"v1": ("0x00000001", "0", "2"), "v2draft": ("0x709a50c4", "1", "3")}  # version, Initial, Handshake type
flows = collections.OrderedDict()
for l in open(tshark):
    frame, sport, dport, ver, ptype, hs, sni, alpn = (l.rstrip("\n").split("\t") + [""] * 8)[:8]
    if dport != "4433":
        continue
    f = flows.setdefault(sport, {"ver": ver.split(",")[0], "types": [], "hello": None})
    f["types"].append(ptype.split(",") if ptype else [])
    if "1" in hs.split(","):
        first = alpn.split(",")[0] if alpn else "-"
        f["hello"] = "%s %s%s" % (sni, first[:11], " cut" if len(first) > 11 else "")
conns = [l.rstrip("\n").split("\t") for l in open(hand)]   # set, name, version
mine = {}
extra = []
for l in open(mine_tsv):
    port, name = l.rstrip("\n").split("\t")
    if port in mine:
        extra.append(name)   # a second report for a connection: wrong
    mine[port] = name
print("flows %d of %d" % (len(flows), len(conns)))
truth, got = collections.defaultdict(list), collections.defaultdict(list)
vok = tsok = nts = split = pyok = 0
for (port, f), (s, want, ver) in zip(flows.items(), conns):
    truth[s].append(want)
    ls = mine.pop(port, None)
    if ls is not None:
        got[s].append(ls)
    vok += f["ver"] == V[ver][0]
    # client datagrams of Initials alone before the first that carries a
    # Handshake packet: the ClientHello's datagrams
    n = 0
    for t in f["types"]:
        if V[ver][2] in t:
            break
        n += t == [V[ver][1]]
    if s == "quic-split":
        split += n >= 2
    if f["hello"] is not None:
        nts += 1
        tsok += f["hello"] == want
    pyok += opened.get(port) == want
    print("  %s %s %s: port %s, Initial datagrams %d, tshark '%s', quic_open '%s', lockstep '%s'" % (
        s, ver, want, port, n, f["hello"], opened.get(port), ls))
got["quic-v1"] += list(mine.values()) + extra   # reports of no connection
for s in ("quic-v1", "quic-v2", "quic-split"):
    open("%s/truth-%s" % (tmp, s), "w").writelines(n + "\n" for n in truth[s])
    open("%s/got-%s" % (tmp, s), "w").writelines(n + "\n" for n in got[s])
print("versions_as_asked %d" % vok)
print("tshark_hellos %d equal_to_hand %d" % (nts, tsok))
print("split_in_two %d" % split)
print("quic_open_equal_to_hand %d" % pyok)
PY
diag "$TMP/cmp.txt"
n=${#CONNS[@]}
check "the capture holds the $n connections, in order" grep -qx "flows $n of $n" "$TMP/cmp.txt"
check "each connection used the QUIC version asked (0x00000001 or 0x709a50c4)" \
	grep -qx "versions_as_asked $n" "$TMP/cmp.txt"
check "tshark decrypted the 8 v1 ClientHellos, each the SNI and first ALPN asked for" \
	grep -qx 'tshark_hellos 8 equal_to_hand 8' "$TMP/cmp.txt"
check "the 4 large ClientHellos took two Initial datagrams each" grep -qx 'split_in_two 4' "$TMP/cmp.txt"
check "quic_open.py read all $n ClientHellos (v2 draft included), each the SNI and first ALPN asked for" \
	grep -qx "quic_open_equal_to_hand $n" "$TMP/cmp.txt"
for s in quic-v1 quic-v2 quic-split; do
	set_score "$s" "$TMP/truth-$s" "$TMP/got-$s"
done
[ -s "$TMP/truth-quic-v1" ] || diag "$TMP/tshark.tsv"
check "counters: QUIC Initials handed to user space, nothing dropped" quiet jq -e \
	'.dpi_handoff >= 17 and (.drop_verdict // 0) == 0' \
	<("$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null)
finish
