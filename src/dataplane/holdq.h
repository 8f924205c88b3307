/* holdq.h - hold until decided, the user-space half (docs/dataplane.md,
 * "Hold"; the kernel half is bpf/hold.h). The kernel hands a held packet
 * over as an LS_EV_HELD record (the frame follows it); this keeps a FIFO
 * per flow and, when the flow's verdict is known, re-injects the queue in
 * order (pass) or frees it (drop), then closes the flow's hold slot by a
 * compare-and-swap from exactly the number of packets it has received --
 * so a packet the kernel held meanwhile makes the close fail, is waited
 * for, and follows the queue. Bounded: bytes held in total (beyond: the
 * fallback, per packet, counted as overflow) and time held (the first
 * packet's K plus the timeout: the fallback, for the whole queue, counted
 * as timeout).
 *
 * Knows nothing about policy: the caller says when a verdict was written
 * (ls_holdq_settle), when fail-safe began (ls_holdq_settle_all) and runs
 * ls_holdq_tick from its timer. One thread.
 *
 * Offline (`lockstep inspect --pcap`, the same queue as a model): nothing
 * is re-injected or answered, time is the capture's (ls_holdq_offline_at)
 * instead of the clock, and each packet's fate goes to the settled
 * callback only. */
#ifndef LS_DATAPLANE_HOLDQ_H
#define LS_DATAPLANE_HOLDQ_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dataplane.h"

struct ls_holdq;

struct ls_holdq_opts {
	uint64_t max_bytes;  /* frames held in total; 0: LS_HOLDQ_MAX_BYTES_DEFAULT */
	uint64_t timeout_ns; /* per hold, from its first packet; 0: default */
	uint32_t fallback;   /* LS_VERDICT_PASS or _DROP (0: drop) */
	int offline;	     /* a model: no re-injection, the caller's time */
};

#define LS_HOLDQ_MAX_BYTES_DEFAULT (16u << 20)
#define LS_HOLDQ_TIMEOUT_NS_DEFAULT (2000ull * 1000000ull)

struct ls_holdq_stats {
	uint64_t held;	       /* packets received to hold */
	uint64_t released;     /* re-injected after a pass (or a pass fallback) */
	uint64_t dropped;      /* freed after a drop or reject (or a drop fallback) */
	uint64_t rejected;     /* ... of which answered by the kernel (a reject) */
	uint64_t overflow;     /* over max_bytes: the fallback at once */
	uint64_t timeout;      /* holds that reached the timeout */
	uint64_t reinject_err; /* re-injections the kernel refused */
	int reinject_errno;    /* the last one's errno */
	uint64_t flows_now;    /* holds open */
	uint64_t pkts_now;     /* packets queued */
	uint64_t bytes_now;    /* bytes queued */
	uint64_t hold_ns_sum;  /* time held of every packet settled, summed */
	uint64_t hold_ns_max;
};

/* Why a held packet got its fate. */
enum ls_holdq_why {
	LS_HOLDQ_BY_VERDICT = 0, /* the flow's verdict */
	LS_HOLDQ_BY_TIMEOUT,	 /* its hold reached the timeout: the fallback */
	LS_HOLDQ_BY_BYTES,	 /* over max_bytes: the fallback at once */
	LS_HOLDQ_BY_FAILSAFE,	 /* fail-safe entered: its verdict */
	LS_HOLDQ_BY_NEW_HOLD,	 /* the kernel began a new hold of the flow: the fallback */
};

/* One settled packet, for the callback. */
struct ls_holdq_settled {
	const struct ls_flow_key *key;
	const struct ls_event_held *h; /* its record (seq, hook, lengths) */
	uint64_t tag;		       /* offline: what ls_holdq_offline_at gave when it came */
	uint64_t held_ns;	       /* from its arrival to its fate */
	uint32_t verdict;	       /* applied: PASS, DROP or a reject */
	uint32_t why;		       /* enum ls_holdq_why */
};

/* Called after each packet is settled (for a histogram, or the model's
 * report); may be NULL. */
typedef void (*ls_holdq_settled_fn)(void *ctx, const struct ls_holdq_settled *s);

int ls_holdq_open(struct ls_holdq **out, struct ls_dp *dp, const struct ls_holdq_opts *o,
		  struct ls_err *err);
void ls_holdq_close(struct ls_holdq *q);
void ls_holdq_on_settled(struct ls_holdq *q, ls_holdq_settled_fn fn, void *ctx);

/* Closes every hold open in the kernel (a previous agent's, whose packets
 * died with it): their flows are not left held. Returns how many. */
int ls_holdq_reset(struct ls_holdq *q);
/* The same without a queue (an agent that does not hold); -errno. */
int ls_holdq_reset_dp(struct ls_dp *dp);

/* Batched (the agent, docs/dataplane.md "Hold: what a held flow costs"):
 * released frames are queued and sent together, holds settled are closed,
 * and new holds' verdicts looked up in the map, only at ls_holdq_commit,
 * which the caller runs after each batch of records and its verdicts
 * (ls_holdq_tick and _close run it too). Unbatched (the default, the
 * model): each operation does all of it at once. */
void ls_holdq_set_batched(struct ls_holdq *q, bool on);
void ls_holdq_commit(struct ls_holdq *q);

/* One LS_EV_HELD record (the frame follows ev). */
void ls_holdq_add(struct ls_holdq *q, const struct ls_event *ev);

/* The flow's verdict was written: pass re-injects its queue, drop frees
 * it, reject frees it and sends the kernel's answer to each packet (the
 * reject verdict must be in the verdicts map). Nothing held for key: nothing to do. */
void ls_holdq_settle(struct ls_holdq *q, const struct ls_flow_key *key, uint32_t verdict);

/* Every hold gets verdict (fail-safe: the policy side is silent). */
void ls_holdq_settle_all(struct ls_holdq *q, uint32_t verdict);

/* Timeouts, and closes still waiting for a late packet. now_k: clock K. */
void ls_holdq_tick(struct ls_holdq *q, uint64_t now_k);

void ls_holdq_stats(const struct ls_holdq *q, struct ls_holdq_stats *st);

/* Offline only: the time (ns, any origin: the capture's) and a tag (the
 * frame number) for what ls_holdq_add, _settle and _tick do next. */
void ls_holdq_offline_at(struct ls_holdq *q, uint64_t now, uint64_t tag);

/* Holds open whose packets number at least n (the kernel's per-hold
 * bound reached); *key is one of them. */
uint32_t ls_holdq_full(const struct ls_holdq *q, uint32_t n, struct ls_flow_key *key);

#endif
