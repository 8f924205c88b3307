#!/usr/bin/env bash
# config_file.sh - `lockstep run --config FILE` (docs/configuration.md): the
# errors a hand-edited file makes, each reported with its file and line and
# exit 2 (the expected words are written here by hand, from the doc); a
# file that is fine passes --check; and an agent started from a file runs
# with what the file says, a flag overriding one of its keys.
set -uo pipefail
. "$(dirname "$0")/lib/topo.sh"
topo_init cfgfile
need_root

# bad NAME EXPECTED-STDERR-REGEX LINES...: the file made of LINES is refused
bad() {
	local name=$1 want=$2; shift 2
	printf '%s\n' "$@" >"$TMP/$name.yaml"
	"$LS_BIN" run --config "$TMP/$name.yaml" --check >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	if [ $rc = 2 ] && grep -qE -- "$want" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		ok "$name: exit 2, $(tail -1 "$TMP/err" | sed "s|$TMP/||")"
	else
		not_ok "$name: rc $rc (want 2 and /$want/)"
		diag "$TMP/err"
	fi
}
bad unknown_key "$TMP/unknown_key.yaml:3: unknown key 'tcp' \(keys are the options of lockstep run" \
	'iface: lo' '# a comment' 'tcp: true'
bad typo_value "^lockstep run: --fuel must be a number .*
?|$TMP/typo_value.yaml:2: \(in the file: fuel: 10k\)" 'iface: lo' 'fuel: 10k'
check "  the handler's own words come first, the file and line after" \
	bash -c "head -1 '$TMP/err' | grep -q -- '--fuel' && tail -1 '$TMP/err' | grep -q 'typo_value.yaml:2:'"
bad twice "twice.yaml:3: iface given twice" 'iface: lo' 'tc: true' 'iface: eth0'
bad not_bool "not_bool.yaml:2: tc takes true or false, not 'yes'" 'iface: lo' 'tc: yes'
bad no_value "no_value.yaml:2: fuel: no value \(it takes N\)" 'iface: lo' 'fuel:'
bad nested "nested.yaml:2: policy: the value must be a plain value or a list, not a mapping" \
	'iface: lo' 'policy:' '  file: x.wasm'
bad list_top "list_top.yaml:1: expected a mapping of options" '- iface' '- lo'
bad bad_yaml "bad_yaml.yaml:[0-9]+: not valid YAML: " 'iface: lo' 'policy-config: "*.a.test' 'tc: true'
bad alias "alias.yaml:2: anchors and aliases are not supported" 'iface: &i lo' 'pin-dir: *i'
bad self "self.yaml:2: config belongs on the command line, not in the file" 'iface: lo' 'config: x.yaml'
bad two_docs "two_docs.yaml:[0-9]+: one document only" 'iface: lo' '---' 'tc: true'
"$LS_BIN" run --config "$TMP/none.yaml" --check >/dev/null 2>"$TMP/err"
rc=$?
check "a missing file: exit 2 ($rc), naming it" \
	bash -c "[ $rc = 2 ] && grep -q 'none.yaml: No such file or directory' '$TMP/err'"
printf '# nothing here yet\n' >"$TMP/empty.yaml"
"$LS_BIN" run --config "$TMP/empty.yaml" --iface lo --check >"$TMP/out" 2>&1
check "a file of comments is no options (with --iface lo: ok)" grep -q 'configuration ok' "$TMP/out"
printf 'iface: lo\npolicy: %s\n' "$TMP/empty.yaml" >"$TMP/badmod.yaml"
"$LS_BIN" run --config "$TMP/badmod.yaml" --check >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--check loads the policy module: a file that is not Wasm is exit 2, as a start refuses it ($rc)" \
	bash -c "[ $rc = 2 ] && grep -q 'magic header' '$TMP/err'"
diag "$TMP/err"

# an agent started from a file
topo_up || bail "could not build the topology"
cat >"$TMP/agent.yaml" <<YAML
iface: vs
tc: true
heartbeat: true
default-verdict: hold
pin-dir: $PIN_DIR
YAML
if agent_start a1 --config "$TMP/agent.yaml" --default-verdict pass; then
	ok "an agent starts from --config"
else
	not_ok "an agent starts from --config"; diag "$TMP/a1.err"
fi
"$LS_BIN" status --json >"$TMP/st.json" 2>/dev/null
check "  with the file's tc, heartbeat and pin-dir" \
	jq -e --arg p "$PIN_DIR" '(.attach.tc_egress == true) and (.heartbeat != null) and
		(.attach.pin_dir == $p)' "$TMP/st.json"
jq -c '.attach' "$TMP/st.json" 2>/dev/null | sed 's/^/# /'
check "  and the flag's default verdict (pass, over the file's hold)" \
	grep -q '^lockstep: config: default verdict pass,' "$TMP/a1.err"
finish
