/* policy_link.c - glue between the data plane and the policy pipeline for
 * `lockstep run` (policy_link.h): the verdict sink writes the data plane's
 * verdict map, counters come from the pinned flows map, and every verdict
 * is also printed as a JSON line on stdout next to the events.
 *
 * Verdicts are queued as the policy sets them and written together at the
 * end of each dispatched batch (one bpf_map_update_batch, not a syscall per
 * verdict); a queue that fills up is written at once. */
#include "agent/policy_link.h"
#include "agent/obs_link.h"
#include "clock/sync.h"
#include "agent/control.h"
#include "agent/state_link.h"
#include "policy/policy.h"
#include "base/file.h"
#include "base/names.h"
#include "dataplane/dataplane.h"
#include "dataplane/event_json.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rule kinds go from the policy to the data plane as they are */
_Static_assert((int)LS_PRULE_HTTP == (int)LS_RULE_HTTP && (int)LS_PRULE_TLS == (int)LS_RULE_TLS &&
		       (int)LS_PRULE_DNS == (int)LS_RULE_DNS &&
		       (int)LS_PRULE_CLIENT == (int)LS_RULE_CLIENT &&
		       (int)LS_PRULE_SERVER == (int)LS_RULE_SERVER,
	       "rule kinds");

#define BATCH 256
#define VQ 256 /* verdicts written in one go */
/* A dispatch whose callbacks are slow (a guest stopped at its 20 ms
 * deadline on each) writes what it decided so far this often, rather than
 * at its end: its verdicts reach the kernel, and its worker shows its
 * shard it is alive, within this and one callback (docs/workers.md,
 * "Liveness per shard"). */
#define POLICY_LINK_PROGRESS_NS 10000000ull

struct policy_link {
	struct ls_dp *dp;
	struct ls_policy *p;
	int flows_fd;            /* pinned flows map, read-only use; -1 if none */
	uint64_t tick_ns;
	struct ls_event batch[BATCH];
	int n;
	uint64_t write_errors;
	struct obs_link *ro;      /* observability, NULL when none */
	struct ls_sync_guest gclock; /* this instance's view of G (o->sync) */
	bool obs_shared;         /* ro is shared with other threads: lock it */
	uint32_t worker;         /* which worker runs it (0 with one) */
	bool unhealthy;          /* last health verdict given to the heartbeat */
	/* verdicts set, not yet written */
	struct ls_flow_key vkey[VQ];
	struct ls_verdict_rec vrec[VQ];
	uint64_t vflow[VQ];
	uint64_t vset_k[VQ];	 /* when the policy set it (K) */
	uint64_t disp_k;	 /* K when the dispatch in progress began; 0: none */
	int vrc[VQ];
	uint32_t nv;
	/* told of every verdict written (hold: releases what waits for it) */
	policy_link_verdict_fn on_verdict;
	void *on_verdict_ctx;
	void (*on_progress)(void *ctx); /* policy_link_on_progress */
	void *on_progress_ctx;
	uint64_t written_k; /* K of the dispatch's start or its last write */
};

/* The hub is shared when several workers run (obs_link_lock). */
static void obs_lock(struct policy_link *rp)
{
	if (rp->obs_shared)
		obs_link_lock(rp->ro);
}

static void obs_unlock(struct policy_link *rp)
{
	if (rp->obs_shared)
		obs_link_unlock(rp->ro);
}

