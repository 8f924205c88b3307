#!/usr/bin/env bash
# inspect_policy.sh - offline: `lockstep inspect --pcap ... --policy
# allowlist.wasm` over every capture in ../shared/pcaps gives the verdicts
# the allowlist's rules imply. For each capture the rules come from its
# ground truth: every other distinct HTTP Host / TLS SNI is allowed, the
# rest denied. Checked both ways, per capture:
#   - every required Host/SNI of the truth got the verdict its name implies,
#     every required DNS query's flow passed;
#   - every verdict printed is for a flow and name in the truth (or a DNS
#     flow) and is the one the rules imply.
# Plus usage errors and a module the host refuses. The guests run "passive"
# (decisions in on_dpi, drops: the verdicts this suite scores); their default
# inline mode is live-tested by inline_live.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${LS_BIN:=build/asan/lockstep}"
: "${LS_SHARED:=../shared}"
PCAPS=$LS_SHARED/pcaps
G=build/guests
TMP=$(mktemp -d /tmp/ls-pinspect-$$.XXXXXX)
. tests/lib/tap.sh
at_exit 'rm -rf "$TMP"'

need_root # BPF_PROG_TEST_RUN
[ -f "$G/allowlist.wasm" ] || bail "$G/allowlist.wasm not built"

# rules NAME.truth.tsv -> the allowlist configuration (names usable as
# patterns, every other one in sorted order)
rules() {
	python3 - "$1" <<'PY'
import sys, csv
names = set()
for r in csv.DictReader(open(sys.argv[1]), delimiter='\t'):
    if r['kind'] in ('http_host', 'tls_sni'):
        v = r['value'].split(':')[0].rstrip('.').lower()
        if v and not any(c in v for c in ',; \t\r\n'):
            names.add(v)
print(','.join(sorted(names)[::2]))
PY
}

# compare_verdicts TRUTH CONFIG VERDICTS DPI: prints mismatches as "# ...",
# exits non-zero on any (DPI: the capture's events without the policy)
compare_verdicts() {
	python3 - "$@" <<'PY'
import sys, csv, json
truth, cfg, out, dpi = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
allowed = set(x for x in cfg.split(',') if x)
def norm(v): return v.split(':')[0].rstrip('.').lower()
def want(name): return 'pass' if norm(name) in allowed else 'drop'
def fk(flow):
    # direction-free: the truth orders the two ends as strings, the data
    # plane by address bytes
    p = flow.split()
    return (p[0],) + tuple(sorted([(p[1], p[2]), (p[3], p[4])]))
def is_dns(flow):
    p = flow.split()
    return p[2] == '53' or p[4] == '53'
rows = list(csv.DictReader(open(truth), delimiter='\t'))
names = {}
for r in rows:
    if r['kind'] in ('http_host', 'tls_sni', 'dns_qname'):
        names.setdefault(fk(r['flow']), set()).add(r['value'])
# a flow found inside a tunnel: the truth names it by the outer addresses
# and the inner ports (make_truth.py takes tshark's first ip.src/ip.dst;
# tests/dataplane/pcap_score.py does the same); its dpi event (from a run
# without the policy: DPI) carries both (flow ids name the CPU that read
# the capture, so the inner 5-tuple is the key)
outer = {}
for line in open(dpi):
    e = json.loads(line)
    t = e.get('tunnel') or {}
    if e.get('event') == 'dpi' and 'outer_src' in t:
        outer[fk('%s %s %s %s %s' % (e['proto'], e['src'], e['sport'], e['dst'], e['dport']))] = fk('%s %s %s %s %s' % (e['proto'], t['outer_src'], e['sport'],
                                                    t['outer_dst'], e['dport']))
verdicts = {}
bad = 0
for line in open(out):
    v = json.loads(line)
    if v.get('event') != 'verdict':
        continue
    o = outer.get(fk(v['flow']))
    if fk(v['flow']) not in names and o in names:
        v['flow'] = ' '.join((o[0],) + o[1] + o[2])
    verdicts.setdefault(fk(v['flow']), []).append(v)
    if is_dns(v['flow']):
        if v['verdict'] != 'pass':
            print('# DNS flow %s got %s' % (v['flow'], v['verdict'])); bad += 1
        continue
    name = v.get('name')
    if name is None:
        # a DPI result without a name (a ClientHello without SNI): denied
        if v['verdict'] != 'drop':
            print('# nameless flow passed: %s' % line.strip()); bad += 1
    elif name not in names.get(fk(v['flow']), ()):
        print('# %s: name %r not in the truth for this flow' % (v['flow'], name)); bad += 1
    elif v['verdict'] != want(name):
        print('# %s (%s): %s, rules say %s' % (v['flow'], name, v['verdict'], want(name))); bad += 1
for r in rows:
    if r['required'] != '1' or r['kind'] not in ('http_host', 'tls_sni', 'dns_qname'):
        continue
    got = [v['verdict'] for v in verdicts.get(fk(r['flow']), [])]
    exp = 'pass' if r['kind'] == 'dns_qname' else want(r['value'])
    if exp not in got:
        print('# %s %s %r: verdicts %s, want %s' % (r['flow'], r['kind'], r['value'], got, exp)); bad += 1
sys.exit(1 if bad else 0)
PY
}

