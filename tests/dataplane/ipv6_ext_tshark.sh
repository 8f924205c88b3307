#!/usr/bin/env bash
# ipv6_ext_tshark.sh - IPv6 extension header chains (Hop-by-Hop, Routing,
# Fragment, Destination Options, lengths > 0, chained) through
# `lockstep inspect --pcap`, the transport ports and DNS names compared with
# what tshark finds in the same frames (ipv6_ext_tshark.py). tshark is
# required (CI installs it): a missing tshark is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/../.."
LS_BIN="${LS_BIN:-$PWD/build/asan/lockstep}"
TMP=$(mktemp -d /tmp/ls-v6ext.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if ! command -v tshark >/dev/null; then
	echo "not ok 1 - tshark is installed (scripts/deps.sh)"
	echo "1..1"
	exit 1
fi
python3 tests/dataplane/ipv6_ext_tshark.py "$LS_BIN" "$TMP"
