/* hub.h - observability of one `lockstep run` agent: the metrics it
 * exports, its structured log, its trace, and the detectors that watch what
 * it observes. Every other part reports here through plain observation
 * structs (obs depends on nothing else of lockstep but the wire format); the
 * agent's glue (the *_link.c files of src/agent) translates.
 *
 * Single-threaded, called from the agent's epoll loop:
 *   ls_obs_open(&o, &cfg, &err);
 *   loop watches ls_obs_http_fd(o) -> ls_obs_http_run(o)
 *   ring buffer     -> ls_obs_event()        each kernel event, at receipt
 *   policy dispatch -> ls_obs_guest_call()   each host -> guest call (batch)
 *   verdict sink    -> ls_obs_verdict()      each verdict written
 *   heartbeat       -> ls_obs_beat()         each beat
 *   1 s timer       -> ls_obs_policy(), ls_obs_dp_counters(), ls_obs_liveness(),
 *                      ls_obs_tick()
 *   exit            -> ls_obs_close()        writes the trace file
 */
#ifndef LS_OBS_HUB_H
#define LS_OBS_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "lockstep/wire.h"
#include "obs/detect.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "obs/trace.h"

struct ls_obs_config {
	struct ls_detect_config detect; /* zeroed: ls_detect_defaults() */
	const char *log_path;           /* NULL: stderr */
	int log_level;                  /* enum ls_log_level (0 is debug;
					 * obs_link_opts_init sets info) */
	double log_rate, log_burst;     /* per message kind (0: 10/s, 20) */
	const char *trace_path;         /* NULL: no trace recorded */
	uint32_t trace_capacity;        /* records (0: 65536) */
	uint64_t trace_window_ns;       /* dump horizon (0: 60 s) */
	const char *metrics_addr;       /* HOST:PORT, NULL: no HTTP endpoint */
	struct ls_log_time time;        /* now_k and K -> wall (NULL: libc) */
	/* The data plane's flow table, for the early-expiry detector: 0 with
	 * *out filled, or -1 (no such flow). NULL: judged from the events
	 * alone. Called only for pass verdicts that expired within `active`
	 * of their deadline and whose flow's end was not seen. */
	int (*flow_lookup)(void *ctx, const struct ls_flow_key *key, struct ls_flow *out);
	void *flow_ctx;
};

/* One heartbeat as the clock part saw it. */
struct ls_obs_beat {
	uint64_t seq;
	uint64_t fired_k, delivered_k;
	int64_t configured_interval_ns;
	int64_t observed_interval_ns;   /* 0: not known yet */
	uint64_t missed;                /* beats lost before this one */
	bool have_sample;               /* a ping exchange succeeded */
	int64_t rtt_ns;                 /* round trip of the kept exchange */
	int64_t offset_ns;              /* G - K at fired_k, from the mapping */
	double rate;                    /* r of G = (1 + r) K + theta */
	double rate_unc;
	int64_t eps_ns;                 /* uncertainty at fired_k */
	bool step;                      /* the estimator saw a step of G */
	int64_t step_ns;
	bool good;                      /* liveness recorded */
	bool unhealthy;                 /* not good: the policy side was unhealthy */
};

/* Cumulative policy counters (from ls_policy_stats). */
struct ls_obs_policy {
	const char *path;               /* module file (NULL: unchanged) */
	uint64_t events, calls, traps, fuel, restarts, reloads, reload_refused, flows;
	bool healthy;                   /* the heartbeat's health rule holds */
	const char *reason;             /* when not: the rule's reason, snake_case
					 * ("tick_overdue", ...; copied) */
	const char *why;                /* ... and as a phrase (copied) */
};

/* Where the data plane is attached (for status; strings are copied). */
struct ls_obs_attach {
	const char *iface;
	const char *xdp_mode;           /* "native" | "generic" */
	bool tc_egress;                 /* replies are seen too (--tc) */
	const char *tc_link;            /* "tcx" | "netlink" (with tc_egress) */
	const char *tc_order;           /* "first", "before=ID" ... (copied) */
	int legacy_names;               /* adopted maps without the ls_ prefix */
	bool adopted;                   /* a pinned data plane was adopted */
	const char *pin_dir;
	uint64_t ringbuf_bytes;         /* size of the events ring in effect */
	int pid;
};

/* The heartbeat's configuration, when it runs in this agent. */
struct ls_obs_heartbeat {
	int64_t interval_ns;            /* the kernel's beat */
	int64_t check_interval_ns;      /* what user space checks beats against */
	int detect_multiplier;          /* fail-safe after this many intervals */
	bool failsafe_drop;             /* fail-safe drops new flows (else passes) */
	bool sync;                      /* deadlines go through the mapping */
};

struct ls_obs;

/* 0, or a negative errno with err filled (out of memory, the --log file
 * refused, the metrics address refused). */
int ls_obs_open(struct ls_obs **out, const struct ls_obs_config *cfg, struct ls_err *err);
/* Writes the trace file (if any) and frees everything. */
void ls_obs_close(struct ls_obs *o);

