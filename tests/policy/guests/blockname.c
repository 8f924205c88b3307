/* blockname.c - a name blocklist for the hold tests (tests/policy/hold_live.sh):
 * a flow whose DNS query name, TLS SNI or HTTP Host matches one of the
 * configured patterns ("*.blocked.example", comma or space separated) is
 * dropped, every other flow with a DPI result passes. Decides on DPI only,
 * so under --default-verdict hold a flow that never shows a name waits for
 * the hold timeout. */
#include <lockstep/guest.h>

#define MAX_PATTERNS 16
#define PATTERN_MAX 128

static char patterns[MAX_PATTERNS][PATTERN_MAX];
static uint32_t pattern_len[MAX_PATTERNS];
static uint32_t npatterns;

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *p = lsg_init_config(), *end, *tok;
	uint32_t tl;
	if (len > LSG_EVENT_BUF_SIZE)
		len = LSG_EVENT_BUF_SIZE;
	end = p + len;
	npatterns = 0;
	while (lsg_next_token(&p, end, &tok, &tl)) {
		if (tl >= PATTERN_MAX || npatterns == MAX_PATTERNS)
			return 1;
		for (uint32_t i = 0; i < tl; i++)
			patterns[npatterns][i] = tok[i];
		pattern_len[npatterns++] = tl;
	}
	return 0;
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	const struct lsg_dpi *d = &lsg_event()->u.dpi;
	if ((d->flags & LSG_DPI_F_PARTIAL) && d->name_len == 0)
		return 0;
	for (uint32_t i = 0; i < npatterns; i++)
		if (lsg_name_match(patterns[i], pattern_len[i], d->name, d->name_len))
			return lsg_set_verdict(flow, LSG_DROP, 0);
	return lsg_set_verdict(flow, LSG_PASS, 0);
}
