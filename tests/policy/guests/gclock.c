/* gclock.c - reads the time every way a guest can (the lockstep `now` import
 * and WASI clock_time_get, monotonic and realtime, and clock_res_get) and
 * exposes what it read as gauges, so tests can check that all of it comes
 * from the guest clock G the host was given (test_policy_abi with an
 * injected G, test_clock_sync with the agent's fault model). Nanosecond
 * readings do not fit a double exactly, so each is also split into whole
 * seconds and the remainder. Each flow gets a pass verdict with a TTL of 2 s. */
#include <lockstep/guest.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_time_get")))
int32_t wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *out);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("clock_res_get")))
int32_t wasi_clock_res_get(uint32_t id, uint64_t *out);

static int32_t m_now, m_wasi_mono, m_wasi_real, m_res_mono, m_res_real;
static int32_t m_mono_s, m_mono_ns, m_real_s, m_real_ns, m_now_ns;

static int32_t gauge(const char *name)
{
	return lsg_metric_define(LSG_GAUGE, name, lsg_strlen(name), "", 0);
}

LSG_EXPORT(init) int32_t init(int32_t len)
{
	m_now = gauge("gclock_now");
	m_now_ns = gauge("gclock_now_ns");
	m_wasi_mono = gauge("gclock_wasi_mono");
	m_mono_s = gauge("gclock_wasi_mono_s");
	m_mono_ns = gauge("gclock_wasi_mono_ns");
	m_wasi_real = gauge("gclock_wasi_real");
	m_real_s = gauge("gclock_wasi_real_s");
	m_real_ns = gauge("gclock_wasi_real_ns");
	m_res_mono = gauge("gclock_res_mono");
	m_res_real = gauge("gclock_res_real");
	return 0;
}

static void split(uint64_t t, int32_t whole, int32_t part)
{
	lsg_metric_set(whole, (double)(t / LSG_SEC));
	lsg_metric_set(part, (double)(t % LSG_SEC));
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	uint64_t t = 0, now = lsg_now_g();
	lsg_metric_set(m_now, (double)now);
	lsg_metric_set(m_now_ns, (double)(now % LSG_SEC));
	if (wasi_clock_time_get(1, 1, &t) == 0) {
		lsg_metric_set(m_wasi_mono, (double)t);
		split(t, m_mono_s, m_mono_ns);
	}
	if (wasi_clock_time_get(0, 1, &t) == 0) {
		lsg_metric_set(m_wasi_real, (double)t);
		split(t, m_real_s, m_real_ns);
	}
	if (wasi_clock_res_get(1, &t) == 0)
		lsg_metric_set(m_res_mono, (double)t);
	if (wasi_clock_res_get(0, &t) == 0)
		lsg_metric_set(m_res_real, (double)t);
	return lsg_set_verdict(flow, LSG_PASS, 2 * LSG_SEC);
}
