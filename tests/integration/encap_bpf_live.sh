#!/usr/bin/env bash
# encap_bpf_live.sh - live traffic through the tunnels this kernel cannot
# make as devices (no gre / geneve / ipip / sit / ip6tnl module; CI's kernel
# is the same kind): Geneve with an option, GRE with a key over IPv4 and
# IPv6, gretap, 4in4, 6in4, 4in6, 6in6 and an MPLS label stack (in GRE), made by the kernel itself through BPF, as Cilium
# and the kernel's selftests (test_tc_tunnel.c) do. tests/integration/bpf/
# tunnel.bpf.c wraps on TC egress (bpf_skb_adjust_room + outer headers) and
# unwraps on TC ingress, on the client's vc and the server's vs, so real
# curl / openssl / dig conversations complete through each. lockstep's XDP
# on vs sees the wrapped requests (XDP runs before TC ingress, where the
# unwrapping sits) and its TC egress the wrapped replies (placed after the
# wrapping program). Each inner flow's DPI event (HTTP Host, TLS SNI, DNS
# name, tunnel type and id, outer source) is checked against what the test
# sent and configured, and against tshark's decode of a capture on vs.
# encap_live.sh keeps the tunnels `ip link` can make (VXLAN here).
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init tunbpf
TOOL=$LS_ROOT/build/asan/tools/tcx_tool

need_root
need clang jq tc python3
command -v tshark >/dev/null && command -v dumpcap >/dev/null ||
	bail "tshark / dumpcap not installed (scripts/deps.sh)"
[ -x "$TOOL" ] || bail "$TOOL not built (make tests-build)"

# what the tunnels carry: the program is built with these, the events and
# tshark must show them back
VNI=7721 KEY=2222 TAPKEY=2727 KEY6=2828 L1=1026 L2=2626
src=$LS_ROOT/tests/integration/bpf/tunnel.bpf.c
for dir in encap decap; do
	def=""
	[ $dir = encap ] && def=-DTL_ENCAP
	clang -O2 -g -target bpf -I/usr/include/"$(gcc -print-multiarch)" $def -DTL_VNI=$VNI \
		-DTL_KEY=$KEY -DTL_TAPKEY=$TAPKEY -DTL_KEY6=$KEY6 -DTL_LABEL1=$L1 -DTL_LABEL2=$L2 -c "$src" -o "$TMP/tl_$dir.o" ||
		bail "could not build the tunnel program ($dir)"
done
topo_up || bail "could not build the topology"

# the inner nets (tunnel.bpf.c's table): N -> kind, the families inside,
# and what lockstep must report: "type id outer-family [mpls]"
NETS="21 22 23 24 25 26 27 28 29"
declare -A KIND=([21]=geneve [22]=gre-key [23]=4in4 [24]=6in4 [25]=4in6 [26]=mpls [27]=gretap [28]=ip6gre-key [29]=6in6)
declare -A FAMS=([21]="4 6" [22]="4 6" [23]=4 [24]=6 [25]=4 [26]="4 6" [27]="4 6" [28]="4 6" [29]=6)
declare -A TT=([21]="geneve $VNI 4" [22]="gre $KEY 4" [23]="ipip 0 4" [24]="ipip 0 4"
	[25]="ipip 0 6" [26]="gre 0 4 mpls" [27]="gre $TAPKEY 4"
	[28]="gre $KEY6 6" [29]="ipip 0 6")
a4() { echo "198.18.$1.$2"; }
a6() { printf '2001:db8:%x::%s' "$1" "$2"; }
for n in $NETS; do
	for f in ${FAMS[$n]}; do
		for side in c s; do
			if [ $side = c ]; then ns=$NS_C dev=vc h=1; else ns=$NS_S dev=vs h=2; fi
			# room for the outer headers inside the veth's 1500 bytes
			if [ "$f" = 4 ]; then
				ip -n "$ns" addr add "$(a4 "$n" $h)/24" dev $dev noprefixroute &&
					ip -n "$ns" route add "198.18.$n.0/24" dev $dev src "$(a4 "$n" $h)" mtu 1400
			else
				ip -n "$ns" addr add "$(a6 "$n" $h)/64" dev $dev nodad noprefixroute &&
					ip -n "$ns" -6 route add "$(a6 "$n" '')/64" dev $dev mtu 1400
			fi || bail "could not address net $n (IPv$f)"
		done
	done
done
TL_DIR=$PIN_ROOT/tl
at_exit 'rm -rf "$TL_DIR"'
for side in c s; do
	if [ $side = c ]; then ns=$NS_C dev=vc; else ns=$NS_S dev=vs; fi
	tc -n "$ns" qdisc add dev $dev clsact &&
		tc -n "$ns" filter add dev $dev ingress bpf da obj "$TMP/tl_decap.o" sec tc ||
		bail "could not attach tl_decap on $dev ingress"
