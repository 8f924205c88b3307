/* worker.h - N policy workers (docs/workers.md): each a thread with its own
 * Wasm instance of the policy (its own policy_link), its own shard ring
 * (dataplane shards.c, steered by bpf/shard.h) and its own epoll loop that
 * drains the ring in batches. Used by agent.c when --workers > 1; with one
 * worker the agent's main thread does all of it, as before.
 *
 * Locks, in the only order they are taken (never the reverse):
 *   worker mu (held by the worker around each batch and tick, by the main
 *   thread around a reload or a status request of that worker)
 *     -> obs_link_lock (the shared observability hub)
 *       -> snap mu (a leaf: the stats a worker publishes after each batch;
 *          the main thread reads them for health and metrics while holding
 *          the obs lock, so it never waits for a batch there). */
#ifndef LS_AGENT_WORKER_H
#define LS_AGENT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "agent/hold.h"
#include "agent/policy_link.h"
#include "dataplane/dataplane.h"

struct obs_link;
struct agent_workers;

struct agent_workers_opts {
	uint32_t n;			   /* workers, 2..LS_SHARDS_MAX */
	uint32_t by;			   /* LS_SHARD_BY_FLOW / LS_SHARD_BY_CLIENT */
	const struct policy_link_opts *po; /* .policy NULL: workers only print events */
	struct obs_link *ro;		   /* shared hub, under obs_link_lock */
	/* After a drain that took records, look at the ring again (no system
	 * call) for up to this long before sleeping in epoll, adaptively
	 * (docs/workers.md, "Wake-ups"); 0: never spin. */
	uint64_t busy_poll_ns;
	/* SCHED_FIFO at AGENT_RT_PRIO, worker i pinned to the i-th CPU the
	 * process may run on (rt.h; docs/workers.md, "--rt"). */
	bool rt;
	/* --default-verdict hold: each worker holds and releases its own
	 * flows' packets (docs/workers.md, "Hold"); NULL: no hold */
	const struct agent_hold_opts *hold;
	uint32_t failsafe_mode; /* what their held packets get in fail-safe */
};

/* Steers the kernel to n rings, opens them, loads the policy once per
 * worker. Threads start with agent_workers_start. 0, or -1 with a message
 * on stderr. */
int agent_workers_open(struct agent_workers **out, struct ls_dp *dp,
		       const struct agent_workers_opts *o);
/* Starts the threads (with every signal blocked in them: signals are the
 * main thread's). 0 or -1 with a message. */
int agent_workers_start(struct agent_workers *w);
/* Stops and joins the threads (each drains its ring and writes its last
 * verdicts first), frees everything. NULL: nothing. */
void agent_workers_close(struct agent_workers *w);

/* Control-socket policy requests ("reload [PATH]", "status"), the
 * signature of control_link_set_policy_fn. A reload is checked on worker 0
 * first; a refused module leaves every worker unchanged. Each worker
 * switches between two of its batches. */
int agent_workers_request(void *ctx, const char *cmd, const char *arg, char *reply, size_t len);
void agent_workers_sighup(struct agent_workers *w);
/* Every worker's policy configuration string for the next load
 * (policy_link_guest_config). */
struct ls_err;
int agent_workers_guest_config(struct agent_workers *w, const char *arg, struct ls_err *err);
/* The heartbeat's health check (ls_hb_set_health): NULL while every worker
 * is healthy and has made progress within 1.5 tick intervals. */
/* Called as the heartbeat calls it: on the main thread, under the
 * observability lock (it logs the beats' health through the shared hub). */
const char *agent_workers_health(void *ctx);
/* The shard fail-safe transitions the health check's watchdog made at the
 * last beat, one per call (the records the kernel would have written);
 * false when none is left. Main thread. */
bool agent_workers_next_failsafe(struct agent_workers *g, struct ls_event *ev);
/* Once a second from the main thread (not holding the obs lock): the
 * policy stats summed over the workers, to observability. */
void agent_workers_report(struct agent_workers *w);
/* The key-value store the workers' instances share (NULL: no policy). */
struct ls_kv *agent_workers_kv(struct agent_workers *w);
/* The data plane entered fail-safe (shard 0: all of it; i + 1: shard i
 * alone, struct ls_event_failsafe): the holds of the workers concerned
 * settle what they hold at their next hold tick. Any thread. */
void agent_workers_failsafe(struct agent_workers *w, uint32_t shard);

#endif
