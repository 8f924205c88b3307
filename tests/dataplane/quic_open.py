"""quic_open.py - a second, independent reader of QUIC client Initials, for
tests/dataplane/quic_live.sh: tshark 4.0 cannot decrypt QUIC v2's draft
version (0x709a50c4), which Debian 12's ngtcp2 sends, so this opens every
client Initial itself with Python's `cryptography` (HKDF-SHA256, AES-128-GCM,
AES-128-ECB header protection; RFC 9001 5, RFC 9369 3, draft-ietf-quic-v2's
salt), joins the CRYPTO frames by offset and reads the ClientHello's SNI
and first ALPN id (RFC 8446 4.1.2, RFC 6066 3, RFC 7301 3.1). Nothing of
lockstep's code is used.

usage: quic_open.py CAPTURE PORT  ->  one line per client flow, in order of
its first datagram: "CLIENT_PORT<TAB>SNI FIRST_ALPN[ cut]" (the ALPN id cut
to 11 bytes as lockstep's event holds it; "-" for none), or
"CLIENT_PORT<TAB>?" when the ClientHello could not be read whole.
"""
import hashlib, hmac, struct, subprocess, sys
from collections import OrderedDict

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# version: (salt, label prefix, Initial packet type)
VERSIONS = {
    0x00000001: ("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "quic ", 0),
    0x6B3343CF: ("0dede3def700a6db819381be6e269dcbf9bd2ed9", "quicv2 ", 1),
    0x709A50C4: ("a707c203a59b47184a1d62ca570406ea7ae3e5d3", "quicv2 ", 1),
}


def expand_label(secret, label, n):
    full = b"tls13 " + label.encode()
    info = struct.pack(">HB", n, len(full)) + full + b"\x00"
    return hmac.new(secret, info + b"\x01", hashlib.sha256).digest()[:n]


def keys(version, dcid):
    salt, pfx, _ = VERSIONS[version]
    initial = hmac.new(bytes.fromhex(salt), dcid, hashlib.sha256).digest()
    client = expand_label(initial, "client in", 32)
    return (expand_label(client, pfx + "key", 16), expand_label(client, pfx + "iv", 12),
            expand_label(client, pfx + "hp", 16))


def varint(b, i):
    n = 1 << (b[i] >> 6)
    v = b[i] & 0x3F
    for k in range(1, n):
        v = v << 8 | b[i + k]
    return v, i + n


def packets(dg):
    """(version, type, dcid, header, pn offset, whole length) per long header"""
    i = 0
    while i + 7 <= len(dg) and dg[i] & 0x80:
        ver = struct.unpack(">I", dg[i + 1:i + 5])[0]
        if ver not in VERSIONS:
            return
        j = i + 5
        dcid = dg[j + 1:j + 1 + dg[j]]
        j += 1 + dg[j]
        j += 1 + dg[j]
        typ = (dg[i] >> 4) & 3
        if typ == VERSIONS[ver][2]:
            tok, j = varint(dg, j)
            j += tok
        length, j = varint(dg, j)
        yield ver, typ, dcid, i, j, j + length
        i = j + length


def open_initial(k, dg, start, pn_off, end):
    key, iv, hp = k
    sample = dg[pn_off + 4:pn_off + 20]
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sample)
    b0 = dg[start] ^ (mask[0] & 0x0F)
    pnl = (b0 & 3) + 1
    pn_bytes = bytes(x ^ y for x, y in zip(dg[pn_off:pn_off + pnl], mask[1:1 + pnl]))
    header = bytes([b0]) + dg[start + 1:pn_off] + pn_bytes
    nonce = (int.from_bytes(iv, "big") ^ int.from_bytes(pn_bytes, "big")).to_bytes(12, "big")
    return AESGCM(key).decrypt(nonce, dg[pn_off + pnl:end], header)


def crypto_frames(p, out):
    i = 0
    while i < len(p):
        t = p[i]
        if t in (0, 1):  # PADDING, PING
            i += 1
        elif t in (2, 3):  # ACK
            i += 1
            _, i = varint(p, i)
            _, i = varint(p, i)
            n, i = varint(p, i)
            _, i = varint(p, i)
            for _ in range(2 * n):
                _, i = varint(p, i)
            if t == 3:
                for _ in range(3):
                    _, i = varint(p, i)
        elif t == 6:  # CRYPTO
            off, i = varint(p, i + 1)
            n, i = varint(p, i)
            out[off] = p[i:i + n]
            i += n
        else:  # CONNECTION_CLOSE or anything else: nothing more for us
            return


def hello_names(ch):
    """SNI and first ALPN id of a whole ClientHello handshake message"""
    i = 4 + 2 + 32
    i += 1 + ch[i]  # session id
    i += 2 + struct.unpack(">H", ch[i:i + 2])[0]  # cipher suites
    i += 1 + ch[i]  # compression
    end = i + 2 + struct.unpack(">H", ch[i:i + 2])[0]
    i += 2
    sni, alpn = "-", "-"
    while i + 4 <= end:
        typ, n = struct.unpack(">HH", ch[i:i + 4])
        body = ch[i + 4:i + 4 + n]
        if typ == 0 and len(body) > 5 and body[2] == 0:
            ln = struct.unpack(">H", body[3:5])[0]
            sni = body[5:5 + ln].decode("ascii", "replace")
        elif typ == 16 and len(body) > 3:
            alpn = body[3:3 + body[2]].decode("ascii", "replace")
        i += 4 + n
    return sni, alpn


def main():
    pcap, port = sys.argv[1], sys.argv[2]
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "udp.dstport == %s" % port,
                          "-T", "fields", "-e", "udp.srcport", "-e", "udp.payload"],
                         capture_output=True, text=True, check=True).stdout
    flows = OrderedDict()
    for line in out.splitlines():
        sport, hexdata = (line.split("\t") + [""])[:2]
        f = flows.setdefault(sport, {"keys": None, "crypto": {}})
        dg = bytes.fromhex(hexdata.replace(":", ""))
        for ver, typ, dcid, start, pn_off, end in packets(dg):
            if typ != VERSIONS[ver][2]:
                continue
            if f["keys"] is None:  # the first Initial's DCID (RFC 9001 5.2)
                f["keys"] = keys(ver, dcid)
            try:
                crypto_frames(open_initial(f["keys"], dg, start, pn_off, end), f["crypto"])
            except Exception:
                pass  # a tag that fails: not this flow's first keys (a Retry)
    for sport, f in flows.items():
        data = b""
        for off in sorted(f["crypto"]):
            if off > len(data):
                break
            data += f["crypto"][off][len(data) - off:]
        if len(data) < 4 or data[0] != 1 or len(data) < 4 + int.from_bytes(data[1:4], "big"):
            print("%s\t?" % sport)
            continue
        sni, alpn = hello_names(data)
        cut = " cut" if len(alpn) > 11 else ""
        print("%s\t%s %s%s" % (sport, sni, alpn[:11], cut))


if __name__ == "__main__":
    main()
