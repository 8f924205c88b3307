#!/usr/bin/env bash
# install.sh - `make install` as a packager or an operator runs it: the
# version the binary reports (against VERSION and git), the files installed
# under PREFIX, the man pages (groff without warnings, a NAME section man-db
# can index, every option of `lockstep help CMD` on its page), bash
# completion (commands, sub-commands, options, values), the systemd unit
# (systemd-analyze verify, clean), and `make uninstall` removing what was
# installed. The least-privilege run of the unit's capabilities is
# tests/integration/caps.sh.
set -uo pipefail
ROOT=${LS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/lib/tap.sh"
need groff lexgrog systemd-analyze git
TMP=$(mktemp -d /tmp/ls-install-$$.XXXXXX)
at_exit "rm -rf '$TMP'"
P=$TMP/prefix
BIN=$ROOT/build/lockstep

# --version: the first line is what scripts read
"$BIN" --version >"$TMP/version" 2>&1
check "lockstep --version exits 0" test $? = 0
check "  its first line is 'lockstep' and VERSION ($(cat "$ROOT/VERSION"))" \
	test "$(head -1 "$TMP/version")" = "lockstep $(cat "$ROOT/VERSION")"
gitc=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null)
check "  it names git's commit ($gitc)" grep -qE "^commit $gitc(-dirty)?\$" "$TMP/version"
check "  -V and 'version' say the same" bash -c \
	"cmp -s <('$BIN' -V) '$TMP/version' && cmp -s <('$BIN' version) '$TMP/version'"

make -C "$ROOT" --no-print-directory install PREFIX="$P" SYSCONFDIR="$P/etc" \
	>"$TMP/install.out" 2>&1
check "make install PREFIX=... exits 0" test $? = 0 || diag "$TMP/install.out"
for f in bin/lockstep share/man/man8/lockstep.8 share/man/man8/lockstep-run.8 \
	share/bash-completion/completions/lockstep lib/systemd/system/lockstep.service \
	etc/default/lockstep etc/lockstep/lockstep.yaml etc/logrotate.d/lockstep \
	share/lockstep/guests/allowlist.wasm \
	share/lockstep/guests/ai-gateway.wasm share/doc/lockstep/README.md \
	share/doc/lockstep/docs/operations.md; do
	check "  installs $f" test -s "$P/$f"
done
check "  the installed binary is the built one" cmp -s "$BIN" "$P/bin/lockstep"
if have logrotate; then
	logrotate -d -s "$TMP/lr.state" "$P/etc/logrotate.d/lockstep" >"$TMP/lr.out" 2>&1
	check "  logrotate -d reads etc/logrotate.d/lockstep without an error" \
		bash -c "! grep -qi 'error' '$TMP/lr.out'"
	check "  its log path is the one the installed configuration logs to" \
		grep -q "^log: /var/log/lockstep/.*\\.jsonl" "$P/etc/lockstep/lockstep.yaml"
else
	skip_missing "logrotate reads the installed configuration"
fi

