/* wallclock.h - wall-clock time (logs, exported traces) derived from K.
 *
 * REALTIME - BOOTTIME is measured by bracketing: read REALTIME, BOOTTIME,
 * REALTIME again; the midpoint of the two REALTIME reads is paired with the
 * BOOTTIME read, and the bracket width bounds the error. The tightest of a
 * few tries is kept. Refreshed every beat, never taken once: REALTIME is
 * slewed and stepped by NTP/chrony/an operator, K is not. A change of the
 * offset beyond what slewing (500 ppm) and the brackets explain is reported
 * as a REALTIME step.
 */
#ifndef LS_CLOCK_WALLCLOCK_H
#define LS_CLOCK_WALLCLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock/domains.h"

/* Reads a clock in ns; the default is clock_gettime. Tests substitute one
 * that steps REALTIME, which cannot be stepped on a shared machine. */
typedef int64_t (*ls_clock_read_fn)(clockid_t id, void *arg);

struct ls_wallclock {
	ls_clock_read_fn read;
	void *read_arg;
	int tries;            /* bracketed samples per refresh (default 5) */
	bool valid;
	int64_t offset_ns;    /* REALTIME - BOOTTIME */
	int64_t width_ns;     /* bracket width of the kept sample */
	ls_k at_k;            /* when it was taken */
	uint64_t refreshes;
	uint64_t steps;       /* REALTIME steps detected */
	int64_t last_step_ns; /* size of the last one */
};

void ls_wall_init(struct ls_wallclock *wc, ls_clock_read_fn read, void *arg);

/* Take a new sample. Returns 1 if REALTIME stepped since the previous one
 * (*step_ns = size), 0 otherwise, -1 if the clocks could not be read. */
int ls_wall_refresh(struct ls_wallclock *wc, int64_t *step_ns);

/* Wall time (ns since the Unix epoch) of kernel time k. */
int64_t ls_wall_from_k(const struct ls_wallclock *wc, ls_k k);

/* The default reader: clock_gettime(id). */
int64_t ls_clock_read_ns(clockid_t id, void *arg);

#endif
