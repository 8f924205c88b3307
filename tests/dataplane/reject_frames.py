#!/usr/bin/env python3
"""reject_frames.py - the replies the data plane builds for rejected packets
(bpf/reject.h), checked field by field against this script's own reading of
RFC 1035 (DNS), RFC 9293 3.10.7.1 (RST generation), RFC 792 / RFC 4443
(port unreachable) and RFC 1071 / RFC 8200 8.1 (checksums), then parsed
again by tshark with checksum validation on.

  reject_frames.py REJECT_RUN TMPDIR
REJECT_RUN is build/asan/tools/reject_run (the real program, run through
BPF_PROG_TEST_RUN). Prints TAP lines; exit status 1 on any failure."""
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


MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
C4, S4 = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
C6, S6 = bytes.fromhex("20010db8000100000000000000000001"), bytes.fromhex("20010db8000100000000000000000002")


def csum(b):  # RFC 1071, written out here
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


def frame(src, dst, proto, l4, vlan=None, dmac=MAC_S):
    if len(src) == 4:
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 7, 0, 61, proto, 0, src, dst)
        ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
        et = 0x0800
    else:
        ip = struct.pack(">IHBB16s16s", 0x60000000, len(l4), proto, 61, src, dst)
        et = 0x86DD
    l2 = dmac + MAC_C
    if vlan is not None:
        l2 += struct.pack(">HH", 0x8100, vlan)
    return l2 + struct.pack(">H", et) + ip + l4


def udp(src, dst, sport, dport, pay):
    u = struct.pack(">HHHH", sport, dport, 8 + len(pay), 0) + pay
    return u[:6] + struct.pack(">H", csum(pseudo(src, dst, 17, u) + u) or 0xFFFF) + u[8:]


def tcp(src, dst, sport, dport, seq, ack, flags, pay=b""):
    h = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + pay
    return h[:16] + struct.pack(">H", csum(pseudo(src, dst, 6, h) + h)) + h[18:]


def qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def dnsq(name, qid=0x1234, flags=0x0120, edns=True, qtype=1):
    q = qname(name) + struct.pack(">HH", qtype, 1)
    ar = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0) if edns else b""
    return struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 1 if edns else 0) + q + ar


def run(frames, *args):
    p = subprocess.run([RUN, *args], input="".join(f.hex() + "\n" for f in frames),
                       capture_output=True, text=True)
    out = []
    for line in p.stdout.splitlines():
        act, _, hx = line.partition(" ")
        out.append((act, bytes.fromhex(hx)))
    cnt = {}
    for line in p.stderr.splitlines():
        if line.startswith("counter "):
            _, i, v = line.split()
            cnt[int(i)] = int(v)
    return out, cnt


def parse(f):
    """Ethernet (+ one tag), IP, L4 of a reply: a dict, every field."""
    r = {"dmac": f[0:6], "smac": f[6:12]}
    o = 12
    et = struct.unpack(">H", f[o:o + 2])[0]
    if et == 0x8100:
        r["vlan"] = struct.unpack(">H", f[o + 2:o + 4])[0]
        o += 4
        et = struct.unpack(">H", f[o:o + 2])[0]
    o += 2
    r["l3"] = o
    if et == 0x0800:
        ip = f[o:o + 20]
        r.update(family=4, ver_ihl=ip[0], tos=ip[1], tot=struct.unpack(">H", ip[2:4])[0],
                 frag=struct.unpack(">H", ip[6:8])[0], ttl=ip[8], proto=ip[9], src=ip[12:16],
                 dst=ip[16:20], ipsum_ok=csum(ip) == 0)
        l4 = f[o + 20:o + r["tot"]]
        r["trail"] = f[o + r["tot"]:]
    else:
        ip = f[o:o + 40]
        plen = struct.unpack(">H", ip[4:6])[0]
        r.update(family=6, vtf=struct.unpack(">I", ip[0:4])[0], plen=plen, proto=ip[6], ttl=ip[7],
                 src=ip[8:24], dst=ip[24:40])
        l4 = f[o + 40:o + 40 + plen]
        r["trail"] = f[o + 40 + plen:]
    r["l4"] = l4
    r["l4sum_ok"] = (csum(l4) == 0 if r["proto"] == 1 else
                     csum(pseudo(r["src"], r["dst"], r["proto"], l4) + l4) == 0)
    return r


