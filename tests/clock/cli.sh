#!/usr/bin/env bash
# cli.sh - `lockstep clock`: help, clear refusals of bad options, and a real
# run of the heartbeat whose per-beat JSON shows the injected guest clock
# (offset and staleness seen as one offset, drift as the rate) and a step.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
LS=${LS_BIN:-$ROOT/build/asan/lockstep}
TMP=$(mktemp -d /tmp/ls-clock-cli-$$.XXXXXX)
. "$ROOT/tests/lib/tap.sh"
at_exit 'rm -rf "$TMP"'

# refuse NAME MESSAGE ARGS...: exit 2 and a message containing MESSAGE
refuse() {
	local name=$1 msg=$2
	shift 2
	"$LS" clock "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ $rc = 2 ] && grep -q -- "$msg" "$TMP/err"; then ok "$name"; else
		not_ok "$name (rc $rc)"
		diag "$TMP/err"
	fi
}

check "clock --help describes the clock options" eval \
	"'$LS' clock --help | grep -q -- '--guest-clock' && '$LS' clock --help | grep -q -- '--fail-safe'"
check "lockstep --help lists the clock command" eval "'$LS' --help | grep -q '^  clock'"
refuse "bad --fail-safe is refused" "pass or drop" --fail-safe maybe
refuse "bad --guest-clock is refused, naming the item" "drift 'fast'" --guest-clock drift=fast
refuse "bad --beat-interval is refused" "1ms to 60s" --beat-interval 5us
refuse "bad --beats is refused" "whole number" --beats many
refuse "unknown option is refused" "unknown option '--frobnicate'" --frobnicate
refuse "missing value is refused" "needs a value" --detect-multiplier

# the real run loads BPF: root, and jq reads its JSON
need_root
need jq

"$LS" clock --json --beats 12 --beat-interval 20ms \
	--guest-clock 'offset=+5ms,drift=+200ppm,delay=2ms,quantum=1ms' >"$TMP/run" 2>"$TMP/err"
rc=$?
check "a real run exits 0" eval "[ $rc = 0 ]"
check "one JSON line per beat" eval "[ \$(jq -c . '$TMP/run' | wc -l) = 12 ]"
check "beats are numbered without gaps" eval \
	"[ \"\$(jq -r .seq '$TMP/run' | tr '\n' ' ')\" = '0 1 2 3 4 5 6 7 8 9 10 11 ' ]"
check "every beat was good and no interval mismatch" eval \
	"[ \$(jq -r 'select(.good != true or .interval_mismatch == true) | .seq' '$TMP/run' | wc -l) = 0 ]"
last_off=$(tail -1 "$TMP/run" | jq -r .offset_ns)
echo "# estimated offset $last_off ns; injected offset +5 ms with readings 2 ms stale = +3 ms, quantum 1 ms"
check "the offset seen is offset - delay, within the quantum" eval \
	"[ $last_off -ge 2000000 ] && [ $last_off -le 4100000 ]"
check "its uncertainty covers the quantum" eval "[ \$(tail -1 '$TMP/run' | jq -r .eps0_ns) -ge 500000 ]"

"$LS" clock --json --beats 25 --beat-interval 20ms --guest-clock 'step=+50ms@300ms' >"$TMP/step" 2>"$TMP/err"
steps=$(jq -r 'select(.step == true) | .step_ns' "$TMP/step")
echo "# steps reported: ${steps:-none}"
check "a +50 ms step is reported once, with its size" eval \
	"[ \$(echo '$steps' | grep -c .) = 1 ] && [ \${steps:-0} -gt 49000000 ] && [ \${steps:-0} -lt 51000000 ]"

"$LS" clock --json --beats 8 --beat-interval 20ms --beat-check-interval 30ms >"$TMP/mis" 2>"$TMP/err"
first=$(jq -r 'select(.interval_mismatch == true) | .seq' "$TMP/mis" | head -1)
echo "# kernel beats every 20 ms, user space expects 30 ms: mismatch flagged from beat ${first:-never}"
check "a beat interval differing from the expected one is flagged" eval \
	"[ -n '$first' ] && [ '$first' -le 4 ] && [ \$(tail -1 '$TMP/mis' | jq -r .interval_mismatch) = true ]"

# the other way round: the kernel beats slower than user space expects
"$LS" clock --json --beats 8 --beat-interval 30ms --beat-check-interval 20ms >"$TMP/mis2" 2>"$TMP/err"
first=$(jq -r 'select(.interval_mismatch == true) | .seq' "$TMP/mis2" | head -1)
check "a beat interval slower than the expected one is flagged too (from beat ${first:-never})" eval \
	"[ -n '$first' ] && [ \$(tail -1 '$TMP/mis2' | jq -r .interval_mismatch) = true ]"
# nearly alike: 5% apart is under the check's 10% threshold (far above
# timer jitter, far below a misconfiguration), so it is not flagged
"$LS" clock --json --beats 8 --beat-interval 20ms --beat-check-interval 21ms >"$TMP/near" 2>"$TMP/err"
check "two sides configured 5% apart are not flagged" eval \
	"[ \$(jq -r 'select(.interval_mismatch == true) | .seq' '$TMP/near' | wc -l) = 0 ]"

finish