static void verdicts_write(struct policy_link *rp)
{
	struct ls_err err;
	if (!rp->nv)
		return;
	uint64_t start_k = ls_now_k();
	/* A deadline is a duration from when the policy set the verdict (a
	 * TTL from its call, or the default's), but the kernel enforces it
	 * only from now, once it is in the map. Under load a batch takes a
	 * while, and a lease set early in it would lose that while before the
	 * flow ever saw it: it is pushed later by the wait. Later, never
	 * earlier; saturating (docs/clock.md, "Where time crosses"). */
	for (uint32_t i = 0; i < rp->nv; i++) {
		uint64_t d = rp->vrec[i].deadline_k, waited = start_k - rp->vset_k[i];
		if (d && start_k > rp->vset_k[i])
			rp->vrec[i].deadline_k = d > UINT64_MAX - waited ? 0 : d + waited;
	}
	int n = ls_dp_verdicts_write(rp->dp, rp->vkey, rp->vrec, rp->nv, rp->vrc, &err);
	uint64_t end_k = rp->ro ? ls_now_k() : 0;
	if (n < (int)rp->nv && rp->write_errors++ < 10)
		fprintf(stderr, "lockstep: writing %u verdicts: %s\n", rp->nv - (uint32_t)n, err.msg);
	obs_lock(rp);
	for (uint32_t i = 0; i < rp->nv; i++) {
		const struct ls_verdict_rec *r = &rp->vrec[i];
		if (rp->ro)
			ls_obs_verdict(obs_link_hub(rp->ro), rp->vflow[i], r->verdict, r->deadline_k,
				       start_k, end_k, rp->vrc[i] == 0);
		if (rp->vrc[i] == 0 && rp->on_verdict)
			rp->on_verdict(rp->on_verdict_ctx, &rp->vkey[i], r->verdict);
		if (rp->vrc[i] == 0 && ls_print_wants(LS_PRINT_VERDICT)) {
			if (!end_k)
				end_k = ls_now_k();
			/* built without printf, one fwrite: printf per verdict
			 * was 7% of the agent's CPU at 100k new flows/s */
			char line[LS_VERDICT_JSON_MAX];
			int n = ls_verdict_json(line, sizeof(line), end_k, rp->vflow[i], r->verdict,
						r->deadline_k);
			if (n > 0)
				fwrite(line, 1, (size_t)n, stdout);
		}
	}
	if (rp->on_verdict)
		rp->on_verdict(rp->on_verdict_ctx, NULL, 0);
	obs_unlock(rp);
	rp->nv = 0;
}

static int sink_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id,
		      uint32_t verdict, uint64_t deadline_k)
{
	struct policy_link *rp = ctx;
	if (rp->nv == VQ)
		verdicts_write(rp);
	rp->vkey[rp->nv] = *key;
	rp->vrec[rp->nv] = (struct ls_verdict_rec){.deadline_k = deadline_k, .verdict = verdict};
	/* in a dispatch, its start: one clock read per batch, not per verdict;
	 * earlier than the set, so the push below can only be longer, never
	 * shorter (a lease later by at most the batch, never earlier) */
	rp->vset_k[rp->nv] = rp->disp_k ? rp->disp_k : ls_now_k();
	rp->vflow[rp->nv++] = flow_id;
	return 0;
}

static int sink_counters(void *ctx, const struct ls_flow_key *key, struct ls_flow *out)
{
	struct policy_link *rp = ctx;
	if (rp->flows_fd < 0)
		return -1;
	return bpf_map_lookup_elem(rp->flows_fd, key, out) ? -1 : 0;
}

/* the guest's rule kinds are the data plane's */

static int sink_rule(void *ctx, uint32_t kind, const char *pat, size_t len, uint32_t verdict,
		     uint64_t deadline_k, int del)
{
	struct policy_link *rp = ctx;
	struct ls_err err;
	int rc = del ? ls_dp_rule_del(rp->dp, kind, pat, len, &err)
		     : ls_dp_rule_set(rp->dp, kind, pat, len, verdict, deadline_k, &err);
	if (rc && rc != -EINVAL && rc != -ENOENT && rp->write_errors++ == 0)
		fprintf(stderr, "lockstep: kernel rule: %s\n", err.msg);
	return rc;
}

static int sink_verdict(void *ctx, const struct ls_flow_key *key, uint32_t *verdict,
			uint64_t *deadline_k)
{
	struct policy_link *rp = ctx;
	struct ls_verdict_rec rec;
	struct ls_err err;
	int rc = ls_dp_verdict_get(rp->dp, key, &rec, &err);
	if (rc == -ENOENT) {
		*verdict = 0;
		*deadline_k = 0;
		return 0;
	}
	if (rc)
		return -1;
	*verdict = rec.verdict;
	*deadline_k = rec.deadline_k;
	return 0;
}

/* Handover after an agent restart: every flow open in the pinned flow
 * table is made known to the policy before its first load, which tells
 * the new instance of each (on_flow_adopted). Flows idle past the data
 * plane's idle timeout are over, whatever the table says. */
struct seed_ctx {
	struct ls_policy *p;
	uint64_t now_k, idle_ns;
	uint32_t shard, nshards, by; /* only this worker's flows (nshards > 1) */
	size_t n;
};