checks = []  # (name, input frame, expected-kind, details) for tshark afterwards
tx_frames = []

# ---- DNS: REFUSED / NXDOMAIN, v4 and v6, with and without a VLAN tag ------
cases = [
    ("DNS v4 query (EDNS)", C4, S4, None, ()),
    ("DNS v6 query", C6, S6, None, ()),
    ("DNS v4 query in a VLAN tag", C4, S4, 42, ()),
    ("DNS v4 query, NXDOMAIN asked", C4, S4, None, ("--nxdomain",)),
    ("DNS v6 query, NXDOMAIN asked", C6, S6, None, ("--nxdomain",)),
]
for name, src, dst, vlan, args in cases:
    q = dnsq("www.blocked.test", qid=0xBEEF)
    fin = frame(src, dst, 17, udp(src, dst, 40000, 53, q), vlan=vlan)
    (act, out), = run([fin], *args)[0]
    t(act == "tx", "%s: answered with XDP_TX (%s)" % (name, act))
    r = parse(out)
    rcode = 3 if args else 5
    u = r["l4"]
    sport, dport, ulen = struct.unpack(">HHH", u[:6])
    d = u[8:]
    hdr = struct.unpack(">HHHHHH", d[:12])
    qexp = qname("www.blocked.test") + struct.pack(">HH", 1, 1)
    t(r["dmac"] == MAC_C and r["smac"] == MAC_S and r.get("vlan") == vlan,
      "%s: MACs swapped, VLAN tag kept" % name)
    t(r["src"] == dst and r["dst"] == src and r["proto"] == 17 and r["ttl"] == 64,
      "%s: addresses swapped, UDP, TTL/hop limit 64" % name)
    if r["family"] == 4:
        t(r["ver_ihl"] == 0x45 and r["tot"] == 20 + len(u) and r["frag"] == 0 and r["ipsum_ok"],
          "%s: IPv4 header, total length and header checksum" % name)
    else:
        t(r["vtf"] == 0x60000000 and r["plen"] == len(u), "%s: IPv6 header and payload length" % name)
    t(sport == 53 and dport == 40000 and ulen == len(u) == 8 + 12 + len(qexp),
      "%s: ports swapped, UDP length = header + 12 + question" % name)
    t(struct.unpack(">H", u[6:8])[0] != 0 and r["l4sum_ok"], "%s: UDP checksum present and right" % name)
    t(hdr[0] == 0xBEEF, "%s: the query's ID" % name)
    t(hdr[1] == 0x8000 | 0x0100 | rcode, "%s: QR=1 opcode 0 AA=0 TC=0 RD kept RA=0 Z/AD/CD=0 RCODE %d (%#06x)" % (name, rcode, hdr[1]))
    t(hdr[2:] == (1, 0, 0, 0), "%s: QDCOUNT 1, AN/NS/AR 0 (the OPT record not echoed)" % name)
    t(d[12:] == qexp, "%s: the question echoed byte for byte" % name)
    t(r["trail"] == b"", "%s: nothing after the reply" % name)
    tx_frames.append(out)
    checks.append((name, "dns", rcode))

# ---- TCP: RST, RFC 9293 3.10.7.1 ------------------------------------------
for fam, src, dst in ((4, C4, S4), (6, C6, S6)):
    name = "TCP v%d SYN" % fam
    fin = frame(src, dst, 6, tcp(src, dst, 40001, 80, 1000, 0, 0x02))
    (act, out), = run([fin])[0]
    t(act == "tx", "%s: answered with XDP_TX" % name)
    r = parse(out)
    th = r["l4"]
    sp, dp, seq, ack, off, fl, win, _, urg = struct.unpack(">HHIIBBHHH", th[:20])
    t(r["src"] == dst and r["dst"] == src and r["proto"] == 6 and len(th) == 20,
      "%s: addresses swapped, 20-byte TCP header, no payload" % name)
    t(sp == 80 and dp == 40001, "%s: ports swapped" % name)
    t(fl == 0x14 and seq == 0 and ack == 1001, "%s: no ACK in: <SEQ=0><ACK=SEG.SEQ+1><RST,ACK> (seq %d ack %d flags %#x)" % (name, seq, ack, fl))
    t(off == 0x50 and win == 0 and urg == 0 and r["l4sum_ok"], "%s: data offset 5, window 0, checksum right" % name)
    tx_frames.append(out)
    checks.append((name, "rst", 0))

