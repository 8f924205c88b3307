#!/usr/bin/env python3
"""slowloris.py - slow HTTP clients against lockstep's metrics endpoint
(used by tests/integration/http_abuse.sh).

  slowloris.py HOST PORT SECS   opens 100 connections at once and 10 more
                                every 0.5 s, each sending a request's first
                                line and then one header byte a second, for
                                SECS seconds; prints `opened N`, `cut C`
                                (connections the server shut down)
  slowloris.py --patient HOST PORT
                                one slow but honest client: a GET /healthz
                                in three pieces over 0.6 s; prints `status
                                LINE` (the response's status line)
"""
import socket
import sys
import time


def open_one(host, port):
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    s.setblocking(False)
    return s


def attack(host, port, secs):
    socks, cut, opened = [], 0, 0
    end = time.monotonic() + secs
    for _ in range(100):
        try:
            socks.append(open_one(host, port))
            opened += 1
        except OSError:
            pass
    next_open = time.monotonic() + 0.5
    while time.monotonic() < end:
        alive = []
        for s in socks:
            try:
                s.send(b"X")  # one byte of a header that never ends
                alive.append(s)
            except OSError:
                cut += 1
                s.close()
        socks = alive
        if time.monotonic() >= next_open:
            for _ in range(10):
                try:
                    socks.append(open_one(host, port))
                    opened += 1
                except OSError:
                    pass
            next_open += 0.5
        time.sleep(1.0)
    print("opened", opened)
    print("cut", cut)


def patient(host, port):
    s = socket.create_connection((host, port), timeout=5)
    for piece in (b"GET /hea", b"lthz HTTP/1.1\r\nHo", b"st: x\r\n\r\n"):
        s.sendall(piece)
        time.sleep(0.3)
    data = b""
    while b"\r\n" not in data:
        b = s.recv(4096)
        if not b:
            break
        data += b
    print("status", data.split(b"\r\n")[0].decode(errors="replace"))


if sys.argv[1] == "--patient":
    patient(sys.argv[2], int(sys.argv[3]))
else:
    attack(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
