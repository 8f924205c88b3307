/* worker.c - N policy workers (worker.h, docs/workers.md): a thread per
 * shard ring, each with its own policy_link (its own Wasm instance, batch,
 * verdict queue) and its own epoll loop; the main thread reloads them,
 * asks their status and reads what they publish after each batch. */
#include "agent/worker.h"
#include "agent/steal_rule.h"
#include "agent/busy_poll.h"
#include "obs/metric_table.h"
#include "agent/control.h"
#include "agent/loop.h"
#include "agent/obs_link.h"
#include "agent/rt.h"
#include "base/json.h"
#include "base/time.h"
#include "dataplane/event_json.h"
#include "obs/trace.h"
#include "policy/gmetrics.h"
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Records taken per batch: one policy batch (dispatch, then the verdicts
 * written in one go). It adapts to the backlog (docs/workers.md,
 * "Wake-ups"): a batch that left records behind doubles the next one's
 * budget, up to MAX (fewer lock, flush and publish rounds per record while
 * catching up); a batch that found less than a quarter of its budget halves
 * it, down to MIN. It starts at 256, the main thread's RING_BUDGET. */
#define WORKER_BUDGET 256
#define WORKER_BUDGET_MIN 64
#define WORKER_BUDGET_MAX 2048
/* Busy-polling never keeps a worker from its loop (its tick, a stop) for
 * longer than this in one wake-up. */
#define WORKER_POLL_MAX_NS 2000000ull

struct worker {
	struct agent_workers *g;
	uint32_t id;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;	 /* this worker's policy: batch, tick, reload */
	struct policy_link *rp;	 /* NULL: no policy, events are only printed */
	struct agent_hold *hold; /* its flows' held packets (under mu); NULL: no hold */
	struct ls_dp_ring *ring; /* shard_rings[id] */
	uint32_t *awake;	 /* shard_live[id].awake (ls_dp_shard_awake), or NULL */
	struct ls_loop *loop;
	int stop_fd;			  /* eventfd: the main thread asks it to stop */
	uint64_t events;		  /* records drained (under mu) */
	uint64_t batch_k;		  /* K when the batch being drained began (under mu) */
	uint32_t budget;		  /* this worker's thread only: the next batch's size */
	struct agent_poll poll;		  /* its busy-polling and wake-ups (busy_poll.h) */
	/* its thread only: each peer's ring as it last saw it pending */
	struct agent_steal_seen seen[LS_SHARDS_MAX];
	_Atomic uint64_t stolen; /* batches of its ring another worker drained */
	_Atomic uint64_t batch_ns; /* how long its last batch took (written under mu) */
	/* published after each batch and tick (snap_mu, a leaf lock) */
	pthread_mutex_t snap_mu;
	struct ls_policy_stats snap;
	struct ls_gmetrics *gsnap; /* its guest's metrics (copied when changed) */
	uint64_t snap_events;
	_Atomic uint64_t progress_k; /* K time of its last batch or tick */
	_Atomic uint64_t busy_k;     /* K when its batch or tick in progress
				      * began (waiting for its lock included);
				      * 0 while it waits for work */
	_Atomic uint64_t tick_k;     /* K when its last tick ended (its leases
				      * renewed, their verdicts written); its
				      * start before the first */
	/* main thread only (the heartbeat's health check and status) */
	_Atomic bool live; /* published a sign of life to its shard at the last beat */
	char why[160];	   /* why not, when !live */
};

struct agent_workers {
	struct ls_dp *dp;
	struct obs_link *ro;
	uint32_t n;
	uint64_t tick_ns;
	bool policy;
	char path[4096]; /* the module the workers run (main thread only) */
	char why[192];	 /* agent_workers_health's answer */
	bool unhealthy;	 /* its last answer was not NULL (logged once) */
	/* shard fail-safe transitions the health check's watchdog made, for
	 * agent_workers_next_failsafe (main thread only) */
	struct ls_event fs_ev[LS_SHARDS_MAX];
	uint32_t fs_n, fs_next;
	bool shard_live;       /* the kernel judges each shard (shard_live map) */
	bool rt;	       /* --rt: each thread SCHED_FIFO and pinned */
	struct worker w[];     /* n of them */
};

static void publish(struct worker *w)
{
	struct ls_policy_stats st;
	if (w->rp)
		ls_policy_stats(policy_link_policy(w->rp), &st);
	pthread_mutex_lock(&w->snap_mu);
	if (w->rp) {
		w->snap = st;
		/* a generation check, then the defined entries only */
		ls_gm_copy(w->gsnap, ls_policy_gmetrics(policy_link_policy(w->rp)));
	}
	w->snap_events = w->events;
	pthread_mutex_unlock(&w->snap_mu);
	atomic_store_explicit(&w->progress_k, ls_now_k(), memory_order_release);
}