# man pages: one per command `lockstep --help` lists, plus lockstep(8)
cmds=$("$BIN" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
for page in lockstep $(printf 'lockstep-%s ' $cmds); do
	f=$P/share/man/man8/$page.8
	if [ ! -s "$f" ]; then
		not_ok "man page $page(8) installed"
		continue
	fi
	groff -man -Tascii -ww -z "$f" >"$TMP/groff.err" 2>&1
	check "$page(8): groff -ww reports nothing" test ! -s "$TMP/groff.err"
	diag "$TMP/groff.err"
	check "  man-db reads its NAME section" bash -c "lexgrog '$f' | grep -q '\"$page - [a-z]'"
	[ "$page" = lockstep ] && continue
	c=${page#lockstep-}
	# every long option of the help text, rendered (ASCII, wide: no
	# hyphenation) on the page
	"$BIN" help "$c" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u >"$TMP/help.opts"
	groff -man -Tascii -P-cbou -rLL=300n "$f" 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]+' |
		sort -u >"$TMP/man.opts"
	check "  every option of 'lockstep help $c' ($(wc -l <"$TMP/help.opts")) is on it" \
		bash -c "[ -s '$TMP/help.opts' ] && comm -23 '$TMP/help.opts' '$TMP/man.opts' | diff - /dev/null"
done
check "lockstep(8) lists every command under SEE ALSO" bash -c \
	"for c in $(echo $cmds); do groff -man -Tascii -P-cbou '$P/share/man/man8/lockstep.8' | grep -q \"lockstep-\$c(8)\" || exit 1; done"

# bash completion: what a user gets pressing TAB (expected values by hand)
comp() { # WORDS... -> the completions, space-separated
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lockstep
		echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/lockstep" "$@"
}
check "completion: lockstep ru<TAB> -> run" test "$(comp lockstep ru)" = run
check "completion: lockstep st<TAB> -> stop status" test "$(comp lockstep st)" = "stop status"
check "completion: lockstep help re<TAB> -> reload report" \
	test "$(comp lockstep help re)" = "reload report"
check "completion: lockstep verdict <TAB> -> set del get" test "$(comp lockstep verdict '')" = "set del get"
check "completion: lockstep run --pol<TAB> -> --policy --policy-config" \
	test "$(comp lockstep run --pol)" = "--policy --policy-config"
check "completion: lockstep run --default-verdict <TAB> -> pass drop hold reject reject-nxdomain" \
	test "$(comp lockstep run --default-verdict '')" = "pass drop hold reject reject-nxdomain"
check "completion: lockstep run --xdp-mode n<TAB> -> native" \
	test "$(comp lockstep run --xdp-mode n)" = native
check "completion: lockstep run --tc-link n<TAB> -> netlink" \
	test "$(comp lockstep run --tc-link n)" = netlink
check "completion: lockstep run --tc-order l<TAB> -> last" \
	test "$(comp lockstep run --tc-order l)" = last
check "completion: lockstep run --iface l<TAB> offers lo" bash -c "[[ ' $(comp lockstep run --iface l) ' == *' lo '* ]]"
check "completion: deprecated spellings are not offered (trace --so<TAB>)" \
	test -z "$(comp lockstep trace --so)"
check "completion: lockstep --v<TAB> -> --version" test "$(comp lockstep --v)" = --version

# the systemd unit: systemd's own checker, with the man pages it names found
U=$P/lib/systemd/system/lockstep.service
check "the unit starts the installed binary with the installed configuration" grep -qx \
	"ExecStart=$P/bin/lockstep run --config $P/etc/lockstep/lockstep.yaml \$LOCKSTEP_OPTS" "$U"
"$P/bin/lockstep" run --config "$P/etc/lockstep/lockstep.yaml" --iface lo --check >"$TMP/check.out" 2>&1
check "the installed configuration passes --check (with --iface lo given here: flags override)" \
	grep -q 'configuration ok.*--iface eth0 .*--iface lo$' "$TMP/check.out"
diag "$TMP/check.out"
MANPATH=$P/share/man systemd-analyze verify "$U" >"$TMP/verify.out" 2>&1
check "systemd-analyze verify: exit 0 and not a word" \
	bash -c "[ $? = 0 ] && [ ! -s '$TMP/verify.out' ]"
diag "$TMP/verify.out"
check "  and it would complain: a misspelt key is reported" bash -c \
	"sed 's/^Restart=/Restrat=/' '$U' >'$TMP/bad.service' &&
	 MANPATH='$P/share/man' systemd-analyze verify '$TMP/bad.service' 2>&1 | grep -q Restrat"
check "the unit restarts the agent on failure and keeps its pins (no --detach-on-exit)" \
	bash -c "grep -qx 'Restart=on-failure' '$U' && ! grep -q detach-on-exit '$U' '$P/etc/default/lockstep'"

echo keep >"$P/etc/default/lockstep"
echo 'iface: keep0' >"$P/etc/lockstep/lockstep.yaml"
make -C "$ROOT" --no-print-directory install PREFIX="$P" SYSCONFDIR="$P/etc" >/dev/null 2>&1
check "a second make install keeps the operator's files in etc/" \
	test "$(cat "$P/etc/default/lockstep" "$P/etc/lockstep/lockstep.yaml")" = "keep
iface: keep0"
make -C "$ROOT" --no-print-directory uninstall PREFIX="$P" SYSCONFDIR="$P/etc" >/dev/null 2>&1
check "make uninstall leaves only the operator's files in etc/" \
	test "$(cd "$P" && find . -type f | sort | tr '\n' ' ')" = "./etc/default/lockstep ./etc/lockstep/lockstep.yaml ./etc/logrotate.d/lockstep "
finish
