#!/usr/bin/env bash
# container.sh - lockstep's container image (packaging/Containerfile, built by
# `make image`) runs the agent the way a fleet would: podman, the pod joined
# to a network namespace with a veth, a bpffs mounted at /sys/fs/bpf, and
# only the capabilities docs/operations.md names (no --privileged). The
# image's own CMD reads /etc/lockstep/lockstep.yaml from a mounted directory
# (what a Kubernetes ConfigMap gives); the agent attaches, decides a real
# connection, answers its control socket, /healthz and /readyz, holds exactly
# those capabilities (the kernel says so), and a restarted container adopts
# the pinned data plane the first one left attached.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init ctr
need_root
need podman runc curl nginx capsh
IMAGE=localhost/lockstep-test:$$
NAME=ls-ctr-$$
# This sandbox's kind runs hybrid cgroups (v1 controllers beside a v2 mount
# holding hugetlb), which crun refuses, and gives root no CAP_SYS_RESOURCE,
# so podman's default rlimits cannot be set: runc, and limits below ours.
# docs/operations.md ("Container") says when a host needs the same.
PODMAN_RUN=(podman run --runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$LS_ROOT/packaging/lockstep.service.in" |
	tr ' ' '\n' | grep -v '^CAP_NET_RAW$' | tr 'A-Z' 'a-z' | sort)
at_exit "podman rm -f -t 0 $NAME $NAME-default >/dev/null 2>&1; podman rmi -f $IMAGE >/dev/null 2>&1; umount $TMP/bpf 2>/dev/null"

if make -C "$LS_ROOT" -s --no-print-directory image IMAGE="$IMAGE" >"$TMP/build.log" 2>&1; then
	ok "make image built $IMAGE"
else
	not_ok "make image built $IMAGE"
	diag "$TMP/build.log"
	exit 1
fi
ver=$(podman image inspect -f '{{index .Labels "org.opencontainers.image.version"}}' "$IMAGE")
check "the image is labelled with VERSION ($ver)" test "$ver" = "$(cat "$LS_ROOT/VERSION")"
size=$(podman image inspect -f '{{.Size}}' "$IMAGE")
check "  and is small: FROM scratch, the binary and its libraries ($((size / 1000000)) MB < 64 MB)" \
	test "$size" -lt 64000000
# no network: --version needs none, and podman's default bridge needs a
# firewall tool (iptables) that netavark looks for and this project does not
# install (a machine without it fails here with "netavark: No such file")
"${PODMAN_RUN[@]}" --rm --network none "$IMAGE" --version >"$TMP/version.txt" 2>&1
check "lockstep --version runs inside the image" grep -q "^lockstep $ver" "$TMP/version.txt"

topo_up || bail "could not build the topology"
nginx_start || bail "nginx did not start"
mkdir -p "$TMP/bpf" "$TMP/etc" "$TMP/run"
mount -t bpf bpf "$TMP/bpf" || bail "could not mount a bpffs at $TMP/bpf"
# what a ConfigMap would hold: the image's configuration file, adapted
# "passive": the allowlist decides in on_dpi, so its verdict is in the log
cat >"$TMP/etc/lockstep.yaml" <<YAML
iface: vs
tc: true
heartbeat: true
default-verdict: pass
fail-safe: pass
metrics: 127.0.0.1:9464
control-socket: /run/lockstep/control.sock
policy: /usr/share/lockstep/guests/allowlist.wasm
policy-config: "*.allowed.test passive"
YAML

# the runtime's default seccomp profile allows bpf(2) only with
# CAP_SYS_ADMIN; scripts/seccomp-profile.py derives the one lockstep needs
"$LS_ROOT/scripts/seccomp-profile.py" >"$TMP/seccomp.json" || bail "seccomp-profile.py failed"
start_ctr() { # [NAME] [SECCOMP]
	"${PODMAN_RUN[@]}" -d --name "${1:-$NAME}" --network ns:/run/netns/"$NS_S" \
		--security-opt seccomp="${2:-$TMP/seccomp.json}" \
		--cap-drop all --cap-add "$(echo $caps | tr ' ' ',')" \
		-v "$TMP/bpf:/sys/fs/bpf" -v "$TMP/etc:/etc/lockstep:ro" -v "$TMP/run:/run/lockstep" \
		"$IMAGE" >"$TMP/podman-run.txt" 2>&1
}
# under the runtime's own profile the agent stops at once, saying why
start_ctr "$NAME-default" /usr/share/containers/seccomp.json
wait_for 30 bash -c "test \"\$(podman inspect -f '{{.State.Status}}' $NAME-default)\" = exited"
podman logs "$NAME-default" >"$TMP/logs0.txt" 2>&1
podman rm -f -t 0 "$NAME-default" >/dev/null 2>&1
check "under the runtime's default seccomp profile the agent stops, naming the profile" \
	grep -q 'a seccomp profile that allows bpf(2)' "$TMP/logs0.txt"
