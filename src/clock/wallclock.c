/* wallclock.c - bracketed REALTIME/BOOTTIME sampling and REALTIME step
 * detection (see wallclock.h). */
#include "clock/wallclock.h"

#include <stdlib.h>

#include "base/time.h"

/* NTP and chrony slew at most 500 ppm; anything faster is a step. */
#define LS_WALL_MAX_SLEW 500e-6
#define LS_WALL_STEP_FLOOR_NS 20000

int64_t ls_clock_read_ns(clockid_t id, void *arg)
{
	(void)arg;
	return ls_clock_ns(id);
}

void ls_wall_init(struct ls_wallclock *wc, ls_clock_read_fn read, void *arg)
{
	*wc = (struct ls_wallclock){0};
	wc->read = read ? read : ls_clock_read_ns;
	wc->read_arg = arg;
	wc->tries = 5;
}

int ls_wall_refresh(struct ls_wallclock *wc, int64_t *step_ns)
{
	int64_t best_w = INT64_MAX, best_off = 0, best_b = 0;
	for (int i = 0; i < wc->tries; i++) {
		int64_t r1 = wc->read(CLOCK_REALTIME, wc->read_arg);
		int64_t b = wc->read(CLOCK_BOOTTIME, wc->read_arg);
		int64_t r2 = wc->read(CLOCK_REALTIME, wc->read_arg);
		if (r1 < 0 || b < 0 || r2 < 0)
			return -1;
		int64_t w = r2 - r1;
		/* a step between r1 and r2 gives a bogus (maybe negative)
		 * width: such a try is worthless, take another */
		if (w < 0)
			continue;
		if (w < best_w) {
			best_w = w;
			best_off = r1 + w / 2 - b;
			best_b = b;
		}
	}
	if (best_w == INT64_MAX)
		return -1;
	int stepped = 0;
	if (wc->valid) {
		int64_t d = best_off - wc->offset_ns;
		double elapsed = (double)(best_b - wc->at_k.ns);
		double allow = (double)(best_w + wc->width_ns) +
			       LS_WALL_MAX_SLEW * (elapsed > 0 ? elapsed : 0) +
			       LS_WALL_STEP_FLOOR_NS;
		if ((double)llabs(d) > allow) {
			stepped = 1;
			wc->steps++;
			wc->last_step_ns = d;
			if (step_ns)
				*step_ns = d;
		}
	}
	wc->valid = true;
	wc->offset_ns = best_off;
	wc->width_ns = best_w;
	wc->at_k = ls_k_ns(best_b);
	wc->refreshes++;
	return stepped;
}

int64_t ls_wall_from_k(const struct ls_wallclock *wc, ls_k k)
{
	return k.ns + wc->offset_ns;
}

void ls_wall_pub_init(struct ls_wall_pub *pub)
{
	atomic_store_explicit(&pub->offset_ns, LS_WALL_PUB_NONE, memory_order_relaxed);
}

void ls_wall_publish(struct ls_wall_pub *pub, const struct ls_wallclock *wc)
{
	atomic_store_explicit(&pub->offset_ns, wc->valid ? wc->offset_ns : LS_WALL_PUB_NONE,
			      memory_order_release);
}

bool ls_wall_pub_offset(const struct ls_wall_pub *pub, int64_t *off)
{
	int64_t v = atomic_load_explicit(&pub->offset_ns, memory_order_acquire);
	if (v == LS_WALL_PUB_NONE)
		return false;
	*off = v;
	return true;
}
