/* minimal.c - the smallest useful policy, for bench/policy_bench.c: every
 * new flow passes for 10 s. Measures the pipeline, not the policy. */
#include <lockstep/guest.h>

LSG_EXPORT(on_flow_new) int32_t on_flow_new(int32_t flow)
{
	return lsg_set_verdict(flow, LSG_PASS, 10 * LSG_SEC);
}
