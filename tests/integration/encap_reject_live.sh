#!/usr/bin/env bash
# encap_reject_live.sh - a name rejected inside a VXLAN tunnel fails the real
# client at once (bpf/reject.h, docs/dataplane.md "Rejects", "Inside a
# tunnel"): a VXLAN device made with `ip link` on both ends of the
# client/server veth, inner IPv4 and IPv6, lockstep's XDP on the server's
# underlay device (vs). A policy (tests/policy/guests/namerule.c) pushes
# kernel rules for *.blocked.test; run once with "drop" (the plain drop a
# tunnelled reject was before) and once with "reject":
#   dig +tries=1: timed out (drop) / status REFUSED in well under a second,
#       dnsmasq never hearing the query (reject);
#   curl -H 'Host: www.blocked.test': timed out (drop) / connection reset
#       at once, nginx never seeing the request (reject);
# the replies, captured on the client's veth (vc), decoded by tshark as
# VXLAN VNI 4242 from the server's VTEP to the client's, to UDP port 4789,
# inner DNS REFUSED / TCP RST, checksums valid. Other tunnel kinds are covered frame by frame by
# tests/dataplane/reject_tunnel_frames.sh (this kernel makes VXLAN only).
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init encrej

need_root
need dig curl dnsmasq nginx tshark dumpcap
G=$LS_ROOT/build/guests
[ -f "$G/test/namerule.wasm" ] || bail "$G/test/namerule.wasm not built (make guests)"
topo_up || bail "could not build the topology"
# XDP_TX on a veth hands the frame to the peer's NAPI, which a veth has
# only with an XDP program of its own (reject_live.sh says more)
ip -n "$NS_C" link set vc xdp obj "$LS_ROOT/build/bpf/baseline.bpf.o" sec xdp.frags ||
	bail "cannot attach a pass program to the client's veth"

I4C=198.18.10.1 I4S=198.18.10.2 I6C=2001:db8:10::1 I6S=2001:db8:10::2
vx() { # NS LOCAL REMOTE
	ip -n "$1" link add vx0 type vxlan id 4242 local "$2" remote "$3" dstport 4789
}
if ! vx "$NS_C" "$C4" "$S4" 2>"$TMP/vx.err" || ! vx "$NS_S" "$S4" "$C4" 2>>"$TMP/vx.err"; then
	diag "$TMP/vx.err"
	skip_all "this kernel cannot make a VXLAN device"
fi
ip -n "$NS_C" addr add $I4C/24 dev vx0 && ip -n "$NS_S" addr add $I4S/24 dev vx0
ip -n "$NS_C" addr add $I6C/64 dev vx0 nodad && ip -n "$NS_S" addr add $I6S/64 dev vx0 nodad
ip -n "$NS_C" link set vx0 up && ip -n "$NS_S" link set vx0 up
# the same over an IPv6 underlay: Linux's vxlan drops a zero UDP checksum
# over IPv6 (udp6zerocsumrx off, the default), so this one checks the
# outer checksum the reply carries is right
I4C6=198.18.11.1 I4S6=198.18.11.2
ip -n "$NS_C" link add vx6 type vxlan id 4243 local $C6 remote $S6 dstport 4789 &&
	ip -n "$NS_S" link add vx6 type vxlan id 4243 local $S6 remote $C6 dstport 4789 ||
	bail "a VXLAN device over IPv6 could not be made where one over IPv4 could"
ip -n "$NS_C" addr add $I4C6/24 dev vx6 && ip -n "$NS_S" addr add $I4S6/24 dev vx6
ip -n "$NS_C" link set vx6 up && ip -n "$NS_S" link set vx6 up
wait_for 10 topo_dad_done

nginx_start "listen $I4S:80; listen [$I6S]:80; listen $I4S6:80;" || { diag "$TMP/nginx-error.log"; bail "nginx did not start"; }
ZONE=rej.test
dnsmasq_start "$ZONE" --listen-address=$I4S --listen-address=$I6S --listen-address=$I4S6 \
	--host-record="www.$ZONE,$I4S,$I6S" --host-record="www.blocked.test,$I4S,$I6S" \
	--auth-zone=blocked.test --log-queries --log-facility="$TMP/dnsmasq.log" ||
	bail "dnsmasq did not start"
LS() { "$LS_BIN" "$@" --pin-dir "$PIN_DIR"; }
counter() { LS counters --json 2>/dev/null | jq -r ".$1 // 0"; }