static int seed_one(void *ctx, const struct ls_flow_key *key, const struct ls_flow *fl)
{
	struct seed_ctx *c = ctx;
	if (fl->state == LS_FLOW_CLOSED || fl->last_seen_k + c->idle_ns < c->now_k)
		return 0;
	bool lo = fl->init_dir == LS_DIR_LO_TO_HI;
	if (c->nshards > 1 && ls_dp_shard_of_flow(key, lo, c->by, c->nshards) != c->shard)
		return 0; /* another worker's: it is told of it */
	struct ls_event ev = {.version = LS_WIRE_VERSION,
			      .kind = LS_EV_FLOW_NEW,
			      .dir = fl->init_dir,
			      .ts_k = fl->first_seen_k,
			      .flow_id = fl->flow_id,
			      .key = *key,
			      .sport = lo ? key->lo_port : key->hi_port,
			      .dport = lo ? key->hi_port : key->lo_port};
	/* a tunnelled flow's tunnel, as far as the key knows it (the outer
	 * addresses were the packets', not kept in the flow table) */
	ev.tun.type = key->tun_type;
	ev.tun.id = key->tun_id;
	ev.tun.depth = key->tun_type ? 1 : 0;
	if (!ls_policy_seed_flow(c->p, &ev, fl->last_seen_k))
		c->n++;
	return 0;
}

static void seed_flows(struct policy_link *rp, const struct policy_link_opts *o)
{
	struct ls_config cfg;
	struct ls_err err;
	struct seed_ctx c = {.p = rp->p,
			     .now_k = ls_now_k(),
			     .idle_ns = LS_IDLE_TIMEOUT_NS_DEFAULT,
			     .shard = o->shard,
			     .nshards = o->nshards,
			     .by = o->shard_by};
	if (!ls_dp_config_read(rp->dp, &cfg, &err) && cfg.idle_timeout_ns)
		c.idle_ns = cfg.idle_timeout_ns;
	if (ls_dp_flows_foreach(rp->dp, seed_one, &c, &err))
		fprintf(stderr, "lockstep: reading the open flows for the policy: %s\n", err.msg);
	else if (c.n && c.nshards > 1)
		fprintf(stderr,
			"lockstep: worker %u: %zu open flows of its shard in the data plane are "
			"handed to the policy\n",
			c.shard, c.n);
	else if (c.n)
		fprintf(stderr,
			"lockstep: %zu open flows in the data plane are handed to the "
			"policy\n",
			c.n);
}

static void sink_progress(void *ctx)
{
	struct policy_link *rp = ctx;
	if (!rp->disp_k)
		return; /* not in a dispatch */
	uint64_t now = ls_now_k();
	if (now - rp->written_k < POLICY_LINK_PROGRESS_NS)
		return;
	verdicts_write(rp);
	rp->written_k = now;
	if (rp->on_progress)
		rp->on_progress(rp->on_progress_ctx);
}

static void sink_flush(void *ctx)
{
	verdicts_write(ctx);
	fflush(stdout);
}

/* The policy's and the guest's lines go to the agent's one log (obs/log.h:
 * same schema, --log, --log-level, rate limits per kind), with the worker
 * whose instance spoke. */
static void log_line(void *ctx, int level, const char *kind, const char *msg, size_t msg_len,
		     const char *fields)
{
	struct policy_link *rp = ctx;
	if (!rp->ro) {
		ls_log_line(stderr, level, kind, msg, msg_len, "%s,\"worker\":%u", fields,
			    rp->worker);
		return;
	}
	/* the obs lock is recursive: the main thread may hold it already */
	obs_link_lock(rp->ro);
	ls_logn(ls_obs_log(obs_link_hub(rp->ro)), level, kind, msg, msg_len,
		"%s,\"worker\":%u", fields, rp->worker);
	obs_link_unlock(rp->ro);
}

