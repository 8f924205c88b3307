#!/usr/bin/env python3
"""reject_tunnel_frames.py - rejects of tunnelled flows answered inside the
same tunnel (bpf/reject.h, docs/dataplane.md "Rejects"), through the real
program (BPF_PROG_TEST_RUN, XDP and TC): for VXLAN, Geneve (with options),
VXLAN-GPE, GRE (key, sequence, checksum; IP and Ethernet inside), GRE in
UDP, and IP-in-IP (4in4, 6in4, 4in6, 6in6), outer IPv4 and IPv6, each with
an inner DNS query, TCP SYN and other UDP over IPv4 and IPv6.

Every reply is read twice: by this script's own reading of the RFCs, field
by field (outer MACs and addresses swapped, TTL / hop limit 64, every
length, the IPv4 header checksum; the outer UDP destination port the
tunnel's (RFC 7348 5, RFC 8926 3.3, RFC 8086 3.1) and the source port the
incoming one, the UDP checksum 0 over IPv4 and right over IPv6; VNI, GRE
key and sequence kept, a GRE checksum right (RFC 2784 2.5), Geneve options
gone; the inner reply as tests/dataplane/reject_frames.py checks it), then
by tshark with checksum validation on. Tunnels that must not be answered
(ERSPAN, MPLS, PPPoE, GTP-U, Teredo, two tunnels deep, a multicast outer
destination, an inner broadcast MAC) are dropped and counted reject_none.

  reject_tunnel_frames.py REJECT_RUN TMPDIR     (TAP on stdout)"""
import os, struct, subprocess, sys

RUN, TMP = sys.argv[1], sys.argv[2]
n = 0
fails = 0


def t(ok, name):
    global n, fails
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, name))
    if not ok:
        fails += 1
    return ok


def csum(b):  # RFC 1071
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo(src, dst, proto, l4):
    if len(src) == 4:
        return src + dst + struct.pack(">BBH", 0, proto, len(l4))
    return src + dst + struct.pack(">IxxxB", len(l4), proto)


# underlay (outer) and overlay (inner) ends: the client C sends, S answers
OMAC_C, OMAC_S = bytes.fromhex("020000000011"), bytes.fromhex("020000000012")
IMAC_C, IMAC_S = bytes.fromhex("02000000aa01"), bytes.fromhex("02000000aa02")
O4C, O4S = bytes([198, 18, 1, 1]), bytes([198, 18, 1, 2])
O6C = bytes.fromhex("20010db8000f00000000000000000001")
O6S = bytes.fromhex("20010db8000f00000000000000000002")
I4C, I4S = bytes([198, 18, 50, 1]), bytes([198, 18, 50, 2])
I6C = bytes.fromhex("20010db8003200000000000000000001")
I6S = bytes.fromhex("20010db8003200000000000000000002")


def ip(src, dst, proto, l4, ttl=61):
    if len(src) == 4:
        h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0x1234, 0x4000, ttl, proto, 0, src, dst)
        return h[:10] + struct.pack(">H", csum(h)) + h[12:] + l4
    return struct.pack(">IHBB16s16s", 0x60012345, len(l4), proto, ttl, src, dst) + l4


def udp(src, dst, sport, dport, pay, zero=False):
    u = struct.pack(">HHHH", sport, dport, 8 + len(pay), 0) + pay
    if zero:
        return u
    return u[:6] + struct.pack(">H", csum(pseudo(src, dst, 17, u) + u) or 0xFFFF) + u[8:]


def tcp(src, dst, sport, dport, seq, ack, flags, pay=b""):
    h = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + pay
    return h[:16] + struct.pack(">H", csum(pseudo(src, dst, 6, h) + h)) + h[18:]


def qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def dnsq(name, qid):
    q = qname(name) + struct.pack(">HH", 1, 1)
    ar = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return struct.pack(">HHHHHH", qid, 0x0120, 1, 0, 0, 1) + q + ar


def eth(dmac, smac, et, pay, vlan=None):
    tag = struct.pack(">HH", 0x8100, vlan) if vlan is not None else b""
    return dmac + smac + tag + struct.pack(">H", et) + pay


