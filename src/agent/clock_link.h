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

enum {
	CLOCK_LINK_OPT_HEARTBEAT = 0x4c00,
	CLOCK_LINK_OPT_GUEST_CLOCK,
	CLOCK_LINK_OPT_BEAT_INTERVAL,
	CLOCK_LINK_OPT_DETECT_MULT,
	CLOCK_LINK_OPT_FAIL_SAFE,
	CLOCK_LINK_OPT_NO_SYNC,
	CLOCK_LINK_OPT_CHECK_INTERVAL,
};

#define CLOCK_LINK_LONG_OPTIONS                                                        \
	{"heartbeat", no_argument, NULL, CLOCK_LINK_OPT_HEARTBEAT},                    \
	{"guest-clock", required_argument, NULL, CLOCK_LINK_OPT_GUEST_CLOCK},          \
	{"beat-interval", required_argument, NULL, CLOCK_LINK_OPT_BEAT_INTERVAL},      \
	{"detect-multiplier", required_argument, NULL, CLOCK_LINK_OPT_DETECT_MULT},    \
	{"fail-safe", required_argument, NULL, CLOCK_LINK_OPT_FAIL_SAFE},              \
	{"no-clock-sync", no_argument, NULL, CLOCK_LINK_OPT_NO_SYNC},                  \
	{"beat-check-interval", required_argument, NULL, CLOCK_LINK_OPT_CHECK_INTERVAL}

struct clock_link_opts {
	bool on;
	struct ls_clock_opts clock;
};

void clock_link_opts_init(struct clock_link_opts *o);
/* One option (c is a CLOCK_LINK_OPT_*): 0, or 2 with a message on stderr. */
int clock_link_parse(struct clock_link_opts *o, int c, const char *arg);
void clock_link_usage(FILE *f);

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
