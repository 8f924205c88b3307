/* namerule.c - a test policy (tests/integration/encap_reject_live.sh): its
 * init pushes kernel rules giving one verdict to DNS names and HTTP Hosts
 * matching a pattern, so the kernel decides the flow at the packet that
 * carries the name. Configuration: "reject PATTERN" or "drop PATTERN" --
 * the same name refused either way, to compare a reject with a plain drop.
 * on_dpi passes what the rules leave to it. */
#include <lockstep/guest.h>

static int word(const char *tok, uint32_t tl, const char *w)
{
	uint32_t n = lsg_strlen(w);
	if (tl != n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (tok[i] != w[i])
			return 0;
	return 1;
}

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *p = lsg_init_config(), *end = p + len, *tok;
	uint32_t tl;
	int32_t verdict;
	if (!lsg_next_token(&p, end, &tok, &tl))
		return 1;
	if (word(tok, tl, "reject"))
		verdict = LSG_REJECT;
	else if (word(tok, tl, "drop"))
		verdict = LSG_DROP;
	else
		return 1;
	if (!lsg_next_token(&p, end, &tok, &tl))
		return 1;
	if (lsg_rule_add(LSG_RULE_DNS, tok, tl, verdict, 0) ||
	    lsg_rule_add(LSG_RULE_HTTP, tok, tl, verdict, 0))
		return 1;
	return 0;
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	return lsg_set_verdict(flow, LSG_PASS, 0);
}
