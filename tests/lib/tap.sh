# tap.sh - the one TAP library of the shell suites (sourced, not a suite).
# Every tests/**/*.sh suite sources it, directly or through its part's lib
# (tests/integration/lib/topo.sh, tests/wasm/lib.bash, ...), so each helper
# below exists once, with one signature. tests/run.sh counts the lines it
# prints; docs/testing.md is the guide.
#
#   ok NAME...              a passing test
#   not_ok NAME...          a failing test
#   check NAME CMD [ARG...] ok or not_ok from CMD's exit status
#                           (CMD may be `eval 'shell text'` or `bash -c ...`)
#   skip NAME REASON        a skipped test (counted as skipped, REASON listed)
#   skip_all REASON         before any test: the whole suite is skipped
#                           ("1..0 # SKIP REASON"), exit 0
#   diag [FILE...]          FILEs (or stdin) as "# " diagnostic lines
#   wait_for SECS CMD...    poll CMD every 0.1 s until it succeeds; 1 on timeout
#   plan N                  announce N tests up front (optional: without it
#                           the plan "1..N" is printed at the end)
#   bail REASON             "Bail out! REASON", exit 1 (a failure)
#   finish                  end the suite: exit 1 if any test failed
#   at_exit 'SHELL TEXT'    run at exit, latest first (cleanup)
#   need TOOL...            the suite needs these commands: when one is
#                           missing, a failure under CI (CI=true, where
#                           scripts/deps.sh installed it), else skip_all
#   need_root               the same for root (namespaces, BPF): CI is root
#   have TOOL...            0 when every TOOL is installed; else 1 and
#                           MISSING says which
#   skip_missing NAME...    after `have` said no: each NAME is a failure
#                           under CI, a skip (reason $MISSING) elsewhere
#   set_score NAME TRUTH GOT  a DPI set scored (issue 16): one line a name
#                           in each file; "set NAME: precision P% recall R%
#                           (n truth names)", not ok below 100% / 99%
#   set_counts NAME REQUIRED FOUND REPORTED CORRECT
#                           the same line from counts (pcap_score.py's)
#
# The suite's exit status is 1 when any not_ok was printed, so a suite never
# needs to track its own failures.

[ -n "${LS_TAP_LOADED:-}" ] && return 0
LS_TAP_LOADED=1

