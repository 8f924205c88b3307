/* status.c - `lockstep status` as one JSON object (hub.h,
 * ls_obs_status_json): what runs in this agent and how it is doing. A
 * section appears only for what runs: "heartbeat" with the heartbeat,
 * "policy" with a policy, "metrics" with --metrics. The schema is in
 * docs/observability.md; `lockstep status` (src/cli/cmd_status.c) prints it
 * for people. */
#include "obs/hub_int.h"
#include "obs/http.h"
#include "base/json.h"
#include "base/time.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *p;
	size_t left;
	bool full;
};

static void put(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *w, const char *fmt, ...)
{
	if (w->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->p, w->left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->left) {
		w->full = true;
		return;
	}
	w->p += n;
	w->left -= (size_t)n;
}

static double secs(uint64_t now, uint64_t then)
{
	return now > then ? (double)(now - then) / 1e9 : 0.0;
}

/* Kernel time k as RFC 3339 UTC wall time, by the hub's source (the log's) */
static const char *wall(char *buf, const struct ls_obs *o, uint64_t k)
{
	return ls_fmt_rfc3339(buf, LS_RFC3339_LEN, o->cfg.time.wall_from_k(o->cfg.time.ctx, k));
}

static void attach(struct out *w, const struct ls_obs *o)
{
	const struct ls_obs_attach *a = &o->attach;
	char e1[80], e2[600], e3[120];
	put(w,
	    ",\"attach\":{\"iface\":\"%s\",\"xdp_mode\":\"%s\",\"tc_egress\":%s,\"tc_link\":\"%s\","
	    "\"tc_order\":\"%s\",\"adopted\":%s,\"legacy_names\":%d,"
	    "\"pin_dir\":\"%s\",\"ringbuf_bytes\":%llu}",
	    ls_json_str(e1, sizeof(e1), o->iface), o->xdp_mode, a->tc_egress ? "true" : "false",
	    o->tc_link, ls_json_str(e3, sizeof(e3), o->tc_order), a->adopted ? "true" : "false",
	    a->legacy_names, ls_json_str(e2, sizeof(e2), o->pin_dir),
	    (unsigned long long)a->ringbuf_bytes);
}

static void heartbeat(struct out *w, const struct ls_obs *o, uint64_t now)
{
	const struct ls_obs_beat *b = &o->last_beat;
	put(w, ",\"heartbeat\":{\"interval_ns\":%lld,\"check_interval_ns\":%lld,"
	       "\"detect_multiplier\":%d,\"fail_safe\":\"%s\",\"sync\":%s,\"beats\":%llu,"
	       "\"missed\":%llu",
	    (long long)o->hb.interval_ns, (long long)o->hb.check_interval_ns,
	    o->hb.detect_multiplier, o->hb.failsafe_drop ? "drop" : "pass",
	    o->hb.sync ? "true" : "false", (unsigned long long)o->n_beats,
	    (unsigned long long)ls_metric_value(o->beats_missed, NULL));
	char at[LS_RFC3339_LEN];
	if (o->n_beats)
		put(w, ",\"last_beat_seq\":%llu,\"last_beat_age_s\":%.3f,\"last_beat_at\":\"%s\"",
		    (unsigned long long)b->seq, secs(now, b->delivered_k),
		    wall(at, o, b->delivered_k));
	if (o->have_beat)
		put(w, ",\"offset_ns\":%lld,\"rate_ppm\":%.3f,\"rate_uncertainty_ppm\":%.3f,"
		       "\"uncertainty_ns\":%lld,\"round_trip_ns\":%lld",
		    (long long)b->offset_ns, b->rate * 1e6, b->rate_unc * 1e6, (long long)b->eps_ns,
		    (long long)b->rtt_ns);
	put(w, "}");
}

static void policy(struct out *w, const struct ls_obs *o)
{
	const struct ls_obs_policy *p = &o->last_policy;
	char esc[600];
	put(w,
	    ",\"policy\":{\"path\":\"%s\",\"healthy\":%s,\"events\":%llu,\"calls\":%llu,"
	    "\"traps\":%llu,\"fuel_exhausted\":%llu,\"restarts\":%llu,\"reloads\":%llu,"
	    "\"reloads_refused\":%llu,\"flows\":%llu",
	    ls_json_str(esc, sizeof(esc), o->policy_path), p->healthy ? "true" : "false",
	    (unsigned long long)p->events, (unsigned long long)p->calls,
	    (unsigned long long)p->traps, (unsigned long long)p->fuel,
	    (unsigned long long)p->restarts, (unsigned long long)p->reloads,
	    (unsigned long long)p->reload_refused, (unsigned long long)p->flows);
	/* the heartbeat's health rule, with its reason (docs/clock.md) */
	if (!p->healthy)
		put(w, ",\"reason\":\"%s\",\"why\":\"%s\"", o->policy_reason,
		    ls_json_str(esc, sizeof(esc), o->policy_why));
	put(w, "}");
}

