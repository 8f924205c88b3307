#!/usr/bin/env bash
# metrics_doc.sh - docs/metrics.md agrees with the code's one table of
# metric families (src/obs/metric_table.c): the page's generated tables are
# what tests/tools/metrics_doc writes from the table now (else run
# scripts/metrics_doc.sh), every table row's family is documented, and the
# rename table covers every kernel counter lockstep_dataplane_total used to
# carry (lockstep counters' names, read from the pins' own list, not from
# the map under test).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
LS_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOL=$LS_ROOT/build/asan/tools/metrics_doc
DOC=$LS_ROOT/docs/metrics.md
TMP=$(mktemp -d)
at_exit "rm -rf '$TMP'"
[ -x "$TOOL" ] || bail "$TOOL not built (make tests-build)"
"$TOOL" "$DOC" >"$TMP/gen.md" 2>"$TMP/err"
check "metrics_doc reads the page's markers" test $? -eq 0
diag "$TMP/err"
check "docs/metrics.md is what the code's table generates (else: scripts/metrics_doc.sh)" \
	diff -u "$DOC" "$TMP/gen.md"
diff -u "$DOC" "$TMP/gen.md" | head -20 | diag
n=$(grep -c '^| `\(lockstep\|process\)_' "$TMP/gen.md")
check "the generated tables hold every family ($n rows)" test "$n" -ge 90
# a page edited by hand between the markers is caught: change one meaning
sed '0,/^| `lockstep_events_total`/s/ring-buffer events received/edited by hand/' "$DOC" >"$TMP/edited.md"
"$TOOL" "$TMP/edited.md" >"$TMP/regen.md"
check "  a hand edit inside a generated table is undone by the generator" \
	bash -c "! diff -q '$TMP/edited.md' '$TMP/regen.md' >/dev/null && diff -q '$DOC' '$TMP/regen.md' >/dev/null"
# every counter name the data plane has (the names the CLI prints; src/
# dataplane/maps.c) appears in the rename table, as counter="NAME"
grep -o '\[LS_CNT_[A-Z0-9_]*\] = "[a-z0-9_]*"' "$LS_ROOT/src/dataplane/maps.c" | sed 's/.*= "\(.*\)"/\1/' | sort -u >"$TMP/names"
missing=$(while read -r c; do grep -q "| \`counter=\"$c\"\` |" "$DOC" || echo "$c"; done <"$TMP/names")
check "the rename table maps all $(wc -l <"$TMP/names") old counter series (missing: ${missing:-none})" \
	test -z "$missing"
"$TOOL" /dev/null >/dev/null 2>"$TMP/err2"
check "a page without markers is refused" test $? -ne 0
finish