/* Reopen --log's file by its path (SIGUSR1, after logrotate renamed it):
 * lines go to the new file from then on, and its first line says so. The
 * old file stays in use when the new one cannot be opened (the error says
 * why, and is logged to the old one). 0 without --log FILE. */
int ls_obs_reopen_log(struct ls_obs *o, struct ls_err *err);

struct ls_metrics *ls_obs_metrics(struct ls_obs *o);
struct ls_log *ls_obs_log(struct ls_obs *o);
struct ls_trace *ls_obs_trace(struct ls_obs *o); /* NULL without --trace */

/* HTTP endpoint: -1 / 0 when --metrics was not given. */
int ls_obs_http_fd(const struct ls_obs *o);
int ls_obs_http_port(const struct ls_obs *o);
void ls_obs_http_run(struct ls_obs *o);

/* What runs in this agent, for `lockstep status` (call at start; without
 * set_heartbeat status has no heartbeat section, without ls_obs_policy no
 * policy section). */
void ls_obs_set_attach(struct ls_obs *o, const struct ls_obs_attach *a);
void ls_obs_set_heartbeat(struct ls_obs *o, const struct ls_obs_heartbeat *h);

/* A kernel event received from the ring buffer at now_k. */
void ls_obs_event(struct ls_obs *o, const struct ls_event *ev, uint64_t now_k);
/* A host -> guest call on n events (n == 0: a tick) from start_k to end_k. */
void ls_obs_guest_call(struct ls_obs *o, const char *what, const struct ls_event *ev,
		       size_t n, uint64_t start_k, uint64_t end_k);
/* The policy host is about to hand these n events to the guest, and has
 * (the verdicts that dispatch wrote already reported). A verdict is tied to
 * the event whose dispatch wrote it (its latency, its trace arrow): an
 * event still queued when an earlier one of its flow was answered is not. */
void ls_obs_dispatch_begin(struct ls_obs *o, const struct ls_event *ev, size_t n);
void ls_obs_dispatch_end(struct ls_obs *o);
/* A verdict written to the data plane (ok false: the write failed). */
void ls_obs_verdict(struct ls_obs *o, uint64_t flow_id, uint32_t verdict,
		    uint64_t deadline_k, uint64_t start_k, uint64_t end_k, bool ok);
void ls_obs_beat(struct ls_obs *o, const struct ls_obs_beat *b);
void ls_obs_policy(struct ls_obs *o, const struct ls_obs_policy *p, uint64_t now_k);
/* The data plane's liveness map, read about once a second: fail-safe as
 * the kernel sees it, also when no heartbeat runs here (a watchdog left
 * pinned by an earlier agent) or the agent adopted a data plane already in
 * fail-safe. */
void ls_obs_liveness(struct ls_obs *o, bool in_failsafe);
/* The data plane's counters: names[i] may be NULL (unused index). */
void ls_obs_dp_counters(struct ls_obs *o, const char *const *names, const uint64_t *vals,
			int n, uint64_t now_k);
/* Queue depth seen at a ring-buffer drain (events handled in one go). */
void ls_obs_queue_depth(struct ls_obs *o, uint64_t n, uint64_t now_k);
/* Housekeeping, about once a second: rates, alarms that cleared, log
 * summaries of storms that ended. */
void ls_obs_tick(struct ls_obs *o, uint64_t now_k);

/* Raise an alarm: counter, open-alarm gauge, a warn log line (its own
 * rate-limit bucket per kind) and a trace instant. fields as ls_log. */
void ls_obs_alarm(struct ls_obs *o, int kind, uint64_t ts_k, const char *msg,
		  const char *fields, ...) __attribute__((format(printf, 5, 6)));
/* Log a state change (info): kind as ls_log; also a trace instant. */
void ls_obs_state(struct ls_obs *o, const char *kind, const char *msg, const char *fields,
		  ...) __attribute__((format(printf, 4, 5)));

uint64_t ls_obs_alarm_count(const struct ls_obs *o, int kind);
bool ls_obs_alarm_open(const struct ls_obs *o, int kind);

/* Trace levels: kernel (per-packet events, applied by the caller to the
 * data plane's config map) and guest (0: one slice per batch, 1: one slice
 * per guest call). */
void ls_obs_set_trace_level(struct ls_obs *o, int kernel, int guest);
/* New detector thresholds from now on (SIGHUP with a changed --alarm). */
void ls_obs_set_detect(struct ls_obs *o, const struct ls_detect_config *d);
int ls_obs_guest_trace_level(const struct ls_obs *o);
int ls_obs_kernel_trace_level(const struct ls_obs *o);

/* Write the trace now: to path, or the --trace file when path is NULL or
 * empty. 0, or a negative errno with err filled. */
int ls_obs_trace_dump(struct ls_obs *o, const char *path, struct ls_err *err);

/* `lockstep status` as one JSON object (no newline; status.c, schema in
 * docs/observability.md). Returns the length (truncated output is still
 * valid JSON when len >= 32). */
size_t ls_obs_status_json(struct ls_obs *o, uint64_t now_k, char *buf, size_t len);

#endif
