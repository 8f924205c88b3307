/* labelflood.c - a policy that abuses labelled metrics, for
 * tests/policy/labels_live.sh. Every flow passes (on_flow_new), so the test
 * sees whether the agent keeps answering. In init it
 *   - sets one series whose label value needs every escape of the text
 *     format (esc_total{v="a\\b\"c\nd é"} 1) and a plain one;
 *   - hands the host bad label names and values and keeps each answer in a
 *     gauge rc_<case> (the test compares them with docs/abi.md's codes);
 *   - floods 5 metrics flood<m>{k} with 2,500 distinct values each (12,500
 *     would-be series), counting the answers in flood_ok_total,
 *     flood_full_total and flood_other_total;
 * and every tick floods 10,000 more distinct values. */
#include <lockstep/guest.h>

static int32_t m_ok, m_full, m_other, m_flood[5], m_esc;
static uint64_t ticks;

static int32_t gauge(const char *name)
{
	return lsg_metric_define(LSG_GAUGE, name, lsg_strlen(name), "", 0);
}

static void keep(const char *name, int32_t rc)
{
	lsg_metric_set(gauge(name), rc);
}

/* "<prefix><a>-<b>\0" into buf; its length with the NUL */
static uint32_t value(char *buf, char prefix, uint64_t a, uint32_t b)
{
	char tmp[24];
	uint32_t n = 0, k;
	buf[n++] = prefix;
	k = 0;
	do
		tmp[k++] = (char)('0' + a % 10);
	while (a /= 10);
	while (k)
		buf[n++] = tmp[--k];
	buf[n++] = '-';
	k = 0;
	do
		tmp[k++] = (char)('0' + b % 10);
	while (b /= 10);
	while (k)
		buf[n++] = tmp[--k];
	buf[n++] = 0;
	return n;
}

static void flood(char prefix, uint64_t round, uint32_t per_metric)
{
	char v[48];
	for (int m = 0; m < 5; m++)
		for (uint32_t i = 0; i < per_metric; i++) {
			uint32_t n = value(v, prefix, round * 10 + (uint64_t)m, i);
			int32_t rc = lsg_metric_add_l(m_flood[m], v, n, 1);
			lsg_metric_add(rc == LSG_OK	  ? m_ok
				       : rc == LSG_E_FULL ? m_full
							  : m_other,
				       1);
		}
}

LSG_EXPORT(init) int32_t init(int32_t len)
{
	(void)len;
	m_ok = lsg_metric_define(LSG_COUNTER, "flood_ok_total", 14, "", 0);
	m_full = lsg_metric_define(LSG_COUNTER, "flood_full_total", 16, "", 0);
	m_other = lsg_metric_define(LSG_COUNTER, "flood_other_total", 17, "", 0);

	static const char v[] = "v";
	m_esc = lsg_metric_define_l(LSG_COUNTER, "esc_total", 9, "escapes", 7, v, sizeof(v));
	static const char esc[] = "a\\b\"c\nd \xc3\xa9";
	keep("rc_esc", lsg_metric_add_l(m_esc, esc, sizeof(esc), 1));
	keep("rc_plain", lsg_metric_add_l(m_esc, "plain", 6, 2));

	/* label names (docs/abi.md, "Labels") */
	keep("rc_dunder", lsg_metric_define_l(LSG_GAUGE, "x1", 2, "", 0, "__x", 4));
	keep("rc_dup", lsg_metric_define_l(LSG_GAUGE, "x2", 2, "", 0, "a\0a", 4));
	keep("rc_le", lsg_metric_define_l(LSG_HISTOGRAM, "x3", 2, "", 0, "le", 3));
	keep("rc_worker", lsg_metric_define_l(LSG_GAUGE, "x4", 2, "", 0, "worker", 7));
	keep("rc_badname", lsg_metric_define_l(LSG_GAUGE, "x5", 2, "", 0, "a-b", 4));
	keep("rc_nonul", lsg_metric_define_l(LSG_GAUGE, "x6", 2, "", 0, "a", 1));
	static char big[600];
	for (int i = 0; i < 600; i++)
		big[i] = 'a';
	big[520] = 0;
	keep("rc_names_toobig", lsg_metric_define_l(LSG_GAUGE, "x7", 2, "", 0, big, 521));
	keep("rc_names_bounds",
	     lsg_metric_define_l(LSG_GAUGE, "x8", 2, "", 0, (const char *)0xfffffff0u, 16));
	/* label values */
	keep("rc_bad_utf8", lsg_metric_add_l(m_esc, "\xc3\x28", 3, 1));
	keep("rc_overlong", lsg_metric_add_l(m_esc, "\xc0\xaf", 3, 1));
	keep("rc_surrogate", lsg_metric_add_l(m_esc, "\xed\xa0\x80", 4, 1));
	keep("rc_nvalues", lsg_metric_add_l(m_esc, "a\0b", 4, 1));
	big[520] = 'a';
	big[129] = 0;
	keep("rc_value_toobig", lsg_metric_add_l(m_esc, big, 130, 1));
	keep("rc_values_bounds", lsg_metric_add_l(m_esc, (const char *)0xfffffff0u, 8, 1));
	keep("rc_unlabelled", lsg_metric_add(m_esc, 1));
	keep("rc_delete_absent", lsg_metric_delete_l(m_esc, "nope", 5));

	for (int m = 0; m < 5; m++) {
		char name[8] = "flood0";
		name[5] = (char)('0' + m);
		m_flood[m] = lsg_metric_define_l(LSG_COUNTER, name, 6, "", 0, "k", 2);
	}
	flood('i', 0, 2500);
	return 0;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	return lsg_set_verdict(flow, LSG_PASS, 0);
}

LSG_EXPORT(on_tick) int32_t on_tick(void)
{
	flood('t', ++ticks, 2000);
	return 0;
}