# dig_t NAME SERVER: dig's output in $TMP/dig.out, the elapsed ms in MS
dig_t() {
	local t0
	t0=$(date +%s%N)
	in_c dig @"$2" +tries=1 +time=2 +notcp "$1" A >"$TMP/dig.out" 2>&1
	MS=$((($(date +%s%N) - t0) / 1000000))
}
# curl_t HOST URL: curl's exit status in RC, seconds in SECS
curl_t() {
	in_c curl -sS -o /dev/null --max-time 2 -H "Host: $1" -w '%{time_total}\n' "$2" \
		>"$TMP/curl.out" 2>"$TMP/curl.err"
	RC=$?
	SECS=$(grep -o '^[0-9.]*$' "$TMP/curl.out" | tail -1)
	SECS=${SECS:-9}
}
fast() { awk -v t="$1" 'BEGIN { exit !(t < 0.5) }'; }
url() { case $1 in *:*) echo "http://[$1]/$2" ;; *) echo "http://$1/$2" ;; esac; }

run_agent() { # NAME VERDICT [run options]
	agent_start "$1" "${@:3}" --policy "$G/test/namerule.wasm" --policy-config "$2 *.blocked.test" ||
		{ diag "$TMP/$1.err"; bail "agent ($2) did not start"; }
}
stop_agent() { kill "$AGENT" 2>/dev/null; wait "$AGENT" 2>/dev/null; LS stop >/dev/null 2>&1; }

# ---- the plain drop: the client waits out its timeout -------------------------
run_agent a1 drop
for v in 4 6; do
	[ $v = 4 ] && S=$I4S || S=$I6S
	dig_t www.$ZONE "$S"
	check "drop run, inner IPv$v: a name not blocked is answered through the tunnel (NOERROR)" \
		grep -q 'status: NOERROR' "$TMP/dig.out"
	dig_t www.blocked.test "$S"
	DROP_DIG[$v]=$MS
	check "drop run, inner IPv$v: dig of a dropped name times out (${MS} ms)" \
		bash -c "grep -q 'timed out' '$TMP/dig.out' && [ $MS -ge 1900 ]"
	curl_t www.blocked.test "$(url "$S" "index.html?drop$v")"
	DROP_CURL[$v]=$SECS
	check "drop run, inner IPv$v: curl with a dropped Host times out (exit $RC, ${SECS} s)" test "$RC" = 28
done
check "drop run: rejects 0, the rules dropped ($(counter drop_verdict) packets)" \
	bash -c "[ $(counter reject_dns) = 0 ] && [ $(counter reject_tcp) = 0 ] && [ $(counter drop_verdict) -gt 0 ]"
stop_agent

# ---- the reject: answered inside the tunnel, the client fails at once ----------
nq0=$(grep -c "\[A\] www.blocked.test" "$TMP/dnsmasq.log")
run_agent a2 reject --tc
in_c dumpcap -q -i vc -P -w "$TMP/vc.pcap" -f 'udp port 4789' >/dev/null 2>"$TMP/dumpcap.err" &
CAP=$!
PIDS+=("$CAP")
wait_for 5 test -s "$TMP/vc.pcap" || { diag "$TMP/dumpcap.err"; bail "dumpcap did not start"; }
for v in 4 6; do
	[ $v = 4 ] && S=$I4S || S=$I6S
	dig_t www.$ZONE "$S"
	check "reject run, inner IPv$v: a name not blocked is answered (NOERROR)" \
		grep -q 'status: NOERROR' "$TMP/dig.out"
	dig_t www.blocked.test "$S"
	check "reject run, inner IPv$v: dig +tries=1 reads status REFUSED from $S (${MS} ms)" \
		bash -c "grep -q 'status: REFUSED' '$TMP/dig.out' && grep -q 'SERVER: $S#53' '$TMP/dig.out'"
	check "  in well under a second (${MS} ms; the plain drop: ${DROP_DIG[$v]} ms)" test "$MS" -lt 500
	curl_t www.blocked.test "$(url "$S" "index.html?rej$v")"
	check "reject run, inner IPv$v: curl reads a connection reset (exit $RC: $(head -c 80 "$TMP/curl.err"))" \
		bash -c "[ $RC = 56 ] || grep -qi reset '$TMP/curl.err'"
	check "  at once (${SECS} s < 0.5 s, under the 1 s retransmit; the plain drop: ${DROP_CURL[$v]} s)" fast "$SECS"
done
# over the IPv6 underlay (vx6): the reply's outer UDP checksum computed
dig_t www.blocked.test "$I4S6"
check "reject run, VXLAN over IPv6: dig reads status REFUSED (${MS} ms): the outer UDP checksum passed Linux's vxlan" \
	bash -c "grep -q 'status: REFUSED' '$TMP/dig.out' && [ $MS -lt 500 ]"
curl_t www.blocked.test "$(url "$I4S6" "index.html?rej6u")"
check "reject run, VXLAN over IPv6: curl reads a connection reset at once (exit $RC, ${SECS} s)" \
	bash -c "{ [ $RC = 56 ] || grep -qi reset '$TMP/curl.err'; } && awk -v t=$SECS 'BEGIN { exit !(t < 0.5) }'"
