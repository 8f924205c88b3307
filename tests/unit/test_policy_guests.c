/* test_policy_guests.c - the example policies (guests/, built by clang and
 * asc) decide what their rules say, on synthetic data-plane events run
 * through the real policy host and engine: allowlist, ratelimit, ai-gateway
 * and the AssemblyScript blocklist. */
#include "test.h"

#include "policy/kv_state.h"
#include "policy_harness.h"

#define SEC 1000000000ull
#define MS 1000000ull

static const char *C = "198.18.0.1", *S = "198.18.1.1";

static uint32_t verdict_of(const struct harness *h, uint64_t id)
{
	const struct rec_verdict *v = last_verdict(h, id);
	return v ? v->verdict : 0;
}

TEST(allowlist)
{
	struct harness *h = harness_new("*.example.com, api.test.local passive", 0, 0);
	CHECK_EQ_INT(harness_load(h, "allowlist.wasm"), 0);
	/* a TCP flow is left undecided until DPI names it */
	flow_new(h, 1, C, 40001, S, 443, 6);
	CHECK_EQ_INT(count_verdicts(h, 1), 0);
	dpi(h, 1, C, 40001, S, 443, LS_DPI_TLS, "www.example.com", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_EQ_INT(last_verdict(h, 1)->deadline_k, 0); /* until the flow ends */
	dpi(h, 2, C, 40002, S, 443, LS_DPI_TLS, "WWW.Example.COM", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
	dpi(h, 3, C, 40003, S, 443, LS_DPI_TLS, "evil.org", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_DROP);
	dpi(h, 4, C, 40004, S, 443, LS_DPI_TLS, "example.com", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 4), LS_VERDICT_DROP); /* *. needs a label */
	dpi(h, 5, C, 40005, S, 443, LS_DPI_TLS, "notexample.com", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 5), LS_VERDICT_DROP);
	dpi(h, 6, C, 40006, S, 8080, LS_DPI_HTTP, "api.test.local:8080", "GET", "/");
	CHECK_EQ_INT(verdict_of(h, 6), LS_VERDICT_PASS);
	dpi(h, 7, C, 40007, S, 80, LS_DPI_HTTP, "api.test.local.evil.org", "GET", "/");
	CHECK_EQ_INT(verdict_of(h, 7), LS_VERDICT_DROP);
	/* DNS passes, at flow start and on its DPI result */
	flow_new(h, 8, C, 5353, S, 53, 17);
	CHECK_EQ_INT(verdict_of(h, 8), LS_VERDICT_PASS);
	dpi(h, 9, C, 5354, S, 53, LS_DPI_DNS, "anything.org", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 9), LS_VERDICT_PASS);
	/* an expired verdict is given again */
	expired(h, 1, C, 40001, S, 443, LS_VERDICT_PASS);
	CHECK_EQ_INT(count_verdicts(h, 1), 2);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK(metric(h, "allowlist_allowed_total") == 3);
	CHECK(metric(h, "allowlist_denied_total") == 4);
	harness_free(h);
}

/* A TTL of "forever" (INT64_MAX, or a ttl_ms whose product overflows)
 * keeps the verdict forever: deadline 0, never a deadline that wrapped into
 * the past (a "drop forever" that dropped one packet and then passed). */
TEST(allowlist_huge_ttl_is_forever)
{
	const char *cfgs[] = {"evil.test, ttl_ms=9223372036854 passive",
			      "evil.test, ttl_ms=18446744073709551615 passive",
			      "evil.test, ttl_ms=9223372036854775807 passive"};
	for (unsigned c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		struct harness *h = harness_new(cfgs[c], 0, 0);
		CHECK_EQ_INT(harness_load(h, "allowlist.wasm"), 0);
		dpi(h, 1, C, 40001, S, 443, LS_DPI_TLS, "other.test", NULL, NULL);
		CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
		CHECK(last_verdict(h, 1) && last_verdict(h, 1)->deadline_k == 0);
		dpi(h, 2, C, 40002, S, 443, LS_DPI_TLS, "evil.test", NULL, NULL);
		CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
		CHECK(last_verdict(h, 2) && last_verdict(h, 2)->deadline_k == 0);
		harness_free(h);
	}
}