/* One record of this worker's ring (dataplane's ls_dp_event_fn). */
static int on_event(void *ctx, const struct ls_event *ev)
{
	struct worker *w = ctx;
	w->events++;
	flockfile(stdout); /* one line, never interleaved with another thread's */
	ls_event_json_print(stdout, ev);
	funlockfile(stdout);
	obs_link_lock(w->g->ro);
	obs_link_event_at(w->g->ro, ev, w->batch_k); /* no clock read per record */
	if (w->hold)				     /* its metrics are the hub's */
		agent_hold_event(w->hold, ev);
	obs_link_unlock(w->g->ro);
	if (w->rp && ev->kind != LS_EV_HELD)
		policy_link_event(w->rp, ev);
	return 0;
}

/* A batch of w's ring under w->mu (held by the caller: w's thread, or a
 * peer that steals it): what the budget allows, dispatched, its verdicts
 * written, its held records released. */
static int drain_locked(struct worker *w, uint32_t budget, bool *more)
{
	/* the records' delivery time, once per batch: as it is taken */
	w->batch_k = ls_now_k();
	int n = ls_dp_ring_drain_max(w->ring, budget, more);
	if (n < 0)
		fprintf(stderr, "lockstep: worker %u: draining its ring failed: %s\n", w->id,
			strerror(-n));
	if (w->rp)
		policy_link_flush(w->rp);
	if (w->hold) { /* held records of flows decided already */
		obs_link_lock(w->g->ro);
		agent_hold_commit(w->hold);
		obs_link_unlock(w->g->ro);
	}
	publish(w);
	atomic_store_explicit(&w->batch_ns, ls_now_k() - w->batch_k, memory_order_relaxed);
	return n;
}

/* After a batch of w's, its lock let go. */
static void drain_done(struct worker *w, int n)
{
	if (n > 0) {
		obs_link_lock(w->g->ro);
		obs_link_drained(w->g->ro, n);
		obs_link_unlock(w->g->ro);
	}
	fflush(stdout);
}

/* A batch before the lock is let go (a reload waits for this boundary). */
static int drain(struct worker *w, uint32_t budget, bool *more_out)
{
	bool more = false;
	atomic_store_explicit(&w->busy_k, ls_now_k(), memory_order_release);
	pthread_mutex_lock(&w->mu);
	int n = drain_locked(w, budget, &more);
	pthread_mutex_unlock(&w->mu);
	atomic_store_explicit(&w->busy_k, 0, memory_order_release);
	drain_done(w, n);
	if (more_out)
		*more_out = more;
	return n;
}

/* Drains the rings of peers whose records wait, their owner ready but not
 * running (the rule: steal_rule.h; docs/workers.md "Stealing"), under
 * the owner's lock, so its flows' callbacks stay in order in one
 * instance. A look is two loads per peer; nothing is taken from a peer in
 * a batch or a tick (its lock held: a guest stalled there fails its shard
 * safe, as it must). */
static void steal(struct worker *w)
{
	struct agent_workers *g = w->g;
	uint64_t now = 0;
	bool own = ls_dp_ring_pending(w->ring);
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *p = &g->w[i];
		if (p == w)
			continue;
		bool pending = !own && ls_dp_ring_pending(p->ring);
		if (pending && !now)
			now = ls_now_k();
		if (!agent_steal_due(&w->seen[i], own, pending,
				     pending ? ls_dp_ring_consumed(p->ring) : 0, now,
				     atomic_load_explicit(&p->batch_ns, memory_order_relaxed)) ||
		    pthread_mutex_trylock(&p->mu))
			continue;
		/* p->busy_k is p's own: p may have set it and be waiting for
		 * the lock, and a thief clearing it would hide p's next batch
		 * from the health check. A stolen batch that never ends holds
		 * p's lock, so p's tick goes overdue and its shard fails safe. */
		bool more = false;
		int n = drain_locked(p, WORKER_BUDGET, &more);
		pthread_mutex_unlock(&p->mu);
		drain_done(p, n);
		agent_steal_taken(&w->seen[i]);
		if (n > 0)
			atomic_fetch_add_explicit(&p->stolen, 1, memory_order_relaxed);
	}
}

/* The next batch's budget, from what this one found (WORKER_BUDGET). */
static void adapt_budget(struct worker *w, int n, bool more)
{
	if (more && w->budget < WORKER_BUDGET_MAX)
		w->budget *= 2;
	else if (!more && n >= 0 && (uint32_t)n < w->budget / 4 && w->budget > WORKER_BUDGET_MIN)
		w->budget /= 2;
}

static bool ring_pending(void *ctx)
{
	return ls_dp_ring_pending(((struct worker *)ctx)->ring);
}

