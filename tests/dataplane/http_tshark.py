#!/usr/bin/env python3
"""http_tshark.py - HTTP requests as lockstep reports them vs as tshark
decodes them, frame by frame (a differential test: tshark is the oracle).

usage: http_tshark.py LOCKSTEP CAPTURE.pcap...   (TAP lines on stdout)
       http_tshark.py --make OUT.pcap            (writes the request variants)

For each capture: tshark (TCP reassembly on) lists every HTTP request with
its method, Host and URI; `lockstep inspect --pcap` lists what it found.
  - every request tshark decodes from a single segment (no reassembly) among
    the first 4 payload packets of its flow must be reported by lockstep for
    that flow, with the same method, Host and first 128 bytes of URI;
  - every request lockstep reports must be one tshark decodes in that flow.
--make writes one flow per request variant the HTTP grammar allows and
docs/dataplane.md promises: CRLF and bare-LF line ends (RFC 9112 2.2) in
every combination, every known method, Host in any case with blanks and
tabs, a URI past 128 bytes, HTTP/1.0; extension methods (RFC 9110 token:
WebDAV's, SSDP's); pipelined requests in one segment (every one must be
reported), and a body shaped like a request after a Content-Length (which
must not be).
"""
import collections, json, os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
sys.path.insert(0, os.path.dirname(__file__))
from pcap_write import tcp4, write_pcap  # noqa: E402
from pcap_score import tshark_text  # noqa: E402

WINDOW = 4


def variants():
    out = []
    for rl in ("\r\n", "\n"):
        for hl in ("\r\n", "\n"):
            for end in ("\r\n", "\n"):
                host = "lf-%d%d%d.example" % (len(rl), len(hl), len(end))
                out.append("GET /e/%d%d%d HTTP/1.1%sHost: %s%sAccept: */*%s%s" %
                           (len(rl), len(hl), len(end), rl, host, hl, hl, end))
    for i, m in enumerate(("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")):
        out.append("%s /m/%d HTTP/1.1\nhost: m%d.example\n\n" % (m, i, i))
    out.append("GET /tabs HTTP/1.0\nUser-Agent: t\nHOST:\t \tblank.example \t\n\n")
    out.append("GET /" + "x" * 200 + " HTTP/1.1\nHost: long.example\n\n")
    out.append("POST /body HTTP/1.1\nHost: body.example\nContent-Length: 2\n\nhi")
    for i, m in enumerate(("PROPFIND", "MKCOL", "M-SEARCH")):
        out.append("%s /x/%d HTTP/1.1\r\nHost: x%d.example\r\n\r\n" % (m, i, i))
    out.append("GET /p/1 HTTP/1.1\r\nHost: p1.example\r\n\r\n"
               "GET /p/2 HTTP/1.1\nHost: p2.example\n\n"
               "HEAD /p/3 HTTP/1.1\r\nhost:\tp3.example\r\n\r\n")
    inner = "GET /notreq HTTP/1.1\r\nHost: inner.example\r\n\r\n"
    # (a request after the body is not looked at: docs/dataplane.md)
    out.append("POST /pb HTTP/1.1\r\nHost: pb.example\r\nContent-Length: %d\r\n\r\n%s"
               % (len(inner), inner))
    return out


def make(path):
    frames = []
    for i, req in enumerate(variants()):
        frames.append(tcp4("198.18.0.1", "198.18.0.2", 40000 + i, 80, req.encode()))
    write_pcap(path, frames)


def flow_key(src, sp, dst, dp):
    a, b = (src, int(sp)), (dst, int(dp))
    lo, hi = sorted([a, b])
    return "tcp %s %d %s %d" % (lo[0], lo[1], hi[0], hi[1])


