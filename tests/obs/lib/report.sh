# report.sh - renders a lockstep report in headless Chromium for the tests
# (sourced, not a suite; tests/obs/lib/obs.sh and tests/integration/demo.sh).
#   report_render HTML OUT [WIDTH]
#                            writes OUT.png (a screenshot, WIDTH (1200) x 1800) and
#                            OUT.probe.json (what the browser laid out for
#                            each plot: report_probe.js); 0 when both exist
# Needs chromium (scripts/deps.sh): callers ask `have chromium` (tests/lib/tap.sh).
REPORT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
report_render() {
	local html=$1 out=$2 width=${3:-1200} prof
	prof=$(mktemp -d "${TMPDIR:-/tmp}/ls-chromium.XXXXXX")
	local ch=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking
		--disable-component-update --disable-sync --no-first-run --hide-scrollbars
		--user-data-dir="$prof" --window-size="$width",1800)
	timeout 60 "${ch[@]}" --screenshot="$out.png" "file://$html" >"$out.chromium.log" 2>&1
	{ cat "$html"; echo "<script>"; cat "$REPORT_LIB/report_probe.js"; echo "</script>"; } \
		>"$out.probe.html"
	timeout 60 "${ch[@]}" --dump-dom "file://$out.probe.html" 2>>"$out.chromium.log" |
		sed -n 's:.*<pre id="probe">\(.*\)</pre>.*:\1:p' >"$out.probe.json"
	rm -rf "$prof"
	[ -s "$out.png" ] && [ -s "$out.probe.json" ]
}
