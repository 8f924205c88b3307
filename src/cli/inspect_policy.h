/* inspect_policy.h - `lockstep inspect --policy`: the capture's events go
 * through a Wasm policy offline; its verdicts are written back into the
 * test-run's verdict map (so later packets of a flow meet them, as live)
 * and printed as JSON lines. */
#ifndef LS_CLI_INSPECT_POLICY_H
#define LS_CLI_INSPECT_POLICY_H

#include <stdint.h>

#include "lockstep/wire.h"

struct ls_testrun;
struct inspect_policy;

struct inspect_policy_opts {
	const char *policy;
	const char *config; /* STR or @FILE */
	uint64_t fuel;
	uint32_t max_memory_pages;
	uint64_t memory_budget; /* --guest-memory; 0: the policy's default */
	uint64_t deadline_ns;   /* --guest-deadline; 0: likewise */
	int print_events;       /* also print every event */
	int log_level;          /* the policy's lines from this level on (obs/log.h) */
};

/* 0, or -1 with a message on stderr. */
int inspect_policy_open(struct inspect_policy **out, const struct inspect_policy_opts *o);
/* The testrun must exist before events flow; set it right after opening it. */
void inspect_policy_set_testrun(struct inspect_policy *ip, struct ls_testrun *t);
/* The ls_event_fn given to ls_testrun_open. */
void inspect_policy_event(void *ctx, const struct ls_event *ev);
/* Told after each verdict the policy writes (the hold model settles the
 * flow's queue); fn may be NULL. */
typedef void (*inspect_verdict_fn)(void *ctx, const struct ls_flow_key *key, uint32_t verdict);
void inspect_policy_on_verdict(struct inspect_policy *ip, inspect_verdict_fn fn, void *ctx);
/* Prints the summary line on stderr; frees. */
void inspect_policy_close(struct inspect_policy *ip);

#endif
