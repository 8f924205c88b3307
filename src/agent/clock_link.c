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

int clock_link_parse(struct clock_link_opts *o, int c, const char *arg)
{
	static const char *const names[] = {
		[CLOCK_LINK_OPT_GUEST_CLOCK - CLOCK_LINK_OPT_HEARTBEAT] = "--guest-clock",
		[CLOCK_LINK_OPT_BEAT_INTERVAL - CLOCK_LINK_OPT_HEARTBEAT] = "--beat-interval",
		[CLOCK_LINK_OPT_DETECT_MULT - CLOCK_LINK_OPT_HEARTBEAT] = "--detect-multiplier",
		[CLOCK_LINK_OPT_FAIL_SAFE - CLOCK_LINK_OPT_HEARTBEAT] = "--fail-safe",
		[CLOCK_LINK_OPT_NO_SYNC - CLOCK_LINK_OPT_HEARTBEAT] = "--no-clock-sync",
		[CLOCK_LINK_OPT_CHECK_INTERVAL - CLOCK_LINK_OPT_HEARTBEAT] = "--beat-check-interval",
	};
	char err[512];
	o->on = true;
	if (c == CLOCK_LINK_OPT_HEARTBEAT)
		return 0;
	const char *name = names[c - CLOCK_LINK_OPT_HEARTBEAT];
	if (ls_clock_opt(&o->clock, name, c == CLOCK_LINK_OPT_NO_SYNC ? NULL : arg, err,
			 sizeof(err)) <= 0) {
		fprintf(stderr, "lockstep run: %s\n", err);
		return 2;
	}
	return 0;
}

void clock_link_usage(FILE *f)
{
	fprintf(f, "\nclock (docs/clock.md); the heartbeat runs with --heartbeat or any of these:\n"
		   "      --heartbeat             run the heartbeat, clock mapping and fail-safe\n%s",
		ls_clock_opts_help);
}

int clock_link_open(struct ls_sync *s, const struct clock_link_opts *o, struct ls_dp *dp)
{
	char err[1024];
	/* armed by clock_link_start, once the loop runs (clock_link.h) */
	struct ls_sync_maps maps = {.pin_dir = ls_dp_pin_dir(dp), .events_elsewhere = true,
				    .start_later = true};
	if (ls_sync_open(s, &o->clock, &maps, err, sizeof(err))) {
		fprintf(stderr, "lockstep run: heartbeat: %s\n", err);
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
	char err[1024];
	if (ls_sync_start(s, err, sizeof(err))) {
		fprintf(stderr, "lockstep run: heartbeat: %s\n", err);
		return -1;
	}
	return 0;
}
