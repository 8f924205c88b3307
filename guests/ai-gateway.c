/* ai-gateway.c - example policy for traffic in front of inference services.
 *
 * HTTP requests to the configured hosts are classified by method and path:
 *   POST /v1/chat/completions  -> chat        (quota: quota_chat)
 *   POST /v1/embeddings        -> embeddings  (quota: quota_embeddings)
 *   GET  /v1/models            -> models      (quota: quota_models, 0 = none)
 * gRPC calls (HTTP/2, content-type application/grpc; ABI version 2) to a
 * known host pass when their service and method are configured:
 *   grpc=helloworld.Greeter/SayHello|pkg.Models   (a service alone: every method)
 * Anything else to a known host, and anything to an unknown host, is denied;
 * TLS flows pass when their SNI is a known host (the path is not visible).
 * Quotas count the requests the DPI reports (a flow's first, and those of
 * its first --dpi-packets payload packets) per client address per fixed
 * window (window_ms). The counts live in the host's key-value store (key
 * "q:" + the client's 16-byte address), so they survive an instance
 * restart, a policy reload and, with lockstep run --state-dir, an agent
 * restart: none of these is a way to reset a quota. A window that starts
 * after "now" (a guest clock that restarted from zero) starts anew.
 *
 * Allowed flows get a verdict with a TTL (ttl_ms) that the policy refreshes
 * from on_tick while the flow is open, so a flow the policy forgets about
 * falls back to undecided instead of passing forever. That refresh is the
 * pattern whose timing the clock mapping protects (docs/clock.md).
 *   renew=request  the lease is renewed by each request the DPI reports
 *                  on the flow (ttl_ms from then), not by on_tick: a lease
 *                  that lasts as long as the client keeps asking (run with
 *                  --dpi-packets high enough to see every request; the
 *                  seed's failure under load, docs/clock.md "Row 6")
 *   renew=tick     (default) every allowed flow is renewed on each tick
 *
 * For a deny-by-default data plane (lockstep run --default-verdict drop
 * --expiry strict), where a TTL is a lease:
 *   handshake_ttl_ms=N  every new flow passes for N ms, so that its
 *                       handshake and first request reach the DPI, which
 *                       then decides (0, the default: new flows get the
 *                       data plane's default until the DPI decides)
 *   expired=revoke      an allowed flow whose TTL ran out before on_tick
 *                       refreshed it has lost its lease: it is rejected
 *                       (drop_ttl_ms) and stays dropped, even if the DPI
 *                       sees it again; the client must connect anew.
 *   expired=renew       (default) it is re-allowed at once, and counted.
 * Either way aigw_expired_while_active_total counts such flows.
 *
 * Every decision on_dpi makes is counted in aigw_requests_by_host_total
 * {host, class, verdict} (a labelled counter, docs/abi.md "Labels"): host
 * the configured pattern that matched or "(unknown)", class chat,
 * embeddings, models, grpc, tls or other (http for an unknown host),
 * verdict allow, deny or over_quota.
 *
 * By default it is made for a deny-by-default data plane (lockstep run
 * --default-verdict hold, the demo's): a request waits, held, until the policy decides, and
 * a refused one is rejected -- the client gets a TCP RST at once instead
 * of a hung connection. The decisions that do not depend on the request
 * go into kernel rules at init: TLS to a known host passes (the SNI is all
 * there is to see), TLS to any other name is rejected, DNS passes. An
 * unknown HTTP Host is rejected in on_dpi and memoised (lsg_memo) for
 * drop_ttl_ms, so the kernel refuses the next request to it by itself.
 * (A rule cannot say "this host, by path": known HTTP hosts come to on_dpi.)
 * passive: the behaviour from before holds existed, for a data plane that
 * passes or drops undecided flows (--default-verdict pass|drop): no kernel
 * rules, no memos, every refusal a drop verdict. ("inline", the old word
 * for the default, is still accepted and changes nothing.)
 *
 * Configuration, e.g.:
 *   "hosts=api.example.com|*.llm.internal quota_chat=5 quota_embeddings=20
 *    window_ms=60000 ttl_ms=3000 drop_ttl_ms=10000"
 *   "hosts=api.example.com ttl_ms=1500 handshake_ttl_ms=5000 expired=revoke
 *    passive"
 *   "hosts=api.example.com quota_chat=3"   (with --default-verdict hold)
 *   "hosts=api.example.com ttl_ms=1500 handshake_ttl_ms=5000 passive"
 *                                         (with --default-verdict drop)
 *   "hosts=grpc.internal grpc=inference.Predictor/Predict"
 */
