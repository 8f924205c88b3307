/* time.h - reading the host's clocks, once for every part.
 *
 * K is CLOCK_BOOTTIME in nanoseconds: what bpf_ktime_get_boot_ns() returns in
 * the kernel, so user-space and kernel timestamps compare directly
 * (docs/clock.md). Typed clock-domain wrappers live in clock/domains.h; this
 * is the raw read underneath them and underneath every default time source
 * that tests replace. */
#ifndef LS_BASE_TIME_H
#define LS_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_BOOTTIME now, ns: clock K. */
uint64_t ls_now_k(void);

/* Any clock (CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID, ...) in ns since its
 * epoch, or -1 if the kernel refuses the id. */
int64_t ls_clock_ns(clockid_t id);

/* Wall time (REALTIME, ns since the Unix epoch) of kernel time k, by the
 * REALTIME - BOOTTIME offset read now: what the log lines and the stdout
 * events carry beside their K time (the agent's log may use the
 * heartbeat's bracketed offset instead: clock/wallclock.h). */
int64_t ls_wall_of_k(uint64_t k);

/* RFC 3339 UTC with microseconds, "2026-11-25T05:01:02.123456Z", the one
 * spelling of wall time in every lockstep output; buf holds 28 bytes. */
#define LS_RFC3339_LEN 32
char *ls_fmt_rfc3339(char *buf, size_t len, int64_t wall_ns);

#endif
