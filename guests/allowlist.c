/* allowlist.c - example policy: let a flow through only if its TLS SNI or
 * HTTP Host matches one of the configured patterns; DNS always passes.
 *
 * Configuration: patterns and options separated by commas or spaces, e.g.
 *   "*.example.com, api.test.local, ttl_ms=0"
 * Patterns: "name" (exact), "*.domain" (any subdomain), "*" (all).
 * ttl_ms: how long a verdict holds (0, the default: until the flow ends);
 * when a verdict expires the policy gives the flow the same verdict again.
 * Flows that never show a name (no DPI result) are left to the data plane's
 * default verdict: DPI needs their first packets to pass.
 */
#include <lockstep/guest.h>

#define MAX_PATTERNS 64
#define PATTERN_MAX 256

static char patterns[MAX_PATTERNS][PATTERN_MAX];
static uint32_t pattern_len[MAX_PATTERNS];
static uint32_t npatterns;
static uint64_t ttl_ns;
static int32_t m_allowed, m_denied, m_dns;

static int allowed(const char *name, uint32_t len)
{
	for (uint32_t i = 0; i < npatterns; i++)
		if (lsg_name_match(patterns[i], pattern_len[i], name, len))
			return 1;
	return 0;
}

static int is_dns(const struct lsg_flow_info *f)
{
	return (f->proto == 17 || f->proto == 6) && (f->dport == 53 || f->sport == 53);
}

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *p = lsg_init_config(), *end, *tok;
	uint32_t tl;
	uint64_t v;

	if (len > LSG_EVENT_BUF_SIZE)
		len = LSG_EVENT_BUF_SIZE;
	end = p + len;
	npatterns = 0;
	ttl_ns = 0;
	while (lsg_next_token(&p, end, &tok, &tl)) {
		if (lsg_opt_u64(tok, tl, "ttl_ms", &v)) {
			/* saturate: a TTL past the end of time is "forever",
			 * never a wrapped product */
			ttl_ns = v > (uint64_t)INT64_MAX / LSG_MSEC ? (uint64_t)INT64_MAX
								    : v * LSG_MSEC;
			continue;
		}
		if (tl >= PATTERN_MAX || npatterns == MAX_PATTERNS) {
			lsg_logs(LSG_ERROR, "allowlist: pattern too long or too many patterns");
			return 1;
		}
		for (uint32_t i = 0; i < tl; i++)
			patterns[npatterns][i] = tok[i];
		pattern_len[npatterns++] = tl;
	}
	if (!npatterns)
		lsg_logs(LSG_WARN, "allowlist: no patterns configured: every named flow is denied");
	m_allowed = lsg_metric_define(LSG_COUNTER, "allowlist_allowed_total", 23,
				      "flows allowed by name", 21);
	m_denied = lsg_metric_define(LSG_COUNTER, "allowlist_denied_total", 22,
				     "flows denied by name", 20);
	m_dns = lsg_metric_define(LSG_COUNTER, "allowlist_dns_total", 19,
				  "DNS flows passed", 16);
	return 0;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	if (is_dns(&lsg_event()->info)) {
		lsg_metric_add(m_dns, 1);
		return lsg_set_verdict(flow, LSG_PASS, (int64_t)ttl_ns);
	}
	return 0;
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	const struct lsg_event *ev = lsg_event();
	const struct lsg_dpi *d = &ev->u.dpi;

	if (d->kind == LSG_DPI_DNS)
		return lsg_set_verdict(flow, LSG_PASS, (int64_t)ttl_ns);
	/* A partial message without a name yet: wait for the rest. */
	if ((d->flags & LSG_DPI_F_PARTIAL) && d->name_len == 0)
		return 0;
	if (!lsg_dpi_name_cut(d) && allowed(d->name, d->name_len)) {
		lsg_metric_add(m_allowed, 1);
		return lsg_set_verdict(flow, LSG_PASS, (int64_t)ttl_ns);
	}
	lsg_metric_add(m_denied, 1);
	return lsg_set_verdict(flow, LSG_DROP, (int64_t)ttl_ns);
}

LSG_EXPORT(on_verdict_expired) int32_t on_verdict_expired(int32_t flow)
{
	return lsg_set_verdict(flow, (int32_t)lsg_event()->u.expired.verdict,
			       (int64_t)ttl_ns);
}
