#!/usr/bin/env python3
"""pcap_score.py - scores `lockstep inspect` output against a capture's truth.

usage: pcap_score.py NAME.truth.tsv EVENTS.jsonl  -> prints one TSV line:
  required found reported correct  [then "# FP ..." / "# MISS ..." details]

Rules (../shared/pcaps/README.md): recall = required truth entries reported /
required entries; precision = reported names that appear in the truth for that
flow (required or not) / all reported names. A flow is
"proto lowaddr lowport highaddr highport", endpoints sorted by
(address string, int port) as make_truth.py does. Names are compared in
tshark's text form: non-printable bytes as \\ooo (or \\n, \\t, ...); the
DNS root, "." in lockstep's events, is "<Root>" in tshark's.

Tunnels (issue 16): lockstep descends through IP-in-IP, GRE, VXLAN, Geneve,
GRE-in-UDP, MPLS and PPPoE (docs/dataplane.md "Encapsulations"), so an entry
whose only note is `tunnelled` counts as required too, except in captures
whose tunnel is one lockstep does not descend (NOT_DESCENDED below, with the
reason). The truth names a tunnelled entry's flow by the outermost addresses
(make_truth.py takes tshark's first ip.src / ip.dst) and the inner ports: a
tunnelled event (`tunnel.outer_src` / `outer_dst`) is matched in that form
too.
"""
import os
import csv, json, sys

KINDS = ("http_method", "http_host", "http_path", "tls_sni", "dns_qname")
ESC = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def tshark_text(s):
    out = []
    for ch in s:
        o = ord(ch)
        if o == 0x5C:
            out.append("\\\\")
        elif 0x20 <= o < 0x7F or o >= 0x80:
            out.append(ch)
        elif o in ESC:
            out.append(ESC[o])
        else:
            out.append("\\%03o" % o)
    return "".join(out)


def flow_of(ev):
    a, b = (ev["src"], int(ev["sport"])), (ev["dst"], int(ev["dport"]))
    lo, hi = sorted([a, b], key=lambda t: (t[0], t[1]))
    return f"{ev['proto']} {lo[0]} {lo[1]} {hi[0]} {hi[1]}"


# captures whose tunnelled entries stay optional, and why
NOT_DESCENDED = {
    "tls_invalid_reads": "GTP-U (UDP 2152) is not a tunnel lockstep descends",
}


def outer_flow_of(ev):
    """The truth's form of a tunnelled event's flow: outer addresses, inner
    ports (see the top); None for an event in no tunnel."""
    t = ev.get("tunnel")
    if not t or "outer_src" not in t:
        return None
    return flow_of(dict(ev, src=t["outer_src"], dst=t["outer_dst"]))


def main(truth_path, events_path):
    truth, required = {}, []
    name = os.path.basename(truth_path).rsplit(".truth.tsv", 1)[0]
    with open(truth_path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            truth.setdefault(row["flow"], set()).add((row["kind"], row["value"]))
            tunnelled = row["note"] == "tunnelled" and name not in NOT_DESCENDED
            if row["required"] == "1" or tunnelled:
                required.append((row["flow"], row["kind"], row["value"], row["frame"]))
    reported, bad = [], 0
    with open(events_path, encoding="utf-8", errors="strict") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if ev.get("event") != "dpi":
                continue
            fl = flow_of(ev)
            if fl not in truth and outer_flow_of(ev) in truth:
                fl = outer_flow_of(ev)
            for k in KINDS:
                if k in ev:
                    v = tshark_text(ev[k])
                    if k == "dns_qname" and v == ".":
                        v = "<Root>"
                    reported.append((fl, k, v))
    got = set(reported)
    found = sum(1 for fl, k, v, _ in required if (fl, k, v) in got)
    correct = sum(1 for fl, k, v in reported if (k, v) in truth.get(fl, ()))
    print(f"{len(required)}\t{found}\t{len(reported)}\t{correct}\t{bad}")
    for fl, k, v in reported:
        if (k, v) not in truth.get(fl, ()):
            print(f"# FP {fl} {k}={v!r}")
    for fl, k, v, fr in required:
        if (fl, k, v) not in got:
            print(f"# MISS frame {fr} {fl} {k}={v!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