done
tc -n "$NS_C" filter add dev vc egress bpf da obj "$TMP/tl_encap.o" sec tc ||
	bail "could not attach tl_encap on vc egress"
# on vs, a TCX link: lockstep's TC is placed after it and sees what leaves
mkdir -p "$PIN_ROOT"
nsenter --net=/run/netns/"$NS_S" "$TOOL" attach vs "$TMP/tl_encap.o" tl_encap "$TL_DIR" first \
	>/dev/null 2>"$TMP/tcx.err" || { diag "$TMP/tcx.err"; bail "could not attach tl_encap on vs egress"; }

LISTEN=""
for n in $NETS; do
	for f in ${FAMS[$n]}; do
		if [ "$f" = 4 ]; then LISTEN+="listen $(a4 "$n" 2):80; "; else LISTEN+="listen [$(a6 "$n" 2)]:80; "; fi
	done
done
nginx_start "$LISTEN" || { diag "$TMP/nginx-error.log"; bail "nginx did not start"; }
tls_start || { diag "$TMP/s_server.log"; bail "openssl s_server did not start"; }
agent_start a1 --tc --tc-order after=tl_encap || { diag "$TMP/a1.err"; bail "agent did not start"; }
check "vs egress: the wrapping program runs before lockstep" test \
	"$(nsenter --net=/run/netns/"$NS_S" "$TOOL" show vs | awk '{print $2}' | paste -sd' ')" = "tl_encap ls_tc"
in_s dumpcap -q -i vs -P -w "$TMP/vs.pcap" >/dev/null 2>"$TMP/dumpcap.err" &
CAP=$!
PIDS+=("$CAP")
wait_for 5 test -s "$TMP/vs.pcap" || { diag "$TMP/dumpcap.err"; bail "dumpcap did not start"; }

ev() { [ -n "$(jq -c "select($1)" "$TMP/a1.json" 2>/dev/null | head -n 1)" ]; }
ev_wait() { wait_for 5 ev "$1"; }

want=0
for n in $NETS; do
	read -r ty id ofam mpls <<<"${TT[$n]}"
	[ "$ofam" = 6 ] && osrc=$C6 || osrc=$C4
	match=".tunnel.type==\"$ty\" and .tunnel.id==$id and .tunnel.outer_src==\"$osrc\""
	what="$ty id $id, outer $osrc"
	if [ -n "$mpls" ]; then
		match+=' and (.encap // [] | index("mpls") != null)'
		what+=", MPLS inside"
	fi
	for f in ${FAMS[$n]}; do
		if [ "$f" = 4 ]; then srv=$(a4 "$n" 2) url=$srv; else srv=$(a6 "$n" 2) url="[$srv]"; fi
		tag="${KIND[$n]} inner IPv$f"
		host="h$n-$f.tunbpf.test" sni="t$n-$f.tunbpf.test" q="q$n-$f.tunbpf.test"
		want=$((want + 3))
		check "$tag: HTTP through the tunnel" in_c curl -sS -o /dev/null --max-time 5 \
			-H "Host: $host" "http://$url/index.html"
		check "  dpi: Host $host in $what" ev_wait ".event==\"dpi\" and .http_host==\"$host\" and $match"
		check "$tag: TLS through the tunnel" bash -c "ip netns exec $NS_C openssl s_client \
			-connect $url:443 -servername $sni </dev/null 2>/dev/null | grep -q CONNECTED"
		check "  dpi: SNI $sni in $what" ev_wait ".event==\"dpi\" and .tls_sni==\"$sni\" and $match"
		in_c dig @"$srv" +tries=1 +time=1 "$q" A >/dev/null 2>&1
		check "  dpi: DNS qname $q in $what" ev_wait \
			".event==\"dpi\" and (.dns_qname==\"$q\" or .dns_qname==\"$q.\") and $match"
	done
done
sleep 1
"$LS_BIN" counters --json --pin-dir "$PIN_DIR" >"$TMP/cnt.json"
check "counters: tunnelled > 0, nothing dropped, no encap errors" quiet jq -e \
	'.tunnelled > 0 and .drop_verdict == 0 and .drop_default == 0 and .encap_malformed == 0 and .encap_limit == 0' "$TMP/cnt.json"
check "no DPI name that no client sent" bash -c "! jq -r 'select(.event==\"dpi\") | (.http_host // .tls_sni // .dns_qname // empty)' '$TMP/a1.json' | grep -vxE '[hqt]2[1-9]-[46]\.tunbpf\.test\.?'"

