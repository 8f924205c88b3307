#!/usr/bin/env bash
# inspect_hold.sh - `lockstep inspect --pcap --default-verdict hold` models
# the hold of `lockstep run` (docs/dataplane.md "Hold", "inspect"): which
# packets were held, for how long in capture time, and how they ended.
#   - three small captures built here (tests/tools/pcap_write.py, times set
#     to the microsecond), each line of the output computed by hand below:
#     the per-hold packet bound (the 4th packet of a hold of 3 gets the
#     fallback at once), the timeout (each packet held until the first's
#     timeout falls due), a new hold after a timeout, the byte bound, the
#     frame-size bound, and a policy deciding on a later packet (the queue
#     released or dropped in order, held for the capture time between);
#   - every capture of ../shared/pcaps with a policy that passes every
#     named flow: every packet the kernel held (its own counter) ends
#     exactly once, in frame order within its flow, and every held time
#     lands on a frame's capture time as tshark reads it (a verdict comes
#     with a frame) or on its hold's timeout.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${LS_BIN:=build/asan/lockstep}"
: "${LS_SHARED:=../shared}"
PCAPS=$LS_SHARED/pcaps
BN=build/guests/test/blockname.wasm
TMP=$(mktemp -d /tmp/ls-ihold-$$.XXXXXX)
. tests/lib/tap.sh
at_exit 'rm -rf "$TMP"'

need_root # BPF_PROG_TEST_RUN
[ -f "$BN" ] || bail "$BN not built"

# the captures; times in microseconds from 1700000000 s
python3 - "$TMP" <<'PY'
import sys, struct
sys.path.insert(0, 'tests/tools')
from pcap_write import tcp4, write_pcap
d = sys.argv[1]
A, B, C, D = '198.18.0.1', '198.18.0.2', '198.18.0.3', '198.18.0.4'
def udp(s, dst, sp, dp, pay):
    return tcp4(s, dst, sp, dp, pay, proto=17)