static int drain_adapt(void *ctx)
{
	struct worker *w = ctx;
	bool more = false;
	int n = drain(w, w->budget, &more);
	adapt_budget(w, n, more);
	if (w->g->n > 1)
		steal(w);
	return n;
}

/* While it drains and busy-polls (busy_poll.c) the worker is awake: the
 * kernel writes its records without waking it (shard_live[id].awake;
 * bpf/shard.h, ls_ring_output), a self-IPI per record saved. Before it
 * sleeps it says so, with a full fence: a record written after that wakes
 * it, and one written before is seen by the loop's next epoll_wait, which
 * looks at a ring it reported (level-triggered) once more before
 * sleeping. */
static void on_ring(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct worker *w = data;
	uint64_t t0 = ls_now_k();
	ls_dp_awake_set(w->awake, true);
	agent_poll_after(&w->poll, t0, drain_adapt(w), ring_pending, drain_adapt, w);
	ls_dp_awake_set(w->awake, false);
	if (w->g->n > 1)
		steal(w); /* what waited while it spun */
}

static void on_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct worker *w = data;
	atomic_store_explicit(&w->busy_k, ls_now_k(), memory_order_release);
	pthread_mutex_lock(&w->mu);
	policy_link_tick(w->rp);
	publish(w);
	pthread_mutex_unlock(&w->mu);
	/* before busy_k is cleared: the health check never sees it free with
	 * the tick it just ran still overdue */
	atomic_store_explicit(&w->tick_k, ls_now_k(), memory_order_release);
	atomic_store_explicit(&w->busy_k, 0, memory_order_release);
	fflush(stdout);
	agent_poll_pressure(&w->poll); /* a fresh reading for the next burst */
}

/* Its hold's timeouts, closes, fail-safe and metrics (hold.h). */
static void on_hold_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct worker *w = data;
	pthread_mutex_lock(&w->mu);
	obs_link_lock(w->g->ro);
	agent_hold_tick(w->hold);
	obs_link_unlock(w->g->ro);
	pthread_mutex_unlock(&w->mu);
}

static void on_stop(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	ls_loop_stop(loop, 0);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[16]; /* top -H, perf and bench/sched_stalls.py tell them apart */
	snprintf(name, sizeof(name), "ls-worker%u", w->id);
	pthread_setname_np(pthread_self(), name);
	ls_trace_thread_worker((int)w->id); /* its guest calls and verdicts: its own track */
	if (w->g->rt) {
		char who[32];
		snprintf(who, sizeof(who), "worker %u", w->id);
		agent_rt_thread(who, (int)w->id);
	}
	pthread_mutex_lock(&w->mu);
	publish(w);
	pthread_mutex_unlock(&w->mu);
	atomic_store_explicit(&w->tick_k, ls_now_k(), memory_order_release);
	agent_poll_pressure(&w->poll); /* the baseline the first wake-up judges */
	if (ls_loop_run(w->loop) < 0)
		fprintf(stderr, "lockstep: worker %u: its event loop failed\n", w->id);
	drain(w, 0, NULL); /* what is left: decided before the agent exits */
	return NULL;
}

/* A dispatch in progress wrote its verdicts so far (policy_link.c): the
 * batch counts as progress from here, for the health check and for the
 * shard's liveness (alive_k), not from its start. A batch that writes
 * nothing for the detect timeout -- one callback that does not return --
 * still fails its shard safe. */
static void on_progress(void *ctx)
{
	struct worker *w = ctx;
	/* only inside a batch (its thread sets and clears busy_k around it) */
	if (atomic_load_explicit(&w->busy_k, memory_order_relaxed))
		atomic_store_explicit(&w->busy_k, ls_now_k(), memory_order_release);
}

