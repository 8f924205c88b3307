#!/usr/bin/env bash
# fleet.sh - what a fleet deploys lockstep with (docs/operations.md, "Fleet
# rollout") is checked offline by other tools than lockstep's own:
# packaging/kubernetes renders with kubectl's kustomize and every object
# passes the Kubernetes API schema (kubernetes-models' validators, generated
# from the API's OpenAPI definitions); the DaemonSet agrees with the agent
# (capabilities = the systemd unit's, probes and scrape port = the config's
# metrics port, the policy in the ConfigMap = the built module, the config's
# keys accepted by `lockstep run --check`); the alert rules pass promtool's
# checker and its unit tests; every dashboard query parses as PromQL
# (promtool) and names only documented metrics.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
LS_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${LS_BIN:=$LS_ROOT/build/asan/lockstep}"
need kubectl node jq promtool
TMP=$(mktemp -d /tmp/ls-fleet-$$.XXXXXX)
at_exit "rm -rf $TMP"
FLEET=$LS_ROOT/tests/integration/fleet
K=$LS_ROOT/packaging/kubernetes
[ -d "$FLEET/node_modules/kubernetes-models" ] ||
	{ t_on_ci && bail "kubernetes-models missing: scripts/deps.sh installs it"; skip_all "kubernetes-models (npm) not installed"; }
POLICY=$LS_ROOT/build/guests/allowlist.wasm
[ -f "$POLICY" ] || bail "no $POLICY: make guests"

# --- Kubernetes ------------------------------------------------------------
cp -r "$K" "$TMP/k" && cp "$POLICY" "$TMP/k/policy.wasm"
check "kubectl kustomize renders packaging/kubernetes" \
	bash -c "kubectl kustomize '$TMP/k' >'$TMP/all.yaml' 2>'$TMP/kustomize.err'"
node "$FLEET/validate.mjs" "$TMP/all.yaml" "$TMP/all.json" >"$TMP/validate.txt" 2>&1
check "every object passes the Kubernetes API schema" test $? = 0
diag "$TMP/validate.txt"
check "  the objects are a Namespace, a ConfigMap and a DaemonSet" \
	test "$(jq -r '[.[].kind] | sort | join(" ")' "$TMP/all.json")" = "ConfigMap DaemonSet Namespace"
# the validator can fail: two planted mistakes
sed 's/containerPort: 9464/containerPort: "9464"/' "$TMP/all.yaml" >"$TMP/bad1.yaml"
node "$FLEET/validate.mjs" "$TMP/bad1.yaml" "$TMP/bad1.json" >"$TMP/bad1.txt" 2>&1
check "  a port given as a string is refused" grep -q 'containerPort must be integer' "$TMP/bad1.txt"
awk '/^kind: DaemonSet/ {d=1} d && /^  selector:/ {skip=1; next} skip && /^  [a-z]/ {skip=0} !skip' \
	"$TMP/all.yaml" >"$TMP/bad2.yaml"
node "$FLEET/validate.mjs" "$TMP/bad2.yaml" "$TMP/bad2.json" >"$TMP/bad2.txt" 2>&1
check "  a DaemonSet without its selector is refused" grep -q 'spec must have required property selector' "$TMP/bad2.txt"

ds() { jq -r ".[] | select(.kind==\"DaemonSet\") | $1" "$TMP/all.json"; }
cm() { jq -r ".[] | select(.kind==\"ConfigMap\") | $1" "$TMP/all.json"; }
c='.spec.template.spec.containers[0]'
check "the pod uses the host's network" test "$(ds .spec.template.spec.hostNetwork)" = true
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$LS_ROOT/packaging/lockstep.service.in" |
	tr ' ' '\n' | sed 's/^CAP_//' | sort | tr '\n' ' ')
pod_caps=$(ds "$c.securityContext.capabilities.add[]" | sort | tr '\n' ' ')
check "its capabilities are the systemd unit's: $pod_caps" test "$pod_caps" = "$unit_caps"
check "  all others dropped, not privileged, no escalation" test \
	"$(ds "[$c.securityContext.capabilities.drop[], $c.securityContext.privileged, $c.securityContext.allowPrivilegeEscalation] | join(\" \")")" = "ALL false false"
check "  under a seccomp profile of its own (scripts/seccomp-profile.py)" \
	test "$(ds '.spec.template.spec.securityContext.seccompProfile | "\(.type) \(.localhostProfile)"')" = "Localhost lockstep.json"
bpfvol=$(ds ".spec.template.spec.volumes[] | select(.hostPath.path==\"/sys/fs/bpf\") | .name")
check "the host's bpffs is a volume ($bpfvol)" test -n "$bpfvol"
check "  mounted at /sys/fs/bpf" test "$(ds "$c.volumeMounts[] | select(.name==\"$bpfvol\") | .mountPath")" = /sys/fs/bpf

# the agent's options as the pod gets them
cm '.data["lockstep.yaml"]' >"$TMP/lockstep.yaml"
cfgvol=$(ds ".spec.template.spec.volumes[] | select(.configMap) | .name")
cmname=$(ds ".spec.template.spec.volumes[] | select(.configMap) | .configMap.name")
check "the config volume names the generated ConfigMap ($cmname)" test "$cmname" = "$(cm .metadata.name)"
cfgdir=$(ds "$c.volumeMounts[] | select(.name==\"$cfgvol\") | .mountPath")
check "the agent reads the ConfigMap's lockstep.yaml ($(ds "$c.args | join(\" \")"))" \
	test "$(ds "$c.args | join(\" \")")" = "run --config $cfgdir/lockstep.yaml"
