# topo.sh - shared by the tests/integration suites (sourced, not a suite):
# the TAP library (tests/lib/tap.sh), a client/server network-namespace pair
# joined by a veth, real servers in the server namespace (nginx, openssl
# s_server, dnsmasq), the lockstep agent on the server-side veth, its verdicts
# and counters (verdict_for, drop_verdicts), and cleanup of all of it on every
# exit path.
#
# Addresses: client 198.18.1.1 / 2001:db8:1::1 (veth vc), server 198.18.1.2 /
# 2001:db8:1::2 (veth vs). Names are unique per run (ls-<suite>-$$).
# The agent runs with `nsenter --net=` (not `ip netns exec`, which remounts
# /sys) so its pins land in the root bpffs where later commands see them; its
# pin dir is private to the run.

: "${LS_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${LS_BIN:=$LS_ROOT/build/asan/lockstep}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"

. "$LS_ROOT/tests/lib/tap.sh"
quiet() { "$@" >/dev/null 2>&1; }

topo_init() { # SUITE
	SUITE=$1
	NS_C=ls-$SUITE-$$-c
	NS_S=ls-$SUITE-$$-s
	TMP=$(mktemp -d /tmp/ls-$SUITE-$$.XXXXXX)
	PIN_ROOT=/sys/fs/bpf/ls-$SUITE-$$
	PIN_DIR=$PIN_ROOT/v2
	PIDS=()
	# every agent opens a control socket: one per run, so that suites
	# running side by side never meet on the default path
	export LS_CONTROL_SOCK=$TMP/control.sock
	C4=198.18.1.1 S4=198.18.1.2 C6=2001:db8:1::1 S6=2001:db8:1::2
	at_exit topo_cleanup
}

topo_cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -f "$TMP/nginx.pid" ] && kill -9 "$(cat "$TMP/nginx.pid")" 2>/dev/null
	# processes still inside our namespaces (nginx workers, stray clients)
	for ns in "$NS_C" "$NS_S"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	# a data plane left attached goes with its namespace; the pins we remove
	[ -d "$PIN_DIR" ] && "$LS_BIN" stop --pin-dir "$PIN_DIR" >/dev/null 2>&1
	rm -rf "$PIN_DIR" 2>/dev/null
	rmdir "$PIN_ROOT" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	if [ -n "${LS_KEEP_TMP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}

topo_up() {
	ip netns add "$NS_C" && ip netns add "$NS_S" || return 1
	ip -n "$NS_C" link add vc type veth peer name vs netns "$NS_S" || return 1
	ip -n "$NS_C" addr add $C4/24 dev vc
	ip -n "$NS_S" addr add $S4/24 dev vs
	ip -n "$NS_C" addr add $C6/64 dev vc nodad
	ip -n "$NS_S" addr add $S6/64 dev vs nodad
	for ns in "$NS_C" "$NS_S"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_C" link set vc up && ip -n "$NS_S" link set vs up || return 1
	# the link-local addresses go through duplicate address detection
	# (about a second) before IPv6 works at full speed: a test that timed
	# its first IPv6 exchange right after this measured DAD, not lockstep
	wait_for 10 topo_dad_done
}

topo_dad_done() {
	[ -z "$(ip -n "$NS_C" -6 addr show tentative)" ] && [ -z "$(ip -n "$NS_S" -6 addr show tentative)" ]
}

# caps_of PID CapEff|CapBnd|...: the process's capabilities as the kernel
# says (/proc/PID/status, decoded by capsh), sorted, space-separated, with a
# trailing space: "cap_bpf cap_net_admin cap_perfmon "
caps_of() {
	capsh --decode="$(awk -v f="$2:" '$1 == f {print $2}' /proc/"$1"/status)" | sed 's/.*=//' |
		tr ',' '\n' | sort | tr '\n' ' '
}

in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

# nginx_start [DIRECTIVES]: serves $TMP/www on :80 of the server namespace;
# DIRECTIVES go into the server block (e.g. pacing, answering POST);
# NGINX_CONNECTIONS (default 256) is its worker_connections
nginx_start() {
	local conns=${NGINX_CONNECTIONS:-256}
	mkdir -p "$TMP/www" "$TMP/ngx-body" "$TMP/ngx-proxy"
	echo "hello from lockstep test" >"$TMP/www/index.html"
	head -c 12M /dev/zero >"$TMP/www/big.bin"
	cat >"$TMP/nginx.conf" <<NGX
user root;
worker_processes 1;
worker_rlimit_nofile $((conns * 2 + 64));
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections $conns; }
http {
  access_log $TMP/nginx-access.log;
  client_body_temp_path $TMP/ngx-body;
  proxy_temp_path $TMP/ngx-proxy;
  server { listen $S4:80; listen [$S6]:80; root $TMP/www; ${1:-} }
}
NGX
	in_s nginx -c "$TMP/nginx.conf" -p "$TMP" -e "$TMP/nginx-error.log" || return 1
	wait_for 5 test -s "$TMP/nginx.pid"
}

