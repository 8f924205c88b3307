#!/usr/bin/env bash
# modules.sh - real WASI modules through `lockstep wasm run`: C programs
# built by clang --target=wasm32-wasi (wasi-libc) and an AssemblyScript
# program (wasi-shim), each compared byte for byte with its expected stdout,
# exit code and a line of its stderr. Modules are built by tests/wasm/wasm.mk.
set -uo pipefail
. "$(dirname "$0")/lib.bash"
P="$LS_ROOT/tests/wasm/progs"

# name | module | expected stdout | exit code | stderr line | args...
cases=(
	"printf|$W/printf.wasm|$P/printf.expected|0|this line goes to stderr|alpha|beta gamma"
	"malloc|$W/malloc.wasm|$P/malloc.expected|0|"
	"qsort|$W/qsort.wasm|$P/qsort.expected|0|"
	"doubles|$W/doubles.wasm|$P/doubles.expected|0|"
	"strings|$W/strings.wasm|$P/strings.expected|0|"
	"wasi calls|$W/wasi.wasm|$P/wasi.expected|7|exiting with 7"
	"assemblyscript|$W/as_hello.wasm|$LS_ROOT/tests/wasm/as/hello.expected|3|to stderr|x|y z"
)

require_wasm_cli
for c in "${cases[@]}"; do
	IFS='|' read -r -a f <<<"$c"
	name=${f[0]} mod=${f[1]} exp=${f[2]} code=${f[3]} line=${f[4]:-}
	args=("${f[@]:5}")
	if [ ! -f "$mod" ]; then
		if [ "$name" = assemblyscript ] && ! have "$LS_ROOT/tests/wasm/as/node_modules/.bin/asc"; then
			skip_missing "$name"
		else
			not_ok "$name: $mod was not built"
		fi
		continue
	fi
	lsw validate "$mod"
	if [ "$rc" -eq 0 ] && grep -q ': ok$' "$out"; then ok "$name validates"; else not_ok "$name validates (rc=$rc)"; diag_err; fi

	lsw run --env LS_GREETING=hello "$mod" "${args[@]}"
	if [ "$rc" -ne "$code" ]; then
		not_ok "$name exits with $code (got $rc)"
		diag_err
	elif ! cmp -s "$out" "$exp"; then
		not_ok "$name prints the expected output"
		diff "$exp" "$out" | head -20 | sed 's/^/# /'
	elif [ -n "$line" ] && ! grep -qxF "$line" "$err"; then
		not_ok "$name writes '$line' to stderr"
		diag_err
	elif ! sanitizer_clean; then
		not_ok "$name runs clean under the sanitizers"
		diag_err
	else
		ok "$name: output, exit code $code and stderr as expected"
	fi
done

{
	# a generous fuel budget changes nothing for a program that fits in it
	lsw run --fuel 20000000000 "$W/qsort.wasm"
	if [ "$rc" -eq 0 ] && cmp -s "$out" "$P/qsort.expected"; then ok "qsort under --fuel runs to completion"; else not_ok "qsort under --fuel (rc=$rc)"; diag_err; fi
	# the environment is only what --env gives: nothing leaks from the host
	LS_GREETING=leaked lsw run "$W/printf.wasm"
	if [ "$rc" -eq 0 ] && grep -qx 'LS_GREETING=(unset)' "$out"; then ok "host environment is not passed to the guest"; else not_ok "host environment leaked or run failed (rc=$rc)"; diag_err; fi
	# usage errors
	lsw run; [ "$rc" -eq 2 ] && ok "run without a file is a usage error (2)" || not_ok "run without a file: rc=$rc"
	lsw run --fuel lots "$W/qsort.wasm"; [ "$rc" -eq 2 ] && ok "bad --fuel is a usage error (2)" || not_ok "bad --fuel: rc=$rc"
	lsw run --env NOEQUALS "$W/qsort.wasm"; [ "$rc" -eq 2 ] && ok "bad --env is a usage error (2)" || not_ok "bad --env: rc=$rc"
	lsw run "$TMP/does-not-exist.wasm"; [ "$rc" -eq 1 ] && grep -q 'No such file' "$err" && ok "missing file: exit 1 with the reason" || not_ok "missing file: rc=$rc"
	lsw --help; [ "$rc" -eq 0 ] && grep -q 'lockstep wasm run' "$out" && ok "wasm --help" || not_ok "wasm --help: rc=$rc"
}
finish
