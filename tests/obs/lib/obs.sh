# obs.sh - shared by the tests/obs suites (sourced, not a suite): the policy
# topology (tests/policy/lib/policy.sh) plus helpers to scrape the agent's
# metrics endpoint from inside the server namespace, and the report's
# renderer (report.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../../policy/lib/policy.sh"
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"
PROMCHECK=$LS_ROOT/build/asan/tools/promcheck

# metrics_port NAME: the port the agent NAME said it serves metrics on
metrics_port() { sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$TMP/$1.err" | head -1; }
# scrape PORT FILE: GET /metrics into FILE
scrape() { in_s curl -sS --max-time 5 -o "$2" "http://127.0.0.1:$1/metrics"; }
# probe PORT PATH: "CODE BODY" of GET PATH (/healthz, /readyz)
probe() { in_s curl -sS --max-time 5 -w '%{http_code} ' -o "$TMP/probe.body" "http://127.0.0.1:$1$2" &&
	tr -d '\n' <"$TMP/probe.body"; }
# scrape_fresh PORT FILE: a scrape taken once the agent has read the data
# plane's counters anew (it reads them once a second): polls until the
# scrape's packet counter reaches what the pins hold now
scrape_fresh() {
	SF_PORT=$1 SF_FILE=$2
	SF_WANT=$("$LS_BIN" counters --json --pin-dir "$PIN_DIR" 2>/dev/null | jq '.pkts // 0')
	wait_for 5 scrape_has_pkts
}
scrape_has_pkts() {
	scrape "$SF_PORT" "$SF_FILE" &&
		ge "$(packets "$SF_FILE")" "$SF_WANT"
}
# packets FILE: every packet the data plane saw, the sum of
# lockstep_packets_total over its results (docs/metrics.md)
packets() { awk '/^lockstep_packets_total\{/ { s += $2 } END { printf "%d\n", s }' "$1"; }
# metric FILE SERIES: value of one series (empty when absent)
metric() { "$PROMCHECK" "$1" "$2" 2>/dev/null; }
# ge A B: A >= B, numbers in any Prometheus spelling
ge() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
# jqt ARGS...: jq -e without its output, for check
jqt() { jq -e "$@" >/dev/null; }
gt() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { exit !(a + 0 > b + 0) }'; }
