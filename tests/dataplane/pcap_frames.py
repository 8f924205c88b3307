#!/usr/bin/env python3
"""pcap_frames.py - writes each frame of classic pcap files as one file
(a fuzzing seed corpus): pcap_frames.py OUTDIR MAX FILE.pcap...
Stdlib only; pcapng and other link types are skipped."""
import os, struct, sys

out, limit, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
os.makedirs(out, exist_ok=True)
n = 0
for path in files:
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        continue
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        continue
    if struct.unpack(e + "I", data[20:24])[0] != 1:
        continue
    off = 24
    while off + 16 <= len(data) and n < limit:
        _, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 14:
            continue
        with open(os.path.join(out, "seed-%05d" % n), "wb") as g:
            g.write(frame)
        n += 1
print(n)