sleep 0.5
# (the drop run's requests may reach nginx later: curl gave up, its
# kernel retransmits them once that agent is gone; the reject run's were
# reset, nothing is left to retransmit)
check "nginx never saw a rejected request" bash -c "! grep -q 'index.html?rej' '$TMP/nginx-access.log'"
nq=$(grep -c "\[A\] www.blocked.test" "$TMP/dnsmasq.log")
check "dnsmasq never heard a rejected query (it heard $((nq - nq0)))" test "$nq" = "$nq0"
check "reject_dns 3, reject_tcp >= 3, reject_none 0 ($(counter reject_dns), $(counter reject_tcp), $(counter reject_none))" \
	bash -c "[ $(counter reject_dns) = 3 ] && [ $(counter reject_tcp) -ge 3 ] && [ $(counter reject_none) = 0 ]"

# ---- tshark's reading of the replies, as the client's underlay received them -----
sleep 0.3
kill "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null
tshark -n -r "$TMP/vc.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-Y "ip.src==$S4 and (dns.flags.rcode==5 or tcp.flags.reset==1)" -T fields -E separator='|' -E occurrence=a \
	-E aggregator=, -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e vxlan.vni -e dns.flags.rcode \
	-e tcp.flags.reset -e ip.checksum.status -e udp.checksum.status -e tcp.checksum.status \
	-e _ws.expert.severity >"$TMP/replies.txt" 2>"$TMP/tshark.err"
diag "$TMP/replies.txt"
python3 - "$TMP/replies.txt" "$S4" "$C4" >"$TMP/replies.chk" <<'PY'
import sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
s4, c4 = sys.argv[2], sys.argv[3]
dns = rst = bad = 0
for src, dst, sp, dp, vni, rcode, reset, ipck, udpck, tcpck, sev in rows:
    src, dst, sp, dp = src.split(","), dst.split(","), sp.split(","), dp.split(",")
    ok = (src[0] == s4 and dst[0] == c4 and dp[0] == "4789" and sp[0] != "4789" and vni == "4242"
          and all(x == "1" for x in ipck.split(",") if x) and "8388608" not in sev.split(","))
    if rcode == "5":
        ok = ok and udpck.split(",")[-1] == "1"
        dns += ok
    elif "1" in reset.split(",") or "True" in reset.split(","):
        ok = ok and tcpck == "1"
        rst += ok
    bad += not ok
    if not ok:
        print("bad", src, dst, sp, dp, vni, rcode, reset, ipck, udpck, tcpck, sev)
print("dns %d rst %d bad %d" % (dns, rst, bad))
PY
diag "$TMP/replies.chk"
check "tshark: 2 REFUSED and the RSTs in VXLAN VNI 4242, $S4 -> $C4, to port 4789, checksums good" \
	bash -c "tail -1 '$TMP/replies.chk' | awk '{ exit !(\$2 == 2 && \$4 >= 2 && \$6 == 0) }'"
# the IPv6 underlay's replies: the outer UDP checksum (the first) good
tshark -n -r "$TMP/vc.pcap" -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-Y "ipv6.src==$S6 and udp.dstport==4789 and (dns.flags.rcode==5 or tcp.flags.reset==1)" \
	-T fields -E separator='|' -E occurrence=f -e udp.srcport -e udp.dstport -e vxlan.vni \
	-e udp.checksum.status -e tcp.checksum.status -e dns.flags.rcode >"$TMP/replies6.txt" 2>>"$TMP/tshark.err"
diag "$TMP/replies6.txt"
check "tshark: over the IPv6 underlay a REFUSED and a RST in VNI 4243, outer UDP checksum good" bash -c \
	"[ \$(awk -F'|' '\$2 == 4789 && \$3 == 4243 && \$4 == 1' '$TMP/replies6.txt' | wc -l) -ge 2 ] &&
	 grep -q '|5\$' '$TMP/replies6.txt'"

# ---- TC: the sender is this host, the reply goes up its own stack ------------
# A query from the server's namespace through its own VXLAN device meets the
# rule at TC egress on vs (the frame already encapsulated); the reply,
# turned around in the same tunnel, is redirected into vs's ingress, where
# the host's vxlan device decapsulates it for dig. No DNS server listens on
# the client's end: only the kernel's answer can read REFUSED.
d0=$(counter reject_dns)
for v in 4 6; do
	[ $v = 4 ] && C=$I4C || C=$I6C
	t0=$(date +%s%N)
	in_s dig @"$C" +tries=1 +time=2 +notcp www.blocked.test A >"$TMP/dig-tc.out" 2>&1
	MS=$((($(date +%s%N) - t0) / 1000000))
	check "TC, inner IPv$v: dig from the server's side reads REFUSED from $C at once (${MS} ms)" \
		bash -c "grep -q 'status: REFUSED' '$TMP/dig-tc.out' && grep -q 'SERVER: $C#53' '$TMP/dig-tc.out' && [ $MS -lt 500 ]"
done
check "TC: reject_dns counted both ($(($(counter reject_dns) - d0)))" test $(($(counter reject_dns) - d0)) = 2
stop_agent
