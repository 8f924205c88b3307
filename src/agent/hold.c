/* hold.c - hold until decided inside `lockstep run` (hold.h). */
#include "obs/metric_table.h"
#include "agent/hold.h"
#include "base/args.h"
#include "obs/log.h"
#include "obs/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The lockstep_hold_* families (docs/metrics.md): one set, shared by the
 * holds of all workers, each adding what changed since it last told. */
struct hold_metrics {
	struct ls_metric *m_held, *m_released, *m_dropped, *m_overflow, *m_timeout, *m_err;
	struct ls_metric *m_flows, *m_pkts, *m_bytes, *m_seconds;
};

struct agent_hold {
	struct ls_holdq *q;
	uint32_t failsafe_mode;
	uint64_t tick_ns;
	struct ls_holdq_stats told;    /* what the metrics and the log were told */
	struct hold_metrics *mx;       /* NULL without a registry */
	bool own_mx;		       /* mx is this hold's to free */
	_Atomic bool failsafe_pending; /* agent_hold_post_failsafe, for the tick */
	struct ls_log *log;	       /* the agent's; NULL: lines on stderr */
};

void agent_hold_set_log(struct agent_hold *h, struct ls_log *log)
{
	h->log = log;
}

/* One line in the log's schema, to the agent's log when there is one. */
static void say(struct agent_hold *h, int level, const char *kind, const char *msg,
		unsigned long long total)
{
	if (h->log)
		ls_log(h->log, level, kind, msg, "\"total\":%llu", total);
	else
		ls_log_line(stderr, level, kind, msg, strlen(msg), "\"total\":%llu", total);
}

static void on_settled(void *ctx, const struct ls_holdq_settled *s)
{
	struct agent_hold *h = ctx;
	ls_metric_observe(h->mx->m_seconds, s->verdict == LS_VERDICT_PASS ? "pass" : "drop",
			  (double)s->held_ns / 1e9);
}

void agent_hold_share_metrics(struct agent_hold *h, const struct agent_hold *from)
{
	if (!from->mx)
		return;
	h->mx = from->mx;
	ls_holdq_on_settled(h->q, on_settled, h);
}

void agent_hold_set_metrics(struct agent_hold *h, struct ls_metrics *reg)
{
	struct hold_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	h->mx = m;
	h->own_mx = true;
	m->m_held = ls_metric_std(reg, "lockstep_hold_held_total", NULL, 0);
	m->m_released = ls_metric_std(reg, "lockstep_hold_released_total", NULL, 0);
	m->m_dropped = ls_metric_std(reg, "lockstep_hold_dropped_total", NULL, 0);
	m->m_overflow = ls_metric_std(reg, "lockstep_hold_overflow_total", NULL, 0);
	m->m_timeout = ls_metric_std(reg, "lockstep_hold_timeout_total", NULL, 0);
	m->m_err = ls_metric_std(reg, "lockstep_hold_reinject_errors_total", NULL, 0);
	m->m_flows = ls_metric_std(reg, "lockstep_hold_flows", NULL, 0);
	m->m_pkts = ls_metric_std(reg, "lockstep_hold_packets", NULL, 0);
	m->m_bytes = ls_metric_std(reg, "lockstep_hold_bytes", NULL, 0);
	/* the standard buckets: fine from 10 us to 1 ms, where a held
	 * packet's added latency is judged (docs/metrics.md) */
	m->m_seconds = ls_metric_std(reg, "lockstep_hold_seconds", NULL, 0);
	ls_holdq_on_settled(h->q, on_settled, h);
}

/* What changed since the last tick, added: counters and gauges alike
 * (several holds, one per worker, add to the same series). */