#include <lockstep/guest.h>

enum cls { C_CHAT, C_EMBED, C_MODELS, C_N };

#define MAX_HOSTS 16
#define HOST_MAX 128
#define MAX_ACTIVE 4096 /* allowed flows whose TTL on_tick refreshes */

/* A client's quota window, the value of its key "q:" + address in the
 * key-value store (docs/policy.md lists the layout). */
struct quota_win {
	uint64_t window_start_g;
	uint32_t count[C_N];
	uint32_t pad;
};

#define MAX_GRPC 16
#define GRPC_MAX 192 /* "service/method" */

static char hosts[MAX_HOSTS][HOST_MAX];
static char grpc_ok[MAX_GRPC][GRPC_MAX]; /* "service/method", or "service": all */
static uint32_t grpc_len[MAX_GRPC], ngrpc;
static int32_t m_grpc;
static uint32_t host_len[MAX_HOSTS], nhosts;
static uint64_t quota[C_N] = {5, 20, 0};
static uint64_t window_ns = 60000 * LSG_MSEC, ttl_ns = 3000 * LSG_MSEC,
		drop_ttl_ns = 10000 * LSG_MSEC, handshake_ttl_ns;
static int revoke_expired;	      /* expired=revoke */
static int renew_per_request;	      /* renew=request */
static int inline_mode = 1;	      /* the default; 0 with "passive" */
static int32_t refuse_v = LSG_REJECT; /* LSG_DROP passive */
static uint64_t active[MAX_ACTIVE];   /* flow ids; 0 = free */
static uint8_t revoked[MAX_ACTIVE];   /* active[i] lost its lease */
static uint32_t nactive;
static int32_t m_req[C_N], m_quota, m_unknown, m_refresh, m_late, m_untracked, m_store;

static const char *const cls_name[C_N] = {"chat", "embeddings", "models"};

/* 1 + the index of the first configured host pattern the name matches; 0: none */
static int known_host(const char *name, uint32_t len)
{
	for (uint32_t i = 0; i < nhosts; i++)
		if (lsg_name_match(hosts[i], host_len[i], name, len))
			return (int)i + 1;
	return 0;
}

/* aigw_requests_by_host_total{host, class, verdict}: every HTTP, TLS or
 * gRPC decision on_dpi makes. host is the configured pattern that matched
 * (hosts=, a bounded set), or "(unknown)" -- never the name the client
 * sent, which is anyone's to vary (each value is a series). */
static int32_t m_by_host;

static void count_decision(int host, const char *cls, const char *verdict)
{
	struct lsg_lvals l;
	lsg_lvals_reset(&l);
	if (host > 0)
		lsg_lvals_add(&l, hosts[host - 1], host_len[host - 1]);
	else
		lsg_lvals_adds(&l, "(unknown)");
	lsg_lvals_adds(&l, cls);
	lsg_lvals_adds(&l, verdict);
	lsg_metric_add_lv(m_by_host, &l, 1);
}

static int path_is(const struct lsg_dpi *d, const char *p)
{
	uint32_t n = lsg_strlen(p);
	/* the path itself, or followed by a query string */
	return d->path_len >= n && lsg_memeq(d->path, p, n) &&
	       (d->path_len == n || d->path[n] == '?');
}

static int method_is(const struct lsg_dpi *d, const char *m)
{
	uint32_t n = lsg_strlen(m);
	return d->method_len == n && lsg_memeq(d->method, m, n);
}

