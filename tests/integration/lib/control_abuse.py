#!/usr/bin/env python3
"""control_abuse.py - hostile clients of lockstep's control socket (used by
tests/integration/control_abuse.sh). Each mode prints one line per fact the
suite checks, in the form `key value`.

  crowd SOCK N CMD...  opens N silent connections, then runs CMD (a real
                       `lockstep status`) while they are all still open and
                       prints `cmd_rc RC`, `cmd_secs S`, `open_when_done K`
                       (silent clients not yet answered when CMD ended),
                       then waits for every silent one to be answered:
                       `busy B`, `timeout T`, `unanswered U`
  long SOCK BYTES      one request line longer than the agent takes
  slow SOCK LINE       LINE sent one byte every 20 ms
  noeol SOCK LINE      LINE without its newline, then shutdown(SHUT_WR)
"""
import select
import socket
import subprocess
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_line(s, secs):
    s.settimeout(secs)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            b = s.recv(4096)
            if not b:
                break
            buf += b
    except socket.timeout:
        return None
    return buf.decode(errors="replace").strip()


def crowd(path, n, cmd):
    socks = [connect(path) for _ in range(n)]
    t0 = time.monotonic()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30).returncode
    secs = time.monotonic() - t0
    # which silent clients had no answer yet when the command was done
    ready, _, _ = select.select(socks, [], [], 0)
    print("cmd_rc", rc)
    print("cmd_secs %.3f" % secs)
    print("open_when_done", n - len(ready))
    busy = timeout = unanswered = 0
    for s in socks:
        line = read_line(s, 5)
        if line is None or line == "":
            unanswered += 1
        elif line.startswith("error busy"):
            busy += 1
        elif line.startswith("error timeout"):
            timeout += 1
        else:
            print("other", line)
        s.close()
    print("busy", busy)
    print("timeout", timeout)
    print("unanswered", unanswered)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "crowd":
        crowd(path, int(sys.argv[3]), sys.argv[4:])
        return
    s = connect(path)
    if mode == "long":
        s.sendall(b"a" * int(sys.argv[3]))
    elif mode == "slow":
        for ch in sys.argv[3].encode() + b"\n":
            s.sendall(bytes([ch]))
            time.sleep(0.02)
    elif mode == "noeol":
        s.sendall(sys.argv[3].encode())
        s.shutdown(socket.SHUT_WR)
    print("reply", read_line(s, 5))


main()
