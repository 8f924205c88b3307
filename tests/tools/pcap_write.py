#!/usr/bin/env python3
"""pcap_write.py - builds Ethernet frames (IPv4 or IPv6, TCP or UDP, IPv6
extension headers given as raw bytes) and writes them as a classic pcap
file, for tests that ask an independent dissector (tshark) about frames the
test made. Stdlib only; checksums are computed, so tshark sees valid frames.

Library use:  from pcap_write import tcp4, tcp6, write_pcap
"""
import struct


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _ip4(a):
    return bytes(int(x) for x in a.split("."))


def _ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def _l4(proto, sport, dport, payload, pseudo, seq=1, flags=0x18):
    if proto == 6:
        h = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0)
    else:
        h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    seg = h + payload
    c = _csum(pseudo + seg)
    off = 16 if proto == 6 else 6
    if proto == 17 and c == 0:
        c = 0xFFFF
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


ETH = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"


def tcp4(src, dst, sport, dport, payload, seq=1, flags=0x18, proto=6):
    """An Ethernet/IPv4/TCP (or UDP, proto=17) frame."""
    s, d = _ip4(src), _ip4(dst)
    l4len = (20 if proto == 6 else 8) + len(payload)
    seg = _l4(proto, sport, dport, payload, s + d + struct.pack("!BBH", 0, proto, l4len), seq, flags)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, proto, 0, s, d)
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return ETH + b"\x08\x00" + ip + seg


def tcp6(src, dst, sport, dport, payload, ext=(), proto=6, seq=1, flags=0x18):
    """An Ethernet/IPv6 frame: ext is a list of (next-header number of this
    extension header, its bytes without the leading next-header byte); the
    chain is linked in order and ends in TCP (6) or UDP (17)."""
    s, d = _ip6(src), _ip6(dst)
    l4len = (20 if proto == 6 else 8) + len(payload)
    seg = _l4(proto, sport, dport, payload, s + d + struct.pack("!IxxxB", l4len, proto), seq, flags)
    chain, first = b"", proto
    for i in range(len(ext) - 1, -1, -1):
        num, body = ext[i]
        chain = bytes([first]) + body + chain
        first = num
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(chain) + len(seg), first, 64, s, d)
    return ETH + b"\x86\xdd" + ip + chain + seg


def write_pcap(path, frames, times_us=None):
    """Frame i at 1700000000 s + i s, or + times_us[i] microseconds."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            t = i * 1000000 if times_us is None else times_us[i]
            f.write(struct.pack("<IIII", 1700000000 + t // 1000000, t % 1000000, len(fr), len(fr)))
            f.write(fr)
