#!/usr/bin/env python3
"""after_verdict.py - is a flow's traffic still answered once the policy has
decided it? Shared by the tests/policy suites (a helper, not a suite).

  after_verdict.py AGENT_JSON SRC PORT DST HOST [HOLD]

Opens an HTTP/1.1 keep-alive connection from SRC:PORT to DST:80 and sends
`GET /` with Host: HOST. That first request is what DPI reads, and it passes
while the flow is undecided. Then it waits until the agent (whose stdout is
AGENT_JSON) has written a verdict for this connection's flow, and only then
sends a second request on the same connection. Prints one word:

  answered   the second request got an HTTP answer: the flow passes
  cut        it got none within 3 s: the flow's packets are dropped
  noverdict  no verdict was written within 15 s

With HOLD (a file name), it creates HOLD.seen once the verdict is there
and sends the second request only when HOLD exists (e.g. after the agent
was restarted in between).

Waiting for the verdict makes the answer independent of how long the agent
took to decide: a check that races a download against the decision instead
fails whenever the agent is slower than the download (a 12 MB answer crosses
a veth in about 10 ms). PORT must be a port no earlier connection of the run
used: a reused 5-tuple is the same flow to the data plane.
"""
import json
import os
import socket
import sys
import time


def flow_verdict(path, src, port, host):
    """(flow_id, verdict) once the agent has written one, else (id, None)."""
    flow_id = None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if '"event":"dpi"' not in line and '"event":"verdict"' not in line:
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue  # a line being written
                if (ev.get("event") == "dpi" and ev.get("src") == src and
                        ev.get("sport") == port and ev.get("http_host") == host):
                    flow_id = ev.get("flow_id")
                elif (ev.get("event") == "verdict" and flow_id is not None and
                      ev.get("flow_id") == flow_id):
                    return flow_id, ev.get("verdict")
    except OSError:
        pass
    return flow_id, None


class Conn:
    """The connection and everything it received: answers are counted by
    their status lines, so a late first answer is not taken for the second."""

    def __init__(self, sock):
        self.sock, self.data = sock, b""

    def wait_answers(self, n, timeout):
        """True once n answers have arrived, False after timeout seconds."""
        end = time.monotonic() + timeout
        while self.data.count(b"HTTP/1.1 ") < n:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, OSError):
                return False
            if not chunk:
                return False
            self.data += chunk
        return True


def main():
    path, src, port, dst, host = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    req = ("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: after_verdict\r\n\r\n" % host).encode()
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, port))
    s.settimeout(5)
    s.connect((dst, 80))
    s.sendall(req)
    c = Conn(s)
    # the first answer races the verdict: read what comes, whatever it is
    c.wait_answers(1, 1.0)
    deadline = time.monotonic() + 15
    verdict = None
    while verdict is None and time.monotonic() < deadline:
        _, verdict = flow_verdict(path, src, port, host)
        if verdict is None:
            time.sleep(0.05)
    if verdict is None:
        print("noverdict")
        return
    if len(sys.argv) > 6:
        hold = sys.argv[6]
        open(hold + ".seen", "w").close()
        end = time.monotonic() + 120
        while not os.path.exists(hold) and time.monotonic() < end:
            time.sleep(0.05)
    try:
        s.sendall(req)
    except OSError:
        print("cut")
        return
    print("answered" if c.wait_answers(2, 3.0) else "cut")


if __name__ == "__main__":
    main()