static int classify(const struct lsg_dpi *d)
{
	if (method_is(d, "POST") && path_is(d, "/v1/chat/completions"))
		return C_CHAT;
	if (method_is(d, "POST") && path_is(d, "/v1/embeddings"))
		return C_EMBED;
	if (method_is(d, "GET") && path_is(d, "/v1/models"))
		return C_MODELS;
	return -1;
}

/* Counts one request of class c against the client's quota in the store;
 * 0 when it is within the quota, -1 when it is over (not counted). A
 * store that cannot take the count (full) refuses: stricter, never looser. */
static int quota_take(const uint8_t addr[16], int c)
{
	uint8_t key[18] = {'q', ':'};
	struct quota_win w;
	uint64_t now_g;

	if (!quota[c])
		return 0; /* no quota on this class: nothing to count */
	now_g = lsg_now_g();
	for (int i = 0; i < 16; i++)
		key[2 + i] = addr[i];
	if (lsg_kv_get(key, sizeof key, &w, sizeof w) != (int32_t)sizeof w ||
	    now_g - w.window_start_g >= window_ns || now_g < w.window_start_g) {
		w.window_start_g = now_g;
		for (int i = 0; i < C_N; i++)
			w.count[i] = 0;
		w.pad = 0;
	}
	if (w.count[c] >= quota[c])
		return -1;
	w.count[c]++;
	if (lsg_kv_put(key, sizeof key, &w, sizeof w) != LSG_OK) {
		lsg_metric_add(m_store, 1);
		return -1;
	}
	return 0;
}

/* Slot of a remembered flow (allowed or revoked), or -1. */
static int32_t slot_of(uint64_t flow_id)
{
	for (uint32_t i = 0; i < MAX_ACTIVE; i++)
		if (active[i] == flow_id)
			return (int32_t)i;
	return -1;
}

static void remember(uint64_t flow_id)
{
	for (uint32_t i = 0; i < MAX_ACTIVE; i++)
		if (!active[i]) {
			active[i] = flow_id;
			revoked[i] = 0;
			nactive++;
			return;
		}
	/* full: allowed, but nobody refreshes its TTL */
	lsg_metric_add(m_untracked, 1);
}

static void free_slot(uint32_t i)
{
	active[i] = 0;
	revoked[i] = 0;
	nactive--;
}

static void forget(uint64_t flow_id)
{
	int32_t i = slot_of(flow_id);
	if (i >= 0)
		free_slot((uint32_t)i);
}

static int is_allowed(uint64_t flow_id)
{
	int32_t i = slot_of(flow_id);
	return i >= 0 && !revoked[i];
}

static int is_revoked(uint64_t flow_id)
{
	int32_t i = slot_of(flow_id);
	return i >= 0 && revoked[i];
}

/* Splits "a|b|c" into the rows of a table (width bytes each, NUL-padded
 * since the table starts zeroed); -1 when an entry or the count is over. */
static int parse_list(const char *v, uint32_t len, char *rows, uint32_t width, uint32_t *lens,
		      uint32_t *count, uint32_t max)
{
	uint32_t start = 0;
	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && v[i] != '|')
			continue;
		uint32_t n = i - start;
		if (n) {
			if (n >= width || *count == max)
				return -1;
			for (uint32_t j = 0; j < n; j++)
				rows[*count * width + j] = v[start + j];
			lens[(*count)++] = n;
		}
		start = i + 1;
	}
	return 0;
}

static int grpc_allowed(void)
{
	const struct lsg_dpi_ext *x = lsg_dpi_ext();
	uint32_t sl = x->grpc_service_len, ml = x->grpc_method_len;
	if (!sl || !ml)
		return 0;
	for (uint32_t i = 0; i < ngrpc; i++) {
		const char *g = grpc_ok[i];
		if (grpc_len[i] < sl || !lsg_memeq(g, x->grpc_service, sl))
			continue;
		if (grpc_len[i] == sl) /* the whole service */
			return 1;
		if (g[sl] == '/' && grpc_len[i] - sl - 1 == ml &&
		    lsg_memeq(g + sl + 1, x->grpc_method, ml))
			return 1;
	}
	return 0;
}

