#!/usr/bin/env python3
"""encap_frames.py - hand-built encapsulated frames through the real data
plane (lockstep inspect --pcap, XDP and TC): VXLAN, Geneve with options,
GRE with checksum + key + sequence, GRE/TEB, ERSPAN I/II/III, GRE in UDP,
4in4 / 6in4 / 4in6 / 6in6, MPLS stacks (also in GRE), PPPoE sessions, three
VLAN tags, tunnels three deep; and what must be counted and passed: a fourth
tunnel, too many labels, truncated tunnel headers, a datagram to a tunnel
port that is no tunnel.

Every expected value is the builder's own (the VNI / key / session it wrote,
the outer addresses, the inner Host) and is checked again against tshark's
decode of the same pcap. Usage: encap_frames.py LOCKSTEP TMPDIR
(TAP on stdout); encap_frames.py --pcaps DIR only writes the two captures
(the fuzzer's seeds: tests/dataplane/fuzz_xdp_short.sh)."""
import json, os, struct, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcap_write import tcp4, tcp6, write_pcap, _csum, _ip4, _ip6  # noqa: E402

LS, TMP = sys.argv[1], sys.argv[2]
ETHH = b"\x02\0\0\0\0\x04" + b"\x02\0\0\0\0\x03"  # outer MACs


def http(host):
    return ("GET /x HTTP/1.1\r\nHost: %s\r\nUser-Agent: t\r\n\r\n" % host).encode()


port = [30000]


def inner(host, v6=False):
    """An inner Ethernet frame: a client's HTTP request, new source port."""
    port[0] += 1
    if v6:
        return tcp6("2001:db8:1::2", "2001:db8:1::1", port[0], 80, http(host))
    return tcp4("198.18.9.2", "198.18.9.1", port[0], 80, http(host))


def ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, 0, 64, proto, 0,
                    _ip4(src), _ip4(dst))
    return h[:10] + struct.pack("!H", _csum(h)) + h[12:] + payload


def ip6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64, _ip6(src),
                       _ip6(dst)) + payload


