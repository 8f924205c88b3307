/* metricount.c - a guest that defines one metric of each kind, for the
 * merged export of guest metrics with N policy workers
 * (tests/unit/test_agent_workers.c): per new flow it adds 1 to the counter
 * metricount_flows_total, observes 0.002 in the histogram
 * metricount_seconds (the le="0.01" bucket) and sets the gauge
 * metricount_seen to the number of new flows this instance has seen; every
 * flow passes. Each worker's instance counts its own shard, so the merged
 * counter and histogram count every flow and the gauge of worker i is its
 * shard's share. */
#include <lockstep/guest.h>

static int32_t m_flows = -1, m_secs = -1, m_seen = -1;
static double seen;

LSG_EXPORT(init) int32_t init(int32_t len)
{
	(void)len;
	m_flows = lsg_metric_define(LSG_COUNTER, "metricount_flows_total", 22, "flows seen", 10);
	m_secs = lsg_metric_define(LSG_HISTOGRAM, "metricount_seconds", 18, "a constant", 10);
	m_seen = lsg_metric_define(LSG_GAUGE, "metricount_seen", 15, "flows this instance saw", 23);
	return m_flows < 0 || m_secs < 0 || m_seen < 0;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	seen += 1;
	lsg_metric_add(m_flows, 1);
	lsg_metric_observe(m_secs, 0.002);
	lsg_metric_set(m_seen, seen);
	return lsg_set_verdict(flow, LSG_PASS, 0);
}
