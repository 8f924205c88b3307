#!/usr/bin/env bash
# http_tshark.sh - HTTP requests reported by `lockstep inspect --pcap` vs
# decoded by tshark, frame by frame, over every capture in ../shared/pcaps
# and a capture of request variants made here (bare-LF and CRLF line ends in
# every combination, every known method, Host blanks, long URIs). The rules
# are in http_tshark.py. tshark is required (CI installs it): a missing
# tshark is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/../.."
LS_BIN="${LS_BIN:-$PWD/build/asan/lockstep}"
PCAPS="${LS_SHARED:-$PWD/../shared}/pcaps"
TMP=$(mktemp -d /tmp/ls-http-tshark.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if ! command -v tshark >/dev/null; then
	echo "not ok 1 - tshark is installed (scripts/deps.sh)"
	echo "1..1"
	exit 1
fi
python3 tests/dataplane/http_tshark.py --make "$TMP/http-variants.pcap" || exit 1
python3 tests/dataplane/http_tshark.py "$LS_BIN" "$TMP/http-variants.pcap" "$PCAPS"/*.pcap
