#!/usr/bin/env bash
# guests.sh - the example policies built by make are valid WebAssembly that
# speaks the lockstep ABI: wabt validates them, they export memory,
# lockstep_abi_version and lockstep_event_buffer, and they import nothing but
# the "lockstep" module (docs/abi.md). Their behaviour is tested by the unit
# tests (test_policy_*) and the end-to-end suites.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
need wasm-validate wasm-objdump

for g in allowlist ratelimit ai-gateway blocklist_as; do
	f=build/guests/$g.wasm
	if [ "$g" = blocklist_as ] && ! have guests/as/node_modules/.bin/asc; then
		skip_missing "$g built"
		continue
	fi
	[ -f "$f" ]; check "$g built" test $? = 0
	wasm-validate "$f" >/dev/null 2>&1; check "$g validates" test $? = 0
	x=$(wasm-objdump -x -j Export "$f" 2>/dev/null)
	ok=0
	for e in '"memory"' '"lockstep_abi_version"' '"lockstep_event_buffer"'; do
		grep -q -- "-> $e" <<<"$x" || { echo "$g: no export $e" | diag; ok=1; }
	done
	check "$g exports memory, lockstep_abi_version, lockstep_event_buffer" test $ok = 0
	bad=$(wasm-objdump -x -j Import "$f" 2>/dev/null | grep -- '<-' | grep -v -- '<- lockstep\.' || true)
	[ -z "$bad" ]; check "$g imports only from module lockstep${bad:+ (has: $bad)}" test $? = 0
done
finish
