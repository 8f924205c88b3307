/* agent.c - the running agent (agent.h): attach or adopt the data plane,
 * wire observability, the control socket, the heartbeat and the policy
 * around it, serve them all from one epoll loop, and tear down in order.
 *
 * Everything runs from one epoll loop: ring buffer, a 1 s housekeeping
 * timer, and SIGTERM/SIGINT/SIGHUP through a signalfd. By default leaving
 * the agent (signal or crash) leaves the program attached and pinned so the
 * next agent adopts it; detach_on_exit removes it on SIGTERM/SIGINT. */
#include "agent/agent.h"
#include "agent/busy_poll.h"
#include "agent/control_link.h"
#include "agent/loop.h"
#include "agent/rt.h"
#include "agent/state_link.h"
#include "agent/worker.h"
#include "base/names.h"
#include "dataplane/event_json.h"
#include "obs/metric_table.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The main thread holds the obs lock (obs_link.h) around each of its
 * handlers that uses the hub; with one worker nobody else takes it. */
#define OBS_LOCKED(r, stmt)                                                                        \
	do {                                                                                       \
		obs_link_lock((r)->ro);                                                            \
		stmt;                                                                              \
		obs_link_unlock((r)->ro);                                                          \
	} while (0)

struct agent {
	struct ls_dp *dp;
	struct ls_loop *loop;
	bool detach_on_exit;
	bool running;		  /* the loop ran: the start succeeded */
	uint64_t events;	  /* delivered to stdout */
	uint64_t last_bad;	  /* ls_dp_events_bad already reported */
	int exit_signal;	  /* what stopped us, 0 when stopped otherwise */
	struct policy_link *rp;	  /* the Wasm policy, when one was asked for */
	struct obs_link *ro;	  /* metrics, log, trace, alarms */
	struct control_link ctl;  /* the control socket (status, trace, reload) */
	bool clock_on;		  /* the heartbeat runs (clock_link_opts.on) */
	struct ls_sync sync;	  /* G, heartbeat, mapping, when clock_on */
	struct agent_hold *hold;  /* held packets, under --default-verdict hold */
	uint32_t nworkers;	  /* policy workers; 1: this thread does it all */
	struct agent_workers *wk; /* the workers when nworkers > 1 (worker.h) */
	uint32_t *awake;	  /* one worker: shard_live[0].awake, set while
				   * this thread is off its epoll (bpf/shard.h) */
	struct agent_poll poll;	  /* one worker: its busy-polling (busy_poll.h) */
	struct state_link *state; /* --state-dir: the key-value store on disk */
	struct config_reload *cr; /* --config: what SIGHUP re-reads */
};

void agent_opts_init(struct agent_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->expiry = -1;
	o->busy_poll_ns = AGENT_BUSY_POLL_NS;
	o->sched_slice_ns = AGENT_SLICE_NS;
	o->nice = AGENT_NICE_DEFAULT;
	o->nice_set = true;
	o->cpu_latency_us = -1;
	obs_link_opts_init(&o->obs);
	clock_link_opts_init(&o->clock);
}

static int on_event(void *ctx, const struct ls_event *ev)
{
	struct agent *r = ctx;
	flockfile(stdout); /* whole lines, whatever the workers print */
	if (ls_event_json_print(stdout, ev) == 0)
		r->events++;
	funlockfile(stdout);
	obs_link_event(r->ro, ev);
	if (r->clock_on)
		ls_hb_handle_event(r->sync.hb, ev);
	/* a beat's health check may have failed shards safe (or ended it):
	 * their records, as if the kernel had written them */
	struct ls_event fe;
	while (r->wk && ev->kind == LS_EV_BEAT && agent_workers_next_failsafe(r->wk, &fe))
		on_event(r, &fe);
	if (r->hold)
		agent_hold_event(r->hold, ev);
	else if (r->wk && ev->kind == LS_EV_FAILSAFE && ev->u.failsafe.entered)
		agent_workers_failsafe(r->wk, ev->u.failsafe.shard); /* their holds */
	if (r->rp && ev->kind != LS_EV_HELD)
		policy_link_event(r->rp, ev);
	return 0;
}

static void on_hold_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct agent *r = data;
	OBS_LOCKED(r, agent_hold_tick(r->hold));
}

