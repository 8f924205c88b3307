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

#include <stdatomic.h>
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
	int tries; /* bracketed samples per refresh (default 5) */
	bool valid;
	int64_t offset_ns; /* REALTIME - BOOTTIME */
	int64_t width_ns;  /* bracket width of the kept sample */
	ls_k at_k;	   /* when it was taken */
	uint64_t refreshes;
	uint64_t steps;	      /* REALTIME steps detected */
	int64_t last_step_ns; /* size of the last one */
};

void ls_wall_init(struct ls_wallclock *wc, ls_clock_read_fn read, void *arg);

/* Take a new sample. Returns 1 if REALTIME stepped since the previous one
 * (*step_ns = size), 0 otherwise, -1 if the clocks could not be read. */
int ls_wall_refresh(struct ls_wallclock *wc, int64_t *step_ns);

/* Wall time (ns since the Unix epoch) of kernel time k. */
int64_t ls_wall_from_k(const struct ls_wallclock *wc, ls_k k);

/* The offset published to other threads (the policy workers' WASI
 * realtime: docs/workers.md): one writer (the heartbeat, after each
 * refresh), any number of readers. What a reader needs is one word -- the
 * offset, with LS_WALL_PUB_NONE for "not valid yet" (REALTIME - BOOTTIME is
 * never that: both clocks are >= 0) -- so a release store and an acquire
 * load are the whole protocol: a word cannot be torn, and no seqlock is
 * needed (unlike the clock mapping's six words: mapping_pub.h). */
#define LS_WALL_PUB_NONE INT64_MIN
struct ls_wall_pub {
	_Atomic int64_t offset_ns; /* LS_WALL_PUB_NONE: not valid */
};
void ls_wall_pub_init(struct ls_wall_pub *pub);
/* Writer: publish wc's offset (or "not valid"). */
void ls_wall_publish(struct ls_wall_pub *pub, const struct ls_wallclock *wc);
/* Reader (any thread): true and *off when a valid offset was published. */
bool ls_wall_pub_offset(const struct ls_wall_pub *pub, int64_t *off);

/* The default reader: clock_gettime(id). */
int64_t ls_clock_read_ns(clockid_t id, void *arg);

#endif
