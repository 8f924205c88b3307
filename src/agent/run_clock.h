/* run_clock.h - the heartbeat and the clock mapping inside `lockstep run`
 * (docs/clock.md): on with --heartbeat or any clock option. The heartbeat
 * adopts the data plane's pinned maps, its beat and fail-safe events come
 * through the data plane's ring buffer, and the policy reads G and converts
 * deadlines through the live mapping. */
#ifndef LS_CLI_RUN_CLOCK_H
#define LS_CLI_RUN_CLOCK_H

#include <stdbool.h>
#include <stdio.h>

#include "clock/options.h"
#include "clock/sync.h"
#include "dataplane/dataplane.h"

enum {
	RUN_CLOCK_OPT_HEARTBEAT = 0x4c00,
	RUN_CLOCK_OPT_GUEST_CLOCK,
	RUN_CLOCK_OPT_BEAT_INTERVAL,
	RUN_CLOCK_OPT_DETECT_MULT,
	RUN_CLOCK_OPT_FAIL_SAFE,
	RUN_CLOCK_OPT_NO_SYNC,
	RUN_CLOCK_OPT_CHECK_INTERVAL,
};

#define RUN_CLOCK_LONG_OPTIONS                                                        \
	{"heartbeat", no_argument, NULL, RUN_CLOCK_OPT_HEARTBEAT},                    \
	{"guest-clock", required_argument, NULL, RUN_CLOCK_OPT_GUEST_CLOCK},          \
	{"beat-interval", required_argument, NULL, RUN_CLOCK_OPT_BEAT_INTERVAL},      \
	{"detect-multiplier", required_argument, NULL, RUN_CLOCK_OPT_DETECT_MULT},    \
	{"fail-safe", required_argument, NULL, RUN_CLOCK_OPT_FAIL_SAFE},              \
	{"no-clock-sync", no_argument, NULL, RUN_CLOCK_OPT_NO_SYNC},                  \
	{"beat-check-interval", required_argument, NULL, RUN_CLOCK_OPT_CHECK_INTERVAL}

struct run_clock_opts {
	bool on;
	struct ls_clock_opts clock;
};

void run_clock_opts_init(struct run_clock_opts *o);
/* One option (c is a RUN_CLOCK_OPT_*): 0, or 2 with a message on stderr. */
int run_clock_parse(struct run_clock_opts *o, int c, const char *arg);
void run_clock_usage(FILE *f);

/* Starts G and loads the heartbeat on the data plane's pins. 0 or -1
 * (stderr). The beat is not armed yet: */
int run_clock_open(struct ls_sync *s, const struct run_clock_opts *o, struct ls_dp *dp);
/* Arms it, when the agent's loop is about to run. Arming is a sign of life
 * the watchdog counts from (detect_multiplier beats to the first good one):
 * armed before the policy is loaded, a start slower than that (a big
 * module, a guest's init, a loaded machine) entered fail-safe before the
 * agent could beat once. */
int run_clock_start(struct ls_sync *s);

#endif