static int worker_setup(struct agent_workers *g, struct worker *w,
			const struct agent_workers_opts *o)
{
	struct ls_err err;
	int rc;
	if (o->po && o->po->policy) {
		/* one key-value store for all (docs/abi.md, "Workers") */
		struct policy_link_opts po = *o->po;
		po.share_kv = w->id ? g->w[0].rp : NULL;
		/* the handover: each new instance is told of its own shard's
		 * flows open in the pinned table (on_flow_adopted) */
		po.adopt_flows = true;
		po.shard = w->id;
		po.nshards = g->n;
		po.shard_by = o->by;
		if (policy_link_open(&w->rp, g->dp, &po))
			return -1;
		policy_link_set_obs_shared(w->rp, g->ro);
		policy_link_on_progress(w->rp, on_progress, w);
	}
	if (o->hold) {
		/* the first closes what an earlier agent left open; the bytes
		 * bound is split between them */
		if (agent_hold_open(&w->hold, g->dp, o->hold, o->failsafe_mode, g->n, w->id == 0))
			return -1;
		if (w->id == 0 && g->ro)
			agent_hold_set_metrics(w->hold, ls_obs_metrics(obs_link_hub(g->ro)));
		else if (w->id)
			agent_hold_share_metrics(w->hold, g->w[0].hold);
		if (w->rp)
			policy_link_on_verdict(w->rp, agent_hold_verdict, w->hold);
	}
	if (ls_dp_ring_open(g->dp, w->id, on_event, w, &w->ring, &err)) {
		fprintf(stderr, "lockstep run: worker %u: %s\n", w->id, err.msg);
		return -1;
	}
	w->awake = ls_dp_shard_awake(g->dp, w->id);
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->loop = ls_loop_new();
	if (w->stop_fd < 0 || !w->loop) {
		fprintf(stderr, "lockstep run: worker %u: %s\n", w->id, strerror(errno));
		return -1;
	}
	if ((rc = ls_loop_add_fd(w->loop, ls_dp_ring_fd(w->ring), EPOLLIN, on_ring, w)) ||
	    (rc = ls_loop_add_fd(w->loop, w->stop_fd, EPOLLIN, on_stop, w)) ||
	    (w->rp && (rc = ls_loop_add_timer(w->loop, g->tick_ns, on_tick, w)) < 0) ||
	    (w->hold &&
	     (rc = ls_loop_add_timer(w->loop, agent_hold_tick_ns(w->hold), on_hold_tick, w)) < 0)) {
		fprintf(stderr, "lockstep run: worker %u: event loop: %s\n", w->id, strerror(-rc));
		return -1;
	}
	return 0;
}

/* The policy's counters summed over the workers (the metrics writer and
 * the 1 s report); health: the first unhealthy worker's. */
static void sum_stats(struct agent_workers *g, struct ls_policy_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->healthy = 1;
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		pthread_mutex_lock(&w->snap_mu);
		struct ls_policy_stats s = w->snap;
		pthread_mutex_unlock(&w->snap_mu);
		sum->events += s.events;
		sum->calls += s.calls;
		for (int k = 0; k < LS_PF__MAX; k++)
			sum->failures[k] += s.failures[k];
		sum->restarts += s.restarts;
		sum->reloads += s.reloads;
		sum->reload_refused += s.reload_refused;
		sum->verdicts += s.verdicts;
		sum->defaults += s.defaults;
		sum->bad_pointer += s.bad_pointer;
		sum->bad_handle += s.bad_handle;
		sum->guest_errors += s.guest_errors;
		sum->log_lines += s.log_lines;
		sum->log_dropped += s.log_dropped;
		sum->flows += s.flows;
		sum->rules_added += s.rules_added;
		sum->series += s.series;
		sum->series_dropped += s.series_dropped;
		if (sum->healthy && !s.healthy) {
			sum->healthy = 0;
			sum->health = s.health;
			snprintf(sum->health_why, sizeof(sum->health_why), "worker %u: %.100s", i,
				 s.health_why);
			sum->crash_streak = s.crash_streak;
			sum->retry_at_k = s.retry_at_k;
		}
	}
}

/* One per-worker family: HELP, TYPE, then fn's value for each worker
 * (docs/metrics.md, "Workers"). */
struct wrow {
	struct ls_policy_stats st;
	struct ls_shard_live sl;
	uint64_t ring_events;
	uint64_t wakeups, stolen;
	bool live;
};

static void family(FILE *f, const char *name, const struct wrow *r, uint32_t n,
		   double (*fn)(const struct wrow *))
{
	ls_metric_head(f, name); /* HELP and TYPE from the metric table */
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%s{worker=\"%u\"} %.17g\n", name, i, fn(&r[i]));
}

static double v_ring(const struct wrow *r)
{
	return (double)r->ring_events;
}
static double v_calls(const struct wrow *r)
{
	return (double)r->st.calls;
}
static double v_verdicts(const struct wrow *r)
{
	return (double)r->st.verdicts;
}
static double v_restarts(const struct wrow *r)
{
	return (double)r->st.restarts;
}
static double v_healthy(const struct wrow *r)
{
	return r->st.healthy;
}
static double v_live(const struct wrow *r)
{
	return r->live;
}
static double v_flows(const struct wrow *r)
{
	return (double)r->st.flows;
}
static double v_fs(const struct wrow *r)
{
	return r->sl.in_failsafe;
}
static double v_wakeups(const struct wrow *r)
{
	return (double)r->wakeups;
}
static double v_stolen(const struct wrow *r)
{
	return (double)r->stolen;
}
static double v_fs_default(const struct wrow *r)
{
	return (double)r->sl.defaults;
}

/* The guest-defined metrics of every worker's instance, merged: counters
 * and histograms summed, a gauge per worker (gmetrics.h; docs/metrics.md,
 * "Guest metrics with N workers"). Each worker's published copy is taken
 * under its snap lock, then rendered with no lock held. */
