/* hub.c - the agent's observability hub (hub.h): defines every metric of
 * docs/metrics.md, feeds the detectors and turns their answers into alarms. */
#include "obs/hub_int.h"
#include "obs/metric_table.h"
#include "base/outfile.h"
#include "obs/http.h"
#include "obs/process.h"
#include "base/json.h"
#include "base/names.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

uint64_t ls_obs_now_k(struct ls_obs *o)
{
	return o->cfg.time.now_k(o->cfg.time.ctx);
}

/* One K -> wall offset per dump: each record converted with its own clock
 * reads would jitter, and a trace must stay in K's order. */
static int64_t wall_of(void *ctx, uint64_t k)
{
	const int64_t *off = ctx;
	return (int64_t)k + *off;
}

static struct flowent *flow(struct ls_obs *o, uint64_t flow_id, bool create)
{
	struct flowent *e = &o->flows[(flow_id * 0x9E3779B97F4A7C15ull) >> 51 & (FLOWTAB - 1)];
	if (e->flow_id == flow_id)
		return e;
	if (!create)
		return NULL;
	memset(e, 0, sizeof(*e)); /* a cache: the older flow loses its slot */
	e->flow_id = flow_id;
	return e;
}

/* /readyz: attached, deciding (the policy healthy by the heartbeat's rule,
 * when there is one), not in fail-safe. The reasons are status's words. */
static bool ready(void *ctx, char *why, size_t n)
{
	const struct ls_obs *o = ctx;
	if (!o->have_attach)
		snprintf(why, n, "the data plane is not attached yet");
	else if (o->in_failsafe || o->lv_failsafe)
		snprintf(why, n, "the data plane is in fail-safe (no good beat from the policy side)");
	else if (o->have_policy && !o->last_policy.healthy)
		snprintf(why, n, "the policy is unhealthy (%s: %s)", o->policy_reason, o->policy_why);
	else
		return true;
	return false;
}

static void scrape(void *ctx, FILE *f)
{
	struct ls_obs *o = ctx;
	ls_metric_set_total(o->scrapes, NULL, (double)ls_http_scrapes(o->http));
	ls_metric_set_total(o->http_cut, NULL, (double)ls_http_cut(o->http));
	ls_metric_set_total(o->log_lines, NULL, (double)ls_log_written(o->log));
	ls_metric_set_total(o->log_suppressed, NULL, (double)ls_log_suppressed(o->log));
	if (o->trace)
		ls_metric_set(o->trace_records, NULL, (double)ls_trace_count(o->trace));
	ls_metrics_write(o->reg, f);
}

#define LAT ls_metric_latency_buckets, ls_metric_latency_nbuckets

/* lockstep_pass_expiries_total{judged}: early (the alarm), idle (the packet
 * that found it came more than `active` after the deadline), and the flow
 * facts that are not OPEN (detect.h) */
enum {
	JUDGED_EARLY,
	JUDGED_IDLE,
	JUDGED_ENDED,
	JUDGED_REUSED,
	JUDGED_UNKNOWN,
	JUDGED_UNANSWERED,
	JUDGED__MAX
};
static const char *const judged_name[JUDGED__MAX] = {"early",	"idle",	   "ended",
						      "reused", "unknown", "unanswered"};

