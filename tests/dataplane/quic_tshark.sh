#!/usr/bin/env bash
# quic_tshark.sh - QUIC Initial SNI/ALPN reported by `lockstep inspect
# --pcap` (the kernel hands the Initial over, user space decrypts it:
# docs/dataplane.md) vs decrypted by tshark, over a capture made here from
# the RFC 9001/9369 test vectors and Initials protected by Python's
# `cryptography` (quic_tshark.py). tshark and python3-cryptography are
# required: missing, it is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/../.."
LS_BIN="${LS_BIN:-$PWD/build/asan/lockstep}"
TMP=$(mktemp -d /tmp/ls-quic-tshark.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if ! command -v tshark >/dev/null || ! python3 -c "import cryptography" 2>/dev/null; then
	echo "not ok 1 - tshark and python3-cryptography are installed (scripts/deps.sh)"
	echo "1..1"
	exit 1
fi
python3 tests/dataplane/quic_tshark.py "$LS_BIN" --make "$TMP/quic-made.pcap" || exit 1
python3 tests/dataplane/quic_tshark.py "$LS_BIN" "$TMP/quic-made.pcap"
