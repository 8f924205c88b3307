#!/usr/bin/env bash
# domains.sh - K and G are different types: code that mixes them (assigns,
# compares, passes one for the other) must not compile. A positive control
# proves the harness compiles correct code. Then a scan of the code that
# carries times as plain integers (policy, obs, data plane) for the same
# mix-ups by name, with its own control.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${CC:-cc}
TMP=$(mktemp -d /tmp/ls-clock-domains-$$.XXXXXX)
. "$ROOT/tests/lib/tap.sh"
at_exit 'rm -rf "$TMP"'

# try NAME EXPECT(ok|fail) BODY
try() {
	printf '#include "clock/estimator.h"\nint f(void);\nint f(void)\n{\n\tls_k now_k = ls_k_now();\n\tls_g now_g = ls_g_ns(1);\n\tstruct ls_mapping m = ls_mapping_identity();\n\t(void)now_k; (void)now_g; (void)m;\n\t%s\n\treturn 0;\n}\n' "$3" >"$TMP/t.c"
	if $CC -std=gnu11 -Wall -Werror -I"$ROOT/src" -I"$ROOT/include" -c "$TMP/t.c" -o "$TMP/t.o" 2>"$TMP/err"; then got=ok; else got=fail; fi
	if [ "$got" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1 (expected the compiler to $2)"
		head -5 "$TMP/err" | diag
	fi
}

try "control: converting through the mapping compiles" ok \
	'ls_k d_k = ls_deadline_to_kernel(&m, ls_g_add(now_g, 5)); (void)d_k;'
try "control: arithmetic inside one domain compiles" ok \
	'int64_t dt = ls_k_sub(now_k, ls_k_add(now_k, -5)); (void)dt;'
try "assigning a K time to a G variable fails" fail 'now_g = now_k;'
try "comparing a G time with a K time fails" fail 'if (now_g < now_k) return 1;'
try "passing a K time where G is expected fails" fail 'ls_k d = ls_to_kernel(&m, now_k); (void)d;'
try "passing a G time where K is expected fails" fail 'ls_g g = ls_to_guest(&m, now_g); (void)g;'
try "subtracting across domains fails" fail 'int64_t x = ls_g_sub(now_g, now_k); (void)x;'

# Beyond the types: src/policy, src/obs and bpf/ carry times as plain
# integers named by domain (deadline_k, ts_g). A line that compares or
# subtracts a *_g and a *_k name, or assigns one from the other, without
# going through a conversion (to_guest / to_kernel) is a mix-up. The clock
# part's estimator and fault model are where G is defined in terms of K and
# are not scanned; a displayed offset G - K is marked "domains: offset".
W='[A-Za-z0-9_]'
E="[A-Za-z0-9_>.()-]*"
MIX="\b$W+_g\b(\.ns)?\s*([-+<>]|[<>=!]=)\s*${E}_k\b|\b$W+_k\b(\.ns)?\s*([-+<>]|[<>=!]=)\s*${E}_g\b"
ASSIGN="\b$W+_g\b(\.ns)?\s*=[^=].*\b$W+_k\b|\b$W+_k\b(\.ns)?\s*=[^=].*\b$W+_g\b"
lint() {
	grep -nHE "$MIX|$ASSIGN" "$@" | grep -vE '^[^:]+:[0-9]+:\s*(\*|/\*|//)' |
		grep -vE 'to_guest|to_kernel|domains: offset'
}
printf 'uint64_t f(uint64_t now_g, uint64_t deadline_k)\n{\n\treturn now_g < deadline_k;\n}\n' >"$TMP/bad.c"
printf 'void g(struct ev *e, uint64_t ts_k)\n{\n\te->ts_g = ts_k;\n}\n' >"$TMP/bad2.c"
check "control: the scan catches a G/K comparison and a K assigned to G" \
	test "$(lint "$TMP/bad.c" "$TMP/bad2.c" | wc -l)" = 2
mapfile -t files < <(find "$ROOT/src" "$ROOT/bpf" "$ROOT/include" -name '*.[ch]' \
	! -path '*/src/clock/estimator.c' ! -path '*/src/clock/guestclock.c' | sort)
bad=$(lint "${files[@]}")
if [ -z "$bad" ]; then ok "no code mixes a G time with a K time without the mapping (${#files[@]} files)"; else
	not_ok "no code mixes a G time with a K time without the mapping"
	echo "$bad" | sed "s|$ROOT/||" | diag; fi
finish
