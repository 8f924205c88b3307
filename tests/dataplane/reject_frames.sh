#!/usr/bin/env bash
# reject_frames.sh - the replies the kernel builds for rejected packets
# (bpf/reject.h), through the real program (BPF_PROG_TEST_RUN, XDP and TC):
# DNS REFUSED / NXDOMAIN, TCP RST, ICMP / ICMPv6 port unreachable, v4 and v6,
# the packets that get no answer, the rate limit. Every field and checksum
# is checked by reject_frames.py's own reading of the RFCs and again by
# tshark with checksum validation. Needs root.
set -uo pipefail
cd "$(dirname "$0")/../.."
RUN=build/asan/tools/reject_run
[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (BPF_PROG_TEST_RUN)"; exit 1; }
[ -x "$RUN" ] || { echo "Bail out! $RUN not built (make tests-build)"; exit 1; }
command -v tshark >/dev/null || { echo "Bail out! tshark not installed (scripts/deps.sh)"; exit 1; }
TMP=$(mktemp -d /tmp/ls-rejf-$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
python3 tests/dataplane/reject_frames.py "$RUN" "$TMP"
