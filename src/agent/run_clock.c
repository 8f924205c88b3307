/* run_clock.c - clock options and heartbeat start-up of `lockstep run`
 * (run_clock.h). */
#include "agent/run_clock.h"

#include <stdio.h>
#include <string.h>

void run_clock_opts_init(struct run_clock_opts *o)
{
	memset(o, 0, sizeof(*o));
	ls_clock_opts_default(&o->clock);
}

int run_clock_parse(struct run_clock_opts *o, int c, const char *arg)
{
	static const char *const names[] = {
		[RUN_CLOCK_OPT_GUEST_CLOCK - RUN_CLOCK_OPT_HEARTBEAT] = "--guest-clock",
		[RUN_CLOCK_OPT_BEAT_INTERVAL - RUN_CLOCK_OPT_HEARTBEAT] = "--beat-interval",
		[RUN_CLOCK_OPT_DETECT_MULT - RUN_CLOCK_OPT_HEARTBEAT] = "--detect-multiplier",
		[RUN_CLOCK_OPT_FAIL_SAFE - RUN_CLOCK_OPT_HEARTBEAT] = "--fail-safe",
		[RUN_CLOCK_OPT_NO_SYNC - RUN_CLOCK_OPT_HEARTBEAT] = "--no-clock-sync",
		[RUN_CLOCK_OPT_CHECK_INTERVAL - RUN_CLOCK_OPT_HEARTBEAT] = "--beat-check-interval",
	};
	char err[512];
	o->on = true;
	if (c == RUN_CLOCK_OPT_HEARTBEAT)
		return 0;
	const char *name = names[c - RUN_CLOCK_OPT_HEARTBEAT];
	if (ls_clock_opt(&o->clock, name, c == RUN_CLOCK_OPT_NO_SYNC ? NULL : arg, err,
			 sizeof(err)) <= 0) {
		fprintf(stderr, "lockstep run: %s\n", err);
		return 2;
	}
	return 0;
}

void run_clock_usage(FILE *f)
{
	fprintf(f, "\nclock (docs/clock.md); the heartbeat runs with --heartbeat or any of these:\n"
		   "      --heartbeat             run the heartbeat, clock mapping and fail-safe\n%s",
		ls_clock_opts_help);
}

int run_clock_open(struct ls_sync *s, const struct run_clock_opts *o, struct ls_dp *dp)
{
	char err[1024];
	/* armed by run_clock_start, once the loop runs (run_clock.h) */
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

int run_clock_start(struct ls_sync *s)
{
	char err[1024];
	if (ls_sync_start(s, err, sizeof(err))) {
		fprintf(stderr, "lockstep run: heartbeat: %s\n", err);
		return -1;
	}
	return 0;
}