static void guest_metrics(struct agent_workers *g, FILE *f)
{
	struct ls_gmetrics *c = calloc(g->n, sizeof(*c));
	const struct ls_gmetrics *parts[LS_SHARDS_MAX];
	if (!c)
		return;
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		pthread_mutex_lock(&w->snap_mu);
		ls_gm_copy(&c[i], w->gsnap);
		pthread_mutex_unlock(&w->snap_mu);
		parts[i] = &c[i];
	}
	ls_gm_write_merged(parts, (int)g->n, f);
	for (uint32_t i = 0; i < g->n; i++)
		ls_gm_free(&c[i]);
	free(c);
}

static void workers_metrics(void *ctx, FILE *f)
{
	struct agent_workers *g = ctx;
	struct ls_policy_stats st;
	sum_stats(g, &st);
	ls_policy_stats_metrics_write(&st, st.health, f);
	guest_metrics(g, f);
	struct wrow r[LS_SHARDS_MAX];
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		pthread_mutex_lock(&w->snap_mu);
		r[i].st = w->snap;
		r[i].ring_events = w->snap_events;
		pthread_mutex_unlock(&w->snap_mu);
		ls_dp_shard_live_get(g->dp, i, &r[i].sl); /* zeros without shard_live */
		r[i].live = atomic_load_explicit(&w->live, memory_order_relaxed);
		r[i].wakeups = agent_poll_wakeups(&w->poll);
		r[i].stolen = atomic_load_explicit(&w->stolen, memory_order_relaxed);
	}
	family(f, "lockstep_worker_wakeups_total", r, g->n, v_wakeups);
	family(f, "lockstep_worker_stolen_batches_total", r, g->n, v_stolen);
	ls_metric_head(f, "lockstep_worker_busy_polls_total");
	for (uint32_t i = 0; i < g->n; i++)
		agent_poll_metrics_rows(&g->w[i].poll, i, f);
	family(f, "lockstep_worker_ring_events_total", r, g->n, v_ring);
	family(f, "lockstep_worker_calls_total", r, g->n, v_calls);
	family(f, "lockstep_worker_verdicts_total", r, g->n, v_verdicts);
	family(f, "lockstep_worker_restarts_total", r, g->n, v_restarts);
	family(f, "lockstep_worker_healthy", r, g->n, v_healthy);
	family(f, "lockstep_worker_live", r, g->n, v_live);
	family(f, "lockstep_worker_flows", r, g->n, v_flows);
	family(f, "lockstep_worker_failsafe", r, g->n, v_fs);
	ls_metric_head(f, "lockstep_worker_failsafe_transitions_total");
	for (uint32_t i = 0; i < g->n; i++)
		fprintf(
		    f,
		    "lockstep_worker_failsafe_transitions_total{worker=\"%u\",direction=\"enter\"} "
		    "%llu\n"
		    "lockstep_worker_failsafe_transitions_total{worker=\"%u\",direction=\"leave\"} "
		    "%llu\n",
		    i, (unsigned long long)r[i].sl.enters, i, (unsigned long long)r[i].sl.leaves);
	family(f, "lockstep_worker_failsafe_default_total", r, g->n, v_fs_default);
}

int agent_workers_open(struct agent_workers **out, struct ls_dp *dp,
		       const struct agent_workers_opts *o)
{
	struct ls_err err;
	struct ls_dp_shards_status sh;
	*out = NULL;
	if (ls_dp_shards_set(dp, o->n, o->by, &sh, &err)) {
		fprintf(stderr, "lockstep run: %s\n", err.msg);
		return -1;
	}
	if (sh.was != sh.n && sh.was > 1)
		printf("shards: %u (was %u: %u worker rings removed, records still in them are "
		       "lost)\n",
		       sh.n, sh.was, sh.removed);
	struct agent_workers *g = calloc(1, sizeof(*g) + o->n * sizeof(struct worker));
	if (!g)
		return -1;
	g->dp = dp;
	g->ro = o->ro;
	g->n = o->n;
	g->policy = o->po && o->po->policy;
	g->tick_ns = o->po && o->po->tick_interval_ns ? o->po->tick_interval_ns : 1000000000ull;
	g->rt = o->rt;
	snprintf(g->path, sizeof(g->path), "%s", g->policy ? o->po->policy : "");
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		w->g = g;
		w->id = i;
		w->stop_fd = -1;
		agent_poll_init(&w->poll, o->busy_poll_ns, WORKER_POLL_MAX_NS, o->rt);
		w->live = true; /* until the heartbeat judges it */
		w->budget = WORKER_BUDGET;
		pthread_mutex_init(&w->mu, NULL);
		pthread_mutex_init(&w->snap_mu, NULL);
		w->gsnap = calloc(1, sizeof(*w->gsnap));
	}
	*out = g;
	for (uint32_t i = 0; i < g->n; i++)
		if (!g->w[i].gsnap) {
			fprintf(stderr, "lockstep run: worker %u: out of memory\n", i);
			return -1;
		}
	for (uint32_t i = 0; i < g->n; i++) {
		if (worker_setup(g, &g->w[i], o))
			return -1;
		/* its stats before its thread runs: the first report and health
		 * check would otherwise sum zeroed snapshots -- "unhealthy",
		 * reason "healthy", 0 restarts -- for up to a second */
		publish(&g->w[i]);
	}
	if (g->policy && g->ro)
		ls_metrics_add_writer(ls_obs_metrics(obs_link_hub(g->ro)), workers_metrics, g);
	fprintf(stderr, "lockstep: %u policy workers, flows sharded by %s\n", g->n,
		o->by == LS_SHARD_BY_CLIENT ? "client" : "flow (5-tuple)");
	return 0;
}

