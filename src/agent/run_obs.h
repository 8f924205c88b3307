/* run_obs.h - observability of `lockstep run` (docs/observability.md): its
 * command-line options, the metrics endpoint in the event loop, and the
 * translation of what the data plane, the policy and the heartbeat report
 * into obs/agent.h observations. The control-socket requests "obs.status",
 * "trace.level K[,G] [PORT]" and "trace.dump [PATH]" are answered here
 * (run_control.h routes them). */
#ifndef LS_CLI_RUN_OBS_H
#define LS_CLI_RUN_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/time.h"
#include "dataplane/dataplane.h"
#include "obs/hub.h"

/* getopt codes of the observability options (long options only). */
enum {
	RUN_OBS_OPT_METRICS = 0x4f00,
	RUN_OBS_OPT_LOG,
	RUN_OBS_OPT_LOG_LEVEL,
	RUN_OBS_OPT_TRACE,
	RUN_OBS_OPT_TRACE_WINDOW,
	RUN_OBS_OPT_TRACE_LEVEL,
	RUN_OBS_OPT_TRACE_PORT,
	RUN_OBS_OPT_ALARM,
};

#define RUN_OBS_LONG_OPTIONS                                                     \
	{"metrics", required_argument, NULL, RUN_OBS_OPT_METRICS},               \
	{"log", required_argument, NULL, RUN_OBS_OPT_LOG},                       \
	{"log-level", required_argument, NULL, RUN_OBS_OPT_LOG_LEVEL},           \
	{"trace", required_argument, NULL, RUN_OBS_OPT_TRACE},                   \
	{"trace-window", required_argument, NULL, RUN_OBS_OPT_TRACE_WINDOW},     \
	{"trace-level", required_argument, NULL, RUN_OBS_OPT_TRACE_LEVEL},       \
	{"trace-port", required_argument, NULL, RUN_OBS_OPT_TRACE_PORT},         \
	{"alarm", required_argument, NULL, RUN_OBS_OPT_ALARM}

/* The observability part of `lockstep run --help`, thresholds with their
 * defaults from ls_detect_defaults() (docs/observability.md is checked
 * against it by tests/obs/live.sh). */
void run_obs_usage(FILE *f);

struct run_obs_opts {
	struct ls_obs_config cfg;
	int kernel_level, guest_level;
	int trace_port; /* kernel trace filter, 0: every flow */
};

/* Fills defaults once (call before parsing). */
void run_obs_opts_init(struct run_obs_opts *o);
/* One option (c is a RUN_OBS_OPT_*): 0, or 2 with a message on stderr. */
int run_obs_parse(struct run_obs_opts *o, int c, const char *arg);

struct run_obs;

int run_obs_open(struct run_obs **out, const struct run_obs_opts *o, struct ls_dp *dp);
void run_obs_close(struct run_obs *ro);
struct ls_obs *run_obs_hub(struct run_obs *ro);
/* The metrics endpoint's fd for the loop (-1 when off) and its handler. */
int run_obs_http_fd(struct run_obs *ro);
void run_obs_http(struct run_obs *ro);

void run_obs_event(struct run_obs *ro, const struct ls_event *ev);
void run_obs_drained(struct run_obs *ro, int n);
/* Once a second: data-plane counters and liveness, policy stats (NULL: no
 * policy). */
struct ls_policy;
void run_obs_tick(struct run_obs *ro, const struct ls_policy *p);
/* The policy's stats now (at start, so status shows it at once). */
void run_obs_policy(struct run_obs *ro, const struct ls_policy *p);
/* Where the data plane is attached, for status. */
void run_obs_set_attach(struct run_obs *ro, const struct ls_dp_opts *o,
			const struct ls_dp_status *st);

/* Heartbeat observer with the signature of ls_hb_observer
 * (clock/heartbeat.h): ls_hb_set_observer(hb, run_obs_hb_observer, ro). */
struct ls_hb_beat_info;
void run_obs_hb_observer(void *ro, const struct ls_hb_beat_info *info);
/* The heartbeat runs: its configuration (clock/options.h) for status and
 * the beat checks, and the mapping (clock/estimator.h), which must stay
 * valid. */
struct ls_mapping;
struct ls_clock_opts;
void run_obs_set_clock(struct run_obs *ro, const struct ls_clock_opts *c,
		       const struct ls_mapping *m);

/* Control-socket requests; returns -2 when cmd is not one of ours. */
int run_obs_control(void *ro, const char *cmd, const char *arg, char *reply, size_t len);

#endif