check "  whose keys lockstep run --check accepts" \
	"$LS_BIN" run --config "$TMP/lockstep.yaml" --iface lo --policy "$POLICY" --check
polpath=$(sed -n 's/^policy: *\([^ #]*\).*/\1/p' "$TMP/lockstep.yaml")
check "  its policy is the ConfigMap's policy.wasm ($polpath)" test "$polpath" = "$cfgdir/policy.wasm"
cm '.binaryData["policy.wasm"]' | base64 -d >"$TMP/policy.out"
check "  which holds the built module byte for byte" cmp -s "$TMP/policy.out" "$POLICY"
port=$(sed -n 's/^metrics: *[^ ]*:\([0-9]*\).*/\1/p' "$TMP/lockstep.yaml")
check "the metrics port ($port) is the container's port named metrics" \
	test "$(ds "$c.ports[] | select(.name==\"metrics\") | .containerPort")" = "$port"
check "  the Prometheus annotation scrapes it" \
	test "$(ds '.spec.template.metadata.annotations["prometheus.io/port"]')" = "$port"
check "  the liveness probe asks /healthz there" \
	test "$(ds "$c.livenessProbe.httpGet | \"\(.path) \(.port)\"")" = "/healthz metrics"
check "  the readiness probe asks /readyz there" \
	test "$(ds "$c.readinessProbe.httpGet | \"\(.path) \(.port)\"")" = "/readyz metrics"
check "the image is lockstep at this VERSION ($(ds "$c.image"))" \
	test "$(ds "$c.image")" = "lockstep:$(cat "$LS_ROOT/VERSION")"

# --- seccomp -----------------------------------------------------------------
if [ -f /usr/share/containers/seccomp.json ]; then
	"$LS_ROOT/scripts/seccomp-profile.py" >"$TMP/seccomp.json"
	check "seccomp-profile.py: bpf(2) allowed with CAP_BPF only" test \
		"$(jq -c '[.syscalls[] | select(.names | index("bpf")) | {a: .action, c: .includes.caps}]' "$TMP/seccomp.json")" = '[{"a":"SCMP_ACT_ALLOW","c":["CAP_BPF"]}]'
	check "  perf_event_open with CAP_PERFMON only" test \
		"$(jq -c '[.syscalls[] | select(.names | index("perf_event_open")) | {a: .action, c: .includes.caps}]' "$TMP/seccomp.json")" = '[{"a":"SCMP_ACT_ALLOW","c":["CAP_PERFMON"]}]'
	others='[.syscalls[] | .names |= map(select(. != "bpf" and . != "perf_event_open"))
		| select(.names | length > 0)] | tostring'
	check "  and the runtime's other rules are kept as they were" test \
		"$(jq "$others" "$TMP/seccomp.json")" = "$(jq "$others" /usr/share/containers/seccomp.json)"
else
	skip_missing "seccomp-profile.py (no /usr/share/containers/seccomp.json: podman)"
fi

# --- alerts and dashboard ---------------------------------------------------
P=$LS_ROOT/packaging/prometheus
check "promtool check rules: the alert rules" promtool check rules "$P/lockstep-alerts.yaml"
promtool test rules "$P/lockstep-alerts.test.yaml" >"$TMP/promtest.txt" 2>&1
check "promtool test rules: each alert fires when it should and only then" test $? = 0
diag "$TMP/promtest.txt"
# families documented in docs/metrics.md
grep -o '`\(lockstep\|process\)_[a-z0-9_]*' "$LS_ROOT/docs/metrics.md" | tr -d '`' | sort -u >"$TMP/documented"
names_in() { grep -o '\b\(lockstep\|process\)_[a-z0-9_]*' "$1" | sed 's/_\(bucket\|sum\|count\)$//' | sort -u; }
undoc=$(names_in "$P/lockstep-alerts.yaml" | grep -vxF -f "$TMP/documented" | tr '\n' ' ')
check "the alerts name only documented metrics ${undoc:+(not: $undoc)}" test -z "$undoc"
D=$LS_ROOT/packaging/grafana/lockstep-dashboard.json
check "the Grafana dashboard is JSON with panels" test "$(jq '.panels | length' "$D")" -ge 10
check "  panel ids are unique" test "$(jq '[.panels[].id] | length' "$D")" = "$(jq '[.panels[].id] | unique | length' "$D")"
# every query as a recording rule, Grafana's variables given values
jq -r '.panels[].targets[].expr' "$D" |
	sed 's/\$__rate_interval/1m/g; s/\$__range/1h/g; s/\$__interval/1m/g; s/\$instance/.*/g' |
	awk 'BEGIN {print "groups:\n  - name: dashboard\n    rules:"}
	     {gsub(/\047/, "\047\047"); printf "      - record: q%d\n        expr: \047%s\047\n", NR, $0}' >"$TMP/dash-rules.yaml"
nq=$(jq '[.panels[].targets[]] | length' "$D")
check "every one of the dashboard's $nq queries parses as PromQL (promtool)" \
	promtool check rules "$TMP/dash-rules.yaml"
names_in "$D" >"$TMP/dash-names"
undoc=$(grep -vxF -f "$TMP/documented" "$TMP/dash-names" | tr '\n' ' ')
check "  and names only documented metrics ($(wc -l <"$TMP/dash-names") families) ${undoc:+(not: $undoc)}" test -z "$undoc"
finish
