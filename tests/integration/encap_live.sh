#!/usr/bin/env bash
# encap_live.sh - tunnels made with `ip link` over the client/server veth
# (VXLAN, Geneve, gretap, GRE with a key, IPIP, SIT 6in4, ip6tnl 4in6), real
# curl / openssl / dig traffic through each, lockstep's XDP and TC on the
# server's underlay device (vs). The inner flows' DPI events (names, tunnel
# type and id, outer addresses) are checked against the traffic the test
# sent and against tshark's decode of a capture of the same frames on vs.
# A tunnel kind this kernel cannot make (no module: this CI kernel has VXLAN
# alone built in) is a visible skip here; encap_bpf_live.sh makes Geneve,
# GRE with a key, 4in4, 6in4, 4in6 and MPLS in GRE live anyway, the kernel
# wrapping through BPF, and tests/dataplane/encap_frames.sh covers every
# kind with hand-built frames.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init encap

need_root
command -v tshark >/dev/null && command -v dumpcap >/dev/null ||
	bail "tshark / dumpcap not installed (scripts/deps.sh)"
topo_up || bail "could not build the topology"

# tunnel NAME KIND INNER_NET ARGS...: the same tunnel on both ends, client
# .1 and server .2 of INNER_NET (198.18.N.0/24, or 2001:db8:N::/64 for sit)
tunnel() {
	local name=$1 kind=$2 net=$3; shift 3
	local cargs sargs
	cargs=$(echo "$*" | sed "s/@L/$C4/g; s/@R/$S4/g; s/@l6/$C6/g; s/@r6/$S6/g")
	sargs=$(echo "$*" | sed "s/@L/$S4/g; s/@R/$C4/g; s/@l6/$S6/g; s/@r6/$C6/g")
	# shellcheck disable=SC2086
	ip -n "$NS_C" link add "$name" type "$kind" $cargs 2>>"$TMP/tunnels.err" || return 1
	# shellcheck disable=SC2086
	ip -n "$NS_S" link add "$name" type "$kind" $sargs 2>>"$TMP/tunnels.err" || return 1
	if [ "$kind" = sit ]; then
		ip -n "$NS_C" addr add "2001:db8:$net::1/64" dev "$name" nodad
		ip -n "$NS_S" addr add "2001:db8:$net::2/64" dev "$name" nodad
	else
		ip -n "$NS_C" addr add "198.18.$net.1/24" dev "$name"
		ip -n "$NS_S" addr add "198.18.$net.2/24" dev "$name"
	fi
	ip -n "$NS_C" link set "$name" up && ip -n "$NS_S" link set "$name" up
}
declare -A UP=()
up() { local n=$1 kind=$3; tunnel "$2" "$kind" "$n" "${@:4}" && UP[$n]=$kind; }
up 10 vx0 vxlan id 4242 local @L remote @R dstport 4789
up 11 gnv0 geneve id 77 remote @R
up 12 gtap0 gretap local @L remote @R key 5
up 13 gre0 gre local @L remote @R key 7
up 14 ipip0 ipip local @L remote @R
up 15 sit0 sit local @L remote @R
up 16 ip6t0 ip6tnl mode ipip6 local @l6 remote @r6
[ ${#UP[@]} -gt 0 ] || bail "this kernel makes no tunnel device at all"

LISTEN=""
for n in "${!UP[@]}"; do
	if [ "$n" = 15 ]; then LISTEN+="listen [2001:db8:15::2]:80; "; else LISTEN+="listen 198.18.$n.2:80; "; fi
done
nginx_start "$LISTEN" || { diag "$TMP/nginx-error.log"; bail "nginx did not start"; }
tls_start || { diag "$TMP/s_server.log"; bail "openssl s_server did not start"; }
agent_start a1 --tc || { diag "$TMP/a1.err"; bail "agent did not start"; }
in_s dumpcap -q -i vs -P -w "$TMP/vs.pcap" >/dev/null 2>"$TMP/dumpcap.err" &
CAP=$!
PIDS+=($CAP)
wait_for 5 test -s "$TMP/vs.pcap" || { diag "$TMP/dumpcap.err"; bail "dumpcap did not start"; }

ev() { [ -n "$(jq -c "select($1)" "$TMP/a1.json" 2>/dev/null | head -n 1)" ]; }
ev_wait() { wait_for 5 ev "$1"; }

# name TYPE ID OUTER_FAMILY: the tunnel the events must carry, per inner net
declare -A TT=([10]="vxlan 4242 4" [11]="geneve 77 4" [12]="gre 5 4" [13]="gre 7 4"
	[14]="ipip 0 4" [15]="ipip 0 4" [16]="ipip 0 6")
declare -A KIND=([10]=vxlan [11]=geneve [12]=gretap [13]=gre [14]=ipip [15]=sit [16]=ip6tnl)
want=0
for n in 10 11 12 13 14 15 16; do
	read -r ty id fam <<<"${TT[$n]}"
	if [ -z "${UP[$n]:-}" ]; then
		skip "${KIND[$n]} tunnel: HTTP, TLS and DNS through it" \
			"this kernel cannot make a ${KIND[$n]} device (no module; encap_bpf_live.sh makes it through BPF)"
		continue
	fi
	if [ "$n" = 15 ]; then want=$((want + 1)); else want=$((want + 3)); fi
	if [ "$n" = 15 ]; then srv="[2001:db8:15::2]"; else srv="198.18.$n.2"; fi
	if [ "$fam" = 6 ]; then osrc=$C6; else osrc=$C4; fi
	host="h$n.encap.test"
	check "$ty $n: HTTP through the tunnel" in_c curl -sS -o /dev/null --max-time 5 \
		-H "Host: $host" "http://$srv/index.html"
	check "  dpi: Host $host in $ty id $id, outer $osrc" ev_wait \
		".event==\"dpi\" and .http_host==\"$host\" and .tunnel.type==\"$ty\" and .tunnel.id==$id and .tunnel.outer_src==\"$osrc\""
	if [ "$n" != 15 ]; then
		sni="t$n.encap.test"
		check "$ty $n: TLS through the tunnel" bash -c "ip netns exec $NS_C openssl s_client \
			-connect $srv:443 -servername $sni </dev/null 2>/dev/null | grep -q CONNECTED"
		check "  dpi: SNI $sni in $ty id $id" ev_wait \
			".event==\"dpi\" and .tls_sni==\"$sni\" and .tunnel.type==\"$ty\" and .tunnel.id==$id"
		q="q$n.encap.test"
		in_c dig @"$srv" +tries=1 +time=1 "$q" A >/dev/null 2>&1
		check "  dpi: DNS qname $q in $ty id $id" ev_wait \
			".event==\"dpi\" and (.dns_qname==\"$q\" or .dns_qname==\"$q.\") and .tunnel.type==\"$ty\" and .tunnel.id==$id"
	fi
done
sleep 1
"$LS_BIN" counters --json --pin-dir "$PIN_DIR" >"$TMP/cnt.json"
check "counters: tunnelled > 0, nothing dropped, no encap errors" quiet jq -e \
	'.tunnelled > 0 and .drop_verdict == 0 and .drop_default == 0 and .encap_malformed == 0 and .encap_limit == 0' "$TMP/cnt.json"
check "no DPI name that no client sent" bash -c "! jq -r 'select(.event==\"dpi\") | (.http_host // .tls_sni // .dns_qname // empty)' '$TMP/a1.json' | grep -vxE '[hqt]1[0-6]\.encap\.test\.?'"

# ---- tshark's decode of the same frames ------------------------------------
kill "$CAP" 2>/dev/null; sleep 0.5
tshark -n -r "$TMP/vs.pcap" -Y 'http.request or tls.handshake.type==1 or (dns.flags.response==0)' \
	-T fields -E separator='|' -E occurrence=l \
	-e http.host -e tls.handshake.extensions_server_name -e dns.qry.name \
	-e vxlan.vni -e geneve.vni -e gre.key -e frame.protocols >"$TMP/tshark.txt" 2>/dev/null
# per name: the tunnel as tshark sees it ("vxlan 4242", "gre 5", "ipip 0")
python3 - "$TMP/tshark.txt" "$TMP/a1.json" "$TMP/set.truth" "$TMP/set.got" >"$TMP/cmp.txt" <<'PY'
import json, sys
ts = {}
for line in open(sys.argv[1]):
    h, sni, q, vni, gvni, key, protos = line.rstrip("\n").split("|")
    name = (h or sni or q).rstrip(".")
    if not name:
        continue
    p = protos.split(":")
    if "vxlan" in p:
        t = "vxlan %d" % int(vni)
    elif "geneve" in p:
        t = "geneve %d" % int(gvni)
    elif "gre" in p:
        t = "gre %d" % (int(key, 0) if key else 0)
    elif p.count("ip") + p.count("ipv6") >= 2:
        t = "ipip 0"
    else:
        t = "none"
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
    ls.setdefault(name, set()).add("%s %d" % (t["type"], t["id"]) if t else "none")
bad = 0
for name in sorted(set(ts) | set(ls)):
    same = ts.get(name) == ls.get(name)
    bad += not same
    print("%s %s: tshark %s, lockstep %s" % ("same" if same else "DIFF", name,
          sorted(ts.get(name, [])), sorted(ls.get(name, []))))
print("names %d differing %d" % (len(set(ts) | set(ls)), bad))
# the set (tap.sh set_score): one line per name and tunnel, each side
with open(sys.argv[3], "w") as t:
    t.writelines("%s %s\n" % (n, x) for n in sorted(ts) for x in sorted(ts[n]))
with open(sys.argv[4], "w") as g:
    g.writelines("%s %s\n" % (n, x) for n in sorted(ls) for x in sorted(ls[n]))
PY
diag "$TMP/cmp.txt"
check "tshark decoded the $want names sent through tunnels" bash -c "[ \$(grep -c '^same\|^DIFF' '$TMP/cmp.txt') -ge $want ]"
check "lockstep's names and tunnels equal tshark's, name by name" grep -q 'differing 0$' "$TMP/cmp.txt"
set_score encap-live "$TMP/set.truth" "$TMP/set.got"
