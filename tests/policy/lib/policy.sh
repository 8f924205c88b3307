# policy.sh - shared by the tests/policy end-to-end suites (sourced, not a
# suite): the integration topology (tests/integration/lib/topo.sh: client and
# server namespaces, nginx, openssl s_server, the agent on the server veth)
# plus the policy modules.
. "$(dirname "${BASH_SOURCE[0]}")/../../integration/lib/topo.sh"

G=$LS_ROOT/build/guests
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

policy_init() { # SUITE
	topo_init "$1" # also LS_CONTROL_SOCK, private to the run
	[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (namespaces, BPF)"; exit 1; }
	for g in allowlist ratelimit ai-gateway; do
		[ -f "$G/$g.wasm" ] || { echo "Bail out! $G/$g.wasm not built (make guests)"; exit 1; }
	done
	topo_up || { echo "Bail out! could not build the topology"; exit 1; }
}

# fetch NAME URL [curl args...]: 0 when the whole body arrived in time
fetch() {
	local name=$1 url=$2; shift 2
	in_c curl -sS -o "$TMP/$name.out" --max-time 4 -w '%{http_code}' "$@" "$url" \
		>"$TMP/$name.code" 2>"$TMP/$name.err"
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
