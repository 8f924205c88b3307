/* ratelimit.c - example policy: a token bucket per client address limits how
 * many new flows each client may open.
 *
 * Configuration: "burst=N refill_ms=M drop_ttl_ms=D [passive]"
 *   burst      bucket size: flows a client may open at once (default 10)
 *   refill_ms  one token comes back every M ms (default 1000)
 *   drop_ttl_ms how long a refused flow stays refused (default 10000)
 *   passive    refused flows are dropped, as before holds existed; by
 *              default they are rejected: the client gets a TCP RST
 *              (ICMP port unreachable for UDP, REFUSED for DNS) from the
 *              kernel at once instead of waiting for its own timeout
 *              (made for lockstep run --default-verdict hold; "inline",
 *              the old word for the default, is accepted)
 * Allowed flows pass until they end. The buckets live
 * in the host's key-value store, so they survive a policy reload: a reload
 * is not a way to reset them.
 *
 * It decides on a flow's first packet (on_flow_new), by client, so it has
 * no static decision to push into kernel rules. Under a deny-by-default
 * data plane (lockstep run --default-verdict hold) a TCP handshake passes
 * while the policy decides, the first data segment waits for the verdict
 * (a refused client reads "connection reset"), and a UDP datagram is held
 * until then.
 */
#include <lockstep/guest.h>

struct bucket {
	uint64_t tokens;
	uint64_t last_g; /* G time up to which refills were credited */
};

static uint64_t burst = 10, refill_ns = 1000 * LSG_MSEC, drop_ttl_ns = 10000 * LSG_MSEC;
static int32_t m_allowed, m_refused;
static int inline_mode = 1; /* 0 with "passive": drops */

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *p = lsg_init_config(), *end, *tok;
	uint32_t tl;
	uint64_t v;

	if (len > LSG_EVENT_BUF_SIZE)
		len = LSG_EVENT_BUF_SIZE;
	end = p + len;
	while (lsg_next_token(&p, end, &tok, &tl)) {
		if (lsg_opt_u64(tok, tl, "burst", &v))
			burst = v;
		else if (lsg_opt_u64(tok, tl, "refill_ms", &v) && v)
			refill_ns = v * LSG_MSEC;
		else if (lsg_opt_u64(tok, tl, "drop_ttl_ms", &v))
			drop_ttl_ns = v * LSG_MSEC;
		else if (tl == 7 && lsg_memeq(tok, "passive", 7))
			inline_mode = 0;
		else if (tl == 6 && lsg_memeq(tok, "inline", 6))
			inline_mode = 1;
		else {
			lsg_logs(LSG_ERROR, "ratelimit: unknown option (want burst=, refill_ms=, "
					    "drop_ttl_ms=, passive)");
			return 1;
		}
	}
	m_allowed =
	    lsg_metric_define(LSG_COUNTER, "ratelimit_allowed_total", 23, "new flows allowed", 17);
	m_refused =
	    lsg_metric_define(LSG_COUNTER, "ratelimit_refused_total", 23, "new flows refused", 17);
	return 0;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	const struct lsg_flow_info *f = &lsg_event()->info;
	uint8_t key[18] = {'b', ':'};
	struct bucket b;
	uint64_t now_g = lsg_now_g();

	for (int i = 0; i < 16; i++)
		key[2 + i] = f->src[i];
	if (lsg_kv_get(key, sizeof key, &b, sizeof b) != (int32_t)sizeof b) {
		b.tokens = burst;
		b.last_g = now_g;
	}
	if (now_g > b.last_g) {
		uint64_t n = (now_g - b.last_g) / refill_ns;
		b.tokens += n;
		b.last_g += n * refill_ns;
	}
	if (b.tokens >= burst) {
		b.tokens = burst;
		b.last_g = now_g;
	}
	int allow = b.tokens > 0;
	if (allow)
		b.tokens--;
	lsg_kv_put(key, sizeof key, &b, sizeof b);
	if (allow) {
		lsg_metric_add(m_allowed, 1);
		return lsg_set_verdict(flow, LSG_PASS, 0);
	}
	lsg_metric_add(m_refused, 1);
	return lsg_set_verdict(flow, inline_mode ? LSG_REJECT : LSG_DROP, (int64_t)drop_ttl_ns);
}