T_N=0 T_FAIL=0 T_PLANNED="" T_AT_EXIT=()

ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $*"
}
not_ok() {
	T_N=$((T_N + 1)) T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_N - $*"
}
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP ${2:-no reason given}"
}
skip_all() {
	if [ "$T_N" -gt 0 ]; then # too late for a plan of 0: skip what is left
		skip "rest of the suite" "$1"
		exit 0
	fi
	T_PLANNED=1
	echo "1..0 # SKIP $1"
	exit 0
}
diag() {
	if [ $# -gt 0 ]; then cat -- "$@" 2>/dev/null; else cat; fi | sed 's/^/# /'
}
wait_for() {
	# SECS may have a fraction (0.5): whole seconds and milliseconds apart,
	# since awk's printf cannot hold a nanosecond clock
	local whole=${1%%.*} frac=${1#*.} deadline
	[ "$frac" = "$1" ] && frac=0
	frac=$(printf '%-3.3s' "$frac" | tr ' ' 0)
	deadline=$(($(date +%s%N) + ${whole:-0} * 1000000000 + 10#$frac * 1000000))
	shift
	until "$@" 2>/dev/null; do
		[ "$(date +%s%N)" -gt "$deadline" ] && return 1
		sleep 0.1
	done
}
plan() {
	T_PLANNED=1
	echo "1..$1"
}
bail() {
	echo "Bail out! $*"
	exit 1
}
finish() {
	exit 0 # the exit handler prints the plan and turns failures into 1
}
at_exit() { T_AT_EXIT+=("$1"); }

# missing tools: CI installs every one (scripts/deps.sh), so there a missing
# tool is a broken machine, never a reason to test less
t_on_ci() { [ "${CI:-}" = true ]; }
have() {
	local t
	MISSING=""
	for t in "$@"; do command -v "$t" >/dev/null 2>&1 || MISSING="$MISSING $t"; done
	[ -z "$MISSING" ] && return 0
	MISSING="needs${MISSING} (scripts/deps.sh installs it)"
	return 1
}
skip_missing() {
	local n
	for n in "$@"; do
		if t_on_ci; then not_ok "$n: $MISSING, missing on CI"; else skip "$n" "$MISSING"; fi
	done
}
need() {
	have "$@" && return 0
	t_on_ci && bail "$MISSING, missing on CI"
	skip_all "$MISSING"
}
# set_score NAME TRUTH GOT: a live set scored as ../shared/pcaps/README.md
# scores a capture. Each line of TRUTH (what the clients sent and tshark
# decoded) and of GOT (what lockstep reported) is one name, compared as a
# multiset: precision = GOT lines matched in TRUTH / GOT lines, recall =
# TRUTH lines matched in GOT / TRUTH lines. An empty truth fails (a set that
# measured nothing is no evidence). The line's wording is fixed so that
# tests/run.sh can gather every set of a run into its summary.
set_score() {
	local name=$1 line
	line=$(python3 - "$2" "$3" <<'PY'
import sys
from collections import Counter
truth = Counter(l.rstrip("\n") for l in open(sys.argv[1]) if l.strip())
got = Counter(l.rstrip("\n") for l in open(sys.argv[2]) if l.strip())
hit = sum((truth & got).values())
nt, ng = sum(truth.values()), sum(got.values())
prec = 100.0 * hit / ng if ng else 100.0
rec = 100.0 * hit / nt if nt else 0.0
good = nt > 0 and hit == ng and rec >= 99.0
print("%d precision %.1f%% recall %.1f%% (%d truth names)" % (good, prec, rec, nt))
for k in sorted((got - truth).elements()):
    print("#   reported, not in the truth: " + k)
for k in sorted((truth - got).elements()):
    print("#   in the truth, not reported: " + k)
PY
	) || { not_ok "set $name: cannot score"; return; }
	local head=${line%%$'\n'*}
	if [ "${head%% *}" = 1 ]; then ok "set $name: ${head#* }"; else not_ok "set $name: ${head#* }"; fi
	[ "$head" = "$line" ] || echo "${line#*$'\n'}"
}

# set_counts NAME REQUIRED FOUND REPORTED CORRECT: set_score's line from
# counts already made (pcap_score.py prints them in this order)
set_counts() {
	local name=$1 req=$2 found=$3 rep=$4 corr=$5 line
	line=$(awk -v q="$req" -v f="$found" -v r="$rep" -v c="$corr" 'BEGIN {
		p = r > 0 ? 100 * c / r : 100; rc = q > 0 ? 100 * f / q : 0
		printf "%d precision %.1f%% recall %.1f%% (%d truth names)", (q > 0 && c == r && rc >= 99), p, rc, q }')
	if [ "${line%% *}" = 1 ]; then ok "set $name: ${line#* }"; else not_ok "set $name: ${line#* }"; fi
}

need_root() {
	[ "$(id -u)" = 0 ] && return 0
	t_on_ci && bail "needs root (namespaces, BPF) and CI runs as root"
	skip_all "needs root (namespaces, BPF)"
}

t_exit() {
	local rc=$? i
	for ((i = ${#T_AT_EXIT[@]} - 1; i >= 0; i--)); do eval "${T_AT_EXIT[i]}"; done
	[ -z "$T_PLANNED" ] && echo "1..$T_N"
	[ "$rc" -eq 0 ] && [ "$T_FAIL" -gt 0 ] && rc=1
	exit "$rc"
}
trap t_exit EXIT
trap 'exit 130' INT TERM
