#!/usr/bin/env bash
# domains.sh - K and G are different types: code that mixes them (assigns,
# compares, passes one for the other) must not compile. A positive control
# proves the harness compiles correct code.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${CC:-cc}
TMP=$(mktemp -d /tmp/ls-clock-domains-$$.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
n=0 fails=0

# try NAME EXPECT(ok|fail) BODY
try() {
	printf '#include "clock/estimator.h"\nint f(void);\nint f(void)\n{\n\tls_k now_k = ls_k_now();\n\tls_g now_g = ls_g_ns(1);\n\tstruct ls_mapping m = ls_mapping_identity();\n\t(void)now_k; (void)now_g; (void)m;\n\t%s\n\treturn 0;\n}\n' "$3" >"$TMP/t.c"
	if $CC -std=gnu11 -Wall -Werror -I"$ROOT/src" -I"$ROOT/include" -c "$TMP/t.c" -o "$TMP/t.o" 2>"$TMP/err"; then got=ok; else got=fail; fi
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n - $1"
	else
		fails=$((fails + 1))
		echo "not ok $n - $1 (expected the compiler to $2)"
		sed 's/^/# /' "$TMP/err" | head -5
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
echo "1..$n"
[ $fails -eq 0 ]
