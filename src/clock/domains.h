/* domains.h - the two clock domains of lockstep as distinct C types.
 *
 * K is the kernel clock (CLOCK_BOOTTIME ns, what bpf_ktime_get_boot_ns()
 * returns); G is the guest's clock (what a policy module reads). They are
 * wrapped in different single-field structs so that the compiler refuses
 * `now_g < deadline_k` or passing a K time where a G time is expected: the
 * only way across is the estimator's mapping (estimator.h). Durations are
 * plain int64_t nanoseconds and belong to neither domain.
 */
#ifndef LS_CLOCK_DOMAINS_H
#define LS_CLOCK_DOMAINS_H

#include <stdint.h>
#include <time.h>

#include "base/time.h"

typedef struct {
	int64_t ns; /* CLOCK_BOOTTIME nanoseconds */
} ls_k;

typedef struct {
	int64_t ns; /* guest clock nanoseconds (its own epoch) */
} ls_g;

#define LS_NS_PER_S 1000000000ll
#define LS_NS_PER_MS 1000000ll
#define LS_NS_PER_US 1000ll

static inline ls_k ls_k_ns(int64_t ns) { return (ls_k){ns}; }
static inline ls_g ls_g_ns(int64_t ns) { return (ls_g){ns}; }

/* Now in K, as user space reads it (the same timekeeper as the BPF helper). */
static inline ls_k ls_k_now(void)
{
	return (ls_k){(int64_t)ls_now_k()};
}

/* Arithmetic inside one domain only. */
static inline ls_k ls_k_add(ls_k t, int64_t d_ns) { return (ls_k){t.ns + d_ns}; }
static inline ls_g ls_g_add(ls_g t, int64_t d_ns) { return (ls_g){t.ns + d_ns}; }
static inline int64_t ls_k_sub(ls_k a, ls_k b) { return a.ns - b.ns; }
static inline int64_t ls_g_sub(ls_g a, ls_g b) { return a.ns - b.ns; }

#endif
