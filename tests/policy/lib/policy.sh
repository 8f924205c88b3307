# policy.sh - shared by the tests/policy end-to-end suites (sourced, not a
# suite): the integration topology (tests/integration/lib/topo.sh: client and
# server namespaces, nginx, openssl s_server, the agent on the server veth)
# plus the policy modules.
. "$(dirname "${BASH_SOURCE[0]}")/../../integration/lib/topo.sh"

G=$LS_ROOT/build/guests
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

policy_init() { # SUITE
	topo_init "$1" # also LS_CONTROL_SOCK, private to the run
	need_root
	for g in allowlist ratelimit ai-gateway; do
		[ -f "$G/$g.wasm" ] || bail "$G/$g.wasm not built (make guests)"
	done
	topo_up || bail "could not build the topology"
}

# fetch NAME URL [curl args...]: 0 when the whole body arrived in time
# policy_status FILE: the control socket's policy status (the JSON after
# "ok ") into FILE
policy_status() {
	python3 - "$LS_CONTROL_SOCK" >"$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); s.sendall(b"status\n")
r = b""
while not r.endswith(b"\n"):
    d = s.recv(65536)
    if not d: break
    r += d
print(r.decode().split(" ", 1)[1])
PY
}
fetch() {
	local name=$1 url=$2; shift 2
	in_c curl -sS -o "$TMP/$name.out" --max-time 4 -w '%{http_code}' "$@" "$url" \
		>"$TMP/$name.code" 2>"$TMP/$name.err"
}

# denied AGENT PORT CMD...: 0 when the request CMD makes from client port
# PORT (one no earlier connection used) was refused by the data plane for a
# verdict: CMD failed (no answer), the agent AGENT wrote a drop verdict for
# that flow, and the kernel's drop_verdict counter grew meanwhile -- not just
# any failure (a timeout, a server down, a lost policy under a drop default).
# Says which part was missing. CMD is e.g. `fetch NAME URL --local-port
# PORT` or `answered_after_verdict AGENT HOST PORT`.
denied() {
	local agent=$1 port=$2 d0 d1
	shift 2
	d0=$(drop_verdicts)
	if "$@"; then
		echo "denied: the request from port $port was answered" | diag
		return 1
	fi
	if ! wait_for 3 verdict_for "$agent" "$port" drop; then
		echo "denied: no answer from port $port, but no drop verdict for its flow either" | diag
		return 1
	fi
	d1=$(drop_verdicts)
	if [ "${d1:-0}" -le "${d0:-0}" ]; then
		echo "denied: a drop verdict, but the data plane dropped nothing by verdict ($d0 -> $d1)" | diag
		return 1
	fi
}

# sclient SNI [PORT]: 0 when a request over TLS (openssl s_client
# -servername SNI) got its answer from s_server -www; the request goes 0.5 s
# after the handshake, well after the decision. no_sclient: the opposite.
sclient() {
	(sleep 0.5; printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) |
		in_c timeout 5 openssl s_client -quiet -connect "$S4:${2:-443}" -servername "$1" 2>/dev/null |
		grep -q '^HTTP/1.0 200'
}
no_sclient() { ! sclient "$@"; }

# after_verdict AGENT HOST PORT [HOLD]: an HTTP/1.1 connection from the
# client port PORT (one no earlier connection used) with Host HOST; once
# the agent whose stdout is $TMP/AGENT.json has written the flow's verdict
# (and, with HOLD, once the file HOLD exists; HOLD.seen says the verdict
# was seen), a second request on it. Prints "answered", "cut" or
# "noverdict" (lib/after_verdict.py): whether the verdict holds, however
# long it took the agent to decide.
after_verdict() {
	in_c python3 "$LIB_DIR/after_verdict.py" "$TMP/$1.json" "$C4" "$3" "$S4" "$2" \
		${4:+"$4"} 2>>"$TMP/after_verdict.err"
}
# answered_after_verdict AGENT HOST PORT: 0 when after_verdict says "answered"
answered_after_verdict() { [ "$(after_verdict "$@")" = answered ]; }
