#!/usr/bin/env python3
"""keepalive.py - one long-lived HTTP/1.1 connection exchanging data the
whole time, for the tests/policy suites (a helper, not a suite).

  keepalive.py SRC PORT DST HOST SECONDS [INTERVAL [STOPFILE]]

From SRC:PORT to DST:80, sends `GET /` with Host: HOST every INTERVAL
seconds (default 0.1) for SECONDS and waits for each answer before the
next request. With STOPFILE, it goes on until that file exists (SECONDS
is then the upper bound), so a suite can end the connection at a moment
of its choosing rather than of the clock's. Prints one line when done:

  sent N answered M longest_ms L broke 0|1

`broke` is 1 when the connection was reset, closed, or an answer took
longer than 5 s; L is the longest wait for one answer. Each request
leaves in one write, so the data plane's DPI sees it whole.
"""
import os
import socket
import sys
import time


def main():
    src, port, dst, host = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    secs = float(sys.argv[5])
    interval = float(sys.argv[6]) if len(sys.argv) > 6 else 0.1
    stopfile = sys.argv[7] if len(sys.argv) > 7 else None
    req = ("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: keepalive\r\n\r\n" % host).encode()
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, port))
    s.settimeout(5)
    sent = answered = 0
    longest = 0.0
    broke = 0
    data = b""
    try:
        s.connect((dst, 80))
        end = time.monotonic() + secs
        while time.monotonic() < end and not (stopfile and os.path.exists(stopfile)):
            t0 = time.monotonic()
            s.sendall(req)
            sent += 1
            # an answer is a status line; count them in all that arrived
            while data.count(b"HTTP/1.1 200") < sent:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by the server")
                data += chunk
            answered = data.count(b"HTTP/1.1 200")
            longest = max(longest, time.monotonic() - t0)
            time.sleep(interval)
    except (OSError, ConnectionError) as e:
        broke = 1
        sys.stderr.write("keepalive: %s after %d requests\n" % (e, sent))
    finally:
        s.close()
    print("sent %d answered %d longest_ms %.0f broke %d" % (sent, answered, longest * 1e3, broke))


if __name__ == "__main__":
    main()