TEST(ratelimit)
{
	struct harness *h = harness_new("burst=3 refill_ms=1000 drop_ttl_ms=5000 passive", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ratelimit.wasm"), 0);
	for (int i = 1; i <= 3; i++) {
		flow_new(h, (uint64_t)i, C, (uint16_t)(40000 + i), S, 80, 6);
		CHECK_EQ_INT(verdict_of(h, (uint64_t)i), LS_VERDICT_PASS);
	}
	flow_new(h, 4, C, 40004, S, 80, 6); /* N+1 inside the window */
	CHECK_EQ_INT(verdict_of(h, 4), LS_VERDICT_DROP);
	CHECK_DEADLINE(h, last_verdict(h, 4), 5 * SEC);
	flow_new(h, 5, "198.18.0.77", 40005, S, 80, 6); /* another client */
	CHECK_EQ_INT(verdict_of(h, 5), LS_VERDICT_PASS);
	advance(h, 999 * MS);
	flow_new(h, 6, C, 40006, S, 80, 6);
	CHECK_EQ_INT(verdict_of(h, 6), LS_VERDICT_DROP);
	advance(h, 1 * MS); /* one refill period since the bucket was full */
	flow_new(h, 7, C, 40007, S, 80, 6);
	CHECK_EQ_INT(verdict_of(h, 7), LS_VERDICT_PASS);
	flow_new(h, 8, C, 40008, S, 80, 6);
	CHECK_EQ_INT(verdict_of(h, 8), LS_VERDICT_DROP);
	advance(h, 10 * SEC); /* refilled to the burst, not beyond */
	for (int i = 9; i <= 12; i++)
		flow_new(h, (uint64_t)i, C, (uint16_t)(40000 + i), S, 80, 6);
	CHECK_EQ_INT(verdict_of(h, 11), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 12), LS_VERDICT_DROP);
	harness_free(h);
}

