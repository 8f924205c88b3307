/* options.c - parsing of the clock options (see options.h). */
#include "clock/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/args.h"
#include "clock/heartbeat.h"
#include "lockstep/wire.h"

void ls_clock_opts_default(struct ls_clock_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->beat_interval_ns = LS_HB_INTERVAL_DEFAULT_NS;
	o->detect_multiplier = LS_HB_DETECT_MULT_DEFAULT;
	o->failsafe_mode = LS_FAILSAFE_PASS;
}

int ls_clock_opt_takes_value(const char *name)
{
	if (!strcmp(name, "--no-clock-sync"))
		return 0;
	if (!strcmp(name, "--guest-clock") || !strcmp(name, "--beat-interval") ||
	    !strcmp(name, "--detect-multiplier") || !strcmp(name, "--fail-safe") ||
	    !strcmp(name, "--beat-check-interval"))
		return 1;
	return -1;
}

int ls_clock_opt(struct ls_clock_opts *o, const char *name, const char *value, struct ls_err *err)
{
	int tv = ls_clock_opt_takes_value(name);
	if (tv < 0)
		return 0;
	if (tv && !value)
		return ls_errf(err, -EINVAL, "%s needs a value", name);
	if (!strcmp(name, "--no-clock-sync")) {
		o->no_clock_sync = true;
	} else if (!strcmp(name, "--guest-clock")) {
		int rc = ls_gclock_parse(value, &o->guest, err);
		if (rc)
			return rc;
	} else if (!strcmp(name, "--beat-interval") || !strcmp(name, "--beat-check-interval")) {
		uint64_t ns;
		if (ls_parse_duration_ns(value, &ns) || ns < (uint64_t)LS_NS_PER_MS ||
		    ns > (uint64_t)(60 * LS_NS_PER_S))
			return ls_errf(err, -EINVAL,
				       "%s '%s': give a duration from 1ms to 60s, e.g. 100ms", name,
				       value);
		if (!strcmp(name, "--beat-interval"))
			o->beat_interval_ns = ns;
		else
			o->check_interval_ns = ns;
	} else if (!strcmp(name, "--detect-multiplier")) {
		uint64_t n;
		if (ls_parse_uint(value, 1, 1000, &n))
			return ls_errf(
			    err, -EINVAL,
			    "--detect-multiplier '%s': give a whole number from 1 to 1000", value);
		o->detect_multiplier = (int)n;
	} else if (!strcmp(name, "--fail-safe")) {
		if (!strcmp(value, "pass")) {
			o->failsafe_mode = LS_FAILSAFE_PASS;
		} else if (!strcmp(value, "drop")) {
			o->failsafe_mode = LS_FAILSAFE_DROP;
		} else {
			return ls_errf(err, -EINVAL, "--fail-safe '%s': give pass or drop", value);
		}
	}
	return 1;
}
