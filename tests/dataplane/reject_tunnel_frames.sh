#!/usr/bin/env bash
# reject_tunnel_frames.sh - rejects of tunnelled flows answered inside the
# same tunnel (bpf/reject.h): VXLAN, Geneve, VXLAN-GPE, GRE (key, sequence,
# checksum, TEB), GRE in UDP, IP-in-IP over IPv4 and IPv6, inner DNS / TCP /
# UDP over IPv4 and IPv6, through the real program (BPF_PROG_TEST_RUN, XDP
# and TC); every reply checked field by field by reject_tunnel_frames.py
# and decoded again by tshark with checksum validation; the tunnels never
# answered (ERSPAN, MPLS, PPPoE, GTP-U, Teredo, nested) dropped. Needs root.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
RUN=build/asan/tools/reject_run
[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (BPF_PROG_TEST_RUN)"; exit 1; }
[ -x "$RUN" ] || { echo "Bail out! $RUN not built (make tests-build)"; exit 1; }
command -v tshark >/dev/null || { echo "Bail out! tshark not installed (scripts/deps.sh)"; exit 1; }
TMP=$(mktemp -d /tmp/ls-rejtun-$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
python3 tests/dataplane/reject_tunnel_frames.py "$RUN" "$TMP"
