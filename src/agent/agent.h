/* agent.h - the running agent (`lockstep run`), assembled in one call: attach
 * the data plane to an interface (or adopt the one left pinned by a previous
 * agent), then wire observability, the control socket, the heartbeat and the
 * policy around it and serve them all from one event loop (loop.h) until a
 * signal, or until the data plane is stopped from outside.
 *
 * The command line (cli/cmd_run.c) only fills struct agent_opts: everything
 * the agent does is decided here and in the *_link.c files it wires:
 *
 *   obs_link.c      metrics, log, trace, alarms (obs/)
 *   control_link.c  who answers what on the control socket (control.c)
 *   clock_link.c    heartbeat and clock mapping (clock/)
 *   policy_link.c   the Wasm policy between the ring buffer and the verdict
 *                   map: the verdict sink handed down to policy/
 */
#ifndef LS_AGENT_AGENT_H
#define LS_AGENT_AGENT_H

#include <stdbool.h>

#include "agent/clock_link.h"
#include "agent/config_reload.h"
#include "agent/hold.h"
#include "agent/obs_link.h"
#include "agent/policy_link.h"
#include "dataplane/dataplane.h"

struct agent_opts {
	struct ls_dp_opts dp;		/* interface, pins, XDP mode, TC, ring size */
	int default_verdict;		/* LS_VERDICT_PASS/DROP/HOLD/REJECT[|NXDOMAIN]; 0: pinned */
	int dpi_pkts;			/* payload packets inspected; 0: keep */
	int expiry;			/* LS_EXPIRY_*; -1: keep */
	bool detach_on_exit;		/* SIGTERM/SIGINT detach and remove the pins */
	const char *control_path;	/* NULL: $LS_CONTROL_SOCK or the default */
	struct policy_link_opts policy; /* .policy NULL: no policy runs */
	struct obs_link_opts obs;
	struct clock_link_opts clock; /* .on: the heartbeat runs */
	struct agent_hold_opts hold;  /* --hold-* (default_verdict LS_VERDICT_HOLD) */
	uint32_t workers;	      /* --workers N (worker.h); 0 (the default)
				       * or AGENT_WORKERS_AUTO: one per CPU */
	uint32_t shard_by;	      /* --shard-by: LS_SHARD_BY_FLOW (0) / _CLIENT */
	uint64_t busy_poll_ns;	      /* --busy-poll: a worker's spin after records
				       * (worker.h); default AGENT_BUSY_POLL_NS, 0 off */
	bool rt;		      /* --rt: SCHED_FIFO, pinned workers, mlockall */
	int nice;		      /* --nice (rt.h); default AGENT_NICE_DEFAULT */
	bool nice_set;		      /* --nice given (or the default applies) */
	uint64_t sched_slice_ns;      /* --sched-slice (rt.h); default
				       * AGENT_SLICE_NS, 0: the kernel's */
	long cpu_latency_us;	      /* --cpu-latency-us (rt.h); -1 (default):
				       * no request */
	/* --config FILE: SIGHUP re-reads it with reread (config_reload.h);
	 * applied: the options as applied at start, key by key */
	const char *config_path;
	agent_reread_fn reread;
	void *reread_ctx;
	const struct agent_optrec *applied;
};

#define AGENT_BUSY_POLL_NS 50000ull
/* --sched-slice's default: the shortest the kernel takes (rt.h) */
#define AGENT_SLICE_NS 100000ull

#define AGENT_WORKERS_AUTO UINT32_MAX

/* Defaults: nothing asked, every part at its own default. */
void agent_opts_init(struct agent_opts *o);

/* Runs the agent until it is told to stop. Returns the process exit code:
 * 0 after a signal or a stop from outside, 1 when something could not be
 * set up or the loop failed (the reason is on stderr). */
int agent_run(const struct agent_opts *o);

#endif