TEST(ai_gateway)
{
	struct harness *h =
	    harness_new("hosts=api.example.com|*.llm.internal quota_chat=2 window_ms=60000 "
			"ttl_ms=3000 drop_ttl_ms=10000 passive",
			0, 0);
	const char *HOST = "api.example.com";
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	dpi(h, 2, C, 40002, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions?x=1");
	dpi(h, 3, C, 40003, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_DEADLINE(h, last_verdict(h, 1), 3 * SEC);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_DROP); /* over the chat quota */
	CHECK_DEADLINE(h, last_verdict(h, 3), 10 * SEC);
	/* /v1/models has no quota; embeddings has its own */
	for (int i = 4; i < 10; i++)
		dpi(h, (uint64_t)i, C, (uint16_t)(40000 + i), S, 80, LS_DPI_HTTP, HOST, "GET",
		    "/v1/models");
	CHECK_EQ_INT(verdict_of(h, 9), LS_VERDICT_PASS);
	dpi(h, 10, C, 40010, S, 80, LS_DPI_HTTP, "gpu1.llm.internal", "POST", "/v1/embeddings");
	CHECK_EQ_INT(verdict_of(h, 10), LS_VERDICT_PASS);
	/* another client has its own quota */
	dpi(h, 11, "198.18.0.2", 40011, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 11), LS_VERDICT_PASS);
	/* unknown host, unknown path, wrong method: denied */
	dpi(h, 12, C, 40012, S, 80, LS_DPI_HTTP, "evil.org", "GET", "/v1/models");
	dpi(h, 13, C, 40013, S, 80, LS_DPI_HTTP, HOST, "GET", "/admin");
	dpi(h, 14, C, 40014, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 12), LS_VERDICT_DROP);
	CHECK_EQ_INT(verdict_of(h, 13), LS_VERDICT_DROP);
	CHECK_EQ_INT(verdict_of(h, 14), LS_VERDICT_DROP);
	/* TLS to a known host passes, to an unknown one not */
	dpi(h, 15, C, 40015, S, 443, LS_DPI_TLS, HOST, NULL, NULL);
	dpi(h, 16, C, 40016, S, 443, LS_DPI_TLS, "other.org", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 15), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 16), LS_VERDICT_DROP);

	/* ticks refresh the TTL of allowed flows while they are open */
	int before = count_verdicts(h, 1);
	advance(h, 1 * SEC);
	ls_policy_tick(h->p);
	CHECK_EQ_INT(count_verdicts(h, 1), before + 1);
	CHECK_DEADLINE(h, last_verdict(h, 1), 3 * SEC);
	CHECK_EQ_INT(count_verdicts(h, 3), 1); /* denied flows are not refreshed */
	flow_end(h, 1, C, 40001, S, 80);
	advance(h, 1 * SEC);
	ls_policy_tick(h->p);
	CHECK_EQ_INT(count_verdicts(h, 1), before + 1); /* ended: no refresh */
	CHECK_DEADLINE(h, last_verdict(h, 2), 3 * SEC);
	CHECK(metric(h, "aigw_ttl_refresh_total") >= 2);
	/* a refresh that came too late: counted and the flow allowed again */
	expired(h, 2, C, 40002, S, 80, LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
	CHECK(metric(h, "aigw_expired_while_active_total") == 1);
	/* the window rolls over: chat allowed again */
	advance(h, 60 * SEC);
	dpi(h, 17, C, 40017, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 17), LS_VERDICT_PASS);
	CHECK(metric(h, "aigw_requests_chat_total") == 4);
	CHECK(metric(h, "aigw_quota_exceeded_total") == 1);
	harness_free(h);
}

/* ai-gateway in a deny-by-default deployment: new flows pass for the
 * handshake, the DPI decides, and a lease that expires before its refresh
 * is revoked for good (expired=revoke). */
