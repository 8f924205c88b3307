# policy.sh - shared by the tests/policy end-to-end suites (sourced, not a
# suite): the integration topology (tests/integration/lib/topo.sh: client and
# server namespaces, nginx, openssl s_server, the agent on the server veth)
# plus the policy modules.
. "$(dirname "${BASH_SOURCE[0]}")/../../integration/lib/topo.sh"

G=$LS_ROOT/build/guests

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
