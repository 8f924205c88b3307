#!/usr/bin/env bash
# run.sh - runs every benchmark binary in build/bench/ (and bench/*.sh
# scripts, if any), one after the other; each prints its own numbers and
# ratios against a baseline measured in the same run.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
for b in build/bench/*; do
	[ -x "$b" ] && [ -f "$b" ] || continue
	echo "### $b"
	"$b" || rc=1
done
for s in bench/*.sh; do
	[ "$s" = bench/run.sh ] && continue
	[ -f "$s" ] || continue
	echo "### $s"
	bash "$s" || rc=1
done
exit $rc
