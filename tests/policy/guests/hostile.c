/* hostile.c - a policy that misbehaves on purpose, for test_policy_abi. Its
 * configuration picks the misbehaviour (first token):
 *   trap          on_flow_new traps (unreachable)
 *   loop          on_flow_new never returns (fuel)
 *   verdict_trap  on_flow_new sets a verdict, then traps
 *   oob           on_flow_new hands log() a pointer outside its memory
 *   biglog        on_flow_new logs a 1 GiB message
 *   stale         on_dpi uses the handle on_flow_new got
 *   init_fail     init refuses its configuration
 *   kv            on_flow_new counts flows in the key-value store
 *   tickburn [N]  on_tick never returns (fuel), on the first N ticks (the
 *                 count survives restarts in the key-value store) or on
 *                 every tick when N is absent; flows pass as with ok
 *   sleep         on_flow_new asks WASI poll_oneoff to sleep for 60 s
 *   slow          on_flow_new takes 60 ms (spinning on the guest clock, so
 *                 the same whatever the engine's speed; needs ~10^8 fuel)
 *   stall P MS    on_flow_new of a flow to server port P spins MS ms on the
 *                 guest clock (a worker stuck in a long callback; needs
 *                 ~2x10^9 fuel per second), other flows pass as with ok
 *   ok            behaves: passes every flow for 1 s
 * The result of the misbehaving call is kept in gauge hostile_last_rc, so
 * the test sees what the host answered. */
#include <lockstep/guest.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("poll_oneoff")))
int32_t wasi_poll_oneoff(const void *in, void *out, uint32_t n, uint32_t *nevents);

static char mode[32];
static int32_t kept_handle = -1000, m_rc, m_kv, m_ticks;
static uint32_t burn_ticks; /* tickburn N; 0: every tick; stall P */
static uint32_t arg2;       /* stall P MS: MS */

static int is(const char *m)
{
	uint32_t n = lsg_strlen(m);
	return lsg_strlen(mode) == n && lsg_memeq(mode, m, n);
}

LSG_EXPORT(init) int32_t init(int32_t len)
{
	const char *cfg = lsg_init_config();
	uint32_t i = 0;
	while (i < (uint32_t)len && i < sizeof(mode) - 1 && cfg[i] && cfg[i] != ' ') {
		mode[i] = cfg[i];
		i++;
	}
	mode[i] = 0;
	while (i < (uint32_t)len && cfg[i] == ' ')
		i++;
	for (; i < (uint32_t)len && cfg[i] >= '0' && cfg[i] <= '9'; i++)
		burn_ticks = burn_ticks * 10 + (uint32_t)(cfg[i] - '0');
	while (i < (uint32_t)len && cfg[i] == ' ')
		i++;
	for (; i < (uint32_t)len && cfg[i] >= '0' && cfg[i] <= '9'; i++)
		arg2 = arg2 * 10 + (uint32_t)(cfg[i] - '0');
	m_rc = lsg_metric_define(LSG_GAUGE, "hostile_last_rc", 15, "", 0);
	m_kv = lsg_metric_define(LSG_GAUGE, "hostile_kv_flows", 16, "", 0);
	m_ticks = lsg_metric_define(LSG_COUNTER, "hostile_ticks_total", 19, "", 0);
	return is("init_fail") ? 7 : 0;
}

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	int32_t rc = 0;
	kept_handle = flow;
	if (is("trap"))
		__builtin_trap();
	if (is("loop")) {
		volatile uint32_t spin = 0;
		for (;;)
			spin++;
	}
	if (is("verdict_trap")) {
		lsg_set_verdict(flow, LSG_PASS, 0);
		__builtin_trap();
	}
	if (is("negttl")) /* docs/abi.md: ttl < 0 is E_INVAL, nothing set */
		rc = lsg_set_verdict(flow, LSG_DROP, -1);
	if (is("oob"))
		rc = lsg_log(LSG_INFO, (const char *)0xfffff000u, 64);
	if (is("biglog"))
		rc = lsg_log(LSG_INFO, (const char *)lsg_event_buffer, 1u << 30);
	if (is("sleep")) {
		/* one relative clock subscription: userdata, tag 0 (clock), then
		 * id 1 (monotonic), timeout, precision, flags */
		uint64_t sub[6] = {7, 0, 1, 60 * LSG_SEC, 0, 0};
		uint8_t ev[32];
		uint32_t n = 0;
		rc = wasi_poll_oneoff(sub, ev, 1, &n);
	}
	if (is("slow")) {
		uint64_t t0 = lsg_now_g();
		while (lsg_now_g() - t0 < 60 * LSG_MSEC)
			;
	}
	if (is("stall")) {
		struct lsg_flow_info fi;
		if (lsg_flow_info(flow, &fi) == LSG_OK && fi.dport == burn_ticks) {
			uint64_t t0 = lsg_now_g();
			while (lsg_now_g() - t0 < (uint64_t)arg2 * LSG_MSEC)
				;
		}
	}
	if (is("kv")) {
		uint32_t n = 0;
		lsg_kv_get("flows", 5, &n, sizeof n);
		n++;
		rc = lsg_kv_put("flows", 5, &n, sizeof n);
		lsg_metric_set(m_kv, n);
	}
	lsg_metric_set(m_rc, rc);
	return lsg_set_verdict(flow, LSG_PASS, 1 * LSG_SEC);
}

LSG_EXPORT(on_dpi) int32_t on_dpi(int32_t flow)
{
	if (is("stale")) {
		lsg_metric_set(m_rc, lsg_set_verdict(kept_handle, LSG_DROP, 0));
		return lsg_set_verdict(flow, LSG_PASS, 0);
	}
	return 0;
}

LSG_EXPORT(on_tick) int32_t on_tick(void)
{
	lsg_metric_add(m_ticks, 1);
	if (is("tickburn")) {
		uint32_t burnt = 0;
		lsg_kv_get("burnt", 5, &burnt, sizeof burnt);
		if (!burn_ticks || burnt < burn_ticks) {
			burnt++;
			lsg_kv_put("burnt", 5, &burnt, sizeof burnt);
			volatile uint32_t spin = 0;
			for (;;)
				spin++;
		}
	}
	/* no flow belongs to a tick: any handle is stale or unknown */
	if (is("stale"))
		lsg_metric_set(m_rc, lsg_set_verdict(kept_handle, LSG_DROP, 0));
	return 0;
}
