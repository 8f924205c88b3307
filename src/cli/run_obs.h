/* run_obs.h - observability of `lockstep run` (docs/observability.md): its
 * command-line options, the metrics endpoint in the event loop, and the
 * translation of what the data plane, the policy and the heartbeat report
 * into obs/agent.h observations. The control-socket requests "obs.status",
 * "trace.level K G" and "trace.dump [PATH]" are answered here. */
#ifndef LS_CLI_RUN_OBS_H
#define LS_CLI_RUN_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dataplane.h"
#include "obs/agent.h"

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

#define RUN_OBS_USAGE                                                             \
	"\nobservability (docs/observability.md, docs/metrics.md):\n"              \
	"      --metrics HOST:PORT     serve Prometheus metrics on http://HOST:PORT/metrics\n" \
	"                              (off by default; e.g. 127.0.0.1:9464; port 0 picks one)\n" \
	"      --log FILE              structured log (JSON lines) to FILE (default stderr)\n" \
	"      --log-level L           debug|info|warn|error (default info)\n"     \
	"      --trace FILE            record a Chrome/Perfetto trace, written to FILE on\n" \
	"                              exit and on `lockstep trace dump`\n"        \
	"      --trace-window DUR      keep the last DUR of trace (default 60s)\n" \
	"      --trace-level K[,G]     kernel per-packet / guest per-call tracing (default 0,0)\n" \
	"      --trace-port N          per-packet tracing only for flows with port N\n" \
	"      --alarm NAME=VALUE      detector threshold: beat-tolerance=0.2,\n"  \
	"                              offset-max=50ms, offset-jump=1ms, rate-max-ppm=500,\n" \
	"                              latency-budget=20ms, active=2s, storm-count=5,\n" \
	"                              storm-window=10s, clear=10s\n"

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

uint64_t run_obs_now_k(void);
void run_obs_event(struct run_obs *ro, const struct ls_event *ev);
void run_obs_drained(struct run_obs *ro, int n);
/* Once a second: data-plane counters, policy stats (NULL: no policy). */
struct ls_policy;
void run_obs_tick(struct run_obs *ro, const struct ls_policy *p);

/* Heartbeat observer with the signature of ls_hb_observer
 * (clock/heartbeat.h): ls_hb_set_observer(hb, run_obs_hb_observer, ro). */
struct ls_hb_beat_info;
void run_obs_hb_observer(void *ro, const struct ls_hb_beat_info *info);
/* What the heartbeat observer needs besides the beat: its configuration
 * and the mapping (clock/estimator.h), which must stay valid. */
struct ls_mapping;
void run_obs_set_clock(struct run_obs *ro, int64_t interval_ns, const struct ls_mapping *m);

/* Control-socket requests; returns -2 when cmd is not one of ours. */
int run_obs_control(void *ro, const char *cmd, const char *arg, char *reply, size_t len);

#endif
