/* hold.h - hold until decided inside `lockstep run` (docs/dataplane.md,
 * "Hold"): the --hold-* options, the kernel's share of them in the config,
 * and the user-space queue (dataplane/holdq.h) wired to the agent: held
 * records from the ring, verdicts as the policy writes them, fail-safe
 * entered, and a timer for timeouts. */
#ifndef LS_AGENT_HOLD_H
#define LS_AGENT_HOLD_H

#include <stdbool.h>
#include <stdio.h>

#include "dataplane/dataplane.h"
#include "dataplane/holdq.h"

enum {
	AGENT_HOLD_OPT_MAX_PACKETS = 0x4d00,
	AGENT_HOLD_OPT_MAX_BYTES,
	AGENT_HOLD_OPT_TIMEOUT,
	AGENT_HOLD_OPT_FALLBACK,
};

struct agent_hold_opts {
	uint32_t max_pkts;   /* per hold (kernel); 0: LS_HOLD_MAX_PKTS_DEFAULT */
	uint64_t max_bytes;  /* in total (user space); 0: default */
	uint64_t timeout_ns; /* per hold; 0: default */
	uint32_t fallback;   /* LS_VERDICT_PASS/DROP; 0: drop */
	bool given;	     /* a --hold-* option was given */
};

/* One option (c is an AGENT_HOLD_OPT_*): 0, or 2 with a message on stderr. */
int agent_hold_parse(struct agent_hold_opts *o, int c, const char *arg);
/* The kernel's share: hold_max_pkts, hold_fallback, hold_stale_ns. */
void agent_hold_config(const struct agent_hold_opts *o, struct ls_config *cfg);
/* What the policy's verdict is while its guest is unhealthy, under hold. */
uint32_t agent_hold_fallback(const struct agent_hold_opts *o);

struct agent_hold;

/* failsafe_mode: what held packets get when the data plane enters
 * fail-safe (enum ls_failsafe_mode; OFF: nothing). nholds: how many holds
 * the agent runs (one per worker, docs/workers.md "Hold"): each gets
 * 1/nholds of --hold-max-bytes. reset: close the holds an earlier agent
 * left open (the first hold opened only). 0 or -1 (stderr). */
int agent_hold_open(struct agent_hold **out, struct ls_dp *dp, const struct agent_hold_opts *o,
		    uint32_t failsafe_mode, uint32_t nholds, bool reset);
void agent_hold_close(struct agent_hold *h);
/* Every ring record (HELD and FAILSAFE are used). */
void agent_hold_event(struct agent_hold *h, const struct ls_event *ev);
/* Fail-safe entered, told from another thread (a worker's hold, from the
 * main thread that reads FAILSAFE records): the hold's next tick settles
 * everything held per its failsafe_mode. Thread-safe; NULL: nothing. */
void agent_hold_post_failsafe(struct agent_hold *h);
/* A verdict was written for key (the policy's verdict hook); key NULL:
 * the batch of verdicts is over (ls_holdq_commit). */
void agent_hold_verdict(void *h, const struct ls_flow_key *key, uint32_t verdict);
/* After each batch of records: what it released is sent, what it settled
 * closed (ls_holdq_commit). NULL: nothing. */
void agent_hold_commit(struct agent_hold *h);
void agent_hold_tick(struct agent_hold *h);
uint64_t agent_hold_tick_ns(const struct agent_hold *h);
struct ls_metrics;
/* Registers the lockstep_hold_* metrics (docs/metrics.md). */
void agent_hold_set_metrics(struct agent_hold *h, struct ls_metrics *reg);
/* h adds to the metrics from registered (another worker's hold; used
 * under the same lock as registered's). */
void agent_hold_share_metrics(struct agent_hold *h, const struct agent_hold *from);
/* Its warnings (timeouts, re-injection errors) to the agent's log. */
struct ls_log;
void agent_hold_set_log(struct agent_hold *h, struct ls_log *log);
void agent_hold_stats(const struct agent_hold *h, struct ls_holdq_stats *st);

#endif