name = "TCP v4 data segment (ACK)"
fin = frame(C4, S4, 6, tcp(C4, S4, 40002, 80, 5000, 777777, 0x18, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
(act, out), = run([fin])[0]
r = parse(out)
sp, dp, seq, ack, off, fl = struct.unpack(">HHIIBB", r["l4"][:14])
t(act == "tx" and fl == 0x04 and seq == 777777 and ack == 0 and r["l4sum_ok"],
  "%s: <SEQ=SEG.ACK><RST> (seq %d flags %#x), checksum right" % (name, seq, fl))
t(r["family"] == 4 and r["tot"] == 40 and r["trail"] == b"", "%s: 40 bytes of IP, the payload gone" % name)
tx_frames.append(out)
checks.append((name, "rst", 0))

name = "TCP v4 FIN|ACK... without ACK: FIN+payload counted"
fin = frame(C4, S4, 6, tcp(C4, S4, 40003, 80, 100, 0, 0x01, b"abc"))
(act, out), = run([fin])[0]
r = parse(out)
sp, dp, seq, ack, off, fl = struct.unpack(">HHIIBB", r["l4"][:14])
t(act == "tx" and fl == 0x14 and ack == 100 + 3 + 1, "%s: ACK = SEG.SEQ + 3 + 1 (%d)" % (name, ack))

# ---- other UDP: port unreachable, quoting the packet ----------------------
for fam, src, dst, plen in ((4, C4, S4, 100), (6, C6, S6, 100), (4, C4, S4, 1000), (6, C6, S6, 1000)):
    name = "UDP v%d, %d-byte payload, port 9999" % (fam, plen)
    pay = bytes((i * 7) & 0xFF for i in range(plen))
    fin = frame(src, dst, 17, udp(src, dst, 40010, 9999, pay))
    (act, out), = run([fin])[0]
    t(act == "tx", "%s: answered with XDP_TX" % name)
    r = parse(out)
    ic = r["l4"]
    orig_ip = fin[14:]
    qlen = min(len(orig_ip), 512)
    if fam == 4:
        t(r["proto"] == 1 and ic[0] == 3 and ic[1] == 3, "%s: ICMP type 3 code 3" % name)
        t(r["ipsum_ok"] and r["tot"] == 20 + 8 + qlen <= 576, "%s: IPv4 header right, at most 576 bytes" % name)
    else:
        t(r["proto"] == 58 and ic[0] == 1 and ic[1] == 4, "%s: ICMPv6 type 1 code 4" % name)
        t(r["plen"] == 8 + qlen and 40 + 8 + qlen <= 1280, "%s: within the IPv6 minimum MTU" % name)
    t(ic[4:8] == b"\0\0\0\0", "%s: unused word zero" % name)
    t(ic[8:] == orig_ip[:qlen], "%s: quotes the offending packet from its IP header (%d bytes)" % (name, qlen))
    t(r["l4sum_ok"], "%s: %s checksum right" % (name, "ICMP" if fam == 4 else "ICMPv6 (with pseudo-header)"))
    t(r["src"] == dst and r["dst"] == src, "%s: from the destination to the sender" % name)
    tx_frames.append(out)
    checks.append((name, "icmp" if fam == 4 else "icmpv6", 0))

name = "DNS query with a compression pointer in its name"
bad = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\x03www\xc0\x0c" + struct.pack(">HH", 1, 1)
(act, out), = run([frame(C4, S4, 17, udp(C4, S4, 40020, 53, bad))])[0]
r = parse(out)
t(act == "tx" and r["proto"] == 1 and r["l4"][0] == 3, "%s: not answered as DNS, ICMP port unreachable instead" % name)

# ---- no answer: dropped, counted as reject_none ----------------------------
silent = [
    ("a TCP RST", frame(C4, S4, 6, tcp(C4, S4, 40030, 80, 1, 0, 0x04))),
    ("an ICMP echo request", frame(C4, S4, 1, b"\x08\0\xf7\xff\0\0\0\0")),
    ("UDP to a multicast group", frame(C4, bytes([239, 1, 2, 3]), 17, udp(C4, bytes([239, 1, 2, 3]), 40031, 9999, b"x"))),
    ("UDP to the broadcast MAC", frame(C4, S4, 17, udp(C4, S4, 40032, 9999, b"x"), dmac=b"\xff" * 6)),
    ("UDP to ff02::1", frame(C6, bytes.fromhex("ff020000000000000000000000000001"), 17, udp(C6, bytes.fromhex("ff020000000000000000000000000001"), 40033, 9999, b"x"))),
]
outs, cnt = run([f for _, f in silent])
for (name, _), (act, _) in zip(silent, outs):
    t(act == "drop", "%s: dropped, not answered (%s)" % (name, act))
t(cnt.get(38) == len(silent), "reject_none counted each of them (%s)" % cnt.get(38))

# ---- TC (egress): the same replies, redirected into the host's ingress -----
q = dnsq("www.blocked.test", qid=0x0101)
fin = frame(C4, S4, 17, udp(C4, S4, 40040, 53, q))
(xa, xo), = run([fin])[0]
(ta, to), = run([fin], "--tc")[0]
t(ta == "redirect" and to == xo, "TC: a DNS query gets the same REFUSED, redirected (%s)" % ta)
fin = frame(C6, S6, 6, tcp(C6, S6, 40041, 443, 9, 0, 0x02))
(xa, xo), = run([fin])[0]
(ta, to), = run([fin], "--tc")[0]
t(ta == "redirect" and to == xo, "TC: a v6 SYN gets the same RST, redirected")
fin = frame(C4, S4, 17, udp(C4, S4, 40042, 9999, b"z" * 40))
(xa, xo), = run([fin])[0]
(ta, to), = run([fin], "--tc")[0]
t(ta == "redirect" and to == xo, "TC: UDP gets the same port unreachable, redirected")

# ---- rate limit: rate 10/s -> burst 10/10 + 1 = 2 (wire.h), then drops -----
frames = [frame(C4, S4, 17, udp(C4, S4, 41000 + i, 53, dnsq("a.test"))) for i in range(20)]
outs, cnt = run(frames, "--rate", "10")
acts = [a for a, _ in outs]
t(acts[:2] == ["tx", "tx"] and acts[2:] == ["drop"] * 18, "rate 10/s: the first 2 answered, 18 dropped (%s)" % "".join(a[0] for a in acts))
t(cnt.get(34) == 2 and cnt.get(37) == 18, "reject_dns 2, reject_limited 18 (%s)" % cnt)

# ---- tshark's reading of the replies (checksums validated) -----------------
pcap = os.path.join(TMP, "replies.pcap")
with open(pcap, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(tx_frames):
        f.write(struct.pack("<IIII", 1 + i, 0, len(fr), len(fr)) + fr)
fields = ["frame.number", "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status",
          "icmp.checksum.status", "icmpv6.checksum.status", "dns.flags.response", "dns.flags.rcode",
          "dns.qry.name", "tcp.flags.reset", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
          "_ws.expert.severity"]
cmd = ["tshark", "-n", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
       "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"]
for fl in fields:
    cmd += ["-e", fl]
p = subprocess.run(cmd, capture_output=True, text=True)
rows = [l.split("|") for l in p.stdout.splitlines()]
t(len(rows) == len(tx_frames), "tshark reads every reply (%d of %d)" % (len(rows), len(tx_frames)))
for (name, kind, rcode), row in zip(checks, rows):
    f = dict(zip(fields, row))
    good = lambda k: f[k] in ("1", "Good")  # 1 = PROTO_CHECKSUM_E_GOOD
    if kind == "dns":
        ok = (good("udp.checksum.status") and f["dns.flags.response"] in ("1", "True") and
              f["dns.flags.rcode"] == str(rcode) and f["dns.qry.name"] == "www.blocked.test")
    elif kind == "rst":
        ok = good("tcp.checksum.status") and f["tcp.flags.reset"] in ("1", "True")
    elif kind == "icmp":
        ok = good("icmp.checksum.status") and f["icmp.type"] == "3" and f["icmp.code"] == "3"
    else:
        ok = good("icmpv6.checksum.status") and f["icmpv6.type"] == "1" and f["icmpv6.code"] == "4"
    if f["ip.checksum.status"]:
        ok = ok and good("ip.checksum.status")
    # 8388608 = PI_ERROR (a bad checksum, a malformed field); a RST is a warning
    t(ok and f["_ws.expert.severity"] != "8388608", "tshark: %s reply as expected (%s)" % (name, row))
print("1..%d" % n)
sys.exit(1 if fails else 0)