static int define_metrics(struct ls_obs *o)
{
	struct ls_metrics *r = o->reg;
	o->events = ls_metric_std(r, "lockstep_events_total", NULL, 0);
	o->delivery = ls_metric_std(r, "lockstep_event_delivery_seconds", NULL, 0);
	o->ring_lost = ls_metric_std(r, "lockstep_ringbuf_lost_total", NULL, 0);
	o->ring_size = ls_metric_std(r, "lockstep_ringbuf_size_bytes", NULL, 0);
	/* the kernel's counters, one family per meaning (metric_table.h);
	 * every series shown from the start, at 0 until the kernel counts */
	for (int i = 0; i < LS_CNT__MAX; i++) {
		const struct ls_dp_counter_metric *d = &ls_dp_counter_metrics[i];
		if (!d->family)
			continue;
		for (int j = 0; j < i && !o->dp[i]; j++)
			if (ls_dp_counter_metrics[j].family &&
			    !strcmp(ls_dp_counter_metrics[j].family, d->family))
				o->dp[i] = o->dp[j];
		if (!o->dp[i] && !(o->dp[i] = ls_metric_std(r, d->family, NULL, 0)))
			return -1;
		ls_metric_add(o->dp[i], d->lv, 0);
	}
	o->queue = ls_metric_std(r, "lockstep_ringbuf_batch_events", NULL, 0);
	o->verdicts = ls_metric_std(r, "lockstep_verdicts_total", NULL, 0);
	o->verdict_errors = ls_metric_std(r, "lockstep_verdict_write_errors_total", NULL, 0);
	o->verdict_latency = ls_metric_std(r, "lockstep_verdict_latency_seconds", NULL, 0);
	/* not lockstep_guest_*: that prefix is the guests' own (docs/abi.md) */
	o->guest_delay = ls_metric_std(r, "lockstep_event_to_guest_seconds", NULL, 0);
	o->guest_exec = ls_metric_std(r, "lockstep_policy_call_seconds", NULL, 0);
	o->beats = ls_metric_std(r, "lockstep_heartbeat_beats_total", NULL, 0);
	o->beats_missed = ls_metric_std(r, "lockstep_heartbeat_missed_total", NULL, 0);
	o->beats_unhealthy = ls_metric_std(r, "lockstep_heartbeat_unhealthy_total", NULL, 0);
	o->rtt = ls_metric_std(r, "lockstep_heartbeat_round_trip_seconds", NULL, 0);
	o->beat_delivery = ls_metric_std(r, "lockstep_heartbeat_delivery_seconds", NULL, 0);
	o->beat_interval = ls_metric_std(r, "lockstep_heartbeat_interval_seconds", NULL, 0);
	o->beat_observed = ls_metric_std(r, "lockstep_heartbeat_observed_interval_seconds", NULL, 0);
	o->offset = ls_metric_std(r, "lockstep_clock_offset_seconds", NULL, 0);
	o->rate = ls_metric_std(r, "lockstep_clock_rate_ratio", NULL, 0);
	o->rate_unc = ls_metric_std(r, "lockstep_clock_rate_uncertainty_ratio", NULL, 0);
	o->eps = ls_metric_std(r, "lockstep_clock_uncertainty_seconds", NULL, 0);
	o->steps = ls_metric_std(r, "lockstep_clock_steps_total", NULL, 0);
	o->fs_active = ls_metric_std(r, "lockstep_failsafe_active", NULL, 0);
	o->fs_transitions = ls_metric_std(r, "lockstep_failsafe_transitions_total", NULL, 0);
	o->alarms = ls_metric_std(r, "lockstep_alarms_total", NULL, 0);
	o->alarm_active = ls_metric_std(r, "lockstep_alarm_active", NULL, 0);
	o->out_write_errors = ls_metric_std(r, "lockstep_output_write_errors_total", NULL, 0);
	o->log_lines = ls_metric_std(r, "lockstep_log_lines_total", NULL, 0);
	o->log_suppressed = ls_metric_std(r, "lockstep_log_suppressed_total", NULL, 0);
	o->trace_records = ls_metric_std(r, "lockstep_trace_records", NULL, 0);
	o->trace_kernel = ls_metric_std(r, "lockstep_trace_kernel_level", NULL, 0);
	o->trace_guest = ls_metric_std(r, "lockstep_trace_guest_level", NULL, 0);
	o->scrapes = ls_metric_std(r, "lockstep_metrics_scrapes_total", NULL, 0);
	o->http_cut = ls_metric_std(r, "lockstep_metrics_connections_cut_total", NULL, 0);
	o->pass_expiries = ls_metric_std(r, "lockstep_pass_expiries_total", NULL, 0);
	if (!o->scrapes || !o->http_cut || !o->pass_expiries)
		return -1;
	for (int i = 0; i < JUDGED__MAX; i++)
		ls_metric_add(o->pass_expiries, judged_name[i], 0);
	for (int i = 0; i < LS_ALARM__MAX; i++) {
		ls_metric_add(o->alarms, ls_alarm_name(i), 0);
		ls_metric_set(o->alarm_active, ls_alarm_name(i), 0);
	}
	static const char *kinds[] = {"flow_new", "dpi_http", "dpi_tls", "dpi_dns", "flow_end",
				      "verdict_expired", "failsafe", "beat", "trace"};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		ls_metric_add(o->events, kinds[i], 0);
	ls_metric_add(o->verdicts, "pass", 0);
	ls_metric_add(o->verdicts, "drop", 0);
	ls_metric_add(o->verdicts, "reject", 0);
	ls_metric_add(o->fs_transitions, "enter", 0);
	ls_metric_add(o->fs_transitions, "leave", 0);
	ls_metric_add(o->out_write_errors, "log", 0);
	ls_metric_add(o->out_write_errors, "trace", 0);
	return 0;
}

/* The log could not write a line (err), or writes again (err 0): counted,
 * and the alarm (edge-triggered: one while the failure lasts; the log said
 * it once on stderr, log.c). */
static void log_write_error(void *ctx, int err)
{
	struct ls_obs *o = ctx;
	if (!err)
		return;
	ls_metric_add(o->out_write_errors, "log", 1);
	ls_obs_alarm(o, LS_ALARM_OUTPUT_WRITE, ls_obs_now_k(o),
		     "cannot write the log file: lines are lost",
		     "\"file\":\"log\",\"error\":\"%s\"", strerror(err));
}

static FILE *open_log(const char *path, struct ls_err *err)
{
	FILE *f = ls_open_append(path, LS_FILE_MODE_DEFAULT);
	if (!f)
		ls_errf(err, -errno, "--log %s: %s", path,
			errno == ELOOP	   ? "is a symbolic link (refused: give the real path)"
			: errno == EINVAL ? "not a regular file"
					  : strerror(errno));
	return f;
}

int ls_obs_reopen_log(struct ls_obs *o, struct ls_err *err)
{
	if (!o->log_file)
		return 0;
	FILE *f = open_log(o->cfg.log_path, err);
	if (!f) {
		ls_log(o->log, LS_LOG_ERROR, "log_reopen", err->msg, NULL);
		return err->code;
	}
	ls_log_set_out(o->log, f);
	fclose(o->log_file);
	o->log_file = f;
	ls_log(o->log, LS_LOG_INFO, "log_reopen", "log file reopened (SIGUSR1)", NULL);
	return 0;
}

