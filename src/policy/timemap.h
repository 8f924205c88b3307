/* timemap.h - where the policy pipeline crosses between the guest clock G
 * and the kernel clock K (DESIGN.md, "Clocks"). Every time value that
 * crosses goes through one of these two: event stamps handed to guests
 * (ls_policy_to_guest) and verdict deadlines written to the data plane
 * (ls_policy_to_kernel). Both delegate to the clock part's mapping
 * (clock/estimator.h): the identity until the agent plugs in the heartbeat
 * estimator with ls_policy_set_mapping(); then deadlines carry its
 * uncertainty as a margin so that they never fire early.
 */
#ifndef LS_POLICY_TIMEMAP_H
#define LS_POLICY_TIMEMAP_H

#include <stdint.h>

struct ls_mapping;

/* A guest deadline (G) as the kernel time (K) to enforce it at. */
uint64_t ls_policy_to_kernel(const struct ls_mapping *m, uint64_t deadline_g);
/* The kernel deadline of a guest TTL (a duration in G) given at a call
 * where the guest read now_g and the host read now_k: through the rate
 * alone (ls_ttl_to_kernel), so a step of G or a mapping one beat old
 * cannot make it early. Under the naive identity mapping it is what a
 * naive integration computes, now_g + ttl read as K (the failure
 * --no-clock-sync reproduces). 0 ("no deadline", forever) when ttl is 0
 * or the deadline lies past the end of K: INT64_MAX never wraps into
 * "expired now". */
uint64_t ls_policy_ttl_to_kernel(const struct ls_mapping *m, uint64_t now_g, uint64_t now_k,
				 int64_t ttl_ns);
/* A kernel time (K) as the guest sees it (G). */
uint64_t ls_policy_to_guest(const struct ls_mapping *m, uint64_t t_k);
/* The mapping a policy converts with now: the one set, or one consistent
 * copy of the one published by another thread (ls_policy_set_mapping_pub).
 * Valid until the next call. */
struct ls_policy;
const struct ls_mapping *ls_policy_tmap(struct ls_policy *p);
/* The identity mapping, used until a real one is plugged in. */
const struct ls_mapping *ls_policy_identity_mapping(void);

#endif