def inner_ip(kind, fam, port):
    """The inner packet (from its IP header) of a flow the reject answers."""
    c, s = (I4C, I4S) if fam == 4 else (I6C, I6S)
    if kind == "dns":
        l4, proto = udp(c, s, port, 53, dnsq("www.blocked.test", 0xBE00 + port % 256)), 17
    elif kind == "tcp":
        l4, proto = tcp(c, s, port, 80, 1000, 0, 0x02), 6
    else:
        l4, proto = udp(c, s, port, 9999, bytes((i * 7) & 0xFF for i in range(100))), 17
    return ip(c, s, proto, l4)


ET = {4: 0x0800, 6: 0x86DD}
UDP_PORT = {"vxlan": 4789, "geneve": 6081, "geneve-ip": 6081, "gpe": 4790, "gpe-eth": 4790, "greudp": 4754}
GENEVE_OPTS = struct.pack(">HBB", 0x0102, 0x80, 1) + b"\x11\x22\x33\x44"  # class, type (critical), len 1 word


def tunnel_payload(tun, ifam, ipkt):
    """The tunnel header(s) and what they carry, and the outer IP protocol."""
    ieth = eth(IMAC_S, IMAC_C, ET[ifam], ipkt)
    if tun == "vxlan":
        return struct.pack(">BxxxI", 0x08, 4242 << 8) + ieth
    if tun == "geneve":  # with a critical option: not echoed
        return struct.pack(">BBHI", len(GENEVE_OPTS) // 4, 0x40, 0x6558, 77 << 8) + GENEVE_OPTS + ieth
    if tun == "geneve-ip":
        return struct.pack(">BBHI", 0, 0, ET[ifam], 78 << 8) + ipkt
    if tun == "gpe":
        return struct.pack(">BxxBI", 0x0C, 1 if ifam == 4 else 2, 4343 << 8) + ipkt
    if tun == "gpe-eth":
        return struct.pack(">BxxBI", 0x0C, 3, 4344 << 8) + ieth
    if tun in ("gre", "greudp"):  # key + sequence
        return struct.pack(">HHII", 0x3000, ET[ifam], 7, 99) + ipkt
    if tun == "grecsum":  # checksum + key
        h = struct.pack(">HHHHI", 0xA000, ET[ifam], 0, 0, 5)
        c = csum(h + ipkt)
        return h[:4] + struct.pack(">H", c) + h[6:] + ipkt
    if tun == "gretap":  # Ethernet inside, key
        return struct.pack(">HHI", 0x2000, 0x6558, 5) + ieth
    if tun == "ipip":
        return ipkt
    raise ValueError(tun)


def outer_frame(tun, ofam, ifam, ipkt, sport=51234, odst=None, vlan=None):
    c, s = (O4C, O4S) if ofam == 4 else (O6C, O6S)
    if odst is not None:
        s = odst
    pay = tunnel_payload(tun, ifam, ipkt)
    if tun in UDP_PORT:
        # VXLAN senders zero the checksum over IPv4 (RFC 7348 5); IPv6 has one
        l4, proto = udp(c, s, sport, UDP_PORT[tun], pay, zero=(ofam == 4)), 17
    elif tun == "ipip":
        l4, proto = pay, 4 if ifam == 4 else 41
    else:
        l4, proto = pay, 47
    return eth(OMAC_S, OMAC_C, ET[ofam], ip(c, s, proto, l4), vlan=vlan)


def run(frames, *args):
    p = subprocess.run([RUN, *args], input="".join(f.hex() + "\n" for f in frames),
                       capture_output=True, text=True)
    out = [(l.partition(" ")[0], bytes.fromhex(l.partition(" ")[2])) for l in p.stdout.splitlines()]
    cnt = {}
    for line in p.stderr.splitlines():
        if line.startswith("counter "):
            _, i, v = line.split()
            cnt[int(i)] = int(v)
    return out, cnt


def check_ip(name, r, o, fam, src, dst, proto, end):
    """The IP header at r[o]: returns its length; checks what every reply needs."""
    if fam == 4:
        h = r[o:o + 20]
        tot, ipid, frag = struct.unpack(">HHH", h[2:8])
        t(h[0] == 0x45 and tot == end - o and frag & 0x3FFF == 0 and csum(h) == 0,
          "%s: IPv4 header: IHL 5, total length %d = to the frame's end, not a fragment, header checksum right" % (name, tot))
        t(h[12:16] == src and h[16:20] == dst and h[9] == proto and h[8] == 64,
          "%s: IPv4 src/dst %s -> %s, protocol %d, TTL 64 (got %s -> %s, %d, %d)" % (
              name, src.hex(), dst.hex(), proto, h[12:16].hex(), h[16:20].hex(), h[9], h[8]))
        return 20
    h = r[o:o + 40]
    plen = struct.unpack(">H", h[4:6])[0]
    t(h[0] >> 4 == 6 and plen == end - o - 40, "%s: IPv6 header: payload length %d = to the frame's end" % (name, plen))
    t(h[8:24] == src and h[24:40] == dst and h[6] == proto and h[7] == 64,
      "%s: IPv6 src/dst swapped, next header %d, hop limit 64" % (name, proto))
    return 40


def check_inner(name, kind, ifam, r, o, ipkt):
    """The inner reply from its IP header at r[o] (reject_frames.py's checks)."""
    c, s = (I4C, I4S) if ifam == 4 else (I6C, I6S)
    sport = struct.unpack(">H", ipkt[(20 if ifam == 4 else 40):][:2])[0]
    proto = {"dns": 17, "tcp": 6, "udp": 1 if ifam == 4 else 58}[kind]
    hl = check_ip(name + " inner", r, o, ifam, s, c, proto, len(r))
    l4 = r[o + hl:]
    sum_ok = csum(l4) == 0 if proto == 1 else csum(pseudo(s, c, proto, l4) + l4) == 0
    if kind == "dns":
        sp, dp, ul, uc = struct.unpack(">HHHH", l4[:8])
        d = l4[8:]
        qexp = qname("www.blocked.test") + struct.pack(">HH", 1, 1)
        hdr = struct.unpack(">HHHHHH", d[:12])
        t(sp == 53 and dp == sport and ul == len(l4) and uc != 0 and sum_ok,
          "%s inner: UDP ports swapped, length, checksum present and right" % name)
        t(hdr == (0xBE00 + sport % 256, 0x8105, 1, 0, 0, 0) and d[12:] == qexp,
          "%s inner: DNS REFUSED, the query's ID, RD kept, the question echoed (%s)" % (name, hdr))
    elif kind == "tcp":
        sp, dp, seq, ack, off, fl = struct.unpack(">HHIIBB", l4[:14])
        t(sp == 80 and dp == sport and len(l4) == 20 and fl == 0x14 and seq == 0 and ack == 1001 and sum_ok,
          "%s inner: RST,ACK <SEQ=0><ACK=1001>, ports swapped, checksum right" % name)
    else:
        qlen = min(len(ipkt), 512)
        ty = (3, 3) if ifam == 4 else (1, 4)
        t((l4[0], l4[1]) == ty and l4[4:8] == b"\0" * 4 and l4[8:] == ipkt[:qlen] and sum_ok,
          "%s inner: %s port unreachable quoting the inner packet (%d bytes), checksum right" % (
              name, "ICMP" if ifam == 4 else "ICMPv6", qlen))


def check_reply(name, tun, ofam, ifam, kind, fin, r, ipkt):
    oc, os_ = (O4C, O4S) if ofam == 4 else (O6C, O6S)
    t(r[0:6] == OMAC_C and r[6:12] == OMAC_S and r[12:14] == struct.pack(">H", ET[ofam]),
      "%s: outer MACs swapped" % name)
    proto = 17 if tun in UDP_PORT else (4 if ifam == 4 else 41) if tun == "ipip" else 47
    o = 14 + check_ip(name + " outer", r, 14, ofam, os_, oc, proto, len(r))
    if tun in UDP_PORT:
        sp, dp, ul, uc = struct.unpack(">HHHH", r[o:o + 8])
        t(sp == 51234 and dp == UDP_PORT[tun],
          "%s: outer UDP: to the tunnel's port %d, from the incoming source port (got %d -> %d)" % (name, UDP_PORT[tun], sp, dp))
        t(ul == len(r) - o, "%s: outer UDP length %d = to the frame's end" % (name, ul))
        if ofam == 4:
            t(uc == 0, "%s: outer UDP checksum 0 over IPv4 (RFC 7348 5 / RFC 8926 3.3)" % name)
        else:
            u = r[o:]
            t(uc != 0 and csum(pseudo(os_, oc, 17, u) + u) == 0,
              "%s: outer UDP checksum over IPv6 present and right (Linux drops a zero one)" % name)
        o += 8
    if tun == "vxlan":
        t(r[o:o + 8] == struct.pack(">BxxxI", 0x08, 4242 << 8), "%s: VXLAN I flag, VNI 4242 kept" % name)
        o += 8
    elif tun.startswith("geneve"):
        b0, b1, pt, vni = struct.unpack(">BBHI", r[o:o + 8])
        want_pt = 0x6558 if tun == "geneve" else ET[ifam]
        t(b0 == 0 and b1 == 0 and pt == want_pt and vni == (77 if tun == "geneve" else 78) << 8,
          "%s: Geneve version 0, options stripped (length 0, O and C clear), protocol %#x and VNI kept" % (name, want_pt))
        o += 8
    elif tun.startswith("gpe"):
        t(r[o:o + 8] == struct.pack(">BxxBI", 0x0C, 3 if tun == "gpe-eth" else 1 if ifam == 4 else 2,
                                    (4344 if tun == "gpe-eth" else 4343) << 8),
          "%s: VXLAN-GPE flags, next protocol and VNI kept" % name)
        o += 8
    elif tun in ("gre", "greudp"):
        t(r[o:o + 12] == struct.pack(">HHII", 0x3000, ET[ifam], 7, 99), "%s: GRE key 7 and sequence 99 kept" % name)
        o += 12
    elif tun == "grecsum":
        g = r[o:]
        t(g[:4] == struct.pack(">HH", 0xA000, ET[ifam]) and g[8:12] == struct.pack(">I", 5) and csum(g) == 0,
          "%s: GRE C and K kept, key 5, checksum over header and payload right (RFC 2784 2.5)" % name)
        o += 12
    elif tun == "gretap":
        t(r[o:o + 8] == struct.pack(">HHI", 0x2000, 0x6558, 5), "%s: GRE key 5, TEB kept" % name)
        o += 8
    if tun in ("vxlan", "geneve", "gpe-eth", "gretap"):
        t(r[o:o + 6] == IMAC_C and r[o + 6:o + 12] == IMAC_S and r[o + 12:o + 14] == struct.pack(">H", ET[ifam]),
          "%s: inner MACs swapped" % name)
        o += 14
    check_inner(name, kind, ifam, r, o, ipkt)


# ---- every covered tunnel x outer family x inner family x inner kind ----------
COVERED = [("vxlan", 4), ("vxlan", 6), ("geneve", 4), ("geneve", 6), ("geneve-ip", 4), ("gpe", 4),
           ("gpe-eth", 6), ("greudp", 4), ("greudp", 6), ("gre", 4), ("gre", 6), ("grecsum", 4),
           ("gretap", 4), ("ipip", 4), ("ipip", 6)]
tx = []  # (name, tun, ofam, ifam, kind, reply) for tshark
cases = []  # (name, tun, ofam, ifam, kind, frame, inner packet)
port = 40000
for tun, ofam in COVERED:
    for ifam in (4, 6):
        for kind in ("dns", "tcp", "udp"):
            port += 1
            ipkt = inner_ip(kind, ifam, port)
            cases.append(("%s over IPv%d, inner IPv%d %s" % (tun, ofam, ifam, kind.upper()), tun, ofam,
                          ifam, kind, outer_frame(tun, ofam, ifam, ipkt), ipkt))
# one program load for all of them (each load is a verification), XDP and TC
xouts, _ = run([c[5] for c in cases])
touts, _ = run([c[5] for c in cases], "--tc")
t(len(xouts) == len(touts) == len(cases), "every frame run through XDP and TC (%d, %d of %d)" % (len(xouts), len(touts), len(cases)))
for (name, tun, ofam, ifam, kind, fin, ipkt), (act, out), (ta, to) in zip(cases, xouts, touts):
    if not t(act == "tx", "%s: answered with XDP_TX (%s)" % (name, act)):
        continue
    check_reply(name, tun, ofam, ifam, kind, fin, out, ipkt)
    t(ta == "redirect" and to == out, "%s: TC: the same reply, redirected (%s)" % (name, ta))
    tx.append((name, tun, ofam, ifam, kind, out))

# a VLAN-tagged underlay and NXDOMAIN
name = "vxlan over IPv4 in a VLAN tag, NXDOMAIN"
ipkt = inner_ip("dns", 4, 41999)
(act, out), = run([outer_frame("vxlan", 4, 4, ipkt, vlan=7)], "--nxdomain")[0]
# tag at 12, outer IPv4 at 18, UDP 38, VXLAN 46, inner Ethernet 54, IPv4 68, UDP 88, DNS 96
t(act == "tx" and out[12:16] == struct.pack(">HH", 0x8100, 7) and csum(out[18:38]) == 0 and
  struct.unpack(">H", out[20:22])[0] == len(out) - 18 and struct.unpack(">H", out[42:44])[0] == len(out) - 38 and
  out[99] & 0xF == 3, "%s: tag kept, outer lengths and IPv4 checksum right, RCODE 3" % name)

# ---- the same rate limit: rate 10/s -> burst 2 (wire.h), then plain drops ------
frames = [outer_frame("vxlan", 4, 4, inner_ip("dns", 4, 44000 + i)) for i in range(20)]
outs, cnt = run(frames, "--rate", "10")
acts = "".join(a[0] for a, _ in outs)
t(acts == "tt" + "d" * 18 and cnt.get(34) == 2 and cnt.get(37) == 18,
  "VXLAN, rate 10/s: the first 2 answered, 18 dropped as reject_limited (%s, %s)" % (acts, cnt))

# ---- broken frames: cut at every length, single bytes flipped -----------------
# Whatever the program makes of them, a reply it sends must be a whole frame:
# an outer IP header (after the Ethernet header and a tag) whose length
# ends at the frame's end, a right IPv4 header checksum, a UDP length to the
# end, at most 1024 bytes (LS_REJ_OUT_MAX); TC's the same bytes as XDP's.
import random  # noqa: E402
rng = random.Random(16)
broken = []
for tun, ofam in (("vxlan", 4), ("geneve", 6), ("grecsum", 4), ("gretap", 4), ("ipip", 6), ("greudp", 4)):
    for kind in ("dns", "tcp", "udp"):
        full = outer_frame(tun, ofam, 4 if kind != "tcp" else 6, inner_ip(kind, 4 if kind != "tcp" else 6, 43000))
        broken += [full[:k] for k in range(14, len(full), 3)]
        for _ in range(40):
            b = bytearray(full)
            b[rng.randrange(14, min(len(b), 120))] ^= 1 << rng.randrange(8)
            broken.append(bytes(b))


def whole(r):
    o = 14 + (4 if r[12:14] == b"\x81\x00" else 0)
    et = r[o - 2:o]
    if et == b"\x08\x00":
        tot, proto, ihl = struct.unpack(">H", r[o + 2:o + 4])[0], r[o + 9], (r[o] & 0xF) * 4
        if tot != len(r) - o or csum(r[o:o + ihl]) != 0:
            return False
        l4 = o + ihl
    elif et == b"\x86\xdd":
        if struct.unpack(">H", r[o + 4:o + 6])[0] != len(r) - o - 40:
            return False
        proto, l4 = r[o + 6], o + 40
    else:
        return False
    if proto == 17 and struct.unpack(">H", r[l4 + 4:l4 + 6])[0] != len(r) - l4:
        return False
    return len(r) <= 1024


bx, _ = run(broken)
bt, _ = run(broken, "--tc")
bad = [i for i, ((a, r), (ta, tr)) in enumerate(zip(bx, bt))
       if (a == "tx" and not whole(r)) or (a == "tx") != (ta == "redirect") or (a == "tx" and r != tr)]
t(len(bx) == len(bt) == len(broken) and not bad,
  "%d broken frames (%d answered): every reply a whole frame, TC's the same%s" % (
      len(broken), sum(a == "tx" for a, _ in bx), (": first bad #%d %s" % (bad[0], broken[bad[0]].hex())) if bad else ""))

# ---- tunnels not answered: dropped, counted reject_none -----------------------
def pppoe(ipkt):
    return eth(OMAC_S, OMAC_C, 0x8864, struct.pack(">BBHHH", 0x11, 0, 0x0101, len(ipkt) + 2, 0x0021) + ipkt)


def mpls_gre(ipkt):
    p = struct.pack(">HH", 0, 0x8847) + struct.pack(">I", (100 << 12) | 0x100 | 64) + ipkt
    return eth(OMAC_S, OMAC_C, 0x0800, ip(O4C, O4S, 47, p))


def gtpu(ipkt):
    g = struct.pack(">BBHI", 0x30, 0xFF, len(ipkt), 0x1234) + ipkt
    return eth(OMAC_S, OMAC_C, 0x0800, ip(O4C, O4S, 17, udp(O4C, O4S, 2152, 2152, g)))


def erspan(ipkt):
    mirrored = eth(IMAC_S, IMAC_C, 0x0800, ipkt)
    p = struct.pack(">HHI", 0x1000, 0x88BE, 1) + struct.pack(">HHI", (1 << 12) | 10, 5, 0) + mirrored
    return eth(OMAC_S, OMAC_C, 0x0800, ip(O4C, O4S, 47, p))


def teredo(ipkt6):
    return eth(OMAC_S, OMAC_C, 0x0800, ip(O4C, O4S, 17, udp(O4C, O4S, 3544, 40000, ipkt6)))


silent = [
    ("ERSPAN II (mirrored traffic)", erspan(inner_ip("tcp", 4, 42001))),
    ("MPLS in GRE", mpls_gre(inner_ip("tcp", 4, 42002))),
    ("PPPoE session", pppoe(inner_ip("dns", 4, 42003))),
    ("GTP-U", gtpu(inner_ip("tcp", 4, 42004))),
    ("Teredo", teredo(inner_ip("tcp", 6, 42005))),
    ("VXLAN in VXLAN (two deep)", outer_frame("vxlan", 4, 4, outer_frame("vxlan", 4, 4, inner_ip("tcp", 4, 42006))[14:])),
    ("VXLAN to a multicast group (239.1.1.1)", outer_frame("vxlan", 4, 4, inner_ip("tcp", 4, 42007), odst=bytes([239, 1, 1, 1]))),
]
# an inner frame to the broadcast MAC
bc = bytearray(outer_frame("vxlan", 4, 4, inner_ip("udp", 4, 42008)))
bc[14 + 20 + 8 + 8:14 + 20 + 8 + 8 + 6] = b"\xff" * 6
silent.append(("VXLAN, inner frame to the broadcast MAC", bytes(bc)))
outs, cnt = run([f for _, f in silent])
for (name, _), (act, _) in zip(silent, outs):
    t(act == "drop", "%s: dropped, not answered (%s)" % (name, act))
t(cnt.get(38) == len(silent), "reject_none counted each of them (%s of %d)" % (cnt.get(38), len(silent)))

# ---- tshark's reading of the replies (checksums validated) -------------------
pcap = os.path.join(TMP, "tunnel_replies.pcap")
with open(pcap, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, x in enumerate(tx):
        fr = x[-1]
        f.write(struct.pack("<IIII", 1 + i, 0, len(fr), len(fr)) + fr)
fields = ["frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport",
          "ip.checksum.status", "udp.checksum.status", "udp.checksum", "tcp.checksum.status",
          "icmp.checksum.status", "icmpv6.checksum.status", "vxlan.vni", "geneve.vni", "geneve.options",
          "gre.key", "gre.sequence_number", "gre.checksum.status", "dns.flags.rcode", "dns.qry.name",
          "tcp.flags.reset", "icmp.type", "icmpv6.type", "_ws.expert.severity"]
cmd = ["tshark", "-n", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
       "-o", "tcp.check_checksum:TRUE",
       "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"]
for fl in fields:
    cmd += ["-e", fl]
p = subprocess.run(cmd, capture_output=True, text=True)
rows = [l.split("|") for l in p.stdout.splitlines()]
t(len(rows) == len(tx), "tshark reads every reply (%d of %d)%s" % (len(rows), len(tx), "" if rows else ": " + p.stderr[:300]))
# (tshark 4.0 decodes VXLAN-GPE on 4790 without naming it in
# frame.protocols: its VNI is checked as vxlan.vni below)
STACK = {"vxlan": "udp:vxlan:eth:ethertype:%s", "geneve": "udp:geneve:eth:ethertype:%s",
         "geneve-ip": "udp:geneve:%s", "gpe": "udp:%s", "gpe-eth": "udp:eth:ethertype:%s",
         "greudp": "udp:gre:%s", "gre": "gre:%s", "grecsum": "gre:%s", "gretap": "gre:eth:ethertype:%s",
         "ipip": "%s"}
for (name, tun, ofam, ifam, kind, _), row in zip(tx, rows):
    f = {k: v.split(",") if v else [] for k, v in zip(fields, row)}
    protos = row[0]
    why = []
    # the stack as tshark names it: outer, tunnel, inner, reply
    iip = "ip" if ifam == 4 else "ipv6"
    want_stack = "eth:ethertype:%s:%s" % ("ip" if ofam == 4 else "ipv6", STACK[tun] % iip)
    if not protos.startswith(want_stack):
        why.append("stack %s, not %s..." % (protos, want_stack))
    inner = {"dns": "dns", "tcp": "tcp", "udp": "icmp" if ifam == 4 else "icmpv6"}[kind]
    if inner not in protos.split(":"):
        why.append("no " + inner)
    # addresses: outer from S to C, inner from S to C
    osrc = f["ip.src" if ofam == 4 else "ipv6.src"][:1]
    want_osrc = ["198.18.1.2"] if ofam == 4 else ["2001:db8:f::2"]
    if osrc != want_osrc:
        why.append("outer src %s" % osrc)
    isrc = f["ip.src" if ifam == 4 else "ipv6.src"]
    want_isrc = "198.18.50.2" if ifam == 4 else "2001:db8:32::2"
    if want_isrc not in isrc:
        why.append("inner src %s" % isrc)
    if tun in UDP_PORT:
        if f["udp.srcport"][:1] != ["51234"] or f["udp.dstport"][:1] != [str(UDP_PORT[tun])]:
            why.append("outer ports %s -> %s" % (f["udp.srcport"], f["udp.dstport"]))
        if ofam == 6 and f["udp.checksum.status"][:1] != ["1"]:
            why.append("outer UDP checksum %s" % f["udp.checksum.status"])
        if ofam == 4 and f["udp.checksum"][:1] != ["0x0000"]:
            why.append("outer UDP checksum not 0: %s" % f["udp.checksum"])
    if [s for s in f["ip.checksum.status"] if s != "1"]:
        why.append("ip checksum %s" % f["ip.checksum.status"])
    want_vni = {"vxlan": 4242, "gpe": 4343, "gpe-eth": 4344}.get(tun)
    if want_vni and [int(x, 0) for x in f["vxlan.vni"]] != [want_vni]:
        why.append("vni %s" % f["vxlan.vni"])
    if tun.startswith("geneve") and ([int(x, 0) for x in f["geneve.vni"]] != [77 if tun == "geneve" else 78]
                                     or f["geneve.options"]):
        why.append("geneve %s %s" % (f["geneve.vni"], f["geneve.options"]))
    if tun in ("gre", "greudp") and (f["gre.key"][:1] not in (["0x00000007"], ["7"]) or f["gre.sequence_number"][:1] != ["99"]):
        why.append("gre %s %s" % (f["gre.key"], f["gre.sequence_number"]))
    if tun == "grecsum" and f["gre.checksum.status"][:1] != ["1"]:
        why.append("gre checksum %s" % f["gre.checksum.status"])
    if kind == "dns" and (f["dns.flags.rcode"] != ["5"] or f["dns.qry.name"] != ["www.blocked.test"]):
        why.append("dns %s %s" % (f["dns.flags.rcode"], f["dns.qry.name"]))
    if kind == "tcp" and (f["tcp.flags.reset"] not in (["1"], ["True"]) or f["tcp.checksum.status"] != ["1"]):
        why.append("tcp %s %s" % (f["tcp.flags.reset"], f["tcp.checksum.status"]))
    # every UDP checksum good but the outer one over IPv4: 0, "not present" (3)
    ucs = f["udp.checksum.status"]
    if tun in UDP_PORT and ofam == 4:
        ucs = ucs[1:] if ucs[:1] == ["3"] else ["outer not 0"] + ucs
    if [x for x in ucs if x != "1"]:
        why.append("udp checksum %s" % f["udp.checksum.status"])
    if kind == "udp":
        k = "icmp" if ifam == 4 else "icmpv6"
        if f[k + ".type"][:1] != (["3"] if ifam == 4 else ["1"]) or f[k + ".checksum.status"][:1] != ["1"]:
            why.append("%s %s %s" % (k, f[k + ".type"], f[k + ".checksum.status"]))
    if "8388608" in f["_ws.expert.severity"]:  # PI_ERROR: a bad checksum, a malformed field
        why.append("expert error")
    t(not why, "tshark: %s: %s" % (name, "; ".join(why) if why else "as expected"))
print("1..%d" % n)
sys.exit(1 if fails else 0)