def dns(name):
    q = b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'
    return struct.pack('!HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0) + q + struct.pack('!HH', 1, 1)
# a: no policy, --hold-max-packets 3 --hold-timeout 10ms
write_pcap(d + '/a.pcap', [
    udp(A, B, 5000, 53, b'q1'), udp(A, B, 5000, 53, b'q2'), udp(A, B, 5000, 53, b'q3'),
    udp(A, B, 5000, 53, b'q4'),
    tcp4(A, B, 40000, 80, b'', flags=0x02),
    tcp4(A, B, 40000, 80, b'GET / HTTP/1.1\r\n'),
    udp(C, B, 5001, 53, b'q5'),
    udp(A, B, 5000, 53, b'q6')],
    [0, 1000, 2000, 3000, 4000, 5000, 12000, 20000])
# b: no policy, --hold-max-bytes 2048 --hold-fallback pass; frames of
# 1000 bytes (14 + 20 + 8 + 958) and one of 2100
write_pcap(d + '/b.pcap', [
    udp(A, B, 6001, 9, b'x' * 958), udp(A, B, 6002, 9, b'x' * 958),
    udp(A, B, 6003, 9, b'x' * 958), udp(A, B, 6004, 9, b'x' * 2058)],
    [0, 1000, 2000, 3000])
# c: blockname '*.bad.test', which decides on a DPI name only
write_pcap(d + '/c.pcap', [
    tcp4(A, B, 40001, 80, b'', flags=0x02),
    tcp4(A, B, 40001, 80, b'\x16junk', seq=1),
    tcp4(A, B, 40001, 80, b'GET / HTTP/1.1\r\nHost: ok.test\r\n\r\n', seq=6),
    tcp4(A, B, 40002, 80, b'', flags=0x02),
    tcp4(A, B, 40002, 80, b'\x16junk', seq=1),
    tcp4(A, B, 40002, 80, b'GET / HTTP/1.1\r\nHost: x.bad.test\r\n\r\n', seq=6),
    tcp4(A, B, 40001, 80, b'more', seq=40),
    udp(D, B, 5353, 53, dns('ok.test'))],
    [0, 1000, 4000, 5000, 5500, 7500, 8000, 9000])
PY

# hold lines of FILE as "frame flow seq held_ns end verdict by", sorted
holds() {
	python3 - "$1" <<'PY'
import sys, json
out = []
for l in open(sys.argv[1]):
    v = json.loads(l)
    if v.get('event') == 'hold':
        out.append('%d|%s|%s|%d|%s|%s|%s' % (v['frame'], v.get('flow', '-'), v.get('seq', '-'),
                                          v['held_ns'], v['end'], v['verdict'], v['by']))
print('\n'.join(sorted(out, key=lambda s: int(s.split('|')[0]))))
PY
}

# expect NAME FILE: the hold lines of FILE are exactly the lines on stdin
expect() {
	holds "$2" >"$TMP/got"
	if diff "$TMP/want" "$TMP/got" >"$TMP/diff"; then ok "$1"; else
		not_ok "$1"
		diag "$TMP/diff"
	fi
}

U1='udp 198.18.0.1 5000 198.18.0.2 53'
T1='tcp 198.18.0.1 40000 198.18.0.2 80'
U3='udp 198.18.0.2 53 198.18.0.3 5001' # direction-free: the lower address first

# a. Frames 1-3 open a hold of flow U1 (seq 0-2); the 4th finds it full
# (3 packets): the kernel gives it the fallback (drop) at once. The SYN
# passes (handshake), the request (frame 6, t=5ms) is held. Before frame 7
# (t=12ms) the hold of U1, opened at 0, has timed out at 10 ms: frames 1-3
# held 10, 9 and 8 ms. Frame 7 opens a hold of U3. Before frame 8 (t=20ms)
# T1's hold (5 ms) timed out at 15 ms: frame 6 held 10 ms. Frame 8 opens a
# new hold of U1 (the last one closed). At the end of the capture both
# remaining holds run to their timeout: frames 7 and 8 held 10 ms each.
"$LS_BIN" inspect --pcap "$TMP/a.pcap" --default-verdict hold --hold-max-packets 3 \
	--hold-timeout 10ms --stats >"$TMP/a.out" 2>"$TMP/a.err"
check "a: inspect exits 0" test $? = 0
cat >"$TMP/want" <<EOF
1|$U1|0|10000000|fallback|drop|timeout
2|$U1|1|9000000|fallback|drop|timeout
3|$U1|2|8000000|fallback|drop|timeout
4|$U1|-|0|fallback|drop|max_packets
6|$T1|0|10000000|fallback|drop|timeout
7|$U3|0|10000000|fallback|drop|timeout
8|$U1|0|10000000|fallback|drop|timeout
EOF
expect "a: per-hold bound, timeouts in capture time, a new hold after one (hand-computed)" "$TMP/a.out"
grep -q '"held":6,"hold_overflow":1,"hold_stale":0,"hold_handshake":1' "$TMP/a.err"
check "a: the kernel held 6, refused 1, passed the SYN (its counters)" test $? = 0
grep -q '"hold_held":6,.*"hold_fallback":7,"hold_timeouts":4' "$TMP/a.err"
check "a: the summary counts 6 held, 7 fallbacks, 4 timeouts" test $? = 0

# b. Frames 1 and 2 (1000 bytes each) are held: 2000 bytes of 2048; frame 3
# would make 3000: the fallback (pass) at once, held 0. Frame 4 (2100
# bytes) is over the kernel's frame bound (2048): the fallback, never held.
# At the end frames 1 and 2 (each its own flow's hold) time out after the
# default 2 s.
"$LS_BIN" inspect --pcap "$TMP/b.pcap" --default-verdict hold --hold-max-bytes 2048 \
	--hold-fallback pass >"$TMP/b.out" 2>"$TMP/b.err"
check "b: inspect exits 0" test $? = 0
cat >"$TMP/want" <<EOF
1|udp 198.18.0.1 6001 198.18.0.2 9|0|2000000000|fallback|pass|timeout
2|udp 198.18.0.1 6002 198.18.0.2 9|0|2000000000|fallback|pass|timeout
3|udp 198.18.0.1 6003 198.18.0.2 9|0|0|fallback|pass|bytes
4|-|-|0|fallback|pass|frame_size
EOF
expect "b: the byte bound and the frame bound, fallback pass (hand-computed)" "$TMP/b.out"

# c. Flow 40001: SYN passes, the junk segment (t=1ms) has no name and is
# held; the request (t=4ms) is held behind it and names ok.test: the policy
# passes the flow at 4 ms, the queue is released in order, frame 2 held
# 3 ms, frame 3 0. Frame 7 comes after the hold closed: not held. Flow
# 40002 the same with x.bad.test: dropped, frame 5 held 2 ms. The DNS
# query is decided by its own name: held 0, released.
"$LS_BIN" inspect --pcap "$TMP/c.pcap" --default-verdict hold --policy "$BN" \
	--policy-config '*.bad.test' >"$TMP/c.out" 2>"$TMP/c.err"
check "c: inspect exits 0" test $? = 0
cat >"$TMP/want" <<EOF
2|tcp 198.18.0.1 40001 198.18.0.2 80|0|3000000|released|pass|verdict
3|tcp 198.18.0.1 40001 198.18.0.2 80|1|0|released|pass|verdict
5|tcp 198.18.0.1 40002 198.18.0.2 80|0|2000000|dropped|drop|verdict
6|tcp 198.18.0.1 40002 198.18.0.2 80|1|0|dropped|drop|verdict
8|udp 198.18.0.2 53 198.18.0.4 5353|0|0|released|pass|verdict
EOF
expect "c: a later decision releases or drops the queue in order (hand-computed)" "$TMP/c.out"
awk '/"event":"verdict".*40001/{v=NR} /"event":"hold",.*"frame":2,/{h=NR} END{exit !(v && h > v)}' "$TMP/c.out"
check "c: the released packets follow the verdict that released them" test $? = 0

# usage
"$LS_BIN" inspect --pcap "$TMP/a.pcap" --hold-timeout 10ms >/dev/null 2>"$TMP/e"
[ $? -eq 2 ] && grep -q 'need --default-verdict hold' "$TMP/e"
check "--hold-* without --default-verdict hold is a usage error" test $? = 0
"$LS_BIN" inspect --pcap "$TMP/a.pcap" --default-verdict maybe >/dev/null 2>"$TMP/e"
[ $? -eq 2 ]; check "a bad --default-verdict is a usage error" test $? = 0

# every shared capture: invariants against the kernel's counters and tshark
if have tshark; then
	total=0
	for pcap in "$PCAPS"/*.pcap; do
		name=$(basename "$pcap" .pcap)
		"$LS_BIN" inspect --pcap "$pcap" --default-verdict hold --policy "$BN" --stats \
			>"$TMP/$name.out" 2>"$TMP/$name.err"
		rc=$?
		if [ $rc -ne 0 ]; then
			not_ok "$name: inspect exits 0 (got $rc)"
			tail -3 "$TMP/$name.err" | diag
			continue
		fi
		tshark -r "$pcap" -T fields -e frame.number -e frame.time_epoch >"$TMP/$name.t" 2>/dev/null
		msg=$(python3 - "$TMP/$name.out" "$TMP/$name.err" "$TMP/$name.t" <<'PY'
import sys, json
from decimal import Decimal
out, err, times = sys.argv[1:4]
t = {}
for l in open(times):
    n, e = l.split()
    t[int(n)] = int(Decimal(e) * 1000000000)
stats = [json.loads(l) for l in open(err) if l.startswith('{"frames"')][0]
bad, seen, last = [], set(), {}
holds = [json.loads(l) for l in open(out) if '"event":"hold"' in l]
for h in holds:
    f = h['frame']
    if f in seen:
        bad.append('frame %d reported twice' % f)
    seen.add(f)
    if h['by'] == 'verdict' and h['end'] in ('released', 'dropped', 'rejected'):
        if h['flow'] in last and last[h['flow']] > f:
            bad.append('frame %d of %s released after frame %d' % (f, h['flow'], last[h['flow']]))
        last[h['flow']] = f
        if t[f] + h['held_ns'] not in t.values():
            bad.append('frame %d held %d ns: no frame at that time' % (f, h['held_ns']))
    elif h['by'] == 'timeout':
        if h.get('seq') == 0 and h['held_ns'] != 2000000000:
            bad.append('frame %d opened its hold and timed out after %d ns' % (f, h['held_ns']))
want = stats['held'] + stats['hold_overflow']
if len(holds) != want:
    bad.append('%d hold lines, the kernel held %d and refused %d' % (len(holds), stats['held'], stats['hold_overflow']))
print('%d|%s' % (len(holds), '; '.join(bad[:3])))
PY
)
		n=${msg%%|*} why=${msg#*|}
		total=$((total + n))
		if [ -z "$why" ]; then ok "$name: $n packets held or refused, each ended once, in order, at a frame's time or its timeout"; else
			not_ok "$name: $why"
		fi
	done
	[ "$total" -gt 100 ]; check "packets were held over the captures ($total)" test $? = 0
else
	skip_missing "shared captures against tshark"
fi
finish
