#!/usr/bin/env bash
# run.sh - runs every benchmark built into build/bench/ (`make bench`). Each
# prints its own figures with ratios against a baseline measured in the same
# run; nothing here asserts times.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
for b in build/bench/*_bench; do
	[ -x "$b" ] || continue
	echo "### $b"
	"$b" || rc=1
done
# live: what deny-by-default costs an allowed flow (network namespaces)
echo "### bench/hold_bench.sh"
bench/hold_bench.sh || rc=1
# live: held first packets at 10k and 100k new flows/s (bench/flowgen.c),
# connection setup under the allowlist as it comes, rule hit vs fast path
echo "### bench/flow_rate_bench.sh"
bench/flow_rate_bench.sh || rc=1
# live: where held requests go, every stage counted
echo "### bench/hold_loss.sh"
bench/hold_loss.sh || rc=1
# live: kernel -> verdict latency with 1 and 2 policy workers
echo "### bench/worker_latency.sh"
bench/worker_latency.sh || rc=1
exit $rc
