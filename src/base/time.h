/* time.h - reading the host's clocks, once for every part.
 *
 * K is CLOCK_BOOTTIME in nanoseconds: what bpf_ktime_get_boot_ns() returns in
 * the kernel, so user-space and kernel timestamps compare directly
 * (docs/clock.md). Typed clock-domain wrappers live in clock/domains.h; this
 * is the raw read underneath them and underneath every default time source
 * that tests replace. */
#ifndef LS_BASE_TIME_H
#define LS_BASE_TIME_H

#include <stdint.h>
#include <time.h>

/* CLOCK_BOOTTIME now, ns: clock K. */
uint64_t ls_now_k(void);

/* Any clock (CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID, ...) in ns since its
 * epoch, or -1 if the kernel refuses the id. */
int64_t ls_clock_ns(clockid_t id);

#endif