def udp(src, dst, sport, dport, payload, v6=False):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if v6:
        ps = _ip6(src) + _ip6(dst) + struct.pack("!IxxxB", len(u), 17)
    else:
        ps = _ip4(src) + _ip4(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = _csum(ps + u) or 0xFFFF
    u = u[:6] + struct.pack("!H", c) + u[8:]
    return ip6(src, dst, 17, u) if v6 else ip4(src, dst, 17, u)


def eth(et, payload, tags=()):
    t = b"".join(struct.pack("!HH", tp, vid) for tp, vid in tags)
    return ETHH + t + struct.pack("!H", et) + payload


def l3(frame):
    """An Ethernet frame's payload (an IP packet)."""
    return frame[14:]


def vxlan(vni, payload):
    return struct.pack("!BxxxI", 0x08, vni << 8) + payload


def geneve(vni, proto, payload, opts=b""):
    return struct.pack("!BBHI", len(opts) // 4, 0, proto, vni << 8) + opts + payload


def vxlan_gpe(vni, nextp, payload, flags=0x0C):
    """draft-ietf-nvo3-vxlan-gpe-13: flags R R Ver I P B O, next protocol."""
    return struct.pack("!BxxBI", flags, nextp, vni << 8) + payload


def gtpu(teid, payload, seq=None, exts=(), mtype=0xFF):
    """3GPP TS 29.281 5.1: version 1, PT 1; E/S flags with the optional
    fields; exts: (type, content) with 1 + len(content) + 1 a multiple of 4."""
    flags, opt, extb = 0x30, b"", b""
    if seq is not None or exts:
        flags |= (0x02 if seq is not None else 0) | (0x04 if exts else 0)
        opt = struct.pack("!HBB", seq or 0, 0, exts[0][0] if exts else 0)
        for i, (_, content) in enumerate(exts):
            nxt = exts[i + 1][0] if i + 1 < len(exts) else 0
            body = content + bytes([nxt])
            assert (1 + len(body)) % 4 == 0
            extb += bytes([(1 + len(body)) // 4]) + body
    return struct.pack("!BBHI", flags, mtype, len(opt) + len(extb) + len(payload), teid) + \
        opt + extb + payload


def teredo(payload, origin=None, auth=None):
    """RFC 4380 5.1.1: [authentication indicator] [origin indication] IPv6."""
    h = b""
    if auth is not None:
        cid, au = auth
        h += b"\x00\x01" + bytes([len(cid), len(au)]) + cid + au + b"\x11" * 8 + b"\x00"
    if origin is not None:
        port, addr = origin
        h += b"\x00\x00" + struct.pack("!H", port ^ 0xFFFF) + bytes(b ^ 0xFF for b in _ip4(addr))
    return h + payload


def gre(proto, payload, key=None, seq=None, csum=False):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    rest = b""
    if key is not None:
        rest += struct.pack("!I", key)
    if seq is not None:
        rest += struct.pack("!I", seq)
    if csum:
        h = struct.pack("!HHHH", flags, proto, 0, 0) + rest
        c = _csum(h + payload)
        return struct.pack("!HHHH", flags, proto, c, 0) + rest + payload
    return struct.pack("!HH", flags, proto) + rest + payload


def erspan2(session, frame):
    return struct.pack("!HHI", (1 << 12) | 10, session & 0x3FF, 0) + frame


def erspan3(session, frame, o_bit):
    h = struct.pack("!HHIHH", (2 << 12) | 10, session & 0x3FF, 123456, 0,
                    1 if o_bit else 0)
    return h + (b"\x01" * 8 if o_bit else b"") + frame


def mpls(labels, payload):
    out = b""
    for i, lab in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (lab << 12) | (bos << 8) | 64)
    return out + payload


def pppoe(sid, ppp, payload):
    return struct.pack("!BBHHH", 0x11, 0, sid, len(payload) + 2, ppp) + payload


O4 = ("198.18.1.1", "198.18.1.2")
O6 = ("2001:db8:ff::1", "2001:db8:ff::2")

# (name, frame, expect): expect is None for "counted and passed, no name",
# else (host, tunnel type, id, outer src, outer dst, depth)
cases = []


def add(name, frame, expect, counter=None):
    cases.append((name, frame, expect, counter))


add("vxlan over ipv4", eth(0x0800, udp(*O4, 40001, 4789, vxlan(4242, inner("vxlan.test")))),
    ("vxlan.test", "vxlan", 4242, O4[0], O4[1], 1))
add("geneve with options over ipv6",
    eth(0x86DD, udp(*O6, 40002, 6081, geneve(77, 0x6558, inner("geneve.test", v6=True),
                                              opts=b"\x01\x02\x03\x01" + b"\xaa" * 4 +
                                              b"\x01\x02\x04\x02" + b"\xbb" * 8), v6=True)),
    ("geneve.test", "geneve", 77, O6[0], O6[1], 1))
add("geneve carrying ipv4", eth(0x0800, udp(*O4, 40003, 6081,
                                            geneve(78, 0x0800, l3(inner("geneve4.test"))))),
    ("geneve4.test", "geneve", 78, O4[0], O4[1], 1))
add("gre with checksum, key and sequence",
    eth(0x0800, ip4(*O4, 47, gre(0x0800, l3(inner("gre.test")), key=0xDEADBEEF, seq=9,
                                 csum=True))),
    ("gre.test", "gre", 0xDEADBEEF, O4[0], O4[1], 1))
add("gretap (TEB) over ipv6 with a key",
    eth(0x86DD, ip6(*O6, 47, gre(0x6558, inner("gretap.test", v6=True), key=5))),
    ("gretap.test", "gre", 5, O6[0], O6[1], 1))
add("gre without key", eth(0x0800, ip4(*O4, 47, gre(0x86DD, l3(inner("gre6.test", v6=True))))),
    ("gre6.test", "gre", 0, O4[0], O4[1], 1))
add("erspan type II", eth(0x0800, ip4(*O4, 47, gre(0x88BE, erspan2(99, inner("erspan2.test")),
                                                   seq=1))),
    ("erspan2.test", "erspan", 99, O4[0], O4[1], 1))
add("erspan type I", eth(0x0800, ip4(*O4, 47, gre(0x88BE, inner("erspan1.test")))),
    ("erspan1.test", "erspan", 0, O4[0], O4[1], 1))
add("erspan type III with subheader",
    eth(0x0800, ip4(*O4, 47, gre(0x22EB, erspan3(300, inner("erspan3.test"), True), seq=2))),
    ("erspan3.test", "erspan", 300, O4[0], O4[1], 1))
add("gre in udp", eth(0x0800, udp(*O4, 40004, 4754, gre(0x0800, l3(inner("greudp.test")), key=7))),
    ("greudp.test", "gre-udp", 7, O4[0], O4[1], 1))
add("vxlan-gpe carrying ipv4", eth(0x0800, udp(*O4, 40011, 4790,
                                                vxlan_gpe(501, 1, l3(inner("gpe4.test"))))),
    ("gpe4.test", "vxlan-gpe", 501, O4[0], O4[1], 1))
add("vxlan-gpe carrying ipv6 over ipv6", eth(0x86DD, udp(*O6, 40012, 4790, vxlan_gpe(
    502, 2, l3(inner("gpe6.test", v6=True))), v6=True)),
    ("gpe6.test", "vxlan-gpe", 502, O6[0], O6[1], 1))
add("vxlan-gpe carrying ethernet", eth(0x0800, udp(*O4, 40013, 4790,
                                                   vxlan_gpe(503, 3, inner("gpee.test")))),
    ("gpee.test", "vxlan-gpe", 503, O4[0], O4[1], 1))
add("gtp-u g-pdu with ipv4", eth(0x0800, udp(*O4, 2152, 2152,
                                             gtpu(0x01020304, l3(inner("gtp4.test"))))),
    ("gtp4.test", "gtp-u", 0x01020304, O4[0], O4[1], 1))
add("gtp-u with sequence and a pdu session container, ipv6 over ipv6",
    eth(0x86DD, udp(*O6, 2152, 2152, gtpu(0xCAFE, l3(inner("gtp6.test", v6=True)), seq=7,
                                           exts=[(0x85, b"\x00\x09")]), v6=True)),
    ("gtp6.test", "gtp-u", 0xCAFE, O6[0], O6[1], 1))
add("gtp-u with two extension headers", eth(0x0800, udp(*O4, 2152, 2152, gtpu(
    77, l3(inner("gtp2x.test")), exts=[(0x40, b"\x08\x68"), (0x85, b"\x10\x01\x00\x00\x00\x00")]))),
    ("gtp2x.test", "gtp-u", 77, O4[0], O4[1], 1))
add("teredo from the server with origin indication",
    eth(0x0800, udp(O4[1], O4[0], 3544, 40014,
                    teredo(l3(inner("teredo.test", v6=True)), origin=(40014, "198.18.7.7")))),
    ("teredo.test", "teredo", 0, O4[1], O4[0], 1))
add("teredo to the server with authentication and origin",
    eth(0x0800, udp(*O4, 40015, 3544, teredo(l3(inner("teredoa.test", v6=True)),
                                             origin=(40015, "198.18.7.8"),
                                             auth=(b"cl", b"auth")))),
    ("teredoa.test", "teredo", 0, O4[0], O4[1], 1))
add("4in4", eth(0x0800, ip4(*O4, 4, l3(inner("4in4.test")))), ("4in4.test", "ipip", 0, O4[0], O4[1], 1))
add("6in4", eth(0x0800, ip4(*O4, 41, l3(inner("6in4.test", v6=True)))),
    ("6in4.test", "ipip", 0, O4[0], O4[1], 1))
add("4in6", eth(0x86DD, ip6(*O6, 4, l3(inner("4in6.test")))), ("4in6.test", "ipip", 0, O6[0], O6[1], 1))
add("6in6", eth(0x86DD, ip6(*O6, 41, l3(inner("6in6.test", v6=True)))),
    ("6in6.test", "ipip", 0, O6[0], O6[1], 1))
add("mpls two labels, ipv4", eth(0x8847, mpls([100, 200], l3(inner("mpls4.test")))),
    ("mpls4.test", None, 0, None, None, 0))
add("mpls one label, ipv6", eth(0x8847, mpls([16], l3(inner("mpls6.test", v6=True)))),
    ("mpls6.test", None, 0, None, None, 0))
add("mpls in gre", eth(0x0800, ip4(*O4, 47, gre(0x8847, mpls([300, 301], l3(inner("mplsgre.test"))),
                                               key=11))),
    ("mplsgre.test", "gre", 11, O4[0], O4[1], 1))
add("pppoe ipv4", eth(0x8864, pppoe(0x1234, 0x0021, l3(inner("pppoe4.test")))),
    ("pppoe4.test", "pppoe", 0x1234, None, None, 1))
add("pppoe ipv6 under a vlan tag", eth(0x8864, pppoe(0x99, 0x0057, l3(inner("pppoe6.test", v6=True))),
                                       tags=[(0x8100, 7)]),
    ("pppoe6.test", "pppoe", 0x99, None, None, 1))
add("three vlan tags", eth(0x0800, l3(inner("qinqinq.test")),
                           tags=[(0x88A8, 10), (0x8100, 20), (0x8100, 30)]),
    ("qinqinq.test", None, 0, None, None, 0))
# three tunnels deep: GRE -> VXLAN -> 4in4; the innermost is reported
deep3 = ip4("198.18.3.1", "198.18.3.2", 4, l3(inner("deep3.test")))
deep3 = udp("198.18.2.1", "198.18.2.2", 40005, 4789, vxlan(31, eth(0x0800, deep3)))
add("three tunnels deep", eth(0x0800, ip4(*O4, 47, gre(0x0800, deep3, key=1))),
    ("deep3.test", "ipip", 0, "198.18.3.1", "198.18.3.2", 3))
# four deep: one more than LS_ENCAP_MAX -> counted (encap_limit), passed
deep4 = ip4("198.18.4.1", "198.18.4.2", 4, ip4("198.18.3.1", "198.18.3.2", 4,
                                                 l3(inner("deep4.test"))))
deep4 = udp("198.18.2.1", "198.18.2.2", 40006, 4789, vxlan(32, eth(0x0800, deep4)))
add("four tunnels deep", eth(0x0800, ip4(*O4, 47, gre(0x0800, deep4, key=1))), None, "encap_limit")
add("seven mpls labels", eth(0x8847, mpls(list(range(16, 23)), l3(inner("mpls7.test")))), None,
    "encap_limit")
add("truncated gre header", eth(0x0800, ip4(*O4, 47, b"\x20\x00")), None, "encap_malformed")
add("gre key cut short", eth(0x0800, ip4(*O4, 47, b"\x20\x00\x08\x00\x00")), None,
    "encap_malformed")
add("mpls stack running off the frame", eth(0x8847, struct.pack("!I", 100 << 12)), None,
    "encap_malformed")
add("pppoe discovery code in a session frame", eth(0x8864, struct.pack("!BBHHH", 0x11, 0x09, 1, 2, 0x21)),
    None, "encap_malformed")
add("erspan II header cut short", eth(0x0800, ip4(*O4, 47, gre(0x88BE, b"\x10\x0a", seq=1))), None,
    "encap_malformed")
add("inner ipv4 truncated in vxlan",
    eth(0x0800, udp(*O4, 40007, 4789, vxlan(9, inner("cut.test")[:30]))), None, "unparsed_ipv4")

frames = [c[1] for c in cases]
pcap = os.path.join(TMP, "encap.pcap")
write_pcap(pcap, frames)

# a UDP datagram to 4789 that is no VXLAN (I flag clear): the outer UDP flow's
# (no tunnel), counted; and the same inner 5-tuple in VNI 1 and VNI 2 (two
# flows), then its reply in VNI 1 (the same flow as the first)
same = tcp4("198.18.9.2", "198.18.9.1", 31999, 80, http("twin.test"))
reply = tcp4("198.18.9.1", "198.18.9.2", 80, 31999, b"HTTP/1.1 200 OK\r\n\r\n")
extra = [eth(0x0800, udp(*O4, 40008, 4789, b"\x00" * 8 + b"not vxlan")),
         eth(0x0800, udp(*O4, 40009, 4789, vxlan(1, same))),
         eth(0x0800, udp(*O4, 40009, 4789, vxlan(2, same))),
         eth(0x0800, udp(O4[1], O4[0], 40010, 4789, vxlan(1, reply)))]
pcap2 = os.path.join(TMP, "keys.pcap")
write_pcap(pcap2, extra)
# datagrams to the newer tunnels' ports that carry no user packet: each is
# the outer UDP flow (no tunnel), counted encap_malformed, passed
notmine = [eth(0x0800, udp(*O4, 2152, 2152, gtpu(0, b"", seq=1, mtype=1))),  # echo request
           eth(0x0800, udp(*O4, 40016, 4790, vxlan_gpe(9, 1, b"\0" * 20, flags=0x0D))),  # OAM
           eth(0x0800, udp(*O4, 40017, 3544, b"not teredo at all, no ipv6 header here" * 2))]
pcap3 = os.path.join(TMP, "notmine.pcap")
write_pcap(pcap3, notmine)
if LS == "--pcaps":
    sys.exit(0)

n = 0
fails = 0


def ok(cond, what):
    global n, fails
    n += 1
    print(("ok %d - %s" % (n, what)) if cond else ("not ok %d - %s" % (n, what)))
    if not cond:
        fails += 1


def inspect(path, tc, *extra):
    args = [LS, "inspect", "--pcap", path, "--stats"] + (["--tc"] if tc else []) + list(extra)
    r = subprocess.run(args, capture_output=True, text=True)
    evs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    stats = json.loads(r.stderr.strip().splitlines()[-1])
    return r.returncode, evs, stats


# tshark's reading of the same frames: per frame, the tunnel ids and Host
TF = ["frame.number", "vxlan.vni", "geneve.vni", "gre.key", "erspan.spanid",
      "pppoe.session_id", "http.host", "ip.src", "ipv6.src", "gre.checksum.status",
      "gtp.teid", "teredo.orig.addr"]
r = subprocess.run(["tshark", "-n", "-r", pcap,
                    "-d", "udp.port==4754,gre", "-T", "fields", "-E", "separator=|",
                    "-E", "occurrence=a", "-E", "aggregator=,"] + sum([["-e", f] for f in TF], []),
                   capture_output=True, text=True)
ts = {}
for line in r.stdout.splitlines():
    f = line.split("|")
    ts[int(f[0])] = dict(zip(TF, f))
ok(len(ts) == len(frames), "tshark read all %d frames" % len(frames))

TSF = {"vxlan": "vxlan.vni", "geneve": "geneve.vni", "gre": "gre.key", "gre-udp": "gre.key",
       "erspan": "erspan.spanid", "pppoe": "pppoe.session_id", "vxlan-gpe": "vxlan.vni",
       "gtp-u": "gtp.teid"}

for tc in (False, True):
    hook = "tc" if tc else "xdp"
    rc, evs, stats = inspect(pcap, tc)
    ok(rc == 0, "%s: inspect ran" % hook)
    dpi = {e.get("http_host"): e for e in evs if e["event"] == "dpi"}
    for i, (name, _, exp, counter) in enumerate(cases):
        t = ts.get(i + 1, {})
        if exp is None:
            continue
        host, ttype, tid, osrc, odst, depth = exp
        e = dpi.get(host)
        ok(e is not None, "%s: %s: inner Host %s found" % (hook, name, host))
        ok(host in t.get("http.host", "").split(","), "%s: %s: tshark agrees on the Host" %
           (hook, name))
        if e is None:
            continue
        tun = e.get("tunnel")
        if ttype is None:
            ok(tun is None, "%s: %s: no tunnel (encap %s)" % (hook, name, e.get("encap")))
            continue
        ok(tun is not None and tun["type"] == ttype and tun["id"] == tid and
           tun["depth"] == depth, "%s: %s: tunnel %s id %d depth %d (got %s)" %
           (hook, name, ttype, tid, depth, tun))
        ok(tun is not None and tun.get("outer_src") == osrc and tun.get("outer_dst") == odst,
           "%s: %s: outer %s -> %s" % (hook, name, osrc, odst))
        # tshark: the id it decodes for this tunnel, and the outer source
        if ttype in TSF and not tc:
            got = t.get(TSF[ttype], "")
            vals = [int(v, 0) for v in got.split(",") if v]
            ok((tid in vals) or (ttype == "erspan" and tid == 0 and not vals) or
               (ttype == "gre" and tid == 0 and not vals),
               "%s: tshark's %s for it: %s" % (name, TSF[ttype], got))
        if ttype == "teredo" and not tc:
            ok(t.get("teredo.orig.addr", "") != "", "%s: tshark decodes it as Teredo (origin %s)" %
               (name, t.get("teredo.orig.addr")))
        if osrc and not tc:
            srcs = (t.get("ip.src", "") + "," + t.get("ipv6.src", "")).split(",")
            ok(osrc in srcs, "%s: tshark sees the outer source %s" % (name, osrc))
    # counted and passed, no name
    hosts = set(dpi)
    ok(not ({"deep4.test", "mpls7.test", "cut.test"} & hosts),
       "%s: nothing reported past the limits or from a cut frame" % hook)
    want = {}
    for _, _, exp, counter in cases:
        if counter:
            want[counter] = want.get(counter, 0) + 1
    for c, k in sorted(want.items()):
        ok(stats.get(c) == k, "%s: counter %s == %d (got %s)" % (hook, c, k, stats.get(c)))
    ok(stats.get("drop_verdict", 0) + stats.get("drop_default", 0) == 0,
       "%s: nothing dropped" % hook)
    ok(stats.get("pass") == stats.get("pkts") == len(frames),
       "%s: every frame passed (%s of %s)" % (hook, stats.get("pass"), stats.get("pkts")))
    ok(stats.get("tunnelled") == sum(1 for c in cases if c[2] and c[2][1]),
       "%s: tunnelled counts the tunnelled frames (%s)" % (hook, stats.get("tunnelled")))

    # verdicts apply to the inner flows: under a drop default every frame
    # that carries a flow is dropped (and no other); a reject of a flow in
    # one tunnel of the kinds reject.h answers inside (docs/dataplane.md
    # "Rejects") gets its RST there (reject_tunnel_frames.sh checks them
    # field by field); ERSPAN, GTP-U, Teredo, PPPoE, MPLS labels, a third
    # VLAN tag, nested tunnels: a plain drop, never answered
    tracked = sum(1 for c in cases if c[2])
    answered = sum(1 for name, _, e, _ in cases if e and e[5] == 1 and "mpls" not in name and
                   e[1] in ("vxlan", "geneve", "gre", "gre-udp", "vxlan-gpe", "ipip"))
    rc, evs, stats = inspect(pcap, tc, "--default-verdict", "drop")
    ok(stats.get("drop_default") == tracked and stats.get("pass") == len(frames) - tracked,
       "%s: drop default: the %d inner flows' frames dropped, the rest passed (%s, %s)" %
       (hook, tracked, stats.get("drop_default"), stats.get("pass")))
    rc, evs, stats = inspect(pcap, tc, "--default-verdict", "reject")
    ok(stats.get("reject_none") == tracked - answered and stats.get("reject_tcp") == answered,
       "%s: reject default: %d answered in their tunnel, %d dropped unanswered (reject_tcp %s, "
       "reject_none %s)" % (hook, answered, tracked - answered, stats.get("reject_tcp"),
                            stats.get("reject_none")))

    # the tunnel id is part of the flow
    rc, evs, stats = inspect(pcap2, tc)
    news = [e for e in evs if e["event"] == "flow_new"]
    ok(len(news) == 3, "%s: not-vxlan datagram + VNI 1 + VNI 2: three flows (got %d)" %
       (hook, len(news)))
    ok(news and news[0].get("tunnel") is None and news[0]["dport"] == 4789,
       "%s: the datagram that is no VXLAN is the outer UDP flow" % hook)
    ok(stats.get("encap_malformed") == 1, "%s: ... counted encap_malformed" % hook)
    ids = sorted(e["tunnel"]["id"] for e in news[1:] if "tunnel" in e)
    ok(ids == [1, 2], "%s: the twins are keyed by VNI (%s)" % (hook, ids))
    ok(len({e["flow_id"] for e in news}) == 3, "%s: three flow ids" % hook)

    rc, evs, stats = inspect(pcap3, tc)
    news = [e for e in evs if e["event"] == "flow_new"]
    ok(len(news) == 3 and all(e.get("tunnel") is None for e in news) and
       sorted(e["dport"] for e in news) == [2152, 3544, 4790],
       "%s: a GTP-U echo, a VXLAN-GPE OAM message and a datagram to 3544 that is no "
       "Teredo are outer UDP flows (%s)" % (hook, [(e["dport"], e.get("tunnel")) for e in news]))
    ok(stats.get("encap_malformed") == 3 and stats.get("pass") == 3,
       "%s: ... counted encap_malformed (%s) and passed (%s)" %
       (hook, stats.get("encap_malformed"), stats.get("pass")))

print("1..%d" % n)
sys.exit(1 if fails else 0)
