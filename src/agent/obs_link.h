/* obs_link.h - observability of `lockstep run` (docs/observability.md): its
 * command-line options, the metrics endpoint in the event loop, and the
 * translation of what the data plane, the policy and the heartbeat report
 * into obs/hub.h observations. The control-socket requests "obs.status",
 * "trace.level K[,G] [PORT]" and "trace.dump [PATH]" are answered here
 * (control_link.h routes them). */
#ifndef LS_AGENT_OBS_LINK_H
#define LS_AGENT_OBS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/time.h"
#include "dataplane/dataplane.h"
#include "obs/hub.h"

/* The observability options of `lockstep run` (their rows are in
 * cli/cmd_run.c; obs_link_parse reads their values). */
enum {
	OBS_LINK_OPT_METRICS = 0x4f00,
	OBS_LINK_OPT_LOG,
	OBS_LINK_OPT_LOG_LEVEL,
	OBS_LINK_OPT_TRACE,
	OBS_LINK_OPT_TRACE_WINDOW,
	OBS_LINK_OPT_TRACE_LEVEL,
	OBS_LINK_OPT_TRACE_PORT,
	OBS_LINK_OPT_ALARM,
	OBS_LINK_OPT_PRINT,
};

/* The detector thresholds --alarm takes, with their defaults from
 * ls_detect_defaults(), as help lines at column col (docs/observability.md
 * is checked against them by tests/obs/live.sh). */
void obs_link_alarm_defaults(FILE *f, int col);

struct obs_link_opts {
	struct ls_obs_config cfg;
	int kernel_level, guest_level;
	int trace_port; /* kernel trace filter, 0: every flow */
	uint32_t print_mask; /* --print (base/names.h LS_PRINT_*), when print_set */
	bool print_set;
};

/* Fills defaults once (call before parsing). */
void obs_link_opts_init(struct obs_link_opts *o);
/* One option (c is an OBS_LINK_OPT_*): 0, or 2 with a message on stderr. */
int obs_link_parse(struct obs_link_opts *o, int c, const char *arg);

struct obs_link;

int obs_link_open(struct obs_link **out, const struct obs_link_opts *o, struct ls_dp *dp);
void obs_link_close(struct obs_link *ro);
/* libbpf's messages to the log at debug level (obs_link_open does it). */
void obs_link_route_libbpf(struct obs_link *ro);
struct ls_obs *obs_link_hub(struct obs_link *ro);
/* The metrics endpoint's fd for the loop (-1 when off) and its handler. */
int obs_link_http_fd(struct obs_link *ro);
void obs_link_http(struct obs_link *ro);

void obs_link_event(struct obs_link *ro, const struct ls_event *ev);
/* The same with the K time the batch it came in was taken off the ring
 * (read once per batch, not per event: a clock read may be a system call
 * on a VM); a record committed after that counts as delivered at once. */
void obs_link_event_at(struct obs_link *ro, const struct ls_event *ev, uint64_t batch_k);
void obs_link_drained(struct obs_link *ro, int n);
/* Once a second: data-plane counters and liveness, policy stats (NULL: no
 * policy). */
struct ls_policy;
void obs_link_tick(struct obs_link *ro, const struct ls_policy *p);
/* The policy's stats now (at start, so status shows it at once). */
void obs_link_policy(struct obs_link *ro, const struct ls_policy *p);
/* The same from stats summed over several workers (agent/worker.h); path
 * is copied by the hub. */
struct ls_policy_stats;
void obs_link_policy_stats(struct obs_link *ro, const char *path,
			   const struct ls_policy_stats *st);
/* With several policy workers (agent/worker.h) the hub is shared: each
 * thread holds this lock around its calls into it (the main thread around
 * each of its handlers). A worker may take it while holding its own
 * policy lock, never the reverse. NULL: nothing. */
void obs_link_lock(struct obs_link *ro);
void obs_link_unlock(struct obs_link *ro);
/* Where the data plane is attached, for status. */
void obs_link_set_attach(struct obs_link *ro, const struct ls_dp_opts *o,
			const struct ls_dp_status *st);

/* Heartbeat observer with the signature of ls_hb_observer
 * (clock/heartbeat.h): ls_hb_set_observer(hb, obs_link_hb_observer, ro). */
struct ls_hb_beat_info;
void obs_link_hb_observer(void *ro, const struct ls_hb_beat_info *info);
/* The heartbeat runs: its configuration (clock/options.h) for status and
 * the beat checks, and the mapping (clock/estimator.h), which must stay
 * valid. */
struct ls_mapping;
struct ls_clock_opts;
void obs_link_set_clock(struct obs_link *ro, const struct ls_clock_opts *c,
		       const struct ls_mapping *m);

/* Control-socket requests; returns -2 when cmd is not one of ours. */
int obs_link_control(void *ro, const char *cmd, const char *arg, char *reply, size_t len);

#endif
