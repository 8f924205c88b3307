#!/usr/bin/env bash
# rules_live.sh - a kernel rule pushed by a policy decides DNS queries with
# no round trip: the test policy (tests/policy/guests/rulepush.c) installs
# `*.blocked.test` -> reject in its init; then dig +tries=1 of a blocked name
# reads status REFUSED from the kernel at once, dnsmasq never hears it and
# the policy's on_dpi is never called for it, while names outside the rule
# are answered by dnsmasq (and reach on_dpi). IPv4 and IPv6.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init prules
command -v dnsmasq >/dev/null || { echo "Bail out! dnsmasq not installed (scripts/deps.sh)"; exit 1; }
[ -f "$G/test/rulepush.wasm" ] || { echo "Bail out! $G/test/rulepush.wasm not built (make guests)"; exit 1; }
# XDP_TX on a veth needs the peer's NAPI: a pass program on the client's end
ip -n "$NS_C" link set vc xdp obj "$LS_ROOT/build/bpf/baseline.bpf.o" sec xdp.frags ||
	{ echo "Bail out! cannot attach a pass program to the client's veth"; exit 1; }
dnsmasq_start test --host-record="www.ok.test,$S4,$S6" --host-record="x.blocked.test,$S4,$S6" \
	--log-queries --log-facility="$TMP/dnsmasq.log" || { echo "Bail out! dnsmasq did not start"; exit 1; }
if agent_start a1 --policy "$G/test/rulepush.wasm" --policy-config '*.blocked.test'; then
	ok "agent runs the policy; its init pushed the rule"
else
	not_ok "agent runs the policy; its init pushed the rule"; diag "$TMP/a1.err"; exit 1
fi
ask() { # SERVER PORT NAME
	local c=$C4; case $1 in *:*) c=$C6 ;; esac
	in_c dig @"$1" -b "$c#$2" +tries=1 +time=2 +notcp "$3" A >"$TMP/dig-$2" 2>&1
}
for v in 4 6; do
	[ $v = 4 ] && S=$S4 || S=$S6
	p=$((40900 + v))
	start=$(date +%s%N)
	ask "$S" $p x.blocked.test
	ms=$((($(date +%s%N) - start) / 1000000))
	check "IPv$v: dig +tries=1 x.blocked.test: status REFUSED (${ms} ms)" grep -q 'status: REFUSED' "$TMP/dig-$p"
	check "IPv$v:   at once (under 900 ms; dig's timeout is 2 s)" test "$ms" -lt 900
	p=$((40910 + v))
	ask "$S" $p www.ok.test
	check "IPv$v: dig www.ok.test: answered by dnsmasq (NOERROR)" grep -q 'status: NOERROR' "$TMP/dig-$p"
done
sleep 1
check "dnsmasq never heard x.blocked.test" bash -c "! grep -q 'x.blocked.test' '$TMP/dnsmasq.log'"
nb=$(grep -c '"msg":"on_dpi x.blocked.test"' "$TMP/a1.err")
nk=$(grep -c '"msg":"on_dpi www.ok.test"' "$TMP/a1.err")
check "on_dpi was never called for x.blocked.test ($nb)" test "$nb" = 0
check "on_dpi was called for www.ok.test ($nk)" test "$nk" -ge 2
c=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>&1)
rd=$(jq -r '.rule_dns // "none"' <<<"$c" 2>&1) jd=$(jq -r '.reject_dns // "none"' <<<"$c" 2>&1)
check "rule_dns counted the 2 blocked queries ($rd), reject_dns answered them ($jd)" \
	test "$rd:$jd" = 2:2