static void push_rules(void);

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *p = lsg_init_config(), *end, *tok;
	uint32_t tl;
	uint64_t v;

	if (len > LSG_EVENT_BUF_SIZE)
		len = LSG_EVENT_BUF_SIZE;
	end = p + len;
	while (lsg_next_token(&p, end, &tok, &tl)) {
		if (tl > 6 && lsg_memeq(tok, "hosts=", 6)) {
			if (parse_list(tok + 6, tl - 6, &hosts[0][0], HOST_MAX, host_len, &nhosts,
				       MAX_HOSTS)) {
				lsg_logs(LSG_ERROR, "ai-gateway: too many hosts or host too long");
				return 1;
			}
		} else if (tl > 5 && lsg_memeq(tok, "grpc=", 5)) {
			if (parse_list(tok + 5, tl - 5, &grpc_ok[0][0], GRPC_MAX, grpc_len, &ngrpc,
				       MAX_GRPC)) {
				lsg_logs(LSG_ERROR,
					 "ai-gateway: too many grpc= methods or one too long");
				return 1;
			}
		} else if (lsg_opt_u64(tok, tl, "quota_chat", &v))
			quota[C_CHAT] = v;
		else if (lsg_opt_u64(tok, tl, "quota_embeddings", &v))
			quota[C_EMBED] = v;
		else if (lsg_opt_u64(tok, tl, "quota_models", &v))
			quota[C_MODELS] = v;
		else if (lsg_opt_u64(tok, tl, "window_ms", &v) && v)
			window_ns = v * LSG_MSEC;
		else if (lsg_opt_u64(tok, tl, "ttl_ms", &v) && v)
			ttl_ns = v * LSG_MSEC;
		else if (lsg_opt_u64(tok, tl, "drop_ttl_ms", &v))
			drop_ttl_ns = v * LSG_MSEC;
		else if (lsg_opt_u64(tok, tl, "handshake_ttl_ms", &v))
			handshake_ttl_ns = v * LSG_MSEC;
		else if (tl == 13 && lsg_memeq(tok, "renew=request", 13))
			renew_per_request = 1;
		else if (tl == 10 && lsg_memeq(tok, "renew=tick", 10))
			renew_per_request = 0;
		else if (tl == 14 && lsg_memeq(tok, "expired=revoke", 14))
			revoke_expired = 1;
		else if (tl == 13 && lsg_memeq(tok, "expired=renew", 13))
			revoke_expired = 0;
		else if (tl == 6 && lsg_memeq(tok, "inline", 6))
			inline_mode = 1;
		else if (tl == 7 && lsg_memeq(tok, "passive", 7))
			inline_mode = 0;
		else {
			lsg_logs(LSG_ERROR, "ai-gateway: unknown option");
			return 1;
		}
	}
	if (!nhosts)
		lsg_logs(LSG_WARN, "ai-gateway: no hosts= configured: every request is denied");
	refuse_v = inline_mode ? LSG_REJECT : LSG_DROP;
	if (inline_mode)
		push_rules();
	for (int c = 0; c < C_N; c++) {
		char name[64] = "aigw_requests_";
		uint32_t n = 14, k = lsg_strlen(cls_name[c]);
		for (uint32_t i = 0; i < k; i++)
			name[n++] = cls_name[c][i];
		for (const char *s = "_total"; *s; s++)
			name[n++] = *s;
		m_req[c] = lsg_metric_define(LSG_COUNTER, name, n, "requests allowed", 16);
	}
	m_quota = lsg_metric_define(LSG_COUNTER, "aigw_quota_exceeded_total", 25,
				    "requests refused over quota", 27);
	m_unknown = lsg_metric_define(LSG_COUNTER, "aigw_denied_total", 17,
				      "requests to unknown hosts or paths", 34);
	m_refresh = lsg_metric_define(LSG_COUNTER, "aigw_ttl_refresh_total", 22,
				      "verdict TTLs refreshed on tick", 30);
	m_late = lsg_metric_define(LSG_COUNTER, "aigw_expired_while_active_total", 31,
				   "allowed flows whose verdict expired before its refresh", 54);
	m_untracked = lsg_metric_define(LSG_COUNTER, "aigw_untracked_total", 20,
					"allowed flows the refresh table had no room for", 47);
	m_grpc = lsg_metric_define(LSG_COUNTER, "aigw_requests_grpc_total", 24,
				   "gRPC calls allowed", 18);
	m_store =
	    lsg_metric_define(LSG_COUNTER, "aigw_quota_store_full_total", 27,
			      "requests refused because the key-value store took no count", 58);
	static const char by_host[] = "host\0class\0verdict";
	m_by_host = lsg_metric_define_l(LSG_COUNTER, "aigw_requests_by_host_total", 27,
					"requests decided, by configured host, class and verdict",
					55, by_host, sizeof(by_host));
	return 0;
}

