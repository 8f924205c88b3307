#!/usr/bin/env python3
# png_stats.py - what a screenshot holds, for tests/obs (not a suite): decodes
# an 8-bit RGB/RGBA PNG with zlib alone and prints one JSON object: width,
# height, the number of distinct colours, the share of pixels that are not
# the page background (the most common colour) and the share of pixels
# within 16 (per channel) of each colour given on the command line.
#   png_stats.py FILE [#rrggbb ...]
import json, struct, sys, zlib
from collections import Counter


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG: " + path)
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit("unsupported PNG (want 8-bit RGB/RGBA, not interlaced)")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    px = Counter()
    for line in rows:
        for i in range(0, stride, bpp):
            px[bytes(line[i:i + 3])] += 1
    return w, h, px


w, h, px = decode(sys.argv[1])
total = w * h
bg, nbg = px.most_common(1)[0]
out = {"width": w, "height": h, "colours": len(px), "not_background": 1 - nbg / total,
       "near": {}}
for want in sys.argv[2:]:
    r, g, b = (int(want[i:i + 2], 16) for i in (1, 3, 5))
    near = sum(n for c, n in px.items() if abs(c[0] - r) <= 16 and abs(c[1] - g) <= 16
               and abs(c[2] - b) <= 16)
    out["near"][want] = near / total
print(json.dumps(out))