TEST(ai_gateway_leases)
{
	struct harness *h = harness_new("hosts=api.example.com ttl_ms=1500 handshake_ttl_ms=5000 "
					"expired=revoke passive",
					0, 0);
	const char *HOST = "api.example.com";
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	flow_new(h, 1, C, 40001, S, 80, 6);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_DEADLINE(h, last_verdict(h, 1), 5 * SEC);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	CHECK_DEADLINE(h, last_verdict(h, 1), 1500 * MS);
	advance(h, 500 * MS);
	ls_policy_tick(h->p);
	CHECK_DEADLINE(h, last_verdict(h, 1), 1500 * MS);
	/* the lease ran out before its refresh: revoked, and stays so */
	expired(h, 1, C, 40001, S, 80, LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	CHECK_DEADLINE(h, last_verdict(h, 1), 10 * SEC);
	CHECK(metric(h, "aigw_expired_while_active_total") == 1);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	int n = count_verdicts(h, 1);
	ls_policy_tick(h->p);
	CHECK_EQ_INT(count_verdicts(h, 1), n); /* no refresh of a revoked lease */
	expired(h, 1, C, 40001, S, 80, LS_VERDICT_DROP);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	/* a new connection is decided afresh */
	flow_end(h, 1, C, 40001, S, 80);
	flow_new(h, 2, C, 40002, S, 80, 6);
	dpi(h, 2, C, 40002, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
	harness_free(h);

	/* by default new flows are left to the data plane, expiries renewed */
	h = harness_new("hosts=api.example.com", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	flow_new(h, 1, C, 40001, S, 80, 6);
	CHECK_EQ_INT(count_verdicts(h, 1), 0);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	expired(h, 1, C, 40001, S, 80, LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	/* and an option it does not know is refused */
	harness_free(h);
	h = harness_new("hosts=api.example.com expired=sometimes", 0, 0);
	CHECK(harness_load(h, "ai-gateway.wasm") != 0);
	harness_free(h);
}

/* renew=request: the lease is renewed by each request the DPI reports,
 * from the K time of that call (sync on: the rate alone), and ticks renew
 * nothing; the default renews on ticks. */
TEST(ai_gateway_renew_per_request)
{
	struct harness *h = harness_new("hosts=api.example.com ttl_ms=1800 handshake_ttl_ms=5000 "
					"expired=revoke renew=request passive",
					0, 0);
	const char *HOST = "api.example.com";
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	flow_new(h, 1, C, 40001, S, 80, 6);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_DEADLINE(h, last_verdict(h, 1), 1800 * MS);
	int n = count_verdicts(h, 1);
	advance(h, 500 * MS);
	ls_policy_tick(h->p);
	CHECK_EQ_INT(count_verdicts(h, 1), n); /* a tick renews nothing */
	CHECK(metric(h, "aigw_ttl_refresh_total") == 0);
	advance(h, 500 * MS); /* the next request renews it from now */
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	CHECK_EQ_INT(count_verdicts(h, 1), n + 1);
	CHECK_DEADLINE(h, last_verdict(h, 1), 1800 * MS);
	/* a lease that ran out between requests is revoked as before */
	expired(h, 1, C, 40001, S, 80, LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "GET", "/v1/models");
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	harness_free(h);
	h = harness_new("hosts=api.example.com renew=sometimes", 0, 0);
	CHECK(harness_load(h, "ai-gateway.wasm") != 0);
	harness_free(h);
}

/* The per-client quota counts live in the host's key-value store: a
 * reload, a new policy on the same store and a new agent that loads the
 * store's saved bytes all go on counting where the last left off (the
 * window is G's; the agent-restart half against a real SIGKILL is
 * tests/policy/aigw_state_live.sh). */
TEST(ai_gateway_quota_in_store)
{
	const char *CFG = "hosts=api.example.com quota_chat=3 window_ms=600000 passive";
	const char *HOST = "api.example.com";
	struct harness *h = harness_new(CFG, 0, 0);
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	dpi(h, 2, C, 40002, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
	/* the count is in the store, under "q:" + the client's address */
	uint8_t key[18] = {'q', ':'};
	key[12] = key[13] = 0xff; /* IPv4-mapped */
	inet_pton(AF_INET, C, key + 14);
	struct {
		uint64_t window_start_g;
		uint32_t count[3], pad;
	} w;
	CHECK_EQ_INT(ls_kv_get(ls_policy_kv(h->p), key, sizeof key, &w, sizeof w), (long)sizeof w);
	CHECK_EQ_INT(w.count[0], 2);
	CHECK(w.window_start_g == h->now_g);
	/* a reload does not reset it: one more, then over */
	CHECK_EQ_INT(ls_policy_reload(h->p, &h->err), 0);
	dpi(h, 3, C, 40003, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_PASS);
	dpi(h, 4, C, 40004, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 4), LS_VERDICT_DROP);
	/* the store's bytes into a new agent's store: still over */
	uint8_t *buf;
	size_t len;
	uint64_t gen;
	CHECK_EQ_INT(ls_kv_state_encode(ls_policy_kv(h->p), &buf, &len, &gen), 0);
	uint64_t g = h->now_g;
	harness_free(h);
	h = harness_new(CFG, 0, 0);
	h->now_g = g + 1 * SEC;
	CHECK_EQ_INT(ls_kv_state_decode(ls_policy_kv(h->p), buf, len, &h->err), 0);
	free(buf);
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	dpi(h, 5, C, 40005, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 5), LS_VERDICT_DROP);
	/* another client, and the next window, count anew */
	dpi(h, 6, "198.18.0.2", 40006, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 6), LS_VERDICT_PASS);
	advance(h, 600 * SEC);
	dpi(h, 7, C, 40007, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 7), LS_VERDICT_PASS);
	/* a guest clock that restarted from zero (G before the window's
	 * start) starts a new window rather than waiting for G to catch up */
	h->now_g = 1 * SEC;
	dpi(h, 8, C, 40008, S, 80, LS_DPI_HTTP, HOST, "POST", "/v1/chat/completions");
	CHECK_EQ_INT(verdict_of(h, 8), LS_VERDICT_PASS);
	harness_free(h);
}

TEST(blocklist_assemblyscript)
{
	if (!guest_exists("blocklist_as.wasm"))
		SKIP("blocklist_as.wasm not built (assemblyscript: scripts/deps.sh)");
	struct harness *h = harness_new("bad.example,*.ads.example passive", 0, 0);
	CHECK_EQ_INT(harness_load(h, "blocklist_as.wasm"), 0);
	dpi(h, 1, C, 40001, S, 443, LS_DPI_TLS, "bad.example", NULL, NULL);
	dpi(h, 2, C, 40002, S, 80, LS_DPI_HTTP, "x.ADS.example:8080", "GET", "/");
	dpi(h, 3, C, 40003, S, 53, LS_DPI_DNS, "good.example.", NULL, NULL);
	dpi(h, 4, C, 40004, S, 443, LS_DPI_TLS, "ads.example", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_DROP);
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 4), LS_VERDICT_PASS);
	CHECK(metric(h, "blocklist_blocked_total") == 2);
	harness_free(h);
}