int ls_obs_open(struct ls_obs **out, const struct ls_obs_config *cfg, struct ls_err *err)
{
	int rc;
	struct ls_obs *o = calloc(1, sizeof(*o));
	if (!o)
		return ls_errf(err, -ENOMEM, "out of memory");
	o->cfg = *cfg;
	if (!o->cfg.detect.storm_count)
		ls_detect_defaults(&o->cfg.detect);
	o->reg = ls_metrics_new();
	if (!o->reg || define_metrics(o)) {
		rc = ls_errf(err, -ENOMEM, "metrics: %s",
			     o->reg ? ls_metrics_error(o->reg) : "out of memory");
		goto fail;
	}
	ls_metrics_add_writer(o->reg, ls_process_metrics_write, NULL);
	if (cfg->log_path && cfg->log_path[0] && strcmp(cfg->log_path, "-")) {
		o->log_file = open_log(cfg->log_path, err);
		if (!o->log_file) {
			rc = err->code;
			goto fail;
		}
	}
	struct ls_log_config lc = {
		.out = o->log_file,
		.min_level = cfg->log_level, /* debug is 0: no default here */
		.rate_per_s = cfg->log_rate,
		.burst = cfg->log_burst,
		.time = cfg->time,
		.on_write_error = log_write_error,
		.on_write_ctx = o,
	};
	o->log = ls_log_new(&lc);
	if (!o->log) {
		rc = ls_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (!o->cfg.time.now_k || !o->cfg.time.wall_from_k)
		o->cfg.time = ls_log_default_time;
	if (cfg->trace_path && cfg->trace_path[0]) {
		snprintf(o->trace_path, sizeof(o->trace_path), "%s", cfg->trace_path);
		o->trace = ls_trace_new(cfg->trace_capacity, cfg->trace_window_ns);
		if (!o->trace) {
			rc = ls_errf(err, -ENOMEM, "out of memory for the trace ring");
			goto fail;
		}
	}
	if (cfg->metrics_addr && cfg->metrics_addr[0] &&
	    (rc = ls_http_start(&o->http, cfg->metrics_addr, scrape, o, err)))
		goto fail;
	if (o->http)
		ls_http_set_ready(o->http, ready, o);
	o->start_k = o->tick_k = ls_obs_now_k(o);
	/* ends before the start were not seen here */
	ls_ends_init(&o->ends, o->start_k);
	*out = o;
	return 0;
fail:
	ls_obs_close(o);
	return rc;
}

void ls_obs_close(struct ls_obs *o)
{
	if (!o)
		return;
	if (o->trace && o->trace_path[0]) {
		struct ls_err err;
		/* a failure is logged, counted and alarmed by the dump */
		ls_obs_trace_dump(o, NULL, &err);
	}
	ls_http_stop(o->http);
	ls_log_free(o->log);
	if (o->log_file)
		fclose(o->log_file);
	ls_trace_free(o->trace);
	ls_metrics_free(o->reg);
	free(o);
}

struct ls_metrics *ls_obs_metrics(struct ls_obs *o) { return o->reg; }
struct ls_log *ls_obs_log(struct ls_obs *o) { return o->log; }
struct ls_trace *ls_obs_trace(struct ls_obs *o) { return o->trace; }
int ls_obs_http_fd(const struct ls_obs *o) { return o->http ? ls_http_fd(o->http) : -1; }
int ls_obs_http_port(const struct ls_obs *o) { return o->http ? ls_http_port(o->http) : 0; }
void ls_obs_http_run(struct ls_obs *o) { ls_http_run(o->http); }
int ls_obs_guest_trace_level(const struct ls_obs *o) { return o->guest_level; }
int ls_obs_kernel_trace_level(const struct ls_obs *o) { return o->kernel_level; }

void ls_obs_set_attach(struct ls_obs *o, const struct ls_obs_attach *a)
{
	o->attach = *a;
	snprintf(o->iface, sizeof(o->iface), "%s", a->iface ? a->iface : "");
	snprintf(o->xdp_mode, sizeof(o->xdp_mode), "%s", a->xdp_mode ? a->xdp_mode : "");
	snprintf(o->pin_dir, sizeof(o->pin_dir), "%s", a->pin_dir ? a->pin_dir : "");
	o->attach.iface = o->iface;
	o->attach.xdp_mode = o->xdp_mode;
	snprintf(o->tc_link, sizeof(o->tc_link), "%s", a->tc_link ? a->tc_link : "");
	snprintf(o->tc_order, sizeof(o->tc_order), "%s", a->tc_order ? a->tc_order : "");
	o->attach.pin_dir = o->pin_dir;
	o->attach.tc_link = o->tc_link;
	o->attach.tc_order = o->tc_order;
	o->have_attach = true;
	ls_metric_set(o->ring_size, NULL, (double)a->ringbuf_bytes);
}

void ls_obs_set_heartbeat(struct ls_obs *o, const struct ls_obs_heartbeat *h)
{
	o->hb = *h;
	o->have_hb = true;
	ls_metric_set(o->beat_interval, NULL, (double)h->check_interval_ns / 1e9);
}

void ls_obs_set_trace_level(struct ls_obs *o, int kernel, int guest)
{
	if (kernel >= 0)
		o->kernel_level = kernel;
	if (guest >= 0)
		o->guest_level = guest;
	ls_metric_set(o->trace_kernel, NULL, o->kernel_level);
	ls_metric_set(o->trace_guest, NULL, o->guest_level);
	ls_obs_state(o, "trace_level", "trace level changed", "\"kernel\":%d,\"guest\":%d",
		     o->kernel_level, o->guest_level);
}

static void alarmv(struct ls_obs *o, int kind, uint64_t ts_k, const char *msg,
		   const char *fields, va_list ap)
{
	if (kind < 0 || kind >= LS_ALARM__MAX)
		return;
	struct alarm *a = &o->al[kind];
	const char *name = ls_alarm_name(kind);
	a->count++;
	a->last_k = ts_k;
	/* Edge-triggered: a condition that persists (a guest clock 2 s off,
	 * beat after beat) is one alarm that stays open until it clears, not
	 * a log line, a trace instant and a count per observation. */
	if (a->open)
		return;
	a->first_k = ts_k;
	a->open = true;
	snprintf(a->msg, sizeof(a->msg), "%s", msg);
	ls_metric_add(o->alarms, name, 1);
	ls_metric_set(o->alarm_active, name, 1);
	char kind_s[48], esc[256], fbuf[512] = "";
	snprintf(kind_s, sizeof(kind_s), "alarm_%s", name);
	if (fields) {
		va_list ap2;
		va_copy(ap2, ap);
		vsnprintf(fbuf, sizeof(fbuf), fields, ap2);
		va_end(ap2);
	}
	ls_log(o->log, LS_LOG_WARN, kind_s, msg, "\"alarm\":\"%s\",\"event_k\":%llu%s%s", name,
	       (unsigned long long)ts_k, fbuf[0] ? "," : "", fbuf);
	if (o->trace) {
		char args[LS_TRACE_ARGS_MAX];
		snprintf(args, sizeof(args), "\"msg\":\"%s\"", ls_json_str(esc, 120, msg));
		ls_trace_instant(o->trace, LS_TR_ALARM, kind_s, ts_k, 'p', args);
	}
}

void ls_obs_alarm(struct ls_obs *o, int kind, uint64_t ts_k, const char *msg,
		  const char *fields, ...)
{
	va_list ap;
	va_start(ap, fields);
	alarmv(o, kind, ts_k, msg, fields, ap);
	va_end(ap);
}

void ls_obs_state(struct ls_obs *o, const char *kind, const char *msg, const char *fields,
		  ...)
{
	va_list ap;
	va_start(ap, fields);
	ls_logv(o->log, LS_LOG_INFO, kind, msg, fields, ap);
	va_end(ap);
	if (o->trace)
		ls_trace_instant(o->trace, LS_TR_ALARM, kind, ls_obs_now_k(o), 't', NULL);
}

uint64_t ls_obs_alarm_count(const struct ls_obs *o, int kind)
{
	return kind >= 0 && kind < LS_ALARM__MAX ? o->al[kind].count : 0;
}

bool ls_obs_alarm_open(const struct ls_obs *o, int kind)
{
	return kind >= 0 && kind < LS_ALARM__MAX && o->al[kind].open;
}

static const char *event_kind(const struct ls_event *ev)
{
	switch (ev->kind) {
	case LS_EV_FLOW_NEW: return "flow_new";
	case LS_EV_DPI:
		return ev->u.dpi.kind == LS_DPI_HTTP  ? "dpi_http"
		       : ev->u.dpi.kind == LS_DPI_TLS ? "dpi_tls"
		       : ev->u.dpi.kind == LS_DPI_DNS ? "dpi_dns"
						      : "dpi_other";
	case LS_EV_FLOW_END: return "flow_end";
	case LS_EV_VERDICT_EXPIRED: return "verdict_expired";
	case LS_EV_FAILSAFE: return "failsafe";
	case LS_EV_BEAT: return "beat";
	case LS_EV_TRACE: return "trace";
	default: return "unknown";
	}
}

/* One worker's shard entered or left fail-safe (docs/workers.md): logged
 * and marked on the trace; the whole data plane's state, its alarm and its
 * metrics are not this. */
static void shard_failsafe_event(struct ls_obs *o, const struct ls_event *ev)
{
	bool entered = ev->u.failsafe.entered != 0;
	uint32_t worker = ev->u.failsafe.shard - 1;
	if (o->trace) {
		char args[LS_TRACE_ARGS_MAX];
		snprintf(args, sizeof(args), "\"worker\":%u", worker);
		ls_trace_instant(o->trace, LS_TR_KERNEL_BEAT,
				 entered ? "shard failsafe enter" : "shard failsafe leave", ev->ts_k,
				 't', args);
	}
	ls_log(o->log, LS_LOG_WARN, "failsafe",
	       entered ? "a worker's shard entered fail-safe: the worker made no progress within "
			 "the detect timeout; the other workers keep deciding"
		       : "a worker's shard left fail-safe: the worker is deciding again",
	       "\"worker\":%u,\"alive_k\":%llu", worker,
	       (unsigned long long)ev->u.failsafe.last_beat_k);
}

static void failsafe_event(struct ls_obs *o, const struct ls_event *ev)
{
	if (ev->u.failsafe.shard) {
		shard_failsafe_event(o, ev);
		return;
	}
	bool entered = ev->u.failsafe.entered != 0;
	ls_metric_add(o->fs_transitions, entered ? "enter" : "leave", 1);
	ls_metric_set(o->fs_active, NULL, entered);
	if (o->trace)
		ls_trace_instant(o->trace, LS_TR_KERNEL_BEAT,
				 entered ? "failsafe enter" : "failsafe leave", ev->ts_k, 'g', NULL);
	if (entered == o->in_failsafe)
		return;
	o->in_failsafe = entered;
	if (entered) {
		o->failsafe_since_k = ev->ts_k;
		ls_obs_alarm(o, LS_ALARM_FAILSAFE, ev->ts_k,
			     "the data plane entered fail-safe: no good beat from the policy side "
			     "within the detect timeout",
			     "\"last_beat_k\":%llu", (unsigned long long)ev->u.failsafe.last_beat_k);
	} else {
		ls_log(o->log, LS_LOG_WARN, "failsafe", "the data plane left fail-safe: beats resumed",
		       "\"in_failsafe_ns\":%llu",
		       (unsigned long long)(ev->ts_k - o->failsafe_since_k));
	}
}

/* A verdict expired: the early-expiry detector, on facts (detect.h). The
 * flow table is asked only when the cheap facts leave it open. */
static void expired_event(struct ls_obs *o, const struct ls_event *ev)
{
	uint64_t deadline_k = ev->u.expired.deadline_k;
	/* the seed's symptom is an allowed flow losing its verdict; a drop
	 * verdict running out on a retransmitting peer is not it */
	if (ev->u.expired.verdict != LS_VERDICT_PASS || !deadline_k)
		return;
	if (!ls_detect_expiry_in_window(&o->cfg.detect, ev->ts_k, deadline_k)) {
		ls_metric_add(o->pass_expiries, judged_name[JUDGED_IDLE], 1);
		return;
	}
	struct ls_flow_evidence e = {.end_seen = ls_ends_has(&o->ends, ev->flow_id),
				     .ends_horizon_k = o->ends.horizon_k,
				     .both_ways = o->have_attach && o->attach.tc_egress};
	const char *from = "events";
	struct ls_flow f;
	if (!e.end_seen && o->cfg.flow_lookup &&
	    o->cfg.flow_lookup(o->cfg.flow_ctx, &ev->key, &f) == 0 && f.flow_id == ev->flow_id) {
		e.have_first = e.have_state = true;
		e.first_seen_k = f.first_seen_k;
		e.state = f.state;
		from = "flow table";
	} else if (!e.end_seen) {
		/* not in the table (gone since) or no table: its FLOW_NEW */
		struct flowent *fe = flow(o, ev->flow_id, false);
		if (fe && fe->first_k) {
			e.have_first = true;
			e.first_seen_k = fe->first_k;
		}
	}
	enum ls_flow_fact fact = ls_detect_flow_fact(&e, ev->ts_k);
	static const int judged[LS_FLOW_FACT__MAX] = {
		[LS_FLOW_FACT_OPEN] = JUDGED_EARLY,
		[LS_FLOW_FACT_ENDED] = JUDGED_ENDED,
		[LS_FLOW_FACT_REUSED] = JUDGED_REUSED,
		[LS_FLOW_FACT_UNKNOWN] = JUDGED_UNKNOWN,
		[LS_FLOW_FACT_UNANSWERED] = JUDGED_UNANSWERED,
	};
	ls_metric_add(o->pass_expiries, judged_name[judged[fact]], 1);
	if (!ls_detect_early_expiry(&o->cfg.detect, ev->ts_k, deadline_k, fact))
		return;
	ls_obs_alarm(o, LS_ALARM_EARLY_EXPIRY, ev->ts_k,
		     "a verdict expired while its flow was still active",
		     "\"flow_id\":%llu,\"deadline_k\":%llu,\"late_ns\":%lld,\"verdict\":%u,"
		     "\"first_seen_k\":%llu,\"flow_state\":%d,\"from\":\"%s\"",
		     (unsigned long long)ev->flow_id, (unsigned long long)deadline_k,
		     (long long)(ev->ts_k - deadline_k), ev->u.expired.verdict,
		     (unsigned long long)e.first_seen_k, e.have_state ? e.state : -1, from);
}

/* The event's arrow id, known both where the arrow starts (the kernel
 * event) and where it ends (the verdict its dispatch wrote), without a
 * table between them. 53 bits: trace viewers read ids as doubles. */
static uint64_t arrow_id(const struct ls_event *ev)
{
	uint64_t x = (ev->flow_id * 0x9e3779b97f4a7c15ull ^ ev->ts_k) + ev->kind;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (x & ((1ull << 53) - 1)) | 1;
}

/* Events that start an arrow: those that get a flow entry in ls_obs_event. */
static bool arrow_event(const struct ls_event *ev)
{
	return ev->kind == LS_EV_FLOW_NEW || ev->kind == LS_EV_DPI ||
	       ev->kind == LS_EV_VERDICT_EXPIRED;
}

void ls_obs_event(struct ls_obs *o, const struct ls_event *ev, uint64_t now)
{
	const char *kind = event_kind(ev);
	o->n_events++;
	ls_metric_add(o->events, kind, 1);
	if (now >= ev->ts_k)
		ls_metric_observe(o->delivery, NULL, (double)(now - ev->ts_k) / 1e9);
	struct flowent *fe = NULL;
	switch (ev->kind) {
	case LS_EV_FLOW_NEW:
		fe = flow(o, ev->flow_id, true);
		fe->first_k = ev->ts_k;
		break;
	case LS_EV_DPI:
		fe = flow(o, ev->flow_id, true);
		break;
	case LS_EV_VERDICT_EXPIRED:
		expired_event(o, ev);
		if (o->trace) {
			char args[LS_TRACE_ARGS_MAX];
			snprintf(args, sizeof(args), "\"flow_id\":%llu,\"deadline_k\":%llu",
				 (unsigned long long)ev->flow_id,
				 (unsigned long long)ev->u.expired.deadline_k);
			ls_trace_instant(o->trace, LS_TR_KERNEL_EVENTS, "verdict expired", ev->ts_k,
					 't', args);
		}
		fe = flow(o, ev->flow_id, true);
		break;
	case LS_EV_FLOW_END:
		ls_ends_add(&o->ends, ev->flow_id, ev->ts_k);
		fe = flow(o, ev->flow_id, false);
		if (fe)
			fe->pending_k = 0;
		fe = NULL;
		break;
	case LS_EV_FAILSAFE:
		failsafe_event(o, ev);
		return;
	case LS_EV_BEAT:
		if (o->trace) {
			char args[LS_TRACE_ARGS_MAX];
			snprintf(args, sizeof(args), "\"seq\":%llu,\"planned_k\":%llu",
				 (unsigned long long)ev->u.beat.seq,
				 (unsigned long long)ev->u.beat.planned_k);
			ls_trace_instant(o->trace, LS_TR_KERNEL_BEAT, "beat", ev->ts_k, 't', args);
		}
		return;
	default:
		break;
	}
	if (!o->trace)
		return;
	char args[LS_TRACE_ARGS_MAX], name[LS_TRACE_NAME_MAX], esc[100];
	snprintf(name, sizeof(name), "%s", kind);
	if (ev->kind == LS_EV_DPI) {
		/* the kernel fills name[] without a NUL when it is full */
		size_t nl = ev->u.dpi.name_len < sizeof(ev->u.dpi.name) ? ev->u.dpi.name_len
									: sizeof(ev->u.dpi.name);
		ls_json_escape(esc, sizeof(esc), ev->u.dpi.name, strnlen(ev->u.dpi.name, nl));
		snprintf(args, sizeof(args), "\"flow_id\":%llu,\"name\":\"%s\"",
			 (unsigned long long)ev->flow_id, esc);
	} else {
		snprintf(args, sizeof(args), "\"flow_id\":%llu,\"sport\":%u,\"dport\":%u",
			 (unsigned long long)ev->flow_id, ev->sport, ev->dport);
	}
	int track = ev->kind == LS_EV_TRACE ? LS_TR_KERNEL_PACKET : LS_TR_KERNEL_EVENTS;
	ls_trace_slice(o->trace, track, name, ev->ts_k, 1000, args);
	if (fe)
		ls_trace_flow_start(o->trace, track, arrow_id(ev), ev->ts_k);
}

/* The dispatch running on this thread: with several policy workers
 * (docs/workers.md) each thread has its own, while the hub itself is used
 * under the agent's obs lock (agent/obs_link.h). */
static _Thread_local uint64_t cur_dispatch;

void ls_obs_dispatch_begin(struct ls_obs *o, const struct ls_event *ev, size_t n)
{
	cur_dispatch = ++o->ndispatch;
	for (size_t i = 0; i < n; i++) {
		struct flowent *fe = arrow_event(&ev[i]) ? flow(o, ev[i].flow_id, false) : NULL;
		if (fe) {
			fe->pending_k = ev[i].ts_k;
			fe->arrow = arrow_id(&ev[i]);
			fe->dispatch = cur_dispatch;
		}
	}
}

void ls_obs_dispatch_end(struct ls_obs *o)
{
	(void)o;
	cur_dispatch = 0;
}

void ls_obs_queue_depth(struct ls_obs *o, uint64_t n, uint64_t now)
{
	ls_metric_set(o->queue, NULL, (double)n);
	if (o->trace && n)
		ls_trace_counter(o->trace, "queue depth (events per drain)", now, (double)n);
}

void ls_obs_guest_call(struct ls_obs *o, const char *what, const struct ls_event *ev,
		       size_t n, uint64_t start_k, uint64_t end_k)
{
	double exec = end_k > start_k ? (double)(end_k - start_k) / 1e9 : 0;
	ls_metric_observe(o->guest_exec, what, exec);
	for (size_t i = 0; i < n; i++)
		if (start_k >= ev[i].ts_k && ev[i].kind != LS_EV_BEAT && ev[i].kind != LS_EV_FAILSAFE)
			ls_metric_observe(o->guest_delay, NULL, (double)(start_k - ev[i].ts_k) / 1e9);
	if (!o->trace)
		return;
	char args[LS_TRACE_ARGS_MAX];
	if (n == 1)
		snprintf(args, sizeof(args), "\"events\":1,\"flow_id\":%llu,\"kind\":\"%s\"",
			 (unsigned long long)ev[0].flow_id, event_kind(&ev[0]));
	else
		snprintf(args, sizeof(args), "\"events\":%zu", n);
	ls_trace_slice(o->trace, LS_TR_GUEST, what, start_k, end_k - start_k, args);
}

void ls_obs_verdict(struct ls_obs *o, uint64_t flow_id, uint32_t verdict, uint64_t deadline_k,
		    uint64_t start_k, uint64_t end_k, bool ok)
{
	if (!ok) {
		ls_metric_add(o->verdict_errors, NULL, 1);
		return;
	}
	const char *vn = verdict == LS_VERDICT_PASS || verdict == LS_VERDICT_DROP
			     ? ls_verdict_name(verdict)
			 : (verdict & LS_VERDICT_MASK) == LS_VERDICT_REJECT ? "reject"
									 : "other";
	o->n_verdicts++;
	ls_metric_add(o->verdicts, vn, 1);
	struct flowent *fe = flow(o, flow_id, false);
	uint64_t arrow = 0;
	if (fe && fe->pending_k && cur_dispatch && fe->dispatch == cur_dispatch) {
		ls_metric_observe(o->verdict_latency, NULL,
				  end_k > fe->pending_k ? (double)(end_k - fe->pending_k) / 1e9 : 0);
		if (ls_detect_latency(&o->cfg.detect, fe->pending_k, end_k))
			ls_obs_alarm(o, LS_ALARM_LATENCY, end_k,
				     "kernel event to verdict written took longer than the budget",
				     "\"flow_id\":%llu,\"latency_ns\":%llu,\"budget_ns\":%lld",
				     (unsigned long long)flow_id,
				     (unsigned long long)(end_k - fe->pending_k),
				     (long long)o->cfg.detect.latency_budget_ns);
		arrow = fe->arrow;
		fe->pending_k = 0;
	}
	if (!o->trace)
		return;
	char args[LS_TRACE_ARGS_MAX];
	snprintf(args, sizeof(args), "\"flow_id\":%llu,\"verdict\":\"%s\",\"deadline_k\":%llu",
		 (unsigned long long)flow_id, vn, (unsigned long long)deadline_k);
	uint64_t dur = end_k > start_k ? end_k - start_k : 1000;
	ls_trace_slice(o->trace, LS_TR_VERDICT, arrow ? "verdict" : "verdict (refresh)", start_k,
		       dur, args);
	if (arrow)
		ls_trace_flow_end(o->trace, LS_TR_VERDICT, arrow, start_k + dur / 2);
}

void ls_obs_beat(struct ls_obs *o, const struct ls_obs_beat *b)
{
	const struct ls_detect_config *c = &o->cfg.detect;
	o->n_beats++;
	ls_metric_add(o->beats, NULL, 1);
	if (b->missed)
		ls_metric_add(o->beats_missed, NULL, (double)b->missed);
	if (b->unhealthy)
		ls_metric_add(o->beats_unhealthy, NULL, 1);
	if (b->delivered_k >= b->fired_k)
		ls_metric_observe(o->beat_delivery, NULL, (double)(b->delivered_k - b->fired_k) / 1e9);
	ls_metric_set(o->beat_interval, NULL, (double)b->configured_interval_ns / 1e9);
	if (b->observed_interval_ns)
		ls_metric_set(o->beat_observed, NULL, (double)b->observed_interval_ns / 1e9);
	if (ls_detect_beat_interval(c, b->configured_interval_ns, b->observed_interval_ns))
		ls_obs_alarm(o, LS_ALARM_BEAT_INTERVAL, b->delivered_k,
			     "the beat interval observed differs from the one configured",
			     "\"configured_ns\":%lld,\"observed_ns\":%lld",
			     (long long)b->configured_interval_ns, (long long)b->observed_interval_ns);
	if (b->have_sample) {
		ls_metric_observe(o->rtt, NULL, (double)b->rtt_ns / 1e9);
		ls_metric_set(o->offset, NULL, (double)b->offset_ns / 1e9);
		ls_metric_set(o->rate, NULL, b->rate);
		ls_metric_set(o->rate_unc, NULL, b->rate_unc);
		ls_metric_set(o->eps, NULL, (double)b->eps_ns / 1e9);
		/* predict this beat's offset from the last one and the rate */
		int64_t predicted = o->prev_offset_ns;
		if (o->have_beat && b->fired_k > o->prev_offset_k)
			predicted += (int64_t)(o->prev_rate * (double)(b->fired_k - o->prev_offset_k));
		unsigned m = ls_detect_offset(c, o->have_beat, predicted, b->offset_ns, b->eps_ns, b->rate,
					      b->rate_unc);
		if (b->step)
			m |= 1u << LS_ALARM_OFFSET_JUMP;
		if (m & (1u << LS_ALARM_OFFSET))
			ls_obs_alarm(o, LS_ALARM_OFFSET, b->fired_k,
				     "the guest clock's offset is beyond the threshold",
				     "\"offset_ns\":%lld,\"threshold_ns\":%lld", (long long)b->offset_ns,
				     (long long)c->offset_max_ns);
		if (m & (1u << LS_ALARM_OFFSET_JUMP))
			ls_obs_alarm(o, LS_ALARM_OFFSET_JUMP, b->fired_k,
				     "the guest clock's offset jumped between beats",
				     "\"offset_ns\":%lld,\"predicted_ns\":%lld,\"step_ns\":%lld",
				     (long long)b->offset_ns, (long long)predicted, (long long)b->step_ns);
		if (m & (1u << LS_ALARM_RATE))
			ls_obs_alarm(o, LS_ALARM_RATE, b->fired_k,
				     "the guest clock's rate error is beyond the threshold",
				     "\"rate_ppm\":%.3f,\"threshold_ppm\":%.1f", b->rate * 1e6,
				     c->rate_max_ppm);
		if (b->step)
			ls_metric_add(o->steps, NULL, 1);
		o->prev_offset_ns = b->offset_ns;
		o->prev_offset_k = b->fired_k;
		o->prev_rate = b->rate;
		o->have_beat = true;
		if (o->trace) {
			ls_trace_counter(o->trace, "offset_us", b->fired_k, (double)b->offset_ns / 1e3);
			ls_trace_counter(o->trace, "round_trip_us", b->fired_k, (double)b->rtt_ns / 1e3);
			ls_trace_counter(o->trace, "uncertainty_us", b->fired_k, (double)b->eps_ns / 1e3);
		}
	}
	o->last_beat = *b;
	if (o->trace) {
		char args[LS_TRACE_ARGS_MAX];
		snprintf(args, sizeof(args),
			 "\"seq\":%llu,\"offset_ns\":%lld,\"rtt_ns\":%lld,\"eps_ns\":%lld,\"good\":%d",
			 (unsigned long long)b->seq, (long long)b->offset_ns, (long long)b->rtt_ns,
			 (long long)b->eps_ns, b->good);
		ls_trace_slice(o->trace, LS_TR_CLOCK, "beat handled", b->delivered_k,
			       1000, args);
	}
}

void ls_obs_policy(struct ls_obs *o, const struct ls_obs_policy *p, uint64_t now)
{
	/* the policy starts with the agent: its counters count from zero, and
	 * the failures before the first reading belong to the storm too */
	uint64_t traps = p->traps >= o->last_policy.traps ? p->traps - o->last_policy.traps : 0;
	uint64_t fuel = p->fuel >= o->last_policy.fuel ? p->fuel - o->last_policy.fuel : 0;
	if (traps && ls_detect_storm(&o->cfg.detect, &o->trap_storm, now, traps))
		ls_obs_alarm(o, LS_ALARM_TRAP_STORM, now, "the guest keeps trapping",
			     "\"traps\":%llu,\"window_ns\":%lld", (unsigned long long)p->traps,
			     (long long)o->cfg.detect.storm_window_ns);
	if (fuel && ls_detect_storm(&o->cfg.detect, &o->fuel_storm, now, fuel))
		ls_obs_alarm(o, LS_ALARM_FUEL_STORM, now, "the guest keeps running out of fuel",
			     "\"fuel_exhaustions\":%llu,\"window_ns\":%lld",
			     (unsigned long long)p->fuel, (long long)o->cfg.detect.storm_window_ns);
	char esc[200];
	const char *why = !p->healthy && p->why ? p->why : "";
	const char *reason = !p->healthy && p->reason ? p->reason : "";
	if (o->have_policy && (p->healthy != o->last_policy.healthy ||
			       strcmp(reason, o->policy_reason)))
		ls_obs_state(o, "policy_health",
			     p->healthy ? "the policy side is healthy again"
					: "the policy side is unhealthy: beats are not good",
			     "\"healthy\":%d,\"reason\":\"%s\",\"why\":\"%s\",\"restarts\":%llu",
			     p->healthy, reason, ls_json_str(esc, sizeof(esc), why),
			     (unsigned long long)p->restarts);
	o->last_policy = *p;
	o->last_policy.path = NULL;
	snprintf(o->policy_reason, sizeof(o->policy_reason), "%s", reason);
	snprintf(o->policy_why, sizeof(o->policy_why), "%s", why);
	o->last_policy.reason = o->policy_reason;
	o->last_policy.why = o->policy_why;
	if (p->path)
		snprintf(o->policy_path, sizeof(o->policy_path), "%s", p->path);
	o->have_policy = true;
}

void ls_obs_liveness(struct ls_obs *o, bool in_failsafe)
{
	o->lv_failsafe = in_failsafe;
	ls_metric_set(o->fs_active, NULL, in_failsafe || o->in_failsafe);
}

void ls_obs_dp_counters(struct ls_obs *o, const char *const *names, const uint64_t *vals,
			int n, uint64_t now)
{
	uint64_t pkts = 0, dropped = 0;
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		if (i < LS_CNT__MAX && o->dp[i])
			ls_metric_set_total(o->dp[i], ls_dp_counter_metrics[i].lv, (double)vals[i]);
		if (!strcmp(names[i], "pkts"))
			pkts = vals[i];
		else if (!strncmp(names[i], "drop_", 5))
			dropped += vals[i];
		if (i == LS_CNT_RINGBUF_FULL) {
			ls_metric_set_total(o->ring_lost, NULL, (double)vals[i]);
			if (o->have_ring && ls_detect_ringbuf_loss(o->ring_full, vals[i])) {
				/* lost events may be flow ends: the early-expiry
				 * detector must not count on having seen them */
				ls_ends_forget_until(&o->ends, now);
				ls_obs_alarm(o, LS_ALARM_RINGBUF_LOSS, now,
					     "the kernel lost events: the ring buffer was full",
					     "\"lost\":%llu,\"lost_total\":%llu",
					     (unsigned long long)(vals[i] - o->ring_full),
					     (unsigned long long)vals[i]);
			}
			o->ring_full = vals[i];
			o->have_ring = true;
		}
	}
	/* the kernel's counters outlive agents: a rate, not the first total */
	if (o->have_pkts && now > o->pkts_tick_k && pkts >= o->pkts)
		o->pkts_rate = (double)(pkts - o->pkts) / ((double)(now - o->pkts_tick_k) / 1e9);
	o->pkts = pkts;
	o->pkts_dropped = dropped;
	o->pkts_tick_k = now;
	o->have_pkts = true;
}

