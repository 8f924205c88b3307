#!/usr/bin/env bash
# grpc_live.sh - the ai-gateway allows one gRPC method and refuses another,
# live: curl --http2-prior-knowledge sends gRPC-style calls (POST,
# content-type application/grpc, path /service/method) to nginx speaking
# h2c; the kernel recognises the HTTP/2 preface and hands the client's
# segments to user space, which decodes the HEADERS (HPACK) into the DPI
# event the guest decides on (docs/dataplane.md, "HTTP/2"). Deny by default
# (`--default-verdict hold`): every call waits for that decision.
#
# Expected values by hand from the policy's config and nginx: the allowed
# method is answered (nginx turns the POST to a static file into 200), the
# refused one gets a reset at once and never reaches nginx's access log.
set -uo pipefail
. "$(dirname "$0")/lib/policy.sh"
policy_init pgrpc
need nginx curl jq
mkdir -p "$TMP/www/pkg.Echo" "$TMP/www/pkg.Admin"
echo say >"$TMP/www/pkg.Echo/Say"
echo other >"$TMP/www/pkg.Echo/Other"
echo drop >"$TMP/www/pkg.Admin/Drop"
nginx_start "listen $S4:8080 http2; listen [$S6]:8080 http2; error_page 405 =200 \$uri;" ||
	bail "nginx did not start"
if agent_start a1 --tc --default-verdict hold --policy "$G/ai-gateway.wasm" \
	--policy-config 'hosts=grpc.h2.test grpc=pkg.Echo/Say'; then
	ok "agent runs the ai-gateway allowing gRPC pkg.Echo/Say (deny by default)"
else
	not_ok "agent runs the ai-gateway allowing gRPC pkg.Echo/Say"; diag "$TMP/a1.err"; exit 1
fi
# call NAME ADDR PATH: a gRPC-style POST over h2c; "code time" in NAME.w.
# Without a body: nginx answers a POST to a static file (405 turned 200)
# without reading a body and then resets the stream, which races curl's
# reading of the answer ("stream error in the HTTP/2 framing layer", with or
# without lockstep). The DPI reads the HEADERS frame either way.
call() {
	in_c curl -sS -o /dev/null --max-time 5 -w '%{http_code} %{time_total}' \
		--http2-prior-knowledge -H "Host: grpc.h2.test" -H "content-type: application/grpc" \
		-H "te: trailers" -X POST "http://$2:8080/$3" \
		>"$TMP/$1.w" 2>"$TMP/$1.err"
	echo $? >"$TMP/$1.rc"
}
fast() { awk -v t="$1" 'BEGIN { exit !(t + 0 < 0.5) }'; }
for v in 6 4; do
	[ $v = 4 ] && A=$S4 || A="[$S6]"
	call say$v "$A" pkg.Echo/Say
	read -r code t <"$TMP/say$v.w"
	check "IPv$v: gRPC pkg.Echo/Say answered ($code in ${t}s; $(head -c 80 "$TMP/say$v.err"))" test "$code" = 200
	check "IPv$v:   with no retransmit (${t}s < 0.5 s)" fast "$t"
	call other$v "$A" pkg.Echo/Other
	read -r code t <"$TMP/other$v.w"
	rc=$(cat "$TMP/other$v.rc")
	check "IPv$v: gRPC pkg.Echo/Other refused: curl fails (rc $rc: $(head -c 80 "$TMP/other$v.err"))" \
		test "$rc" != 0
	check "IPv$v:   at once (${t}s < 0.5 s)" fast "$t"
	call admin$v "$A" pkg.Admin/Drop
	check "IPv$v: gRPC pkg.Admin/Drop (another service) refused" test "$(cat "$TMP/admin$v.rc")" != 0
done
sleep 0.5 # nginx writes its log line when the request is done
check "nginx logged the allowed calls, IPv4 and IPv6" bash -c \
	"grep -q '^$C4 .*/pkg.Echo/Say' '$TMP/nginx-access.log' && grep -q '^$C6 .*/pkg.Echo/Say' '$TMP/nginx-access.log'"
check "the refused calls never reached nginx (not in its access log)" bash -c \
	"! grep -Eq 'Other|Admin' '$TMP/nginx-access.log'"
# verdict_of CLIENT PATH: the verdict the policy wrote for the flow from
# CLIENT whose HTTP/2 request was PATH (its dpi event names both, the
# verdict its flow)
verdict_of() {
	jq -r -n -R --arg c "$1" --arg p "$2" '[inputs | fromjson? // empty] as $e
		| ([$e[] | select(.event == "dpi" and .http2 == true and .grpc == true
			and .src == $c and .http_path == $p) | .flow_id]) as $ids
		| [$e[] | select(.event == "verdict" and (.flow_id as $i | $ids | index($i))) | .verdict]
		| first // "none"' "$TMP/a1.json"
}
for c in "$C4" "$C6"; do
	vs=$(verdict_of "$c" /pkg.Echo/Say)/$(verdict_of "$c" /pkg.Echo/Other)
	check "from $c: the policy's verdicts on the HTTP/2 events: Say/Other $vs" test "$vs" = "pass/reject"
done
check "no guest failures" bash -c "! grep -q guest_failed '$TMP/a1.err'"
finish