tls_start() { # openssl s_server with a certificate made here
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=tls.lockstep.test" \
		-keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || return 1
	in_s openssl s_server -accept 443 -cert "$TMP/cert.pem" -key "$TMP/key.pem" -www -quiet \
		>"$TMP/s_server.log" 2>&1 &
	PIDS+=($!)
	wait_for 5 in_s bash -c 'exec 3<>/dev/tcp/127.0.0.1/443'
}

# dnsmasq_start ZONE [dnsmasq options...]: authoritative (aa) for ZONE on the
# server's addresses and nothing else (no upstream, no /etc/hosts, NXDOMAIN
# for names it does not hold); the options add its records
dnsmasq_start() {
	local zone=$1; shift
	in_s dnsmasq --keep-in-foreground --user=root --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$S4" --listen-address="$S6" --port=53 --pid-file="$TMP/dnsmasq.pid" \
		--auth-server="ns.$zone,$S4" --auth-zone="$zone" "$@" >"$TMP/dnsmasq.out" 2>&1 &
	PIDS+=($!)
	wait_for 5 test -s "$TMP/dnsmasq.pid" || { diag "$TMP/dnsmasq.out"; return 1; }
}

# agent_start NAME [run options...]: lockstep run on vs in the server
# namespace; stdout -> $TMP/NAME.json, stderr -> $TMP/NAME.err; AGENT=pid
agent_start() {
	local name=$1; shift
	nsenter --net=/run/netns/"$NS_S" "$LS_BIN" run --iface vs --pin-dir "$PIN_DIR" "$@" \
		>"$TMP/$name.json" 2>"$TMP/$name.err" &
	AGENT=$!
	PIDS+=($AGENT)
	wait_for 20 grep -q 'lockstep: running' "$TMP/$name.err"
}

# XDP program id attached to vs (empty when none)
xdp_prog_id() {
	ip -n "$NS_S" -d link show vs | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1
}

# drop_verdicts: the data plane's drop_verdict counter (packets it dropped
# because of a drop verdict), read from the pins
drop_verdicts() { "$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq '.drop_verdict // 0'; }
# verdict_for AGENT PORT VERDICT: the agent whose stdout is $TMP/AGENT.json
# wrote VERDICT (pass|drop) for the flow whose client port is PORT (its
# flow_new or dpi event names the port; the verdict event, the flow's id)
verdict_for() {
	jq -e -n -R --argjson p "$2" --arg v "$3" '[inputs | fromjson? // empty] as $e
		| ([$e[] | select((.event == "flow_new" or .event == "dpi") and .sport == $p) | .flow_id]) as $ids
		| any($e[]; .event == "verdict" and .verdict == $v and (.flow_id as $i | $ids | index($i)))' \
		"$TMP/$1.json" >/dev/null 2>&1
}
