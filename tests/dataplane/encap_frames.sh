#!/usr/bin/env bash
# encap_frames.sh - hand-built tunnelled frames through the real data plane
# (encap_frames.py: VXLAN, Geneve, GRE, ERSPAN, GRE-in-UDP, IP-in-IP, MPLS,
# PPPoE, QinQinQ; limits and truncation counted and passed), XDP and TC,
# checked against the builder's values and tshark's decode. Needs root.
set -uo pipefail
cd "$(dirname "$0")/../.."
LS=build/asan/lockstep
[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (BPF_PROG_TEST_RUN)"; exit 1; }
[ -x "$LS" ] || { echo "Bail out! $LS not built (make tests-build)"; exit 1; }
command -v tshark >/dev/null || { echo "Bail out! tshark not installed (scripts/deps.sh)"; exit 1; }
TMP=$(mktemp -d /tmp/ls-encapf-$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
python3 tests/dataplane/encap_frames.py "$LS" "$TMP"