int agent_workers_start(struct agent_workers *g)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* inherited by the threads */
	int rc = 0;
	for (uint32_t i = 0; i < g->n && !rc; i++) {
		rc = pthread_create(&g->w[i].th, NULL, worker_main, &g->w[i]);
		if (rc)
			fprintf(stderr, "lockstep run: starting worker %u: %s\n", i, strerror(rc));
		else
			g->w[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc ? -1 : 0;
}

void agent_workers_close(struct agent_workers *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		uint64_t one = 1;
		if (w->started && write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
			fprintf(stderr, "lockstep: stopping worker %u: %s\n", i, strerror(errno));
	}
	/* every thread first: a running worker may be draining a peer's ring */
	for (uint32_t i = 0; i < g->n; i++)
		if (g->w[i].started)
			pthread_join(g->w[i].th, NULL);
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		policy_link_close(w->rp); /* its last verdicts release what they decide */
		ls_dp_ring_close(w->ring);
		ls_loop_free(w->loop);
		if (w->stop_fd >= 0)
			close(w->stop_fd);
		agent_poll_close(&w->poll);
		pthread_mutex_destroy(&w->mu);
		pthread_mutex_destroy(&w->snap_mu);
		if (w->gsnap)
			ls_gm_free(w->gsnap);
		free(w->gsnap);
	}
	/* the holds last, worker 0's (whose metrics the others share) last of all */
	for (uint32_t i = g->n; i-- > 0;)
		agent_hold_close(g->w[i].hold);
	free(g);
}

/* Reload every worker, worker 0 first: a module it refuses is refused for
 * all, and the others are not touched. */
static int reload_all(struct agent_workers *g, const char *arg, char *reply, size_t len)
{
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		pthread_mutex_lock(&w->mu);
		int rc = policy_link_request(w->rp, "reload", arg, reply, len);
		if (!rc && i == 0)
			snprintf(g->path, sizeof(g->path), "%s",
				 ls_policy_path(policy_link_policy(w->rp)));
		publish(w);
		pthread_mutex_unlock(&w->mu);
		if (rc && i == 0)
			return rc;
		if (rc) { /* the same file loaded on worker 0: memory, not the module */
			char why[512];
			snprintf(why, sizeof(why), "%s", reply);
			snprintf(reply, len,
				 "reload refused by worker %u after workers 0-%u switched: %s", i,
				 i - 1, why);
			return rc;
		}
	}
	size_t l = strlen(reply);
	snprintf(reply + l, len - l, " (%u workers)", g->n);
	/* the status names the new module now, not at the next 1 s report */
	agent_workers_report(g);
	return 0;
}

