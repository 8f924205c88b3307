/* clock_opts.c - the clock options shared by `lockstep run` and `lockstep
 * clock` (docs/clock.md), as option rows (opts.h). Their values are parsed
 * by ls_clock_opt() (clock/options.h) under the same names. */
#include "cli/opts.h"

static const struct ls_opt rows[] = {
    LS_OPT("guest-clock", 0, "SPEC", LS_OPT_CLOCK,
	   "guest clock faults, e.g. 'offset=+5ms,drift=+200ppm,\n"
	   "delay=2ms,quantum=1ms,step=+50ms@30s' (default none)"),
    LS_OPT("beat-interval", 0, "DUR", LS_OPT_CLOCK, "heartbeat period, e.g. 100ms (default 100ms)"),
    LS_OPT("detect-multiplier", 0, "N", LS_OPT_CLOCK,
	   "fail-safe after N beat intervals of silence (default 3)"),
    LS_OPT("fail-safe", 0, "pass|drop", LS_OPT_CLOCK,
	   "verdict for new flows while in fail-safe (default pass)"),
    LS_OPT("no-clock-sync", 0, NULL, LS_OPT_CLOCK,
	   "use guest deadlines as kernel times (naive; for comparison)"),
    LS_OPT("beat-check-interval", 0, "DUR", LS_OPT_CLOCK,
	   "interval user space expects (default: --beat-interval;\n"
	   "differ to exercise the beat interval mismatch alarm)"),
};

const struct ls_opt_list ls_clock_opt_rows = LS_OPT_LIST(rows);
