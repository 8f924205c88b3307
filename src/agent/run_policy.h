/* run_policy.h - the policy side of `lockstep run`: a Wasm policy between the
 * data plane's ring buffer and its verdict map, reloads on SIGHUP and on
 * the control socket's request (run_control.h). cmd_run.c calls these from
 * its one event loop; nothing here blocks for long or runs on another
 * thread. */
#ifndef LS_CLI_RUN_POLICY_H
#define LS_CLI_RUN_POLICY_H

#include <stdint.h>

#include "dataplane/dataplane.h"

struct ls_sync;

struct run_policy_opts {
	const char *policy;        /* .wasm file */
	const char *config;        /* --policy-config STR, or @FILE */
	uint64_t fuel;             /* 0: default */
	uint32_t max_memory_pages; /* 0: default */
	uint32_t default_verdict;  /* while the guest is unhealthy */
	uint64_t tick_interval_ns; /* 0: 1 s */
	struct ls_sync *sync;      /* the guest clock G and the mapping (NULL:
				    * CLOCK_BOOTTIME and the identity) */
};

struct run_policy;

/* Loads the module; 0, or -1 with a message on stderr. */
int run_policy_open(struct run_policy **out, struct ls_dp *dp,
		    const struct run_policy_opts *o);
void run_policy_close(struct run_policy *rp);

/* One ring-buffer record; batched, dispatched at run_policy_flush (or when
 * the batch is full). */
void run_policy_event(struct run_policy *rp, const struct ls_event *ev);
void run_policy_flush(struct run_policy *rp);
void run_policy_tick(struct run_policy *rp);
void run_policy_sighup(struct run_policy *rp);
/* A control-socket request for the policy ("reload [PATH]", "status";
 * policy/control.h), after the pending batch is dispatched. */
int run_policy_request(struct run_policy *rp, const char *cmd, const char *arg, char *reply,
		       size_t len);
uint64_t run_policy_tick_ns(const struct run_policy *rp);
/* Observability (run_obs.h): time guest calls and verdict writes. */
struct run_obs;
void run_policy_set_obs(struct run_policy *rp, struct run_obs *ro);
struct ls_policy;
const struct ls_policy *run_policy_policy(const struct run_policy *rp);
/* The heartbeat's health check (ls_hb_set_health; ctx = the run_policy):
 * NULL while the policy side is healthy, else why not. */
const char *run_policy_health(void *ctx);

#endif