int policy_link_open(struct policy_link **out, struct ls_dp *dp,
		    const struct policy_link_opts *o)
{
	struct policy_link *rp = calloc(1, sizeof(*rp));
	char path[4200];
	size_t clen;
	char *cfgstr = NULL;
	struct ls_err e;
	if (ls_read_arg(o->config, LS_POLICY_CONFIG_MAX, &cfgstr, &clen, &e))
		fprintf(stderr, "lockstep run: --policy-config: %s\n", e.msg);

	if (!rp || !cfgstr) {
		free(rp);
		free(cfgstr);
		return -1;
	}
	rp->dp = dp;
	rp->ro = o->ro;
	rp->worker = o->nshards > 1 ? o->shard : 0;
	rp->tick_ns = o->tick_interval_ns ? o->tick_interval_ns : 1000000000ull;
	snprintf(path, sizeof(path), "%s/flows", ls_dp_pin_dir(dp));
	rp->flows_fd = bpf_obj_get(path);
	struct ls_policy_config cfg = {
		.fuel = o->fuel,
		.max_memory_pages = o->max_memory_pages,
		.memory_budget = o->memory_budget,
		.deadline_ns = o->deadline_ns,
		.default_verdict = o->default_verdict ? o->default_verdict : LS_VERDICT_PASS,
		.tick_interval_ns = rp->tick_ns,
		.guest_config = cfgstr,
		.guest_config_len = clen,
		.log = log_line,
		.log_ctx = rp,
		/* guest lines below the log's level cost nothing */
		.min_log_level = o->ro ? ls_log_level(ls_obs_log(obs_link_hub(o->ro))) : LS_LOG_INFO,
	};
	/* the policy keeps node memory for as many flows as the data plane's
	 * table holds (unknown: the policy's default, the same size) */
	struct bpf_map_info minfo = {0};
	uint32_t mlen = sizeof(minfo);
	if (rp->flows_fd >= 0 && !bpf_obj_get_info_by_fd(rp->flows_fd, &minfo, &mlen))
		cfg.flow_limit = minfo.max_entries;
	if (o->sync) { /* G for the guest, deadlines through the live mapping */
		ls_sync_guest_init(&rp->gclock, o->sync);
		cfg.clock = ls_policy_clock_of_guest(&rp->gclock);
	}
	struct ls_verdict_sink sink = {.ctx = rp,
				       .write = sink_write,
				       .counters = sink_counters,
				       .flush = sink_flush,
				       .rule = sink_rule,
				       .verdict = sink_verdict,
				       .progress = sink_progress};
	struct ls_err perr;
	int rc = ls_policy_new(&cfg, &sink, &rp->p, &perr);
	free(cfgstr);
	if (rc) {
		fprintf(stderr, "lockstep run: %s\n", perr.msg);
		goto fail;
	}
	if (o->sync)
		ls_policy_set_mapping_pub(rp->p, ls_sync_mapping_pub(o->sync));
	if (o->share_kv)
		ls_policy_share_kv(rp->p, o->share_kv->p);
	else if (o->state_dir) /* before init: it may read the store */
		state_link_load(ls_policy_kv(rp->p), o->state_dir);
	if (o->adopt_flows)
		seed_flows(rp, o);
	if (ls_policy_load_file(rp->p, o->policy, &perr)) {
		fprintf(stderr, "lockstep run: %s\n", perr.msg);
		goto fail;
	}
	fprintf(stderr, "lockstep: policy %s loaded\n", o->policy);
	*out = rp;
	return 0;
fail:
	policy_link_close(rp);
	return -1;
}

void policy_link_close(struct policy_link *rp)
{
	if (!rp)
		return;
	if (rp->p) { /* events drained last are decided, their verdicts written */
		policy_link_flush(rp);
		verdicts_write(rp);
	}
	if (rp->flows_fd >= 0)
		close(rp->flows_fd);
	ls_policy_free(rp->p);
	free(rp);
}

void policy_link_flush(struct policy_link *rp)
{
	if (!rp->n)
		return;
	struct ls_obs *o = obs_link_hub(rp->ro);
	obs_lock(rp);
	int per_call = o ? ls_obs_guest_trace_level(o) > 0 : 0;
	obs_unlock(rp);
	if (!o) {
		rp->written_k = rp->disp_k = ls_now_k();
		ls_policy_dispatch(rp->p, rp->batch, (size_t)rp->n);
	} else if (per_call) {
		/* per-call guest tracing: one timed dispatch per event */
		for (int i = 0; i < rp->n; i++) {
			obs_lock(rp);
			ls_obs_dispatch_begin(o, &rp->batch[i], 1);
			obs_unlock(rp);
			uint64_t t0 = rp->written_k = rp->disp_k = ls_now_k();
			ls_policy_dispatch(rp->p, &rp->batch[i], 1);
			uint64_t t1 = ls_now_k();
			obs_lock(rp);
			ls_obs_guest_call(o, "dispatch", &rp->batch[i], 1, t0, t1);
			ls_obs_dispatch_end(o);
			obs_unlock(rp);
		}
	} else {
		obs_lock(rp);
		ls_obs_dispatch_begin(o, rp->batch, (size_t)rp->n);
		obs_unlock(rp);
		uint64_t t0 = rp->written_k = rp->disp_k = ls_now_k();
		ls_policy_dispatch(rp->p, rp->batch, (size_t)rp->n);
		uint64_t t1 = ls_now_k();
		obs_lock(rp);
		ls_obs_guest_call(o, "dispatch", rp->batch, (size_t)rp->n, t0, t1);
		ls_obs_dispatch_end(o);
		obs_unlock(rp);
	}
	rp->disp_k = 0;
	rp->n = 0;
}

