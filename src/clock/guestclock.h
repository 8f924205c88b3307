/* guestclock.h - the guest clock G: the one provider of every time value a
 * policy guest sees (WASI clock_time_get, realtime and monotonic, and the
 * lockstep time import).
 *
 * G is always its own domain (ls_g), even with no faults. To reproduce what
 * production does to a guest's notion of "now", faults are injected from a
 * spec string such as
 *     offset=+5ms,drift=+200ppm,delay=2ms,quantum=1ms,step=+50ms@30s,zero
 *   offset=D    fixed offset added to G
 *   drift=R     rate error, in ppm or ppb (G runs (1 + R) times as fast as K)
 *   delay=D     each reading is stale by D: it returns the value G had D ago.
 *               Modelled, not slept: a queued or slow guest computes with a
 *               "now" that is already old when it uses it, and that is what
 *               makes deadlines fire early. (Sleeping would only make the read
 *               slow, with a fresh value: the failure would not appear.)
 *   quantum=D   coarse resolution: readings are floored to a multiple of D
 *   step=D@T    G jumps by D once T has elapsed since start (repeatable, 8 max)
 *   zero        monotonic G starts at zero (a runtime's private epoch)
 * and two faults of load, which only the guest's own readings show (inside
 * its calls: ls_gclock_guest_at), never the heartbeat's pings -- they are
 * what a loaded guest does with its clock, not what the clock is:
 *   jitter=D    each reading is stale by a further random amount,
 *               exponentially distributed with mean D (queueing), at most 20 D
 *   load        each reading is as stale as the guest's own queueing: it
 *               returns G as of the kernel time the event being handled was
 *               queued (its ts_k), so staleness grows with the backlog
 * Durations take a unit: ns, us, ms, s (decimals allowed: 0.5ms).
 */
#ifndef LS_CLOCK_GUESTCLOCK_H
#define LS_CLOCK_GUESTCLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "clock/domains.h"

#define LS_GCLOCK_MAX_STEPS 8

struct ls_gclock_spec {
	int64_t offset_ns;  /* added to G */
	double drift_ppm;   /* rate error of G against K */
	int64_t delay_ns;   /* staleness of each reading, >= 0 */
	int64_t quantum_ns; /* resolution, 0 = 1 ns */
	bool zero;          /* monotonic G starts at 0 at init time */
	int64_t jitter_ns;  /* guest path: mean of the extra staleness, >= 0 */
	bool load;	    /* guest path: stale since the event was queued */
	int nsteps;
	struct {
		int64_t step_ns; /* jump of G */
		int64_t at_ns;   /* K time after start when it happens */
	} steps[LS_GCLOCK_MAX_STEPS];
};

struct ls_gclock {
	struct ls_gclock_spec spec;
	ls_k start_k;    /* K at init: drift and steps count from here */
	int64_t base_ns; /* G - K before faults (0, or -start_k in zero mode) */
};

/* Parse a fault spec ("" or "none": no faults). Returns 0, or -EINVAL with
 * a message naming the bad item in err. */
int ls_gclock_parse(const char *spec, struct ls_gclock_spec *out, struct ls_err *err);

/* Canonical text of a spec (parses back to the same spec). */
void ls_gclock_format(const struct ls_gclock_spec *spec, char *buf, size_t len);

void ls_gclock_init(struct ls_gclock *gc, const struct ls_gclock_spec *spec,
		    ls_k start_k);

/* The reading a guest gets when it asks at kernel time k (faults applied). */
ls_g ls_gclock_at(const struct ls_gclock *gc, ls_k k);

/* The reading a guest gets now. */
ls_g ls_gclock_now(const struct ls_gclock *gc);

/* The extra staleness jitter=D gives a guest reading at k: exponential with
 * mean D, capped at 20 D, a deterministic function of k (a hash), so a run
 * replays and the provider stays stateless. 0 without jitter. */
int64_t ls_gclock_jitter_ns(const struct ls_gclock *gc, ls_k k);

/* The staleness of a guest's reading at k beyond `delay`: the jitter, and
 * under `load` the time since queued_k (0: nothing queued, a tick). */
int64_t ls_gclock_guest_stale_ns(const struct ls_gclock *gc, ls_k k, ls_k queued_k);

/* The reading a guest gets inside its call at kernel time k, handling
 * something queued at queued_k: ls_gclock_at(k - stale). */
ls_g ls_gclock_guest_at(const struct ls_gclock *gc, ls_k k, ls_k queued_k);

/* Ground truth for tests: the ideal continuous mapping behind the readings
 * at k (offset, drift, delay and steps; no quantisation). */
ls_g ls_gclock_truth(const struct ls_gclock *gc, ls_k k);

/* Resolution of G as clock_res_get would report it (ns, >= 1). */
int64_t ls_gclock_resolution_ns(const struct ls_gclock *gc);

/* Realtime as the guest sees it: wall time derived from K (wall_offset_ns =
 * REALTIME - BOOTTIME, from wallclock.h) with the same faults, never "zero". */
int64_t ls_gclock_realtime_ns(const struct ls_gclock *gc, ls_k k,
			      int64_t wall_offset_ns);

#endif
