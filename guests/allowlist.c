/* allowlist.c - example policy: let a flow through only if its TLS SNI or
 * HTTP Host matches one of the configured patterns; DNS always passes;
 * every other named flow is rejected (TCP RST: the client fails at once).
 *
 * Configuration: patterns and options separated by commas or spaces, e.g.
 *   "*.example.com, api.test.local, ttl_ms=0"
 * Patterns: "name" (exact), "*.domain" (any subdomain), "*" (all).
 * ttl_ms: how long a verdict set from a callback holds (0, the default:
 * until the flow ends); when it expires the policy gives the flow the same
 * verdict again.
 *
 * By default it is made for a deny-by-default data plane (lockstep run
 * --default-verdict hold), where nothing passes until decided: denials
 * are rejects, and its init pushes the whole decision
 * into kernel rules (docs/abi.md, "Kernel rules"): each pattern passes for
 * TLS and HTTP, every other SNI and Host is rejected ("*", less specific
 * than any pattern), every DNS name passes. The kernel then decides a flow
 * at the packet that carries its name -- the held ClientHello or request
 * goes on, or the client gets a RST -- with no round trip, and on_dpi is
 * not called. What rules cannot decide comes to the callbacks: a name cut
 * or not seen whole (partial: the ClientHello or the header block spans
 * packets) is rejected -- deny by default, at once; a flow that never shows
 * a name waits for --hold-timeout and gets --hold-fallback. Where the host
 * has no kernel rules (rule_add answers E_NOTSUP: lockstep inspect without
 * a data plane, an older host) on_dpi makes the same decisions.
 *
 * "passive" gives the behaviour from before holds existed, for a pass
 * default data plane that only watches: no kernel rules, decisions in
 * callbacks, denials are drops (the inspected packet has gone by), a
 * partial name is waited on. ("inline", the old word for the default, is
 * still accepted and changes nothing.)
 */
#include <lockstep/guest.h>

#define MAX_PATTERNS 64
#define PATTERN_MAX 256

static char patterns[MAX_PATTERNS][PATTERN_MAX];
static uint32_t pattern_len[MAX_PATTERNS];
static uint32_t npatterns;
static uint64_t ttl_ns;
static int inline_mode; /* the default; 0 with "passive": no rules, drops */
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

/* The static decisions, into the kernel. A rule standing from an earlier
 * instance (a reload with other patterns) is replaced or stays: rules are
 * the data plane's; a pattern dropped from the list must be deleted by
 * hand (lockstep stop, or a policy that calls rule_del). */
static void push_rules(void)
{
	static const int32_t kinds[2] = {LSG_RULE_TLS, LSG_RULE_HTTP};
	int32_t rc = lsg_rule_add(LSG_RULE_DNS, "*", 1, LSG_PASS, 0);
	for (int k = 0; k < 2 && rc == LSG_OK; k++) {
		rc = lsg_rule_add(kinds[k], "*", 1, LSG_REJECT, 0);
		for (uint32_t i = 0; i < npatterns && rc == LSG_OK; i++)
			rc = lsg_rule_add(kinds[k], patterns[i], pattern_len[i], LSG_PASS, 0);
	}
	if (rc == LSG_E_NOTSUP)
		lsg_logs(LSG_INFO, "allowlist: no kernel rules here: on_dpi decides");
	else if (rc != LSG_OK)
		lsg_logs(LSG_WARN, "allowlist: a kernel rule was refused: on_dpi decides the rest");
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
	inline_mode = 1;
	while (lsg_next_token(&p, end, &tok, &tl)) {
		if (tl == 7 && lsg_memeq(tok, "passive", 7)) {
			inline_mode = 0;
			continue;
		}
		if (tl == 6 && lsg_memeq(tok, "inline", 6))
			continue;
		if (lsg_opt_u64(tok, tl, "ttl_ms", &v)) {
			/* saturate: a TTL past the end of time is "forever",
			 * never a wrapped product */
			ttl_ns =
			    v > (uint64_t)INT64_MAX / LSG_MSEC ? (uint64_t)INT64_MAX : v * LSG_MSEC;
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
	if (inline_mode)
		push_rules();
	m_allowed = lsg_metric_define(LSG_COUNTER, "allowlist_allowed_total", 23,
				      "flows allowed by name", 21);
	m_denied = lsg_metric_define(LSG_COUNTER, "allowlist_denied_total", 22,
				     "flows denied by name", 20);
	m_dns = lsg_metric_define(LSG_COUNTER, "allowlist_dns_total", 19, "DNS flows passed", 16);
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
	/* A partial message without a name yet: passive, wait for the rest;
	 * by default nothing passes undecided: the data plane reports names
	 * only when seen whole, so there is no name to allow, and the client
	 * is refused at once instead of held to a timeout. */
	if ((d->flags & LSG_DPI_F_PARTIAL) && d->name_len == 0 && !inline_mode)
		return 0;
	if (!(d->flags & LSG_DPI_F_PARTIAL) && !lsg_dpi_name_cut(d) &&
	    allowed(d->name, d->name_len)) {
		lsg_metric_add(m_allowed, 1);
		return lsg_set_verdict(flow, LSG_PASS, (int64_t)ttl_ns);
	}
	lsg_metric_add(m_denied, 1);
	return lsg_set_verdict(flow, inline_mode ? LSG_REJECT : LSG_DROP, (int64_t)ttl_ns);
}

LSG_EXPORT(on_verdict_expired) int32_t on_verdict_expired(int32_t flow)
{
	return lsg_set_verdict(flow, (int32_t)lsg_event()->u.expired.verdict, (int64_t)ttl_ns);
}