/* The default (made for --default-verdict hold, docs/policy.md): every
 * refusal is a reject; the decisions the guests push into kernel rules are
 * made by callbacks where the host has none (this harness: rule_add
 * answers E_NOTSUP), and a name the data plane could not read whole is
 * refused at once, not waited on. "inline", the old word for it, changes
 * nothing; "passive" (the tests above) gives drops. */
TEST(default_is_inline)
{
	struct harness *h = harness_new("*.example.com", 0, 0);
	CHECK_EQ_INT(harness_load(h, "allowlist.wasm"), 0);
	dpi(h, 1, C, 40001, S, 443, LS_DPI_TLS, "www.example.com", NULL, NULL);
	dpi(h, 2, C, 40002, S, 443, LS_DPI_TLS, "evil.org", NULL, NULL);
	dpi(h, 3, C, 40003, S, 80, LS_DPI_HTTP, "", NULL, NULL); /* no name */
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_REJECT);
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_REJECT);
	harness_free(h);

	h = harness_new("burst=1", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ratelimit.wasm"), 0);
	flow_new(h, 1, C, 40001, S, 80, 6);
	flow_new(h, 2, C, 40002, S, 80, 6);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_REJECT);
	harness_free(h);

	h = harness_new("hosts=api.example.com quota_chat=1", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, "api.example.com", "POST", "/v1/chat/completions");
	dpi(h, 2, C, 40002, S, 80, LS_DPI_HTTP, "api.example.com", "POST", "/v1/chat/completions");
	dpi(h, 3, C, 40003, S, 80, LS_DPI_HTTP, "other.org", "GET", "/v1/models");
	dpi(h, 4, C, 40004, S, 443, LS_DPI_TLS, "other.org", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_REJECT); /* over the quota */
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_REJECT); /* unknown host */
	CHECK_EQ_INT(verdict_of(h, 4), LS_VERDICT_REJECT);
	harness_free(h);

	if (!guest_exists("blocklist_as.wasm"))
		return;
	h = harness_new("bad.example", 0, 0);
	CHECK_EQ_INT(harness_load(h, "blocklist_as.wasm"), 0);
	flow_new(h, 1, C, 40001, S, 443, 6);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS); /* passes until named */
	dpi(h, 1, C, 40001, S, 443, LS_DPI_TLS, "bad.example", NULL, NULL);
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_REJECT);
	dpi(h, 2, C, 40002, S, 443, LS_DPI_TLS, "inline", NULL, NULL); /* a keyword */
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_PASS);
	harness_free(h);
}

