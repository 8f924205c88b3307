/* rulepush.c - a test policy (tests/policy/rules_live.sh): its init pushes
 * one kernel rule, DNS names matching the configured pattern are rejected
 * (REFUSED) by the kernel; on_dpi logs every name it is asked about (so the
 * test can tell that a rejected name never reached it) and passes. */
#include <lockstep/guest.h>

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *p = lsg_init_config(), *tok;
	uint32_t tl;
	if (!lsg_next_token(&p, p + len, &tok, &tl))
		return 1;
	return lsg_rule_add(LSG_RULE_DNS, tok, tl, LSG_REJECT, 0) ? 1 : 0;
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	const struct lsg_dpi *d = &lsg_event()->u.dpi;
	char msg[300] = "on_dpi ";
	uint32_t n = 7;
	for (uint32_t i = 0; i < d->name_len && n < sizeof(msg); i++)
		msg[n++] = d->name[i];
	lsg_log(LSG_WARN, msg, n);
	return lsg_set_verdict(flow, LSG_PASS, 0);
}