static int32_t allow(int32_t flow, uint64_t flow_id)
{
	if (slot_of(flow_id) < 0)
		remember(flow_id);
	return lsg_set_verdict(flow, LSG_PASS, (int64_t)ttl_ns);
}

static int32_t deny(int32_t flow, int32_t metric)
{
	lsg_metric_add(metric, 1);
	return lsg_set_verdict(flow, refuse_v, (int64_t)drop_ttl_ns);
}

/* The decisions that do not depend on the request, into the kernel. */
static void push_rules(void)
{
	int32_t rc = lsg_rule_add(LSG_RULE_DNS, "*", 1, LSG_PASS, 0);
	if (rc == LSG_OK)
		rc = lsg_rule_add(LSG_RULE_TLS, "*", 1, LSG_REJECT, 0);
	for (uint32_t i = 0; i < nhosts && rc == LSG_OK; i++)
		rc = lsg_rule_add(LSG_RULE_TLS, hosts[i], host_len[i], LSG_PASS, 0);
	if (rc == LSG_E_NOTSUP)
		lsg_logs(LSG_INFO, "ai-gateway: no kernel rules here: on_dpi decides");
	else if (rc != LSG_OK)
		lsg_logs(LSG_WARN,
			 "ai-gateway: a kernel rule was refused: on_dpi decides the rest");
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	const struct lsg_event *ev = lsg_event();
	const struct lsg_dpi *d = &ev->u.dpi;

	if (d->kind == LSG_DPI_DNS)
		return lsg_set_verdict(flow, LSG_PASS, 0);
	/* a revoked lease is not won back by the next request on the flow */
	if (is_revoked(ev->info.flow_id))
		return lsg_set_verdict(flow, refuse_v, (int64_t)drop_ttl_ns);
	if ((d->flags & LSG_DPI_F_PARTIAL) && d->name_len == 0)
		return 0;
	const char *proto = d->kind == LSG_DPI_TLS ? "tls" : "http";
	if (lsg_dpi_name_cut(d)) {
		count_decision(0, proto, "deny");
		return deny(flow, m_unknown);
	}
	int host = known_host(d->name, d->name_len);
	if (!host) {
		count_decision(0, proto, "deny");
		if (!inline_mode)
			return deny(flow, m_unknown);
		/* the next flow to this name is refused by the kernel itself */
		lsg_metric_add(m_unknown, 1);
		return lsg_memo(flow, LSG_REJECT, (int64_t)drop_ttl_ns);
	}
	if (d->kind == LSG_DPI_TLS) {
		count_decision(host, "tls", "allow");
		return allow(flow, ev->info.flow_id);
	}
	if (d->flags & LSG_DPI_F_GRPC) {
		if (!grpc_allowed()) {
			count_decision(host, "grpc", "deny");
			return deny(flow, m_unknown);
		}
		count_decision(host, "grpc", "allow");
		lsg_metric_add(m_grpc, 1);
		return allow(flow, ev->info.flow_id);
	}

	int c = classify(d);
	if (c < 0) {
		count_decision(host, "other", "deny");
		return deny(flow, m_unknown);
	}
	if (quota_take(ev->info.src, c)) {
		count_decision(host, cls_name[c], "over_quota");
		return deny(flow, m_quota);
	}
	count_decision(host, cls_name[c], "allow");
	lsg_metric_add(m_req[c], 1);
	return allow(flow, ev->info.flow_id);
}

