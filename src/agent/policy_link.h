/* policy_link.h - the policy side of `lockstep run`: a Wasm policy between the
 * data plane's ring buffer and its verdict map, reloads on SIGHUP and on
 * the control socket's request (control_link.h). agent.c calls these from
 * its one event loop, or one worker thread owns a policy_link
 * (agent/worker.h); nothing here blocks for long. */
#ifndef LS_AGENT_POLICY_LINK_H
#define LS_AGENT_POLICY_LINK_H

#include <stdint.h>

#include "dataplane/dataplane.h"

struct ls_sync;

struct policy_link_opts {
	const char *policy;        /* .wasm file */
	const char *config;        /* --policy-config STR, or @FILE */
	uint64_t fuel;             /* 0: default */
	uint32_t max_memory_pages; /* 0: default */
	uint64_t memory_budget;    /* --guest-memory, bytes; 0: default */
	uint64_t deadline_ns;      /* --guest-deadline; 0: default */
	uint32_t default_verdict;  /* while the guest is unhealthy */
	uint64_t tick_interval_ns; /* 0: 1 s */
	struct ls_sync *sync;      /* the guest clock G and the mapping (NULL:
				    * CLOCK_BOOTTIME and the identity) */
	const struct policy_link *share_kv; /* use its key-value store (workers) */
	const char *state_dir;     /* --state-dir: the store is loaded from
				    * there before init (state_link.h); NULL:
				    * it starts empty */
	bool adopt_flows;          /* hand the flows open in the data plane to
				    * the first instance (one worker: it sees
				    * every flow) */
	/* with several workers (nshards > 1): only the flows the kernel steers
	 * to shard `shard` (ls_dp_shard_of_flow with shard_by) are handed */
	uint32_t shard, nshards, shard_by;
	/* the agent's logger (obs_link.h), from the load on: the policy's and
	 * the guest's lines carry the worker (`shard`); NULL: stderr */
	struct obs_link *ro;
};

struct policy_link;

/* Loads the module; 0, or -1 with a message on stderr. */
int policy_link_open(struct policy_link **out, struct ls_dp *dp,
		    const struct policy_link_opts *o);
void policy_link_close(struct policy_link *rp);

/* One ring-buffer record; batched, dispatched at policy_link_flush (or when
 * the batch is full). */
void policy_link_event(struct policy_link *rp, const struct ls_event *ev);
void policy_link_flush(struct policy_link *rp);
void policy_link_tick(struct policy_link *rp);
void policy_link_sighup(struct policy_link *rp);
/* The guest's configuration string (--policy-config STR or @FILE) for the
 * next load (a reload): 0, or -1 with err when @FILE cannot be read. */
struct ls_err;
int policy_link_guest_config(struct policy_link *rp, const char *arg, struct ls_err *err);
/* A control-socket request for the policy ("reload [PATH]", "status";
 * policy/control.h), after the pending batch is dispatched. */
int policy_link_request(struct policy_link *rp, const char *cmd, const char *arg, char *reply,
		       size_t len);
uint64_t policy_link_tick_ns(const struct policy_link *rp);
/* Observability (obs_link.h): time guest calls and verdict writes. */
struct obs_link;
void policy_link_set_obs(struct policy_link *rp, struct obs_link *ro);
/* The same for one of several workers (agent/worker.h): the hub is shared,
 * each use of it is under obs_link_lock, and no metrics writer is added
 * (the workers' owner reports them). */
void policy_link_set_obs_shared(struct policy_link *rp, struct obs_link *ro);
struct ls_policy;
const struct ls_policy *policy_link_policy(const struct policy_link *rp);
/* Its instance's key-value store (the state file saves it). */
struct ls_kv;
struct ls_kv *policy_link_kv(struct policy_link *rp);
/* The heartbeat's health check (ls_hb_set_health; ctx = the policy_link):
 * NULL while the policy side is healthy, else why not. */
const char *policy_link_health(void *ctx);

/* fn is told of every verdict once it is in the data plane's map (after
 * each batch's write), in the order written; then, once per batch written,
 * fn(ctx, NULL, 0): the batch is over (hold: send what it released, in one
 * go). */
typedef void (*policy_link_verdict_fn)(void *ctx, const struct ls_flow_key *key, uint32_t verdict);
void policy_link_on_verdict(struct policy_link *rp, policy_link_verdict_fn fn, void *ctx);
/* Told each time a dispatch in progress wrote what it decided so far (at
 * most every POLICY_LINK_PROGRESS_NS while its callbacks run, and at its
 * end): the worker's sign of life to its shard (worker.c). */
void policy_link_on_progress(struct policy_link *rp, void (*fn)(void *ctx), void *ctx);

#endif