tail -1 "$TMP/logs0.txt" | sed 's/^/# /'
if start_ctr && wait_for 30 bash -c "podman logs $NAME 2>&1 | grep -q 'lockstep: running'"; then
	ok "the image's CMD starts the agent with $(echo $caps) only"
else
	not_ok "the image's CMD starts the agent with $(echo $caps) only"
	diag "$TMP/podman-run.txt"
	podman logs "$NAME" 2>&1 | sed 's/^/# /' | tail -20
	exit 1
fi
podman logs "$NAME" >"$TMP/logs1.txt" 2>&1
check "  it attached XDP to the pod's veth" grep -q 'attached XDP to vs' "$TMP/logs1.txt"
check "  and the kernel shows an XDP program on it" bash -c "ip -n $NS_S -d link show vs | grep -q 'prog/xdp'"
PID=$(podman inspect -f '{{.State.Pid}}' "$NAME")
eff=$(caps_of "$PID" CapEff)
check "  its effective capabilities are exactly the documented ones: $eff" test "$eff" = "$(echo $caps) "
bnd=$(caps_of "$PID" CapBnd)
check "  and so is its bounding set" test "$bnd" = "$(echo $caps) "

code=$(in_c curl -s -o /dev/null --max-time 5 -w '%{http_code}' -H 'Host: www.allowed.test' "http://$S4/")
check "a connection to an allowed host is answered ($code)" test "$code" = 200
check "  and the containerised policy decided it (verdict pass in the container's log)" \
	wait_for 5 bash -c "podman logs $NAME 2>/dev/null | grep -q '\"event\":\"verdict\".*\"verdict\":\"pass\"'"
"$LS_BIN" status --control-socket "$TMP/run/control.sock" >"$TMP/status.txt" 2>&1
check "lockstep status on the host reaches the container's control socket" \
	grep -q '^guest: *healthy' "$TMP/status.txt"
check "/healthz answers 200" test "$(in_s curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/healthz)" = 200
check "/readyz answers 200 (attached, heartbeat alive, policy healthy)" \
	wait_for 10 test "$(in_s curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/readyz)" = 200
check "/metrics carries lockstep_build_info with the image's version" \
	bash -c "in_s() { ip netns exec $NS_S \"\$@\"; }; in_s curl -s http://127.0.0.1:9464/metrics | grep -q 'lockstep_build_info{version=\"$ver\"'"

# a restart (podman stop/start, what a rolling update or a crash does):
# the data plane stays attached meanwhile and the new agent adopts it
podman stop -t 10 "$NAME" >/dev/null 2>&1
rc=$(podman inspect -f '{{.State.ExitCode}}' "$NAME")
check "podman stop: the agent exits cleanly on SIGTERM (exit $rc)" test "$rc" = 0
check "  the data plane stays attached while no agent runs" \
	bash -c "ip -n $NS_S -d link show vs | grep -q 'prog/xdp'"
check "  and its pins stay in the bpffs" test -n "$(ls "$TMP/bpf" 2>/dev/null)"
code=$(in_c curl -s -o /dev/null --max-time 5 -w '%{http_code}' -H 'Host: www.allowed.test' "http://$S4/")
check "  connections still pass meanwhile (fail-safe pass: $code)" test "$code" = 200
podman start "$NAME" >/dev/null 2>&1
check "podman start: the new agent adopts the pinned data plane" \
	wait_for 30 bash -c "podman logs --since 60s $NAME 2>&1 | grep -q 'adopted the data plane pinned in'"
check "  and runs" wait_for 30 bash -c "podman logs $NAME 2>&1 | grep -c 'lockstep: running' | grep -qx 2"
code=$(in_c curl -s -o /dev/null --max-time 5 -w '%{http_code}' -H 'Host: www.allowed.test' "http://$S4/")
check "  and decides again ($code)" test "$code" = 200
podman rm -f -t 10 "$NAME" >/dev/null 2>&1
finish