/* Events handled per turn of the loop. A drain to the end never ends while
 * the kernel produces as fast as the agent consumes (per-packet tracing
 * under load, a backlog after a stall): the ticks, the heartbeat's beat
 * recovery, the control socket and the metrics would wait all that time.
 * So a turn takes at most this many (one policy batch) and the loop comes
 * back for the rest after serving whatever else is ready. */
#define RING_BUDGET 256

/* The one-worker agent busy-polls too (busy_poll.c), but this loop also
 * serves the control socket, the metrics endpoint, the ticks and the
 * heartbeat's timer: a wake-up spins and drains for at most this long
 * before the loop looks at them (a ring with records left is ready again
 * at once, so a busy ring costs one epoll_wait per this, not a sleep). */
#define AGENT_LOOP_POLL_MAX_NS 500000ull

/* One batch of `events`: drained, dispatched, its verdicts written, its
 * held records released; the records taken (<0: the loop stops). */
static int drain_events(void *ctx)
{
	struct agent *r = ctx;
	bool more = false;
	obs_link_lock(r->ro);
	int n = ls_dp_events_drain_max(r->dp, RING_BUDGET, &more);
	if (n < 0) {
		fprintf(stderr, "lockstep: draining events failed: %s\n", strerror(-n));
		ls_loop_stop(r->loop, 1);
	}
	obs_link_drained(r->ro, n);
	if (r->rp)
		policy_link_flush(r->rp);
	agent_hold_commit(r->hold); /* held records of flows decided already */
	/* Beats sit in the ring behind the backlog: the heartbeat need not
	 * wait for it (a beat not handled for 1.5 intervals is taken from the
	 * kernel's beat map; the late event is then a duplicate). */
	if (more && r->clock_on)
		ls_hb_tick(r->sync.hb);
	obs_link_unlock(r->ro);
	fflush(stdout);
	return n;
}

static bool events_pending(void *ctx)
{
	return ls_dp_events_pending(((struct agent *)ctx)->dp);
}

static void on_ring(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct agent *r = data;
	uint64_t t0 = ls_now_k();
	/* the kernel writes without waking us meanwhile (bpf/shard.h): a
	 * self-IPI per record saved on the packet's CPU */
	ls_dp_awake_set(r->awake, true);
	int n = drain_events(r);
	if (n >= 0)
		agent_poll_after(&r->poll, t0, n, events_pending, drain_events, r);
	ls_dp_awake_set(r->awake, false); /* then the loop looks again, and sleeps */
}

/* lockstep_worker_wakeups_total and _busy_polls_total of the one worker
 * (worker="0"), as worker.c writes them for N. */
static void one_worker_metrics(void *ctx, FILE *f)
{
	struct agent *r = ctx;
	ls_metric_head(f, "lockstep_worker_wakeups_total");
	fprintf(f, "lockstep_worker_wakeups_total{worker=\"0\"} %llu\n",
		(unsigned long long)agent_poll_wakeups(&r->poll));
	ls_metric_head(f, "lockstep_worker_busy_polls_total");
	agent_poll_metrics_rows(&r->poll, 0, f);
}

static void on_policy_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct agent *r = data;
	OBS_LOCKED(r, policy_link_tick(r->rp));
	fflush(stdout);
}

/* Beats the ring buffer did not deliver in time are found by polling. */
static void on_clock_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct agent *r = data;
	OBS_LOCKED(r, ls_hb_tick(r->sync.hb));
}

static void on_metrics(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct agent *r = data;
	OBS_LOCKED(r, obs_link_http(r->ro));
}

static void on_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct agent *r = data;
	OBS_LOCKED(r, obs_link_tick(r->ro, policy_link_policy(r->rp)));
	if (r->state) { /* outside the lock: the write may wait for the disk */
		int saved = state_link_save(r->state);
		OBS_LOCKED(r, state_link_account(r->state, saved));
	}
	if (r->wk)
		agent_workers_report(r->wk);
	else
		agent_poll_pressure(&r->poll); /* a fresh reading for the next burst */
	uint64_t bad = ls_dp_events_bad(r->dp);
	if (bad != r->last_bad) {
		fprintf(stderr,
			"lockstep: %llu malformed event records skipped (wire version or size "
			"mismatch)\n",
			(unsigned long long)(bad - r->last_bad));
		r->last_bad = bad;
	}
	if (!ls_dp_link_pinned(r->dp)) {
		fprintf(stderr,
			"lockstep: the data plane in %s was stopped from outside "
			"(its link pin is gone); exiting\n",
			ls_dp_pin_dir(r->dp));
		ls_loop_stop(loop, 0);
	}
}

