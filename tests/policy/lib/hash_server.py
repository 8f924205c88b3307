#!/usr/bin/env python3
"""hash_server.py - a TCP server for the ordering checks of the tests/policy
suites (a helper, not a suite): for each connection, the byte count and the
SHA-256 of the whole stream it received, one line each, appended to OUT.

  hash_server.py ADDR PORT OUT     (ADDR IPv4 or IPv6)
"""
import hashlib
import socket
import sys

addr, port, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(4)
out = open(out_path, "a")
while True:
    c, _ = s.accept()
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    out.write("%d %s\n" % (n, h.hexdigest()))
    out.flush()
    c.close()
