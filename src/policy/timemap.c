/* timemap.c - the policy's two G <-> K conversions (timemap.h), in terms of
 * the clock part's mapping, and the agent's guest clock as the pipeline's
 * clock; the only place in src/policy/ that knows the clock part. */
#include "policy/timemap.h"

#include "clock/estimator.h"
#include "clock/mapping_pub.h"
#include "clock/sync.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

uint64_t ls_policy_to_kernel(const struct ls_mapping *m, uint64_t deadline_g)
{
	if (deadline_g >= (uint64_t)INT64_MAX)
		return 0; /* past the end of G: forever, never a wrap */
	ls_k k = ls_deadline_to_kernel(m, ls_g_ns((int64_t)deadline_g));
	return k.ns > 0 ? (uint64_t)k.ns : 1; /* 0 would mean "no deadline" */
}

uint64_t ls_policy_ttl_to_kernel(const struct ls_mapping *m, uint64_t now_g, uint64_t now_k,
				 int64_t ttl_ns)
{
	if (ttl_ns <= 0)
		return 0;
	if (m->identity) {
		if ((uint64_t)ttl_ns >= (uint64_t)INT64_MAX - now_g)
			return 0;
		return now_g + (uint64_t)ttl_ns;
	}
	ls_k k = ls_ttl_to_kernel(m, ls_k_ns((int64_t)now_k), ttl_ns);
	return k.ns == INT64_MAX ? 0 : (uint64_t)k.ns;
}

uint64_t ls_policy_to_guest(const struct ls_mapping *m, uint64_t t_k)
{
	ls_g g = ls_to_guest(m, ls_k_ns((int64_t)t_k));
	return g.ns > 0 ? (uint64_t)g.ns : 0;
}

const struct ls_mapping *ls_policy_tmap(struct ls_policy *p)
{
	/* per thread: a policy runs on one thread at a time, and its copy
	 * lives until that thread's next conversion */
	static _Thread_local struct ls_mapping snap;
	if (!p->tpub)
		return p->tmap;
	snap = ls_mapping_read(p->tpub);
	return &snap;
}

const struct ls_mapping *ls_policy_identity_mapping(void)
{
	static struct ls_mapping id;
	static int done;
	if (!done) {
		id = ls_mapping_identity();
		done = 1;
	}
	return &id;
}

struct ls_policy_clock ls_policy_clock_of_guest(struct ls_sync_guest *g)
{
	return (struct ls_policy_clock){.ctx = g,
					.now_g = ls_sync_guest_now_g_u64,
					.now_k = ls_sync_now_k_u64,
					.wasi = ls_sync_guest_wasi_clock,
					.queued = ls_sync_guest_queued,
					.resolution_ns = ls_sync_resolution_ns(g->s)};
}

struct ls_policy_clock ls_policy_clock_of_sync(struct ls_sync *s)
{
	return (struct ls_policy_clock){.ctx = s,
					.now_g = ls_sync_now_g_u64,
					.now_k = ls_sync_now_k_u64,
					.wasi = ls_sync_wasi_clock,
					.queued = ls_sync_queued,
					.resolution_ns = ls_sync_resolution_ns(s)};
}
