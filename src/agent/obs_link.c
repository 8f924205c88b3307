/* obs_link.c - observability glue of `lockstep run` (obs_link.h). */
#include "agent/obs_link.h"
#include "dataplane/event_json.h"
#include "base/args.h"
#include "clock/estimator.h"
#include "clock/heartbeat.h"
#include "clock/options.h"
#include "policy/policy.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct obs_link {
	struct ls_obs *obs;
	struct ls_dp *dp;
	int64_t beat_interval_ns;
	const struct ls_mapping *map;
	const struct ls_policy *policy; /* for status: read again on each request */
	pthread_mutex_t mu;		/* obs_link_lock: the hub with several workers */
};

void obs_link_lock(struct obs_link *ro)
{
	if (ro)
		pthread_mutex_lock(&ro->mu);
}

void obs_link_unlock(struct obs_link *ro)
{
	if (ro)
		pthread_mutex_unlock(&ro->mu);
}

void obs_link_opts_init(struct obs_link_opts *o)
{
	memset(o, 0, sizeof(*o));
	ls_detect_defaults(&o->cfg.detect);
	o->cfg.log_level = LS_LOG_INFO;
}

/* A threshold's duration as one would type it: 50ms, 2s, 1500us. */
static const char *dur_opt(char *b, size_t n, int64_t ns)
{
	static const struct { int64_t mul; const char *unit; } u[] = {
		{1000000000, "s"}, {1000000, "ms"}, {1000, "us"}, {1, "ns"}};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ns % u[i].mul == 0) {
			snprintf(b, n, "%lld%s", (long long)(ns / u[i].mul), u[i].unit);
			break;
		}
	return b;
}

void obs_link_alarm_defaults(FILE *f, int col)
{
	struct ls_detect_config d;
	char a[24], b[24], c[24], e[24], g[24], h[24];
	ls_detect_defaults(&d);
	fprintf(f,
		"%*sbeat-tolerance=%g offset-max=%s offset-jump=%s\n"
		"%*srate-max-ppm=%g latency-budget=%s active=%s\n"
		"%*sstorm-count=%u storm-window=%s clear=%s\n",
		col, "", d.beat_tolerance, dur_opt(a, sizeof(a), d.offset_max_ns),
		dur_opt(b, sizeof(b), d.offset_jump_ns), col, "", d.rate_max_ppm,
		dur_opt(c, sizeof(c), d.latency_budget_ns), dur_opt(e, sizeof(e), d.active_ns), col,
		"", d.storm_count, dur_opt(g, sizeof(g), d.storm_window_ns),
		dur_opt(h, sizeof(h), d.clear_ns));
}

static int alarm_opt(struct ls_detect_config *d, const char *arg)
{
	char name[32];
	const char *eq = strchr(arg, '=');
	if (!eq || eq - arg >= (long)sizeof(name))
		return -1;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	const char *v = eq + 1;
	uint64_t ns, n;
	char *end;
	if (!strcmp(name, "beat-tolerance") || !strcmp(name, "rate-max-ppm")) {
		double x = strtod(v, &end);
		if (!*v || *end || x <= 0)
			return -1;
		if (name[0] == 'b')
			d->beat_tolerance = x;
		else
			d->rate_max_ppm = x;
		return 0;
	}
	if (!strcmp(name, "storm-count")) {
		if (ls_parse_uint(v, 1, LS_STORM_MAX, &n))
			return -1;
		d->storm_count = (uint32_t)n;
		return 0;
	}
	if (ls_parse_duration_ns(v, &ns))
		return -1;
	if (!strcmp(name, "offset-max"))
		d->offset_max_ns = (int64_t)ns;
	else if (!strcmp(name, "offset-jump"))
		d->offset_jump_ns = (int64_t)ns;
	else if (!strcmp(name, "latency-budget"))
		d->latency_budget_ns = (int64_t)ns;
	else if (!strcmp(name, "active"))
		d->active_ns = (int64_t)ns;
	else if (!strcmp(name, "storm-window"))
		d->storm_window_ns = (int64_t)ns;
	else if (!strcmp(name, "clear"))
		d->clear_ns = (int64_t)ns;
	else
		return -1;
	return 0;
}

static int parse_levels(const char *arg, int *k, int *g)
{
	char *end;
	long a = strtol(arg, &end, 10), b = *g;
	if (end == arg || a < 0 || a > 1)
		return -1;
	if (*end == ',') {
		const char *s = end + 1;
		b = strtol(s, &end, 10);
		if (end == s || b < 0 || b > 1)
			return -1;
	}
	if (*end)
		return -1;
	*k = (int)a;
	*g = (int)b;
	return 0;
}