static int status_all(struct agent_workers *g, char *reply, size_t len)
{
	struct ls_policy_stats sum;
	for (uint32_t i = 0; i < g->n; i++) { /* fresh, unless it is inside a
					       * batch: a stalled worker must
					       * not stall the main thread */
		if (pthread_mutex_trylock(&g->w[i].mu))
			continue;
		publish(&g->w[i]);
		pthread_mutex_unlock(&g->w[i].mu);
	}
	sum_stats(g, &sum);
	int k = snprintf(reply, len,
			 "{\"policy\":\"%s\",\"healthy\":%d,\"health\":\"%s\",\"events\":%llu,"
			 "\"calls\":%llu,\"traps\":%llu,\"fuel\":%llu,\"restarts\":%llu,"
			 "\"reloads\":%llu,\"reload_refused\":%llu,\"flows\":%llu,\"workers\":[",
			 g->path, sum.healthy, ls_policy_health_name(sum.health),
			 (unsigned long long)sum.events, (unsigned long long)sum.calls,
			 (unsigned long long)sum.failures[LS_PF_TRAP],
			 (unsigned long long)sum.failures[LS_PF_FUEL],
			 (unsigned long long)sum.restarts, (unsigned long long)sum.reloads,
			 (unsigned long long)sum.reload_refused, (unsigned long long)sum.flows);
	for (uint32_t i = 0; i < g->n && k > 0 && (size_t)k < len; i++) {
		struct worker *w = &g->w[i];
		pthread_mutex_lock(&w->snap_mu);
		struct ls_policy_stats s = w->snap;
		uint64_t ev = w->snap_events;
		pthread_mutex_unlock(&w->snap_mu);
		struct ls_shard_live sl;
		ls_dp_shard_live_get(g->dp, i, &sl); /* zeros without shard_live */
		char why[256];
		k += snprintf(
		    reply + k, len - (size_t)k,
		    "%s{\"worker\":%u,\"ring_events\":%llu,\"events\":%llu,"
		    "\"healthy\":%d,\"health\":\"%s\",\"restarts\":%llu,"
		    "\"traps\":%llu,\"fuel\":%llu,\"flows\":%llu,\"live\":%d,\"why\":\"%s\","
		    "\"failsafe\":%u,\"failsafe_enters\":%llu,\"failsafe_defaults\":%llu}",
		    i ? "," : "", i, (unsigned long long)ev, (unsigned long long)s.events,
		    s.healthy, ls_policy_health_name(s.health), (unsigned long long)s.restarts,
		    (unsigned long long)s.failures[LS_PF_TRAP],
		    (unsigned long long)s.failures[LS_PF_FUEL], (unsigned long long)s.flows,
		    w->live, ls_json_str(why, sizeof(why), w->live ? "" : w->why), sl.in_failsafe,
		    (unsigned long long)sl.enters, (unsigned long long)sl.defaults);
	}
	if (k > 0 && (size_t)k < len)
		snprintf(reply + k, len - (size_t)k, "]}");
	return 0;
}

int agent_workers_request(void *ctx, const char *cmd, const char *arg, char *reply, size_t len)
{
	struct agent_workers *g = ctx;
	if (!strcmp(cmd, "reload"))
		return reload_all(g, arg, reply, len);
	if (!strcmp(cmd, "status"))
		return status_all(g, reply, len);
	snprintf(reply, len, "unknown request '%s' (reload [PATH] | status)", cmd);
	return -1;
}

int agent_workers_guest_config(struct agent_workers *g, const char *arg, struct ls_err *err)
{
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		pthread_mutex_lock(&w->mu);
		int rc = policy_link_guest_config(w->rp, arg, err);
		pthread_mutex_unlock(&w->mu);
		if (rc)
			return rc;
	}
	return 0;
}

void agent_workers_sighup(struct agent_workers *g)
{
	char reply[1024];
	if (!g->policy)
		return;
	reload_all(g, "", reply, sizeof(reply)); /* refused or reloaded: it says which */
	fprintf(stderr, "lockstep: SIGHUP: %s\n", reply);
}

/* Is worker w free to decide? Its batch or tick in progress began more
 * than 1.5 tick intervals ago (a guest stuck in a long callback, a thread
 * blocked), or its last tick ended more than 1.5 tick intervals ago (the
 * agent was stopped: its leases are not renewed yet), or its policy is
 * unhealthy (a crash loop): not. Judged at the beat's time, not from the
 * worker's last published health: after a SIGSTOP the snapshot says
 * healthy, and a beat that believed it before the worker's first tick ran
 * ended fail-safe with leases expired under it (docs/clock.md, "What
 * makes a beat good", its last row; docs/workers.md "Liveness per shard"). */
static bool judge(struct agent_workers *g, struct worker *w, uint64_t now, uint64_t busy)
{
	if (!g->policy)
		return true;
	uint64_t late = g->tick_ns + g->tick_ns / 2;
	if (busy && now > busy && now - busy > late) {
		snprintf(
		    w->why, sizeof(w->why),
		    "worker %u made no progress for %llu ms (a batch or tick that does not end)",
		    w->id, (unsigned long long)((now - busy) / 1000000));
		return false;
	}
	uint64_t tick = atomic_load_explicit(&w->tick_k, memory_order_acquire);
	if (w->rp && tick && now > tick && now - tick > late) {
		snprintf(w->why, sizeof(w->why),
			 "worker %u: its tick is overdue: the last one ended %llu ms ago (the "
			 "agent was stopped or blocked)",
			 w->id, (unsigned long long)((now - tick) / 1000000));
		return false;
	}
	char why[sizeof(w->snap.health_why)];
	pthread_mutex_lock(&w->snap_mu);
	bool ok = w->snap.healthy;
	memcpy(why, w->snap.health_why, sizeof(why));
	pthread_mutex_unlock(&w->snap_mu);
	why[sizeof(why) - 1] = '\0';
	if (!ok)
		snprintf(w->why, sizeof(w->why), "worker %u: %.120s", w->id, why);
	return ok;
}