static void print_counters(struct ls_dp *dp)
{
	uint64_t c[LS_CNT__MAX];
	struct ls_err err;
	if (ls_dp_counters_read(dp, c, &err)) {
		fprintf(stderr, "lockstep: %s\n", err.msg);
		return;
	}
	fprintf(stderr, "lockstep: counters:");
	for (unsigned i = 0; i < LS_CNT__MAX; i++)
		if (ls_counter_name(i) && c[i])
			fprintf(stderr, " %s=%llu", ls_counter_name(i), (unsigned long long)c[i]);
	fprintf(stderr, "\n");
}

static bool policy_of(const struct agent *r)
{
	return r->rp || (r->wk && r->ctl.policy_fn);
}

static void on_signal(struct ls_loop *loop, int signo, void *data)
{
	struct agent *r = data;
	if (signo == SIGHUP) {
		if (r->cr) /* the file, then the policy (config_reload.h) */
			config_reload(r->cr);
		else if (r->wk && policy_of(r))
			agent_workers_sighup(r->wk);
		else if (r->rp)
			policy_link_sighup(r->rp);
		else
			print_counters(r->dp);
		return;
	}
	if (signo == SIGUSR1) { /* logrotate renamed --log's file */
		struct ls_err err = {0};
		int rc = 0;
		if (obs_link_hub(r->ro))
			OBS_LOCKED(r, rc = ls_obs_reopen_log(obs_link_hub(r->ro), &err));
		if (rc)
			fprintf(stderr, "lockstep: SIGUSR1: %s; still writing the old file\n",
				err.msg);
		return;
	}
	r->exit_signal = signo;
	ls_loop_stop(loop, 0);
}

/* Fresh pins get a full config; adopted pins keep theirs except for what
 * was asked on this command line. */
static int apply_config(struct ls_dp *dp, int default_verdict, int dpi_pkts, int expiry,
			const struct agent_hold_opts *hold, struct ls_err *err)
{
	struct ls_config cfg;
	int rc = ls_dp_config_read(dp, &cfg, err);
	if (rc)
		return rc;
	if (cfg.version != LS_WIRE_VERSION) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.version = LS_WIRE_VERSION;
		cfg.default_verdict = LS_VERDICT_PASS;
		cfg.dpi_max_pkts = LS_DPI_MAX_PKTS_DEFAULT;
		cfg.idle_timeout_ns = LS_IDLE_TIMEOUT_NS_DEFAULT;
	}
	if (default_verdict)
		cfg.default_verdict = (uint32_t)default_verdict;
	if (dpi_pkts)
		cfg.dpi_max_pkts = (uint32_t)dpi_pkts;
	if (expiry >= 0)
		cfg.expiry_mode = (uint8_t)expiry;
	if (cfg.default_verdict == LS_VERDICT_HOLD || hold->given)
		agent_hold_config(hold, &cfg);
	rc = ls_dp_config_write(dp, &cfg, err);
	if (!rc)
		fprintf(stderr, "lockstep: config: default verdict %s, dpi packets %u, expiry %s\n",
			ls_verdict_name(cfg.default_verdict), cfg.dpi_max_pkts,
			cfg.expiry_mode == LS_EXPIRY_STRICT ? "strict" : "sticky");
	return rc;
}

/* One worker (this thread) reads `events`: steer everything there, and
 * free the worker rings a previous agent with several workers left
 * (docs/workers.md, "Restart with another N"). */
static int steer_one_worker(struct ls_dp *dp, struct ls_err *err)
{
	struct ls_dp_shards_status sh;
	int rc = ls_dp_shards_set(dp, 1, LS_SHARD_BY_FLOW, &sh, err);
	if (!rc && sh.was > 1)
		printf("shards: 1 (was %u: %u worker rings removed, records still in them are "
		       "lost)\n",
		       sh.was, sh.removed);
	return rc;
}