int obs_link_parse(struct obs_link_opts *o, int c, const char *arg)
{
	uint64_t ns;
	switch (c) {
	case OBS_LINK_OPT_METRICS:
		o->cfg.metrics_addr = arg;
		return 0;
	case OBS_LINK_OPT_LOG:
		o->cfg.log_path = arg;
		return 0;
	case OBS_LINK_OPT_LOG_LEVEL:
		for (int l = 0; l <= LS_LOG_ERROR; l++)
			if (!strcmp(arg, ls_log_level_name(l))) {
				o->cfg.log_level = l;
				return 0;
			}
		fprintf(stderr, "lockstep run: --log-level must be debug, info, warn or error, not '%s'\n", arg);
		return 2;
	case OBS_LINK_OPT_PRINT: {
		uint32_t m;
		char bad[80];
		if (ls_print_kinds_parse(arg, &m, bad, sizeof(bad))) {
			fprintf(stderr, "lockstep run: --print: unknown kind '%s' (one of %s)\n", bad,
				ls_print_kinds_names());
			return 2;
		}
		o->print_mask = m; /* applied by obs_link_open (and a SIGHUP's reload) */
		o->print_set = true;
		return 0;
	}
	case OBS_LINK_OPT_TRACE:
		o->cfg.trace_path = arg;
		return 0;
	case OBS_LINK_OPT_TRACE_WINDOW:
		if (ls_parse_duration_ns(arg, &ns) || ns < 1000000000ull) {
			fprintf(stderr, "lockstep run: --trace-window must be a duration >= 1s, not '%s'\n", arg);
			return 2;
		}
		o->cfg.trace_window_ns = ns;
		return 0;
	case OBS_LINK_OPT_TRACE_LEVEL:
		if (parse_levels(arg, &o->kernel_level, &o->guest_level)) {
			fprintf(stderr, "lockstep run: --trace-level wants K[,G] with K and G 0 or 1, not '%s'\n", arg);
			return 2;
		}
		return 0;
	case OBS_LINK_OPT_TRACE_PORT: {
		uint64_t port;
		if (ls_parse_uint(arg, 0, 65535, &port)) {
			fprintf(stderr, "lockstep run: --trace-port must be 0-65535, not '%s'\n", arg);
			return 2;
		}
		o->trace_port = (int)port;
		return 0;
	}
	case OBS_LINK_OPT_ALARM:
		if (alarm_opt(&o->cfg.detect, arg)) {
			fprintf(stderr, "lockstep run: --alarm '%s': want NAME=VALUE with NAME one of "
				"beat-tolerance, offset-max, offset-jump, rate-max-ppm, latency-budget, "
				"active, storm-count, storm-window, clear\n", arg);
			return 2;
		}
		return 0;
	}
	return 2;
}

/* The kernel trace level and its flow filter live in the data plane's
 * config map; port < 0 keeps the filter. */
static int apply_kernel_level(struct obs_link *ro, int level, int port, struct ls_err *err)
{
	struct ls_config cfg;
	if (!ro->dp) /* an obs link without a data plane (tests/fuzz/fuzz_control.c) */
		return ls_errf(err, -ENODEV, "no data plane attached");
	int rc = ls_dp_config_read(ro->dp, &cfg, err);
	if (rc)
		return rc;
	cfg.trace_level = (uint32_t)level;
	if (port >= 0)
		cfg.trace_port = (uint16_t)port;
	return ls_dp_config_write(ro->dp, &cfg, err);
}

/* The early-expiry detector asks the flow table what became of a flow. */
static int flow_lookup(void *ctx, const struct ls_flow_key *key, struct ls_flow *out)
{
	struct ls_err err;
	return ls_dp_flow_get(ctx, key, out, &err) ? -1 : 0;
}

/* libbpf's messages are the log's, at debug level (ls_dp_libbpf_sink). */
static void libbpf_line(void *ctx, int libbpf_level, const char *line)
{
	static const char *const lv[] = {"warn", "info", "debug"};
	struct obs_link *ro = ctx;
	obs_link_lock(ro);
	ls_log(ls_obs_log(ro->obs), LS_LOG_DEBUG, "libbpf", line, "\"libbpf_level\":\"%s\"",
	       libbpf_level >= 0 && libbpf_level < 3 ? lv[libbpf_level] : "debug");
	obs_link_unlock(ro);
}

void obs_link_route_libbpf(struct obs_link *ro)
{
	ls_dp_libbpf_sink(ro ? libbpf_line : NULL, ro);
}

