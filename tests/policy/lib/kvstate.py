#!/usr/bin/env python3
"""kvstate.py FILE [ADDR [quota]] - reads lockstep's key-value state file on its own
(docs/abi.md, "Key-value store", the format in src/policy/kv_state.h), so a
live test checks what is on disk with another implementation: the header,
zlib's CRC-32 over the file with its CRC field as zero, every entry.
Prints "keys=N"; with ADDR (an IPv4 or IPv6 address) also "tokens=T" of the
ratelimit example's bucket for that client (key "b:" + the address,
IPv4-mapped, value u64 tokens, u64 last_g); with "quota" instead
"chat=C embeddings=E models=M", the ai-gateway example's request counts of
that client's window (key "q:" + the address, value u64 window_start_g,
u32 counts chat, embeddings, models, u32 pad). Exit 1 if the file is not
valid or the key is not there."""
import ipaddress
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
if len(data) < 32 or data[:8] != b"LSKVSTAT":
    sys.exit("not a state file")
ver, n, plen, crc, res = struct.unpack_from("<IIQII", data, 8)
if ver != 1 or res != 0 or plen != len(data) - 32:
    sys.exit(f"bad header: version {ver}, payload {plen} of {len(data) - 32}")
if zlib.crc32(data[:24] + b"\0\0\0\0" + data[28:]) != crc:
    sys.exit("CRC mismatch")
kv, off = {}, 32
for _ in range(n):
    kl, vl = struct.unpack_from("<HH", data, off)
    kv[data[off + 4:off + 4 + kl]] = data[off + 4 + kl:off + 4 + kl + vl]
    off += 4 + kl + vl
if off != len(data) or len(kv) != n:
    sys.exit("entries do not fill the payload")
out = f"keys={n}"
if len(sys.argv) > 2:
    ip = ipaddress.ip_address(sys.argv[2])
    addr = ip.packed if ip.version == 6 else b"\0" * 10 + b"\xff\xff" + ip.packed
    quota = len(sys.argv) > 3 and sys.argv[3] == "quota"
    key = (b"q:" if quota else b"b:") + addr
    if key not in kv:
        print(out)
        sys.exit("no %s for %s" % ("quota window" if quota else "bucket", sys.argv[2]))
    if quota:
        if len(kv[key]) != 24:
            sys.exit("a quota window is 24 bytes, not %d" % len(kv[key]))
        out += " chat=%d embeddings=%d models=%d" % struct.unpack_from("<III", kv[key], 8)
    else:
        out += " tokens=%d" % struct.unpack_from("<Q", kv[key])[0]
print(out)
