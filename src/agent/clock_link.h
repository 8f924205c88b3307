/* clock_link.h - the heartbeat and the clock mapping inside `lockstep run`
 * (docs/clock.md): on with --heartbeat or any clock option. The heartbeat
 * adopts the data plane's pinned maps, its beat and fail-safe events come
 * through the data plane's ring buffer, and the policy reads G and converts
 * deadlines through the live mapping. */
#ifndef LS_AGENT_CLOCK_LINK_H
#define LS_AGENT_CLOCK_LINK_H

#include <stdbool.h>
#include <stdio.h>

#include "clock/options.h"
#include "clock/sync.h"
#include "dataplane/dataplane.h"

struct clock_link_opts {
	bool on;
	struct ls_clock_opts clock;
};

/* The options themselves (their rows: cli/clock_opts.c) are read by
 * ls_clock_opt() into .clock; any of them turns .on. */
void clock_link_opts_init(struct clock_link_opts *o);

/* Starts G and loads the heartbeat on the data plane's pins. 0 or -1
 * (stderr). The beat is not armed yet: */
int clock_link_open(struct ls_sync *s, const struct clock_link_opts *o, struct ls_dp *dp);
/* Arms it, when the agent's loop is about to run. Arming is a sign of life
 * the watchdog counts from (detect_multiplier beats to the first good one):
 * armed before the policy is loaded, a start slower than that (a big
 * module, a guest's init, a loaded machine) entered fail-safe before the
 * agent could beat once. */
int clock_link_start(struct ls_sync *s);

#endif
