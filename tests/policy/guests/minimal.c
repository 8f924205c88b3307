/* minimal.c - the smallest useful policy, for bench/policy_bench.c: every
 * new flow passes for 10 s; a flow's end is heard and ignored (so that
 * every event of the benchmark is a call into the guest). Measures the
 * pipeline, not the policy. */
#include <lockstep/guest.h>

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	return lsg_set_verdict(flow, LSG_PASS, 10 * LSG_SEC);
}

LSG_EXPORT(on_flow_end) int32_t on_flow_end(int32_t flow)
{
	(void)flow;
	return 0;
}
