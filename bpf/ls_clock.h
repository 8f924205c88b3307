/* ls_clock.h - clock K on the per-packet path, read once per scheduler tick.
 *
 * bpf_ktime_get_boot_ns() costs more than the rest of the fast path's
 * bookkeeping (a clocksource read; ~20 ns in a VM). A known flow's packet
 * only needs K for last_seen_k, the idle check and deadline / liveness
 * comparisons, so each CPU keeps the K it read at the first packet of the
 * current jiffy (bpf_jiffies64() is inlined: one load) and reuses it until
 * the jiffy changes. That value is a real reading of K, at most a tick old
 * and never ahead of the true time, so a comparison made with it can only
 * be late, never early: a deadline or a liveness timeout is never judged
 * passed before it has. Wherever lateness would show -- a deadline or a
 * timeout within LS_CLOCK_SLACK_NS of the cached value -- and for every
 * event timestamp, callers read K exactly with ls_clock_exact(). */
#ifndef LS_CLOCK_H
#define LS_CLOCK_H

#include <bpf/bpf_helpers.h>

#include "dpi_common.h"

/* more than a tick at any HZ the kernel offers (100 and up) */
#define LS_CLOCK_SLACK_NS (20ull * 1000000ull)

/* K at most a tick old (see above) */
static __always_inline __u64 ls_clock(struct ls_scratch *s)
{
	__u64 j = bpf_jiffies64();
	if (s->clk_jiffies != j) {
		s->clk_k = bpf_ktime_get_boot_ns();
		s->clk_jiffies = j;
	}
	return s->clk_k;
}

/* K now; refreshes the cached value so that ls_clock() never goes back */
static __always_inline __u64 ls_clock_exact(struct ls_scratch *s)
{
	__u64 k = bpf_ktime_get_boot_ns();
	s->clk_k = k;
	s->clk_jiffies = bpf_jiffies64();
	return k;
}

/* 1 if t is within the slack after the cached time: a comparison of the
 * cached time with t could be late by enough to matter */
static __always_inline int ls_clock_near(__u64 coarse, __u64 t)
{
	return t >= coarse && t - coarse <= LS_CLOCK_SLACK_NS;
}

#endif