static void metrics_update(struct agent_hold *h, const struct ls_holdq_stats *st)
{
	const struct hold_metrics *m = h->mx;
	const struct ls_holdq_stats *t = &h->told;
	if (!m)
		return;
	ls_metric_add(m->m_held, NULL, (double)(st->held - t->held));
	ls_metric_add(m->m_released, NULL, (double)(st->released - t->released));
	ls_metric_add(m->m_dropped, NULL, (double)(st->dropped - t->dropped));
	ls_metric_add(m->m_overflow, NULL, (double)(st->overflow - t->overflow));
	ls_metric_add(m->m_timeout, NULL, (double)(st->timeout - t->timeout));
	ls_metric_add(m->m_err, NULL, (double)(st->reinject_err - t->reinject_err));
	ls_metric_add(m->m_flows, NULL, (double)st->flows_now - (double)t->flows_now);
	ls_metric_add(m->m_pkts, NULL, (double)st->pkts_now - (double)t->pkts_now);
	ls_metric_add(m->m_bytes, NULL, (double)st->bytes_now - (double)t->bytes_now);
}

int agent_hold_parse(struct agent_hold_opts *o, int c, const char *arg)
{
	uint64_t v;
	o->given = true;
	switch (c) {
	case AGENT_HOLD_OPT_MAX_PACKETS:
		if (ls_parse_uint(arg, 1, LS_HOLD_COUNT_MASK > 65535 ? 65535 : LS_HOLD_COUNT_MASK,
				  &v)) {
			fprintf(stderr, "lockstep: --hold-max-packets must be 1-65535, not '%s'\n",
				arg);
			return 2;
		}
		o->max_pkts = (uint32_t)v;
		return 0;
	case AGENT_HOLD_OPT_MAX_BYTES:
		if (ls_parse_bytes(arg, &v) || v < LS_HOLD_FRAME_MAX) {
			fprintf(stderr,
				"lockstep: --hold-max-bytes wants a number of bytes >= %u "
				"(e.g. 64K, 16M), not '%s'\n",
				LS_HOLD_FRAME_MAX, arg);
			return 2;
		}
		o->max_bytes = v;
		return 0;
	case AGENT_HOLD_OPT_TIMEOUT:
		if (ls_parse_duration_ns(arg, &v) || v < 1000000 || v > 60000000000ull) {
			fprintf(stderr,
				"lockstep: --hold-timeout must be a duration from 1ms to "
				"60s, not '%s'\n",
				arg);
			return 2;
		}
		o->timeout_ns = v;
		return 0;
	case AGENT_HOLD_OPT_FALLBACK:
		if (!strcmp(arg, "pass"))
			o->fallback = LS_VERDICT_PASS;
		else if (!strcmp(arg, "drop"))
			o->fallback = LS_VERDICT_DROP;
		else {
			fprintf(stderr,
				"lockstep: --hold-fallback must be pass or drop, not '%s'\n", arg);
			return 2;
		}
		return 0;
	}
	return 2;
}

static uint64_t timeout_ns(const struct agent_hold_opts *o)
{
	return o->timeout_ns ? o->timeout_ns : LS_HOLDQ_TIMEOUT_NS_DEFAULT;
}

uint32_t agent_hold_fallback(const struct agent_hold_opts *o)
{
	return o->fallback == LS_VERDICT_PASS ? LS_VERDICT_PASS : LS_VERDICT_DROP;
}

void agent_hold_config(const struct agent_hold_opts *o, struct ls_config *cfg)
{
	cfg->hold_max_pkts = (uint16_t)(o->max_pkts ? o->max_pkts : LS_HOLD_MAX_PKTS_DEFAULT);
	cfg->hold_fallback = (uint8_t)agent_hold_fallback(o);
	/* the agent settles a hold within its timeout; one still open three
	 * seconds later has lost its agent */
	cfg->hold_stale_ns = timeout_ns(o) + 3000000000ull;
}

