/* options.h - the clock options of `lockstep run` (and the config file):
 *   --guest-clock SPEC        faults of the guest clock G (guestclock.h)
 *   --beat-interval DUR       kernel beat period (default 100ms)
 *   --detect-multiplier N     fail-safe after N intervals without a good
 *                             beat (default 3)
 *   --fail-safe pass|drop     what new flows get in fail-safe (default pass)
 *   --no-clock-sync           use the guest's clock for deadlines as is (the
 *                             naive integration; kept to reproduce the
 *                             failure and compare)
 *   --beat-check-interval DUR the interval user space checks beats against
 *                             (default: --beat-interval; set it differently
 *                             to exercise the mismatch alarm)
 * Parsed here so every command spells them the same way.
 */
#ifndef LS_CLOCK_OPTIONS_H
#define LS_CLOCK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock/guestclock.h"

struct ls_clock_opts {
	struct ls_gclock_spec guest; /* --guest-clock */
	int64_t beat_interval_ns;    /* --beat-interval */
	int detect_multiplier;       /* --detect-multiplier */
	uint32_t failsafe_mode;      /* --fail-safe: enum ls_failsafe_mode */
	bool no_clock_sync;          /* --no-clock-sync */
	int64_t check_interval_ns;   /* --beat-check-interval, 0: the beat's */
};

void ls_clock_opts_default(struct ls_clock_opts *o);

/* Offer one option (name with its dashes, value or NULL for a flag).
 * Returns 1 if consumed, 0 if not a clock option, -EINVAL on a bad value
 * (message in err). */
int ls_clock_opt(struct ls_clock_opts *o, const char *name, const char *value, struct ls_err *err);

/* Does this clock option take a value? (-1: not a clock option) */
int ls_clock_opt_takes_value(const char *name);

/* Their help text is with their rows in the command-line layer
 * (src/cli/clock_opts.c), shared by `lockstep run` and `lockstep clock`. */

#endif