static void report_open(const struct ls_dp_opts *o, const struct ls_dp_status *st)
{
	const char *mode = ls_xdp_mode_name(st->xdp_mode);
	if (st->adopted_link) {
		fprintf(stderr,
			"lockstep: adopted the data plane pinned in %s: %d maps, XDP link on %s "
			"(%s mode), nothing re-attached\n",
			st->pin_dir, st->maps_adopted, o->ifname, mode);
		if (st->prog_replaced)
			fprintf(stderr,
				"lockstep: the attached program was another build or used other "
				"maps; replaced it in place (atomic link update)\n");
	} else {
		if (o->xdp_mode == LS_XDP_AUTO && st->xdp_mode == LS_XDP_GENERIC)
			fprintf(stderr,
				"lockstep: native XDP is not available on %s; fell back to "
				"generic mode\n",
				o->ifname);
		fprintf(stderr, "lockstep: attached XDP to %s in %s mode; pins in %s%s\n",
			o->ifname, mode, st->pin_dir,
			st->adopted_maps ? " (existing maps adopted)" : "");
	}
	if (o->tc_egress) {
		char ord[48];
		if (st->tc_link == LS_TC_LINK_TCX && st->tc_order_kept)
			fprintf(stderr,
				"lockstep: TC egress on %s: adopted the pinned TCX link (program "
				"replaced in place if it was another build; it keeps its place)\n",
				o->ifname);
		else if (st->tc_link == LS_TC_LINK_TCX)
			fprintf(stderr, "lockstep: TC egress on %s: TCX link, placed %s%s\n",
				o->ifname, ls_tc_order_str(&o->tc_order, ord, sizeof(ord)),
				st->tc_migrated ? "; the earlier agent's netlink filter removed"
						: "");
		else
			fprintf(stderr,
				"lockstep: TC egress on %s: netlink filter, priority %u (%s)%s%s\n",
				o->ifname, st->tc_prio,
				ls_tc_order_str(&o->tc_order, ord, sizeof(ord)),
				o->tc_link == LS_TC_LINK_NETLINK ? ""
								 : "; this kernel has no TCX links",
				st->tc_adopted ? "; filter replaced in place" : "");
	}
	if (st->legacy_names)
		fprintf(stderr,
			"lockstep: %d adopted maps were made by an earlier version and keep their "
			"kernel names without the ls_ prefix (BPF cannot rename a map); `lockstep "
			"stop` then `run` gives them the prefix, at the cost of their state "
			"(docs/operations.md, Neighbours)\n",
			st->legacy_names);
	if (st->ringbuf_kept)
		fprintf(
		    stderr,
		    "lockstep: --ringbuf-size %u not applied: the pinned ring buffer in %s "
		    "has %u bytes and is adopted as is (it cannot be resized while the data plane "
		    "stays attached; `lockstep stop` first to change it)\n",
		    o->ringbuf_size, st->pin_dir, st->ringbuf_bytes);
	else if (o->ringbuf_size || st->ringbuf_bytes != LS_RINGBUF_SIZE_DEFAULT)
		fprintf(stderr, "lockstep: events ring buffer %u bytes\n", st->ringbuf_bytes);
}

