#!/usr/bin/env python3
"""ipv6_ext_tshark.py - IPv6 extension header chains: where lockstep finds
the transport header vs where tshark does (a differential test).

usage: ipv6_ext_tshark.py LOCKSTEP OUTDIR   (TAP lines on stdout)

Writes frames whose chains use all four extension header types lockstep
walks -- Hop-by-Hop (0), Routing (43, types 0 and 4), Fragment (44, atomic),
Destination Options (60) -- with lengths > 0 (hdrlen 1..6, i.e. 16..56
bytes), alone and chained, over UDP (a DNS query: the payload offset is
checked too) and TCP (SYN). Every frame has its own source port, so a frame
is a flow. tshark dissects the capture: for each frame, the transport
protocol, ports and DNS name it finds. `lockstep inspect --pcap` must report
exactly those flows (and names) for chains of at most 6 headers
(LS_IPV6_EXT_MAX, docs/dataplane.md), and no flow for a longer chain.
"""
import json, os, struct, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from pcap_write import tcp6, write_pcap  # noqa: E402

HBH, RT, FRAG, DST = 0, 43, 44, 60
SRC, DSTA = "2001:db8::1", "2001:db8::2"


def opts(hdrlen):
    """An options header body (after the next-header byte): hdrlen, then
    one PadN option filling (hdrlen + 1) * 8 - 2 bytes."""
    total = (hdrlen + 1) * 8
    return bytes([hdrlen, 1, total - 4]) + b"\0" * (total - 4)


def routing(hdrlen, rtype):
    """A routing header with segments left 0 (the destination is final, so
    the transport checksum uses it): type 0, or type 4 (SRH) with
    hdrlen / 2 segments."""
    n = hdrlen // 2
    if rtype == 4:
        body = bytes([hdrlen, 4, 0, n - 1, 0, 0, 0])
    else:
        body = bytes([hdrlen, 0, 0, 0, 0, 0, 0])
    return body + b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x09" + b"\0" * (n * 16 - 16)


def frag():
    """An atomic fragment header (offset 0, M = 0: RFC 6946)."""
    return bytes([0]) + struct.pack("!HI", 0, 0x1234)


def chains():
    out = []
    for l in (1, 2, 3, 6):
        out.append(("hbh%d" % l, [(HBH, opts(l))]))
        out.append(("dst%d" % l, [(DST, opts(l))]))
    for l in (2, 4, 6):
        out.append(("rt0-%d" % l, [(RT, routing(l, 0))]))
        out.append(("srh%d" % l, [(RT, routing(l, 4))]))
    out.append(("frag", [(FRAG, frag())]))
    out.append(("hbh1-dst2-rt4-frag-dst1",
                [(HBH, opts(1)), (DST, opts(2)), (RT, routing(4, 4)), (FRAG, frag()), (DST, opts(1))]))
    out.append(("hbh3-rt2-dst5", [(HBH, opts(3)), (RT, routing(2, 0)), (DST, opts(5))]))
    out.append(("hbh2-dst1-rt2-frag-dst3-dst1",
                [(HBH, opts(2)), (DST, opts(1)), (RT, routing(2, 4)), (FRAG, frag()), (DST, opts(3)),
                 (DST, opts(1))]))
    # seven headers: past LS_IPV6_EXT_MAX, lockstep reports no flow
    out.append(("seven", [(HBH, opts(1))] + [(DST, opts(1))] * 6))
    return out


def dns_query(name, qid):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def main():
    ls, outdir = sys.argv[1], sys.argv[2]
    frames, want_flow = [], []
    for i, (name, ext) in enumerate(chains()):
        for proto in (17, 6):
            sport = 30000 + 2 * i + (proto == 6)
            if proto == 17:
                pay = dns_query("%s.ext.example" % name.replace("-", "_"), i)
                frames.append(tcp6(SRC, DSTA, sport, 53, pay, ext=ext, proto=17))
            else:
                frames.append(tcp6(SRC, DSTA, sport, 80, b"", ext=ext, proto=6, flags=0x02))
            want_flow.append((name, proto, sport, len(ext) <= 6))
    pcap = os.path.join(outdir, "ipv6-ext.pcap")
    write_pcap(pcap, frames)

    fields = ["frame.number", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
              "dns.qry.name", "_ws.expert.message"]
    cmd = ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    ts = {}
    for line in out.splitlines():
        c = dict(zip(fields, line.split("\t") + [""] * len(fields)))
        if c["udp.srcport"]:
            ts[int(c["frame.number"])] = ("udp", int(c["udp.srcport"]), int(c["udp.dstport"]),
                                         c["dns.qry.name"])
        elif c["tcp.srcport"]:
            ts[int(c["frame.number"])] = ("tcp", int(c["tcp.srcport"]), int(c["tcp.dstport"]), "")

    r = subprocess.run([ls, "inspect", "--pcap", pcap], capture_output=True, text=True)
    flows, names = {}, {}
    for line in r.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event") == "flow_new":
            flows[int(ev["sport"])] = (ev["proto"], int(ev["sport"]), int(ev["dport"]))
        elif ev.get("event") == "dpi" and "dns_qname" in ev:
            names[int(ev["sport"])] = ev["dns_qname"]
    n = fails = 0
    for fno, (name, proto, sport, walkable) in enumerate(want_flow, 1):
        n += 1
        t = ts.get(fno)
        what = "%s over %s" % (name, "udp" if proto == 17 else "tcp")
        if t is None or t[1] != sport:
            ok, why = False, "tshark did not find the transport header (frame %d): %r" % (fno, t)
        elif walkable:
            got = flows.get(sport)
            ok = got == t[:3] and (proto == 6 or names.get(sport) == t[3])
            why = "tshark %s %d -> %d %r, lockstep %r name %r" % (t[0], t[1], t[2], t[3], got,
                                                                  names.get(sport))
        else:
            ok = sport not in flows
            why = "chain past %d headers: lockstep must not report it (got %r)" % (6, flows.get(sport))
        fails += not ok
        print("%s %d - %s: %s" % ("ok" if ok else "not ok", n, what, why))
    # no flow lockstep reports may be one tshark did not see
    extra = sorted(set(flows) - {w[2] for w in want_flow})
    n += 1
    fails += bool(extra)
    print("%s %d - no flows with ports tshark did not find%s" %
          ("not ok" if extra else "ok", n, (": %r" % [flows[e] for e in extra]) if extra else ""))
    if r.returncode:
        n += 1
        fails += 1
        print("not ok %d - lockstep inspect exit %d: %s" % (n, r.returncode, r.stderr[:300]))
    print("1..%d" % n)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