LSG_EXPORT(on_tick) int32_t on_tick(void)
{
	for (uint32_t i = 0; i < MAX_ACTIVE && nactive; i++) {
		if (!active[i])
			continue;
		int32_t h = lsg_flow_lookup(active[i]);
		if (h < 0) { /* the flow is gone */
			free_slot(i);
			continue;
		}
		if (revoked[i] || renew_per_request)
			continue;
		if (lsg_set_verdict(h, LSG_PASS, (int64_t)ttl_ns) == LSG_OK)
			lsg_metric_add(m_refresh, 1);
	}
	return 0;
}

LSG_EXPORT(on_verdict_expired) int32_t on_verdict_expired(int32_t flow)
{
	const struct lsg_event *ev = lsg_event();

	/* An allowed flow whose TTL ran out before on_tick refreshed it: the
	 * failure the clock mapping exists to prevent. Count it; re-allow, or
	 * revoke the lease (expired=revoke). */
	if (ev->u.expired.verdict == LSG_PASS && is_allowed(ev->info.flow_id)) {
		lsg_metric_add(m_late, 1);
		if (revoke_expired) {
			revoked[slot_of(ev->info.flow_id)] = 1;
			return lsg_set_verdict(flow, refuse_v, (int64_t)drop_ttl_ns);
		}
		return lsg_set_verdict(flow, LSG_PASS, (int64_t)ttl_ns);
	}
	/* a revoked flow's reject verdict ran out: still revoked */
	if (is_revoked(ev->info.flow_id))
		return lsg_set_verdict(flow, refuse_v, (int64_t)drop_ttl_ns);
	return 0;
}

/* Deny-by-default deployments: let the handshake through to the DPI. */
LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	if (!handshake_ttl_ns)
		return 0;
	return lsg_set_verdict(flow, LSG_PASS, (int64_t)handshake_ttl_ns);
}

/* Handover (a reload, an agent restart): a flow that was open before this
 * instance started, with its last request if the host saw it (u.dpi). The
 * data plane still holds what the earlier instance decided; this one takes
 * over its lease. A held pass whose request this configuration allows (or
 * whose request the host no longer knows: the earlier decision stands) is
 * remembered and its lease renewed at once, without counting the request
 * against a quota again; a held pass this configuration refuses is
 * refused; a held refusal stands until it runs out. */
LSG_EXPORT(on_flow_adopted) int32_t on_flow_adopted(int32_t flow)
{
	const struct lsg_event *ev = lsg_event();
	const struct lsg_dpi *d = &ev->u.dpi;
	struct lsg_verdict_info held;

	if (lsg_flow_verdict(flow, &held) != LSG_OK || (held.verdict & 0xff) != LSG_PASS)
		return 0;
	if (d->kind == LSG_DPI_DNS || !held.deadline_g)
		return 0; /* passes for good: nothing to renew */
	if (d->kind && (d->name_len || !(d->flags & LSG_DPI_F_PARTIAL))) {
		int ok = !lsg_dpi_name_cut(d) && known_host(d->name, d->name_len) &&
			 (d->kind == LSG_DPI_TLS || classify(d) >= 0);
		if (!ok)
			return deny(flow, m_unknown);
	}
	return allow(flow, ev->info.flow_id);
}

LSG_EXPORT(on_flow_end) int32_t on_flow_end(int32_t flow)
{
	forget(lsg_event()->info.flow_id);
	return 0;
}
