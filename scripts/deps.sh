#!/usr/bin/env bash
# Installs every build and test dependency of lockstep on Debian 12 with apt.
# Idempotent: silent and quick when everything is already present.
set -euo pipefail

PKGS=(
  # build: C toolchain, BPF and wasm32 targets
  build-essential make pkg-config clang llvm lld
  libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev libxdp-dev
  libclang-rt-14-dev libclang-rt-14-dev-wasm32 wasi-libc
  wabt nodejs libpcap-dev libssl-dev libcjson-dev libmicrohttpd-dev libyaml-dev libzstd-dev
  libcmocka-dev
  # tests: topology, real clients and servers, captures
  iproute2 iputils-ping procps psmisc nginx-light curl openssl dnsutils dnsmasq-base
  wrk tshark tcpreplay python3 python3-cryptography jq
  # XDP neighbours (docs/operations.md, Neighbours): xdp-loader, libxdp's
  # multi-program dispatcher tried beside lockstep
  xdp-tools
  # HTTP/2 (tests/dataplane/h2_live.sh): nghttp, nghttpd, Apache mod_http2; h2c by prior
  # knowledge and by Upgrade
  nghttp2-client nghttp2-server apache2-bin
  # QUIC (tests/dataplane/quic_live.sh): ngtcp2's example client and server
  # (gtlsclient/gtlsserver), a real QUIC v1/v2 handshake to capture
  ngtcp2-client ngtcp2-server
  # metrics: promtool (Debian ships it in prometheus) checks live scrapes
  prometheus
  # observability: the report is rendered in headless chromium by tests/obs
  chromium
  # install: man pages (groff, lexgrog), the systemd unit (systemd-analyze),
  # the least-privilege run (setpriv, capsh)
  groff-base man-db systemd util-linux libcap2-bin
  # log rotation (tests/obs/logrotate.sh): the real logrotate and SIGUSR1
  logrotate
  # the container image (make image, tests/integration/container.sh): podman
  # with runc (crun refuses hybrid cgroup hosts) and its network backend
  podman runc conmon netavark aardvark-dns catatonit fuse-overlayfs
  # benches
  hyperfine stress-ng
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm: Debian's own package only where no npm came with nodejs already
if ! command -v npm >/dev/null; then missing+=(npm); fi
# kubectl (its kustomize renders packaging/kubernetes): Debian's
# kubernetes-client where the machine has no kubectl of its own
if ! command -v kubectl >/dev/null; then missing+=(kubernetes-client); fi

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm projects, one folder each; a committed package-lock.json pins the
# versions: the AssemblyScript compiler for the second-toolchain guests and
# tests, and the Kubernetes schema validators of tests/integration/fleet.sh.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
for dir in guests/as tests/wasm/as tests/integration/fleet; do
  if command -v npm >/dev/null && [ -f "$ROOT/$dir/package.json" ] &&
     [ ! -f "$ROOT/$dir/node_modules/.package-lock.json" ]; then
    echo "deps: installing npm packages in $dir" >&2
    if [ -f "$ROOT/$dir/package-lock.json" ]; then npm_cmd=ci; else npm_cmd=install; fi
    (cd "$ROOT/$dir" && npm "$npm_cmd" --silent --no-audit --no-fund >/dev/null)
  fi
done
