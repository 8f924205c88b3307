/* clock_link.c - clock options and heartbeat start-up of `lockstep run`
 * (clock_link.h). */
#include "agent/clock_link.h"

#include <stdio.h>
#include <string.h>

void clock_link_opts_init(struct clock_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	ls_clock_opts_default(&o->clock);
}

int clock_link_open(struct ls_sync *s, const struct clock_link_opts *o, struct ls_dp *dp)
{
	struct ls_err err;
	/* armed by clock_link_start, once the loop runs (clock_link.h) */
	struct ls_sync_maps maps = {.pin_dir = ls_dp_pin_dir(dp), .events_elsewhere = true,
				    .start_later = true};
	if (ls_sync_open(s, &o->clock, &maps, &err)) {
		fprintf(stderr, "lockstep run: heartbeat: %s\n", err.msg);
		return -1;
	}
	fprintf(stderr, "lockstep: heartbeat every %.3f ms, fail-safe after %d intervals (%s)%s\n",
		(double)o->clock.beat_interval_ns / 1e6, o->clock.detect_multiplier,
		o->clock.failsafe_mode == LS_FAILSAFE_DROP ? "drop" : "pass",
		o->clock.no_clock_sync ? "; --no-clock-sync: guest deadlines used as kernel times" : "");
	return 0;
}

int clock_link_start(struct ls_sync *s)
{
	struct ls_err err;
	if (ls_sync_start(s, &err)) {
		fprintf(stderr, "lockstep run: heartbeat: %s\n", err.msg);
		return -1;
	}
	return 0;
}