int obs_link_open(struct obs_link **out, const struct obs_link_opts *o, struct ls_dp *dp)
{
	struct obs_link *ro = calloc(1, sizeof(*ro));
	struct ls_err err;
	if (!ro)
		return -1;
	/* recursive: a guest's log line (policy_link.c) takes it, also from
	 * the main thread's handlers that already hold it */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ro->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	ro->dp = dp;
	if (o->print_set) /* the process's stdout: before any worker starts */
		ls_print_filter(o->print_mask);
	struct ls_obs_config cfg = o->cfg;
	cfg.flow_lookup = flow_lookup;
	cfg.flow_ctx = dp;
	if (ls_obs_open(&ro->obs, &cfg, &err)) {
		fprintf(stderr, "lockstep run: %s\n", err.msg);
		free(ro);
		return -1;
	}
	ls_obs_set_trace_level(ro->obs, o->kernel_level, o->guest_level);
	obs_link_route_libbpf(ro);
	if (o->kernel_level && apply_kernel_level(ro, o->kernel_level, o->trace_port, &err))
		fprintf(stderr, "lockstep run: kernel trace level: %s\n", err.msg);
	if (o->cfg.metrics_addr)
		fprintf(stderr, "lockstep: metrics on http://%s/metrics (port %d)\n",
			o->cfg.metrics_addr, ls_obs_http_port(ro->obs));
	if (o->cfg.trace_path)
		fprintf(stderr, "lockstep: recording a trace; written to %s on exit and on "
			"`lockstep trace dump`\n", o->cfg.trace_path);
	*out = ro;
	return 0;
}

void obs_link_close(struct obs_link *ro)
{
	if (!ro)
		return;
	ls_dp_libbpf_sink(NULL, NULL);
	ls_obs_close(ro->obs);
	pthread_mutex_destroy(&ro->mu);
	free(ro);
}

struct ls_obs *obs_link_hub(struct obs_link *ro)
{
	return ro ? ro->obs : NULL;
}

int obs_link_http_fd(struct obs_link *ro)
{
	return ls_obs_http_fd(ro->obs);
}

void obs_link_http(struct obs_link *ro)
{
	ls_obs_http_run(ro->obs);
}

void obs_link_event(struct obs_link *ro, const struct ls_event *ev)
{
	ls_obs_event(ro->obs, ev, ls_now_k());
}

void obs_link_event_at(struct obs_link *ro, const struct ls_event *ev, uint64_t batch_k)
{
	ls_obs_event(ro->obs, ev, batch_k > ev->ts_k ? batch_k : ev->ts_k);
}

void obs_link_drained(struct obs_link *ro, int n)
{
	if (n > 0)
		ls_obs_queue_depth(ro->obs, (uint64_t)n, ls_now_k());
}

void obs_link_policy(struct obs_link *ro, const struct ls_policy *p)
{
	struct ls_policy_stats st;
	ls_policy_stats(p, &st);
	/* a reload may have named another file */
	obs_link_policy_stats(ro, ls_policy_path(p), &st);
	ro->policy = p;
}

void obs_link_policy_stats(struct obs_link *ro, const char *path,
			   const struct ls_policy_stats *ps)
{
	struct ls_policy_stats st = *ps;
	struct ls_obs_policy op = {
		.path = path,
		.events = st.events,
		.calls = st.calls,
		.traps = st.failures[LS_PF_TRAP],
		.fuel = st.failures[LS_PF_FUEL],
		.restarts = st.restarts,
		.reloads = st.reloads,
		.reload_refused = st.reload_refused,
		.flows = st.flows,
		.healthy = st.healthy != 0,
		.reason = ls_policy_health_name(st.health),
		.why = st.health_why,
	};
	ls_obs_policy(ro->obs, &op, ls_now_k());
}

void obs_link_tick(struct obs_link *ro, const struct ls_policy *p)
{
	uint64_t now = ls_now_k(), c[LS_CNT__MAX];
	const char *names[LS_CNT__MAX];
	struct ls_err err;
	if (!ls_dp_counters_read(ro->dp, c, &err)) {
		for (unsigned i = 0; i < LS_CNT__MAX; i++)
			names[i] = ls_counter_name(i);
		ls_obs_dp_counters(ro->obs, names, c, LS_CNT__MAX, now);
	}
	struct ls_liveness lv;
	if (!ls_dp_liveness_read(ro->dp, &lv, &err))
		ls_obs_liveness(ro->obs, lv.in_failsafe != 0);
	if (p)
		obs_link_policy(ro, p);
	ls_obs_tick(ro->obs, now);
	ls_obs_http_run(ro->obs); /* idle connections time out */
}