total=0
for pcap in "$PCAPS"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	truth=$PCAPS/$name.truth.tsv
	[ -f "$truth" ] || continue
	cfg=$(rules "$truth")
	"$LS_BIN" inspect --pcap "$pcap" --policy "$G/allowlist.wasm" --policy-config "$cfg passive" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: inspect --policy exits 0 (got $rc)"; tail -5 "$TMP/$name.err" | diag
		continue
	fi
	nv=$(grep -c '"event":"verdict"' "$TMP/$name.out")
	total=$((total + nv))
	"$LS_BIN" inspect --pcap "$pcap" >"$TMP/$name.dpi" 2>/dev/null
	compare_verdicts "$truth" "$cfg" "$TMP/$name.out" "$TMP/$name.dpi"
	check "$name: $nv verdicts, each the one the rules imply (allowed: ${cfg:-none})" test $? = 0
done
[ "$total" -gt 20 ]; check "verdicts were decided over the captures ($total)" test $? = 0

# a wildcard rule on one capture: *.ethereal.com style patterns
"$LS_BIN" inspect --pcap "$PCAPS/tls_esni_sni_both.pcap" --policy "$G/allowlist.wasm" \
	--policy-config '*.com passive' >"$TMP/w.out" 2>/dev/null
[ "$(grep -c '"verdict":"pass"' "$TMP/w.out")" = 2 ]; check "wildcard *.com passes both SNIs of tls_esni_sni_both" test $? = 0
"$LS_BIN" inspect --pcap "$PCAPS/tls_esni_sni_both.pcap" --policy "$G/allowlist.wasm" \
	--policy-config '*.org passive' >"$TMP/w.out" 2>/dev/null
[ "$(grep -c '"verdict":"drop"' "$TMP/w.out")" = 2 ]; check "wildcard *.org drops both" test $? = 0

# the AssemblyScript policy offline
if have guests/as/node_modules/.bin/asc; then
	"$LS_BIN" inspect --pcap "$PCAPS/tls_esni_sni_both.pcap" --policy "$G/blocklist_as.wasm" \
		--policy-config 'you-think-thats-normal-tls-traffic-youre-seeing.com passive' >"$TMP/as.out" 2>/dev/null
	[ "$(grep -c '"verdict":"drop"' "$TMP/as.out")" = 1 ] &&
		[ "$(grep -c '"verdict":"pass"' "$TMP/as.out")" = 1 ]
	check "blocklist (AssemblyScript) drops the listed SNI and passes the other" test $? = 0
else
	skip_missing "blocklist offline"
fi

# refusals and usage errors
"$LS_BIN" inspect --pcap "$PCAPS/http.pcap" --policy build/guests/test/abi3.wasm >/dev/null 2>"$TMP/e"
[ $? -eq 1 ] && grep -q 'speaks lockstep ABI version 3' "$TMP/e"; check "a module of another ABI version is refused clearly (exit 1)" test $? = 0
"$LS_BIN" inspect --pcap "$PCAPS/http.pcap" --policy-config x >/dev/null 2>"$TMP/e"
[ $? -eq 2 ] && grep -q 'need --policy' "$TMP/e"; check "--policy-config without --policy is a usage error" test $? = 0
"$LS_BIN" inspect --pcap "$PCAPS/http.pcap" --policy "$G/allowlist.wasm" --fuel 12x >/dev/null 2>"$TMP/e"
[ $? -eq 2 ]; check "a bad --fuel is a usage error" test $? = 0
finish