/* The per-shard watchdog (ls_dp_shard_watch), at each beat after the
 * workers' signs of life are published: a shard whose worker stays silent
 * past the detect timeout fails safe now, not at its next packet, so the
 * transition is said (and the worker's holds told) even with no traffic;
 * and it leaves once the worker is back. The events are delivered by
 * agent_workers_next_failsafe, after the beat. */
static void watch_shards(struct agent_workers *g, uint64_t now)
{
	struct ls_liveness lv;
	struct ls_err err;
	if (ls_dp_liveness_read(g->dp, &lv, &err) || lv.mode == LS_FAILSAFE_OFF ||
	    lv.in_failsafe) /* the whole data plane is: the kernel does not judge shards */
		return;
	for (uint32_t i = 0; i < g->n && g->fs_n < LS_SHARDS_MAX; i++)
		if (ls_dp_shard_watch(g->dp, i, now, lv.detect_timeout_ns, &g->fs_ev[g->fs_n]) == 1)
			g->fs_n++;
}

/* A worker fell silent or is live again: said once per change, with why
 * (a stall, or its policy's health), so that its shard's fail-safe, which
 * follows a detect timeout later, has a reason in the log. */
static void say_worker(struct agent_workers *g, struct worker *w)
{
	char why[256];
	fprintf(stderr, "lockstep: worker %u %s%s\n", w->id,
		w->live ? "is live again" : "is silent: ", w->live ? "" : w->why);
	if (!g->ro)
		return;
	if (w->live)
		ls_obs_state(obs_link_hub(g->ro), "worker_health",
			     "a worker is live again: its shard leaves fail-safe",
			     "\"worker\":%u,\"good\":true", w->id);
	else
		ls_obs_state(obs_link_hub(g->ro), "worker_health",
			     "a worker is silent: its shard fails safe after the detect timeout",
			     "\"worker\":%u,\"good\":false,\"reason\":\"%s\"", w->id,
			     ls_json_str(why, sizeof(why), w->why));
}

const char *agent_workers_health(void *ctx)
{
	struct agent_workers *g = ctx;
	uint64_t now = ls_now_k();
	struct worker *bad = NULL;
	uint32_t live = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		struct worker *w = &g->w[i];
		uint64_t busy = atomic_load_explicit(&w->busy_k, memory_order_acquire);
		bool was = w->live;
		w->live = judge(g, w, now, busy);
		if (was != w->live)
			say_worker(g, w);
		/* its last moment free: now if it waits for work, else the start
		 * of its batch -- the kernel judges that against its detect
		 * timeout, so a batch longer than it fails its shard safe */
		if (w->live) {
			live++;
			g->shard_live = ls_dp_shard_alive(g->dp, i, busy ? busy : now) == 0;
		} else if (!bad) {
			bad = w;
		}
	}
	if (g->shard_live)
		watch_shards(g, now);
	/* with the kernel judging each shard, one silent worker fails safe
	 * for its shard alone; the whole data plane only when none is left */
	const char *why = NULL;
	if (bad && !(g->shard_live && live)) {
		snprintf(g->why, sizeof(g->why), "%s%s",
			 g->shard_live ? "every worker is silent: " : "", bad->why);
		why = g->why;
	}
	if (!why != !g->unhealthy) { /* said once per change, as with one worker */
		fprintf(stderr, "lockstep: policy side %s%s\n",
			why ? "unhealthy: " : "healthy again", why ? why : "");
		if (g->ro && why)
			ls_obs_state(obs_link_hub(g->ro), "beat_health",
				     "beats are not good: the policy side is unhealthy, fail-safe "
				     "follows",
				     "\"good\":false,\"reason\":\"%s\"", why);
		else if (g->ro)
			ls_obs_state(obs_link_hub(g->ro), "beat_health",
				     "beats are good again: the policy side is healthy",
				     "\"good\":true");
	}
	g->unhealthy = why != NULL;
	return why;
}

bool agent_workers_next_failsafe(struct agent_workers *g, struct ls_event *ev)
{
	if (!g || g->fs_next >= g->fs_n) {
		if (g)
			g->fs_n = g->fs_next = 0;
		return false;
	}
	*ev = g->fs_ev[g->fs_next++];
	return true;
}

void agent_workers_failsafe(struct agent_workers *g, uint32_t shard)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (shard == 0 || shard == i + 1)
			agent_hold_post_failsafe(g->w[i].hold);
}

void agent_workers_report(struct agent_workers *g)
{
	if (!g->policy || !g->ro)
		return;
	struct ls_policy_stats st;
	sum_stats(g, &st);
	obs_link_lock(g->ro);
	obs_link_policy_stats(g->ro, g->path, &st);
	obs_link_unlock(g->ro);
}

struct ls_kv *agent_workers_kv(struct agent_workers *g)
{
	return g && g->n && g->w[0].rp ? policy_link_kv(g->w[0].rp) : NULL;
}
