/* hub_int.h - the observability hub's state, shared by its own files
 * only: hub.c (metrics, detectors, alarms, trace records) and status.c
 * (`lockstep status` as JSON). Everyone else goes through hub.h. */
#ifndef LS_OBS_HUB_INT_H
#define LS_OBS_HUB_INT_H

#include "obs/hub.h"
#include "obs/ends.h"

/* Flows remembered for latency and arrows: a cache, a newer flow takes an
 * older one's slot. Never the basis of an alarm on its own: what a flow
 * did is decided on facts (ends.h, the flow table). */
#define FLOWTAB 8192

struct flowent {
	uint64_t flow_id;
	uint64_t pending_k; /* ts_k of the event being dispatched, 0: none */
	uint64_t arrow;     /* trace flow-arrow id of that event */
	uint64_t dispatch;  /* the dispatch (ls_obs.dispatch) that event is in */
	uint64_t first_k;   /* ts_k of its FLOW_NEW, 0: not seen */
};

struct alarm {
	uint64_t count;
	uint64_t first_k, last_k;
	bool open;
	char msg[200];
};

struct ls_obs {
	/* dispatches numbered from 1 (the one running is per thread, hub.c); a
	 * verdict answers an event only during that event's dispatch */
	uint64_t ndispatch;
	struct ls_obs_config cfg;
	struct ls_metrics *reg;
	struct ls_log *log;
	FILE *log_file;
	struct ls_trace *trace;
	char trace_path[4096];
	struct ls_http *http;
	int kernel_level, guest_level;

	/* what runs in this agent, for status (set once at start) */
	struct ls_obs_attach attach;
	char iface[32], xdp_mode[16], pin_dir[256], tc_link[16], tc_order[48];
	bool have_attach;
	struct ls_obs_heartbeat hb;
	bool have_hb;               /* the heartbeat runs here */
	char policy_path[512];

	struct ls_metric *events, *delivery, *ring_lost, *ring_size, *queue;
	struct ls_metric *dp[LS_CNT__MAX]; /* each kernel counter's family (metric_table.h) */
	struct ls_metric *verdicts, *verdict_errors, *verdict_latency;
	struct ls_metric *guest_delay, *guest_exec;
	struct ls_metric *beats, *beats_missed, *beats_unhealthy, *rtt, *beat_delivery, *beat_interval,
	    *beat_observed;
	struct ls_metric *offset, *rate, *rate_unc, *eps, *steps;
	struct ls_metric *fs_active, *fs_transitions;
	struct ls_metric *alarms, *alarm_active;
	struct ls_metric *out_write_errors; /* by file: log, trace */
	int trace_failing;		    /* errno of the last trace write, 0: ok */
	struct ls_metric *log_lines, *log_suppressed, *trace_records, *trace_kernel, *trace_guest;
	struct ls_metric *scrapes, *http_cut, *pass_expiries;

	struct flowent flows[FLOWTAB];
	struct ls_ends ends;        /* flow ends seen, bounded (early expiry) */
	struct alarm al[LS_ALARM__MAX];
	struct ls_storm trap_storm, fuel_storm;
	struct ls_obs_policy last_policy; /* its strings point below */
	char policy_reason[32], policy_why[160];
	bool have_policy;
	uint64_t ring_full;
	bool have_ring;
	bool in_failsafe;           /* from the kernel's fail-safe events */
	bool lv_failsafe;           /* from the liveness map, read each second */
	uint64_t failsafe_since_k;

	/* for status */
	uint64_t start_k;
	uint64_t n_events, n_verdicts, tick_events, tick_verdicts, tick_k;
	double events_rate, verdicts_rate;
	uint64_t pkts, pkts_dropped, pkts_tick_k; /* data-plane counters, last read */
	double pkts_rate;
	bool have_pkts;
	struct ls_obs_beat last_beat;
	uint64_t n_beats;
	bool have_beat;
	int64_t prev_offset_ns;
	uint64_t prev_offset_k;
	double prev_rate;
};

uint64_t ls_obs_now_k(struct ls_obs *o);

#endif
