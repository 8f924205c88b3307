#!/usr/bin/env bash
# guests.sh - the example policies built by make are valid WebAssembly that
# speaks the lockstep ABI: wabt validates them, they export memory,
# lockstep_abi_version and lockstep_event_buffer, and they import nothing but
# the "lockstep" module (docs/abi.md). Their behaviour is tested by the unit
# tests (test_policy_*) and the end-to-end suites.
set -uo pipefail
cd "$(dirname "$0")/../.."
n=0 fail=0
t() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

for g in allowlist ratelimit ai-gateway blocklist_as; do
	f=build/guests/$g.wasm
	if [ "$g" = blocklist_as ] && [ ! -f "$f" ]; then
		n=$((n + 1)); echo "ok $n - $g built # SKIP assemblyscript not installed (scripts/deps.sh)"
		continue
	fi
	[ -f "$f" ]; t $? "$g built"
	wasm-validate "$f" >/dev/null 2>&1; t $? "$g validates"
	x=$(wasm-objdump -x -j Export "$f" 2>/dev/null)
	ok=0
	for e in '"memory"' '"lockstep_abi_version"' '"lockstep_event_buffer"'; do
		grep -q -- "-> $e" <<<"$x" || { echo "# $g: no export $e"; ok=1; }
	done
	t $ok "$g exports memory, lockstep_abi_version, lockstep_event_buffer"
	bad=$(wasm-objdump -x -j Import "$f" 2>/dev/null | grep -- '<-' | grep -v -- '<- lockstep\.' || true)
	[ -z "$bad" ]; t $? "$g imports only from module lockstep${bad:+ (has: $bad)}"
done
echo "1..$n"
exit $fail