void ls_obs_tick(struct ls_obs *o, uint64_t now)
{
	double dt = now > o->tick_k ? (double)(now - o->tick_k) / 1e9 : 0;
	if (dt > 0.1) {
		o->events_rate = (double)(o->n_events - o->tick_events) / dt;
		o->verdicts_rate = (double)(o->n_verdicts - o->tick_verdicts) / dt;
		o->tick_events = o->n_events;
		o->tick_verdicts = o->n_verdicts;
		o->tick_k = now;
	}
	for (int i = 0; i < LS_ALARM__MAX; i++) {
		struct alarm *a = &o->al[i];
		bool hold = i == LS_ALARM_FAILSAFE && o->in_failsafe;
		if (a->open && !hold && now > a->last_k &&
		    (int64_t)(now - a->last_k) > o->cfg.detect.clear_ns) {
			a->open = false;
			ls_metric_set(o->alarm_active, ls_alarm_name(i), 0);
			ls_log(o->log, LS_LOG_INFO, "alarm_cleared", "alarm cleared",
			       "\"alarm\":\"%s\",\"count\":%llu", ls_alarm_name(i),
			       (unsigned long long)a->count);
		}
	}
	ls_log_flush(o->log);
}

int ls_obs_trace_dump(struct ls_obs *o, const char *path, struct ls_err *err)
{
	if (!o->trace)
		return ls_errf(err, -ENODATA,
			       "no trace is being recorded (start the agent with --trace FILE)");
	if (!path || !path[0])
		path = o->trace_path;
	char other[1024], esc[600];
	snprintf(other, sizeof(other),
		 "\"generator\":\"lockstep\",\"beats\":%llu,\"events\":%llu,\"verdicts\":%llu,"
		 "\"policy\":\"%s\"",
		 (unsigned long long)o->n_beats, (unsigned long long)o->n_events,
		 (unsigned long long)o->n_verdicts, ls_json_str(esc, sizeof(esc), o->policy_path));
	uint64_t now = ls_obs_now_k(o);
	int64_t off = o->cfg.time.wall_from_k(o->cfg.time.ctx, now) - (int64_t)now;
	int rc = ls_trace_write_file(o->trace, path, wall_of, &off, other);
	if (rc) {
		/* counted and alarmed every time; logged once until a dump
		 * succeeds again */
		ls_metric_add(o->out_write_errors, "trace", 1);
		ls_obs_alarm(o, LS_ALARM_OUTPUT_WRITE, now, "cannot write the trace file",
			     "\"file\":\"trace\",\"error\":\"%s\"", strerror(-rc));
		if (!o->trace_failing)
			ls_log(o->log, LS_LOG_ERROR, "trace_write_error", "cannot write the trace",
			       "\"path\":\"%s\",\"error\":\"%s\"",
			       ls_json_str(esc, sizeof(esc), path), strerror(-rc));
		o->trace_failing = -rc;
		return ls_errf(err, rc, "writing the trace to %s: %s", path, strerror(-rc));
	}
	if (o->trace_failing)
		ls_log(o->log, LS_LOG_WARN, "trace_write_recovered",
		       "the trace is written again after failures", "\"path\":\"%s\"",
		       ls_json_str(esc, sizeof(esc), path));
	o->trace_failing = 0;
	ls_log(o->log, LS_LOG_INFO, "trace_dump", "trace written",
	       "\"path\":\"%s\",\"records\":%llu", ls_json_str(esc, sizeof(esc), path),
	       (unsigned long long)ls_trace_count(o->trace));
	return 0;
}

void ls_obs_set_detect(struct ls_obs *o, const struct ls_detect_config *d)
{
	o->cfg.detect = *d;
	if (!o->cfg.detect.storm_count)
		ls_detect_defaults(&o->cfg.detect);
}