# ---- tshark's decode of the same frames ------------------------------------
kill "$CAP" 2>/dev/null
sleep 0.5
# (a query quoted in the server's ICMP port unreachable is not one sent)
tshark -n -r "$TMP/vs.pcap" -Y '(http.request or tls.handshake.type==1 or dns.flags.response==0) and not icmp and not icmpv6' \
	-T fields -E separator='|' -E occurrence=f \
	-e http.host -e tls.handshake.extensions_server_name -e dns.qry.name \
	-e geneve.vni -e gre.key -e ip.src -e ipv6.src -e frame.protocols >"$TMP/tshark.txt" 2>/dev/null
# per name: the tunnel as tshark sees it ("geneve 7721 198.18.1.1", "gre 0
# 198.18.1.1 mpls")
python3 - "$TMP/tshark.txt" "$TMP/a1.json" "$TMP/set.truth" "$TMP/set.got" >"$TMP/cmp.txt" <<'PY'
import json, sys
ts = {}
for line in open(sys.argv[1]):
    h, sni, q, gvni, key, src4, src6, protos = line.rstrip("\n").split("|")
    name = (h or sni or q).rstrip(".")
    if not name:
        continue
    p = protos.split(":")
    ips = [x for x in p if x in ("ip", "ipv6")]
    outer = (src4 if ips and ips[0] == "ip" else src6) if ips else ""
    if "geneve" in p:
        t = "geneve %d %s" % (int(gvni, 0), outer)
    elif "gre" in p:
        t = "gre %d %s" % (int(key, 0) if key else 0, outer)
    elif len(ips) >= 2:
        t = "ipip 0 %s" % outer
    else:
        t = "none"
    if "mpls" in p:
        t += " mpls"
    ts.setdefault(name, set()).add(t)
ls = {}
for line in open(sys.argv[2]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") != "dpi":
        continue
    name = (e.get("http_host") or e.get("tls_sni") or e.get("dns_qname") or "").rstrip(".")
    t = e.get("tunnel")
    x = "%s %d %s" % (t["type"], t["id"], t.get("outer_src", "")) if t else "none"
    if "mpls" in (e.get("encap") or []):
        x += " mpls"
    ls.setdefault(name, set()).add(x)
bad = 0
for name in sorted(set(ts) | set(ls)):
    same = ts.get(name) == ls.get(name)
    bad += not same
    print("%s %s: tshark %s, lockstep %s" % ("same" if same else "DIFF", name,
          sorted(ts.get(name, [])), sorted(ls.get(name, []))))
print("names %d differing %d" % (len(set(ts) | set(ls)), bad))
with open(sys.argv[3], "w") as t:
    t.writelines("%s %s\n" % (n, x) for n in sorted(ts) for x in sorted(ts[n]))
with open(sys.argv[4], "w") as g:
    g.writelines("%s %s\n" % (n, x) for n in sorted(ls) for x in sorted(ls[n]))
PY
diag "$TMP/cmp.txt"
# what the BPF tunnels wrote, read by tshark: the outer IPv4 checksums, the
# label stack, the Geneve option, gretap's inner Ethernet
tshark -n -r "$TMP/vs.pcap" -o ip.check_checksum:TRUE -Y 'ip.checksum.status != 1' \
	-T fields -e frame.number >"$TMP/badsum.txt" 2>/dev/null
check "tshark: every IPv4 header checksum right (outer and inner)" test ! -s "$TMP/badsum.txt"
tshark -n -r "$TMP/vs.pcap" -Y mpls -T fields -E occurrence=a -E aggregator=, -e mpls.label \
	-e mpls.bottom 2>/dev/null | sort -u >"$TMP/labels.txt"
check "tshark: the MPLS stack is $L1, $L2 (bottom)" test "$(cat "$TMP/labels.txt")" = "$L1,$L2	0,1"
check "tshark: gretap frames (key $TAPKEY) carry Ethernet inside" bash -c "[ \$(tshark -n -r '$TMP/vs.pcap' \
	-Y 'gre.key == $TAPKEY and gre.proto == 0x6558 and eth.type' 2>/dev/null | wc -l) -gt 0 ]"
check "tshark: Geneve frames carry their option" bash -c "[ \$(tshark -n -r '$TMP/vs.pcap' \
	-Y 'geneve and geneve.option.type == 0x42' 2>/dev/null | wc -l) -gt 0 ]"
check "tshark decoded the $want names sent through tunnels" bash -c "[ \$(grep -c '^same\|^DIFF' '$TMP/cmp.txt') -ge $want ]"
check "tshark saw no name outside a tunnel" bash -c "! grep -q \"'none'\" '$TMP/cmp.txt'"
check "lockstep's names and tunnels equal tshark's, name by name" grep -q 'differing 0$' "$TMP/cmp.txt"
set_score encap-bpf-live "$TMP/set.truth" "$TMP/set.got"