void obs_link_set_attach(struct obs_link *ro, const struct ls_dp_opts *o,
			const struct ls_dp_status *st)
{
	char ord[48];
	struct ls_obs_attach a = {
		.iface = o->ifname,
		.xdp_mode = ls_xdp_mode_name(st->xdp_mode),
		.tc_egress = o->tc_egress,
		.tc_link = o->tc_egress ? ls_tc_link_name(st->tc_link) : "",
		.tc_order = !o->tc_egress	? ""
			    : st->tc_order_kept ? "kept"
						: ls_tc_order_str(&o->tc_order, ord, sizeof(ord)),
		.legacy_names = st->legacy_names,
		.adopted = st->adopted_link,
		.pin_dir = st->pin_dir,
		.ringbuf_bytes = st->ringbuf_bytes,
		.pid = (int)getpid(),
	};
	ls_obs_set_attach(ro->obs, &a);
}

void obs_link_set_clock(struct obs_link *ro, const struct ls_clock_opts *c, const struct ls_mapping *m)
{
	struct ls_obs_heartbeat hb = {
		.interval_ns = c->beat_interval_ns,
		.check_interval_ns = c->check_interval_ns ? c->check_interval_ns : c->beat_interval_ns,
		.detect_multiplier = c->detect_multiplier,
		.failsafe_drop = c->failsafe_mode == LS_FAILSAFE_DROP,
		.sync = !c->no_clock_sync,
	};
	ro->beat_interval_ns = hb.check_interval_ns;
	ro->map = m;
	ls_obs_set_heartbeat(ro->obs, &hb);
}

void obs_link_hb_observer(void *arg, const struct ls_hb_beat_info *info)
{
	struct obs_link *ro = arg;
	struct ls_obs_beat b = {
		.seq = info->seq,
		.fired_k = (uint64_t)info->fired_k.ns,
		.delivered_k = (uint64_t)info->delivered_k.ns,
		.configured_interval_ns = ro->beat_interval_ns,
		.observed_interval_ns = info->observed_interval_ns,
		.missed = info->missed,
		.have_sample = info->pings_ok > 0 && info->est.used,
		.rtt_ns = info->est.delay_ns,
		.offset_ns = info->est.theta_ns,
		.step = info->est.step,
		.step_ns = info->est.step_ns,
		.good = info->good,
		.unhealthy = info->unhealthy != NULL,
	};
	if (ro->map && ro->map->valid && !ro->map->identity) {
		/* the mapping's offset at the beat, not the raw sample's */
		/* the offset G - K is by definition the one difference of
		 * the two domains worth reporting */
		b.offset_ns = ls_to_guest(ro->map, info->fired_k).ns - info->fired_k.ns;
		b.rate = ro->map->rate;
		b.rate_unc = ro->map->rate_unc;
		b.eps_ns = ls_mapping_eps_ns(ro->map, info->fired_k);
	}
	ls_obs_beat(ro->obs, &b);
}

int obs_link_control(void *arg, const char *cmd, const char *a, char *reply, size_t len)
{
	struct obs_link *ro = arg;
	struct ls_err err;
	if (!strcmp(cmd, "obs.status")) {
		if (ro->policy) /* its health now, not a second ago */
			obs_link_policy(ro, ro->policy);
		ls_obs_status_json(ro->obs, ls_now_k(), reply, len);
		return 0;
	}
	if (!strcmp(cmd, "trace.dump")) {
		if (ls_obs_trace_dump(ro->obs, a, &err)) {
			snprintf(reply, len, "%s", err.msg);
			return -1;
		}
		snprintf(reply, len, "trace written to %s", a && a[0] ? a : "the --trace file");
		return 0;
	}
	if (!strcmp(cmd, "trace.level")) {
		int k = ls_obs_kernel_trace_level(ro->obs), g = ls_obs_guest_trace_level(ro->obs);
		char lv[32] = "";
		long port = 0;
		const char *sp = strchr(a, ' ');
		snprintf(lv, sizeof(lv), "%.*s", sp ? (int)(sp - a) : (int)strlen(a), a);
		if (sp) {
			char *end;
			port = strtol(sp + 1, &end, 10);
			if (end == sp + 1 || *end || port < 0 || port > 65535) {
				snprintf(reply, len, "trace port must be 0-65535, not '%s'", sp + 1);
				return -1;
			}
		}
		if (parse_levels(lv, &k, &g)) {
			snprintf(reply, len, "trace level wants K[,G] with K 0-1 and G 0-1, not '%s'", lv);
			return -1;
		}
		if (apply_kernel_level(ro, k, (int)port, &err)) {
			snprintf(reply, len, "kernel trace level: %s", err.msg);
			return -1;
		}
		ls_obs_set_trace_level(ro->obs, k, g);
		snprintf(reply, len, "trace level kernel %d guest %d, packets of %s", k, g,
			 port ? "one port" : "every flow");
		if (port)
			snprintf(reply + strlen(reply), len - strlen(reply), " (%ld)", port);
		return 0;
	}
	return -2;
}