/* The old word "inline" still means the default; a later "passive" wins. */
TEST(inline_word_is_the_default)
{
	const char *const cfg[][2] = {{"*.example.com inline", "allowlist.wasm"},
				      {"burst=1 inline", "ratelimit.wasm"}};
	for (int c = 0; c < 2; c++) {
		struct harness *h = harness_new(cfg[c][0], 0, 0);
		CHECK_EQ_INT(harness_load(h, cfg[c][1]), 0);
		flow_new(h, 1, C, 40001, S, 443, 6);
		flow_new(h, 2, C, 40002, S, 443, 6);
		dpi(h, 2, C, 40002, S, 443, LS_DPI_TLS, "evil.org", NULL, NULL);
		CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_REJECT);
		harness_free(h);
	}
	struct harness *h = harness_new("hosts=api.example.com inline passive", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	dpi(h, 1, C, 40001, S, 80, LS_DPI_HTTP, "other.org", "GET", "/v1/models");
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_DROP);
	harness_free(h);
}

/* ai-gateway allows gRPC methods by configuration (ABI version 2): the
 * service and method come split from :path in lsg_dpi_ext. */
static void grpc_call(struct harness *h, uint64_t id, const char *host, const char *path)
{
	struct ls_event ev = ev_base(LS_EV_DPI, id, C, (uint16_t)(41000 + id), S, 80, 6, h->now_k);
	ev.u.dpi.kind = LS_DPI_HTTP;
	ev.u.dpi.flags = LS_DPI_F_H2 | LS_DPI_F_GRPC;
	ev.u.dpi.name_len = (uint16_t)strlen(host), memcpy(ev.u.dpi.name, host, strlen(host));
	ev.u.dpi.method_len = 4, memcpy(ev.u.dpi.method, "POST", 4);
	ev.u.dpi.path_len = (uint16_t)strlen(path), memcpy(ev.u.dpi.path, path, strlen(path));
	send_ev(h, ev);
}

TEST(ai_gateway_grpc)
{
	struct harness *h = harness_new(
	    "hosts=grpc.internal grpc=helloworld.Greeter/SayHello|pkg.Models ttl_ms=3000", 0, 0);
	CHECK_EQ_INT(harness_load(h, "ai-gateway.wasm"), 0);
	/* a denied call is refused with a reset (the guests' inline default;
	 * `passive` would drop it) */
	grpc_call(h, 1, "grpc.internal", "/helloworld.Greeter/SayHello");
	grpc_call(h, 2, "grpc.internal", "/helloworld.Greeter/SayGoodbye");
	grpc_call(h, 3, "grpc.internal", "/pkg.Models/List");
	grpc_call(h, 4, "grpc.internal", "/pkg.ModelsX/List");
	grpc_call(h, 5, "other.internal", "/helloworld.Greeter/SayHello");
	grpc_call(h, 6, "grpc.internal", "/helloworld.Greeter/SayHello/extra");
	CHECK_EQ_INT(verdict_of(h, 1), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 2), LS_VERDICT_REJECT);
	CHECK_EQ_INT(verdict_of(h, 3), LS_VERDICT_PASS);
	CHECK_EQ_INT(verdict_of(h, 4), LS_VERDICT_REJECT);
	CHECK_EQ_INT(verdict_of(h, 5), LS_VERDICT_REJECT); /* unknown host */
	CHECK_EQ_INT(verdict_of(h, 6), LS_VERDICT_REJECT); /* not a gRPC path */
	CHECK(metric(h, "aigw_requests_grpc_total") == 2);
	harness_free(h);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(ai_gateway_grpc);
	RUN(allowlist);
	RUN(allowlist_huge_ttl_is_forever);
	RUN(ratelimit);
	RUN(ai_gateway);
	RUN(ai_gateway_leases);
	RUN(ai_gateway_renew_per_request);
	RUN(ai_gateway_quota_in_store);
	RUN(blocklist_assemblyscript);
	RUN(default_is_inline);
	RUN(inline_word_is_the_default);
	return test_done();
}