void policy_link_event(struct policy_link *rp, const struct ls_event *ev)
{
	rp->batch[rp->n++] = *ev;
	if (rp->n == BATCH)
		policy_link_flush(rp);
}

void policy_link_tick(struct policy_link *rp)
{
	policy_link_flush(rp);
	uint64_t t0 = rp->ro ? ls_now_k() : 0;
	ls_policy_tick(rp->p);
	if (rp->ro) {
		uint64_t t1 = ls_now_k();
		obs_lock(rp);
		ls_obs_guest_call(obs_link_hub(rp->ro), "tick", NULL, 0, t0, t1);
		obs_unlock(rp);
	}
}

void policy_link_sighup(struct policy_link *rp)
{
	struct ls_err err;
	policy_link_flush(rp);
	if (ls_policy_reload(rp->p, &err))
		fprintf(stderr, "lockstep: SIGHUP: reload refused, the running policy is "
			"unchanged: %s\n", err.msg);
	else
		fprintf(stderr, "lockstep: SIGHUP: reloaded %s\n", ls_policy_path(rp->p));
}

int policy_link_guest_config(struct policy_link *rp, const char *arg, struct ls_err *err)
{
	char *cfg = NULL;
	size_t len = 0;
	if (ls_read_arg(arg, LS_POLICY_CONFIG_MAX, &cfg, &len, err))
		return -1;
	int rc = ls_policy_set_guest_config(rp->p, cfg, len);
	free(cfg);
	if (rc)
		return ls_errf(err, -ENOMEM, "out of memory for the policy's configuration");
	return 0;
}

int policy_link_request(struct policy_link *rp, const char *cmd, const char *arg, char *reply,
		       size_t len)
{
	/* events already received are decided by the module they came to */
	policy_link_flush(rp);
	return ls_control_policy(rp->p, cmd, arg, reply, len);
}

static void policy_metrics(void *ctx, FILE *f)
{
	struct policy_link *rp = ctx;
	ls_policy_metrics_write(rp->p, f);
}

void policy_link_set_obs(struct policy_link *rp, struct obs_link *ro)
{
	rp->ro = ro;
	if (ro) /* the policy's counters and the guest's own metrics */
		ls_metrics_add_writer(ls_obs_metrics(obs_link_hub(ro)), policy_metrics, rp);
}

void policy_link_set_obs_shared(struct policy_link *rp, struct obs_link *ro)
{
	rp->ro = ro;
	rp->obs_shared = ro != NULL;
}

const struct ls_policy *policy_link_policy(const struct policy_link *rp)
{
	return rp ? rp->p : NULL;
}

struct ls_kv *policy_link_kv(struct policy_link *rp)
{
	return ls_policy_kv(rp->p);
}

uint64_t policy_link_tick_ns(const struct policy_link *rp)
{
	return rp->tick_ns;
}

/* The heartbeat's health check: a beat is good only while the policy runs
 * (docs/clock.md, "What makes a beat good"). Changes are logged once. */
const char *policy_link_health(void *ctx)
{
	struct policy_link *rp = ctx;
	const char *why = ls_policy_health(rp->p);
	if (!why != !rp->unhealthy) {
		fprintf(stderr, "lockstep: policy side %s%s\n", why ? "unhealthy: " : "healthy again",
			why ? why : "");
		if (rp->ro && why)
			ls_obs_state(obs_link_hub(rp->ro), "beat_health",
				     "beats are not good: the policy side is unhealthy, fail-safe "
				     "follows", "\"good\":false,\"reason\":\"%s\"", why);
		else if (rp->ro)
			ls_obs_state(obs_link_hub(rp->ro), "beat_health",
				     "beats are good again: the policy side is healthy",
				     "\"good\":true");
	}
	rp->unhealthy = why != NULL;
	return why;
}

void policy_link_on_verdict(struct policy_link *rp, policy_link_verdict_fn fn, void *ctx)
{
	rp->on_verdict = fn;
	rp->on_verdict_ctx = ctx;
}

void policy_link_on_progress(struct policy_link *rp, void (*fn)(void *ctx), void *ctx)
{
	rp->on_progress = fn;
	rp->on_progress_ctx = ctx;
}