int agent_hold_open(struct agent_hold **out, struct ls_dp *dp, const struct agent_hold_opts *o,
		    uint32_t failsafe_mode, uint32_t nholds, bool reset)
{
	struct ls_err err;
	struct agent_hold *h = calloc(1, sizeof(*h));
	*out = NULL;
	if (!h) {
		fprintf(stderr, "lockstep: out of memory\n");
		return -1;
	}
	uint64_t max_bytes = o->max_bytes ? o->max_bytes : LS_HOLDQ_MAX_BYTES_DEFAULT;
	if (nholds > 1) /* the bound is the agent's: each worker holds its share */
		max_bytes /= nholds;
	if (max_bytes < LS_HOLD_FRAME_MAX)
		max_bytes = LS_HOLD_FRAME_MAX;
	struct ls_holdq_opts qo = {
	    .max_bytes = max_bytes,
	    .timeout_ns = timeout_ns(o),
	    .fallback = agent_hold_fallback(o),
	};
	if (ls_holdq_open(&h->q, dp, &qo, &err)) {
		fprintf(stderr, "lockstep: hold: %s\n", err.msg);
		free(h);
		return -1;
	}
	h->failsafe_mode = failsafe_mode;
	/* frames released by a batch of verdicts go in one sendmmsg, and
	 * new holds are looked up only when the batch has not decided them */
	ls_holdq_set_batched(h->q, true);
	/* timeouts are seen within a tenth of the timeout (1-50 ms) */
	h->tick_ns = qo.timeout_ns / 10;
	if (h->tick_ns > 50000000)
		h->tick_ns = 50000000;
	if (h->tick_ns < 1000000)
		h->tick_ns = 1000000;
	int n = reset ? ls_holdq_reset(h->q) : 0;
	if (n)
		fprintf(stderr,
			"lockstep: hold: closed %d holds an earlier agent left open (their "
			"packets went with it)\n",
			n);
	*out = h;
	return 0;
}

void agent_hold_close(struct agent_hold *h)
{
	if (!h)
		return;
	ls_holdq_close(h->q);
	if (h->own_mx)
		free(h->mx);
	free(h);
}

void agent_hold_event(struct agent_hold *h, const struct ls_event *ev)
{
	if (ev->kind == LS_EV_HELD) {
		ls_holdq_add(h->q, ev);
	} else if (ev->kind == LS_EV_FAILSAFE && ev->u.failsafe.entered &&
		   h->failsafe_mode != LS_FAILSAFE_OFF) {
		/* the policy side is silent: nothing held waits for it */
		ls_holdq_settle_all(h->q, h->failsafe_mode == LS_FAILSAFE_PASS ? LS_VERDICT_PASS
									       : LS_VERDICT_DROP);
	}
}

void agent_hold_verdict(void *ctx, const struct ls_flow_key *key, uint32_t verdict)
{
	struct agent_hold *h = ctx;
	if (key)
		ls_holdq_settle(h->q, key, verdict);
	else /* the batch of verdicts is written */
		ls_holdq_commit(h->q);
}

void agent_hold_commit(struct agent_hold *h)
{
	if (h)
		ls_holdq_commit(h->q);
}

void agent_hold_post_failsafe(struct agent_hold *h)
{
	if (h)
		atomic_store(&h->failsafe_pending, true);
}

void agent_hold_tick(struct agent_hold *h)
{
	if (atomic_exchange(&h->failsafe_pending, false) && h->failsafe_mode != LS_FAILSAFE_OFF)
		ls_holdq_settle_all(h->q, h->failsafe_mode == LS_FAILSAFE_PASS ? LS_VERDICT_PASS
									       : LS_VERDICT_DROP);
	ls_holdq_tick(h->q, ls_now_k());
	struct ls_holdq_stats st;
	ls_holdq_stats(h->q, &st);
	metrics_update(h, &st);
	uint64_t errors_told = h->told.reinject_err, timeouts_told = h->told.timeout;
	h->told = st;
	char msg[200];
	if (st.reinject_err != errors_told) {
		snprintf(msg, sizeof(msg), "hold: %llu held packets could not be re-injected: %s",
			 (unsigned long long)(st.reinject_err - errors_told),
			 strerror(st.reinject_errno));
		say(h, LS_LOG_ERROR, "hold_reinject_error", msg,
		    (unsigned long long)st.reinject_err);
	}
	if (st.timeout != timeouts_told) {
		snprintf(msg, sizeof(msg), "hold timeout: %llu held flows got the fallback verdict",
			 (unsigned long long)(st.timeout - timeouts_told));
		say(h, LS_LOG_WARN, "hold_timeout", msg, (unsigned long long)st.timeout);
	}
}

uint64_t agent_hold_tick_ns(const struct agent_hold *h)
{
	return h->tick_ns;
}

void agent_hold_stats(const struct agent_hold *h, struct ls_holdq_stats *st)
{
	ls_holdq_stats(h->q, st);
}
