/* gclock.c - reads the time both ways a guest can (the lockstep `now` import
 * and WASI clock_time_get) and exposes them as gauges, so test_policy_abi can
 * check that both read the guest clock G the host was given. Each flow gets
 * a pass verdict with a TTL of 2 s. */
#include <lockstep/guest.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_time_get")))
int32_t wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *out);

static int32_t m_now, m_wasi_mono, m_wasi_real;

LSG_EXPORT(init) int32_t init(int32_t len)
{
	m_now = lsg_metric_define(LSG_GAUGE, "gclock_now", 10, "", 0);
	m_wasi_mono = lsg_metric_define(LSG_GAUGE, "gclock_wasi_mono", 16, "", 0);
	m_wasi_real = lsg_metric_define(LSG_GAUGE, "gclock_wasi_real", 16, "", 0);
	return 0;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	uint64_t t = 0;
	lsg_metric_set(m_now, (double)lsg_now_g());
	if (wasi_clock_time_get(1, 1, &t) == 0)
		lsg_metric_set(m_wasi_mono, (double)t);
	if (wasi_clock_time_get(0, 1, &t) == 0)
		lsg_metric_set(m_wasi_real, (double)t);
	return lsg_set_verdict(flow, LSG_PASS, 2 * LSG_SEC);
}