def tshark_requests(pcap):
    fields = ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport",
              "tcp.dstport", "tcp.len", "tcp.segment.count", "frame.protocols",
              "http.request.method", "http.host", "http.request.uri"]
    # every occurrence: in a tunnelled frame the innermost IP header is the
    # flow's (lockstep descends tunnels: docs/dataplane.md "Encapsulations")
    cmd = ["tshark", "-n", "-r", pcap, "-o", "tcp.desegment_tcp_streams:TRUE", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    for f in fields:
        cmd += ["-e", f]
    hints = os.path.splitext(pcap)[0] + ".tshark-args"
    if os.path.exists(hints):
        cmd += open(hints).read().split()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    idx = collections.Counter()
    reqs = []  # (flow, method, host, uri, required)
    for line in out.splitlines():
        c = dict(zip(fields, line.split("\t") + [""] * len(fields)))
        if not c["tcp.srcport"]:
            continue
        protos = c["frame.protocols"].split(":")
        ips = [p for p in protos if p in ("ip", "ipv6")]
        tunnelled = len(ips) > 1
        # tunnels lockstep does not descend keep their entries optional
        descended = not any(p in ("gtp", "teredo", "l2tp") for p in protos)
        v = "ipv6" if ips and ips[-1] == "ipv6" else "ip"
        last = lambda f: c[f].split("\x1f")[-1]  # noqa: E731
        first = {k: val.split("\x1f")[0] for k, val in c.items()}
        fl = flow_key(last(v + ".src"), first["tcp.srcport"], last(v + ".dst"), first["tcp.dstport"])
        if int(first["tcp.len"] or 0) > 0:
            idx[fl] += 1
        if not c["http.request.method"]:
            continue
        req = (not tunnelled or descended) and not c["tcp.segment.count"] and idx[fl] <= WINDOW
        # every request of the frame (pipelining), when its fields line up
        # one to one; else the first alone, as before (a request without
        # Host would shift the lists)
        ms, hs, us = (c[k].split("\x1f") for k in
                      ("http.request.method", "http.host", "http.request.uri"))
        if not (len(ms) == len(hs) == len(us)):
            ms, hs, us = ms[:1], hs[:1], us[:1]
        for m, h, u in zip(ms, hs, us):
            # tshark keeps the OWS after a field value (shown as " " or
            # "\\t"); RFC 9112 5.1 excludes it from the value
            host = re.sub(r"( |\\t)+$", "", h)
            reqs.append((fl, m, host, u[:128], req))
    return reqs


def lockstep_requests(ls, pcap):
    out = subprocess.run([ls, "inspect", "--pcap", pcap], capture_output=True, text=True, check=True)
    got = []
    for line in out.stdout.splitlines():
        ev = json.loads(line)
        if ev.get("event") == "dpi" and ev.get("dpi") == "http" and "http_method" in ev:
            got.append((flow_key(ev["src"], ev["sport"], ev["dst"], ev["dport"]), ev["http_method"],
                        tshark_text(ev.get("http_host", "")), tshark_text(ev.get("http_path", ""))))
    return got


def main():
    if sys.argv[1] == "--make":
        make(sys.argv[2])
        return 0
    ls, n, failed = sys.argv[1], 0, 0
    for pcap in sys.argv[2:]:
        name = os.path.basename(pcap)
        n += 1
        try:
            truth = tshark_requests(pcap)
            got = lockstep_requests(ls, pcap)
        except (OSError, subprocess.CalledProcessError, ValueError) as e:
            failed += 1
            print("not ok %d - %s: %s" % (n, name, e))
            continue
        tset = {t[:4] for t in truth}
        miss = [t for t in truth if t[4] and t[:4] not in got]
        wrong = [g for g in got if g not in tset]
        need = sum(1 for t in truth if t[4])
        ok = not miss and not wrong
        failed += not ok
        print("%s %d - %s: tshark %d requests (%d single-segment in window), lockstep %d; "
              "%d missed, %d not in tshark" % ("ok" if ok else "not ok", n, name, len(truth), need,
                                               len(got), len(miss), len(wrong)))
        for t in miss[:5]:
            print("# MISS %s %s host=%r uri=%r" % t[:4])
        for g in wrong[:5]:
            print("# WRONG %s %s host=%r path=%r" % g)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