static int agent_loop(struct agent *r)
{
	struct ls_err err;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
	int rc;

	r->loop = ls_loop_new();
	if (!r->loop) {
		fprintf(stderr, "lockstep: creating the event loop failed\n");
		return 1;
	}
	if ((rc = ls_dp_events_open(r->dp, on_event, r, &err))) {
		fprintf(stderr, "lockstep: %s\n", err.msg);
		return 1;
	}
	agent_poll_pressure(&r->poll); /* the baseline the first wake-up judges */
	if ((rc = ls_loop_add_fd(r->loop, ls_dp_events_fd(r->dp), EPOLLIN, on_ring, r)) ||
	    (rc = ls_loop_add_signals(r->loop, sigs, 4, on_signal, r)) ||
	    (rc = ls_loop_add_timer(r->loop, 1000000000ull, on_tick, r)) < 0) {
		fprintf(stderr, "lockstep: setting up the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if ((rc = control_link_attach(&r->ctl, r->loop))) {
		fprintf(stderr, "lockstep: control socket in the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if (r->rp &&
	    (rc = ls_loop_add_timer(r->loop, policy_link_tick_ns(r->rp), on_policy_tick, r)) < 0) {
		fprintf(stderr, "lockstep: setting up the policy in the event loop: %s\n",
			strerror(-rc));
		return 1;
	}
	if (r->hold &&
	    (rc = ls_loop_add_timer(r->loop, agent_hold_tick_ns(r->hold), on_hold_tick, r)) < 0) {
		fprintf(stderr, "lockstep: hold timer in the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if (r->clock_on && (rc = ls_loop_add_timer(r->loop, (uint64_t)r->sync.opts.beat_interval_ns,
						   on_clock_tick, r)) < 0) {
		fprintf(stderr, "lockstep: heartbeat in the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if (obs_link_http_fd(r->ro) >= 0 &&
	    (rc = ls_loop_add_fd(r->loop, obs_link_http_fd(r->ro), EPOLLIN, on_metrics, r))) {
		fprintf(stderr, "lockstep: metrics endpoint in the event loop: %s\n",
			strerror(-rc));
		return 1;
	}
	fprintf(stderr, "lockstep: running (pid %d); SIGTERM/SIGINT %s\n", (int)getpid(),
		r->detach_on_exit ? "detach and remove the pins"
				  : "leave the data plane attached and pinned for the next agent");
	/* Events that arrived before we started listening. */
	OBS_LOCKED(r, ls_dp_events_drain(r->dp));
	fflush(stdout);
	if (r->wk && agent_workers_start(r->wk))
		return 1;
	/* everything is loaded: the beat may start (clock_link.h) */
	if (r->clock_on && clock_link_start(&r->sync))
		return 1;
	r->running = true;
	rc = ls_loop_run(r->loop);
	OBS_LOCKED(r, ls_dp_events_drain(r->dp));
	fflush(stdout);
	return rc < 0 ? 1 : rc;
}

/* One worker per CPU the agent may run on: the online CPUs in its affinity
 * mask (taskset, systemd's CPUAffinity=, a cpuset), so that a process
 * confined to k CPUs runs k workers, not one per CPU of the host. */
static long agent_cpus(void)
{
	cpu_set_t set;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0 &&
	    (online < 1 || CPU_COUNT(&set) < online))
		return CPU_COUNT(&set);
	return online;
}

/* --workers N; AGENT_WORKERS_AUTO or 0 (not given: the default): one per
 * CPU (docs/workers.md, "Default"). */
static uint32_t agent_nworkers(const struct agent_opts *o)
{
	long n = o->workers && o->workers != AGENT_WORKERS_AUTO ? (long)o->workers : agent_cpus();
	if (n < 1)
		n = 1;
	if (n > LS_SHARDS_MAX) {
		fprintf(stderr,
			"lockstep: %ld CPUs: running %d policy workers (the most there are "
			"rings for)\n",
			n, LS_SHARDS_MAX);
		n = LS_SHARDS_MAX;
	}
	return (uint32_t)n;
}

int agent_run(const struct agent_opts *o)
{
	struct agent r = {.ctl.fd = -1, .detach_on_exit = o->detach_on_exit};
	struct policy_link_opts po = o->policy;
	int default_verdict = o->default_verdict;

	struct ls_dp_status st;
	struct ls_err err;
	/* first: every thread made from here on (workers, the metrics
	 * server's) inherits it; --rt's SCHED_FIFO replaces it later */
	agent_sched_slice(o->sched_slice_ns);
	if (o->nice_set)
		agent_nice(o->nice);
	/* held until the process ends: closing the fd withdraws it */
	if (o->cpu_latency_us >= 0 && agent_cpu_latency(o->cpu_latency_us) >= 0)
		fprintf(stderr,
			"lockstep: CPU wake-up latency held at %ld us (/dev/cpu_dma_latency): "
			"idle CPUs %s\n",
			o->cpu_latency_us,
			o->cpu_latency_us == 0 ? "poll instead of halting" : "skip deeper idle states");
	ls_dp_libbpf_hold(); /* libbpf's lines wait for the log (obs_link_open) */
	if (ls_dp_open(&r.dp, &o->dp, &st, &err)) {
		ls_dp_libbpf_release();
		fprintf(stderr, "lockstep run: %s\n", err.msg);
		return 1;
	}
	report_open(&o->dp, &st);
	/* block-buffered: every handler that prints flushes when it is done
	 * (a batch of records, a tick, a control request), so lines are never
	 * held longer than that -- but a batch costs one write, not one per
	 * line (docs/dataplane.md, "Hold: what a held flow costs") */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	r.nworkers = agent_nworkers(o);
	/* N workers poll their own rings (worker.c); this thread then only
	 * counts nothing */
	agent_poll_init(&r.poll, r.nworkers == 1 ? o->busy_poll_ns : 0, AGENT_LOOP_POLL_MAX_NS,
			o->rt);
	int rc = r.nworkers > 1 ? 0 : steer_one_worker(r.dp, &err);
	if (!rc && r.nworkers == 1)
		r.awake = ls_dp_shard_awake(r.dp, 0);
	if (!rc)
		rc = apply_config(r.dp, default_verdict, o->dpi_pkts, o->expiry, &o->hold, &err);
	if (rc)
		fprintf(stderr, "lockstep run: %s\n", err.msg);
	struct ls_config hcfg;
	bool holding =
	    !rc && !ls_dp_config_read(r.dp, &hcfg, &err) && hcfg.default_verdict == LS_VERDICT_HOLD;
	if (holding && st.xdp_mode == LS_XDP_GENERIC) {
		/* generic XDP runs on the skb path, where a re-injected frame
		 * would meet the program again and be held again */
		fprintf(stderr,
			"lockstep run: --default-verdict hold needs native XDP; %s is in "
			"generic mode\n",
			o->dp.ifname);
		rc = 1;
	}
	if (!rc)
		rc = obs_link_open(&r.ro, &o->obs, r.dp);
	if (!rc) {
		obs_link_set_attach(r.ro, &o->dp, &st);
		if (r.nworkers == 1)
			ls_metrics_add_writer(ls_obs_metrics(obs_link_hub(r.ro)), one_worker_metrics,
					      &r);
		rc = control_link_open(&r.ctl, o->control_path, r.ro);
	}
	po.ro = r.ro; /* the policy logs through the agent's logger */
	if (!rc && o->clock.on) {
		rc = clock_link_open(&r.sync, &o->clock, r.dp);
		if (!rc) {
			r.clock_on = true;
			ls_hb_set_observer(r.sync.hb, obs_link_hb_observer, r.ro);
			obs_link_set_clock(r.ro, &o->clock.clock, ls_sync_live_mapping(&r.sync));
			po.sync = &r.sync;
		}
	} else if (!rc) {
		struct ls_err msg;
		if (ls_hb_disarm_pinned(ls_dp_pin_dir(r.dp), &msg))
			fprintf(stderr, "lockstep run: %s\n", msg.msg);
	}
	if (!rc && !holding) {
		/* an earlier agent that held packets died with them: its flows
		 * must not stay held (hold.h) */
		int n = ls_holdq_reset_dp(r.dp);
		if (n > 0)
			fprintf(stderr,
				"lockstep: hold: closed %d holds an earlier agent left open "
				"(their packets went with it)\n",
				n);
	}
	uint32_t failsafe_mode = o->clock.on ? o->clock.clock.failsafe_mode : LS_FAILSAFE_OFF;
	if (!rc && holding && r.nworkers == 1) { /* N workers: each holds its flows */
		rc = agent_hold_open(&r.hold, r.dp, &o->hold, failsafe_mode, 1, true);
		if (!rc) {
			agent_hold_set_metrics(r.hold, ls_obs_metrics(obs_link_hub(r.ro)));
			agent_hold_set_log(r.hold, ls_obs_log(obs_link_hub(r.ro)));
		}
	}
	if (!rc && po.policy) {
		/* while the guest is unhealthy its flows get the data plane's
		 * default for undecided flows, from the config just written */
		struct ls_config dcfg;
		po.default_verdict = default_verdict ? (uint32_t)default_verdict : LS_VERDICT_PASS;
		if (!default_verdict && !ls_dp_config_read(r.dp, &dcfg, &err))
			po.default_verdict = dcfg.default_verdict;
		if (po.default_verdict == LS_VERDICT_HOLD)
			po.default_verdict = agent_hold_fallback(&o->hold);
	}
	if (rc) {
	} else if (r.nworkers > 1) {
		struct agent_workers_opts wo = {.n = r.nworkers,
						.by = o->shard_by,
						.po = &po,
						.ro = r.ro,
						.busy_poll_ns = o->busy_poll_ns,
						.rt = o->rt,
						.hold = holding ? &o->hold : NULL,
						.failsafe_mode = failsafe_mode};
		rc = agent_workers_open(&r.wk, r.dp, &wo);
		if (!rc && po.policy) {
			if (r.clock_on)
				ls_hb_set_health(r.sync.hb, agent_workers_health, r.wk);
			control_link_set_policy_fn(&r.ctl, agent_workers_request, r.wk);
			agent_workers_report(r.wk);
		}
	} else if (po.policy) {
		po.adopt_flows = true; /* one worker sees every flow */
		rc = policy_link_open(&r.rp, r.dp, &po);
		if (!rc) {
			policy_link_set_obs(r.rp, r.ro);
			/* a good beat also means the policy can run */
			if (r.clock_on)
				ls_hb_set_health(r.sync.hb, policy_link_health, r.rp);
			control_link_set_policy(&r.ctl, r.rp);
			obs_link_policy(r.ro, policy_link_policy(r.rp));
			if (r.hold)
				policy_link_on_verdict(r.rp, agent_hold_verdict, r.hold);
		}
	}
	if (!rc && po.policy && po.state_dir) {
		struct ls_kv *kv = r.rp ? policy_link_kv(r.rp) : agent_workers_kv(r.wk);
		if (kv)
			r.state =
			    state_link_open(po.state_dir, kv, ls_obs_metrics(obs_link_hub(r.ro)));
	}
	if (!rc) {
		ls_obs_state(obs_link_hub(r.ro), "agent_start", "agent running",
			     "\"iface\":\"%s\",\"pid\":%d", o->dp.ifname, (int)getpid());
	}
	static struct config_reload cr; /* one agent per process */
	if (!rc && o->config_path && o->reread) {
		cr = (struct config_reload){.path = o->config_path,
					    .reread = o->reread,
					    .ctx = o->reread_ctx,
					    .ro = r.ro,
					    .rp = r.rp,
					    .wk = r.wk,
					    .policy_runs = po.policy != NULL};
		if (o->applied)
			cr.running = *o->applied;
		r.cr = &cr;
	}
	if (!rc && o->rt) {
		/* before the workers start: they inherit the main thread's
		 * policy, then pin themselves (worker.c); the main thread runs
		 * the heartbeat, which must not starve behind them */
		agent_rt_lock_memory();
		agent_rt_thread("the main thread", -1);
	}
	if (!rc)
		rc = agent_loop(&r);
	control_link_close(&r.ctl);
	agent_workers_close(r.wk); /* each drains its ring, writes its verdicts */
	policy_link_close(r.rp);
	state_link_close(r.state); /* after the last events were decided */
	agent_hold_close(r.hold);
	if (r.ro)
		ls_obs_state(obs_link_hub(r.ro), "agent_stop", "agent stopping", NULL);
	if (r.clock_on)
		ls_sync_close(&r.sync); /* the pinned beat keeps the watchdog going */
	obs_link_close(r.ro);		/* writes the trace */

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", ls_dp_pin_dir(r.dp));
	bool stopped_outside = !ls_dp_link_pinned(r.dp);
	ls_loop_free(r.loop);
	agent_poll_close(&r.poll);
	ls_dp_close(r.dp);
	if (rc && !r.running && !st.adopted_link && !st.adopted_maps && !stopped_outside) {
		/* the start failed after a fresh attach: nothing of this agent
		 * stays attached (an adopted data plane stays, for the next) */
		bool found;
		if (ls_dp_stop(dir, &found, &err))
			fprintf(stderr, "lockstep: detaching after the failed start: %s\n",
				err.msg);
		else
			fprintf(stderr,
				"lockstep: the start failed: detached and removed the pins "
				"in %s\n",
				dir);
	} else if (r.detach_on_exit && r.exit_signal && !stopped_outside) {
		bool found;
		if (ls_dp_stop(dir, &found, &err)) {
			fprintf(stderr, "lockstep: detaching: %s\n", err.msg);
			return 1;
		}
		fprintf(stderr, "lockstep: %s: detached and removed the pins in %s\n",
			strsignal(r.exit_signal), dir);
	} else if (!stopped_outside) {
		fprintf(stderr, "lockstep: exiting; the data plane stays attached, pins in %s\n",
			dir);
	}
	ls_dp_libbpf_release(); /* a start that failed before the log: the warnings held */
	return rc ? 1 : 0;
}