static void alarms(struct out *w, const struct ls_obs *o, uint64_t now)
{
	char esc[400];
	int open = 0;
	for (int i = 0; i < LS_ALARM__MAX; i++)
		open += o->al[i].open;
	put(w, ",\"alarms_open\":%d,\"alarms\":[", open);
	bool first = true;
	for (int i = 0; i < LS_ALARM__MAX; i++) {
		const struct alarm *a = &o->al[i];
		if (!a->count)
			continue;
		char t1[LS_RFC3339_LEN], t2[LS_RFC3339_LEN];
		put(w,
		    "%s{\"kind\":\"%s\",\"open\":%s,\"count\":%llu,\"first_k\":%llu,\"last_k\":%"
		    "llu,\"first\":\"%s\",\"last\":\"%s\",\"age_s\":%.1f,\"msg\":\"%s\"}",
		    first ? "" : ",", ls_alarm_name(i), a->open ? "true" : "false",
		    (unsigned long long)a->count, (unsigned long long)a->first_k,
		    (unsigned long long)a->last_k, wall(t1, o, a->first_k), wall(t2, o, a->last_k),
		    secs(now, a->last_k), ls_json_str(esc, sizeof(esc), a->msg));
		first = false;
	}
	put(w, "]");
}

size_t ls_obs_status_json(struct ls_obs *o, uint64_t now, char *buf, size_t len)
{
	struct out w = {buf, len, len == 0};
	bool fs = o->in_failsafe || o->lv_failsafe;
	char t1[LS_RFC3339_LEN], t2[LS_RFC3339_LEN];
	put(&w, "{\"ts\":\"%s\",\"pid\":%d,\"started\":\"%s\",\"uptime_s\":%.3f,\"mode\":\"%s\"",
	    wall(t1, o, now), o->attach.pid, wall(t2, o, o->start_k), secs(now, o->start_k),
	    fs ? "fail-safe" : "normal");
	if (o->have_attach)
		attach(&w, o);
	if (o->have_hb)
		heartbeat(&w, o, now);
	put(&w, ",\"packets\":{\"total\":%llu,\"per_s\":%.1f,\"dropped\":%llu}",
	    (unsigned long long)o->pkts, o->pkts_rate, (unsigned long long)o->pkts_dropped);
	put(&w, ",\"events\":{\"total\":%llu,\"per_s\":%.1f,\"ringbuf_lost\":%llu}",
	    (unsigned long long)o->n_events, o->events_rate,
	    (unsigned long long)ls_metric_value(o->ring_lost, NULL));
	put(&w, ",\"verdicts\":{\"total\":%llu,\"per_s\":%.1f", (unsigned long long)o->n_verdicts,
	    o->verdicts_rate);
	double p99 = ls_metric_quantile(o->verdict_latency, NULL, 0.99);
	if (!isnan(p99))
		put(&w, ",\"latency_p99_s\":%.9f", p99);
	put(&w, "}");
	if (o->have_policy)
		policy(&w, o);
	put(&w, ",\"trace\":{\"recording\":%s,\"records\":%llu,\"kernel_level\":%d,\"guest_level\":%d}",
	    o->trace ? "true" : "false", o->trace ? (unsigned long long)ls_trace_count(o->trace) : 0ull,
	    o->kernel_level, o->guest_level);
	if (o->http)
		put(&w, ",\"metrics\":{\"port\":%d}", ls_http_port(o->http));
	alarms(&w, o, now);
	put(&w, "}");
	if (!w.full)
		return (size_t)(w.p - buf);
	/* keep it valid JSON even when the buffer was too small */
	if (len >= 32)
		return (size_t)snprintf(buf, len, "{\"error\":\"status truncated\"}");
	if (len)
		buf[0] = 0;
	return 0;
}
