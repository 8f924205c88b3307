/* steal_rule.h - when a worker drains a peer's ring (docs/workers.md,
 * "Stealing"): the rule alone, apart from the rings and the locks it is
 * applied to in worker.c, so that tests/unit/test_agent_steal.c can hold
 * every clause of it to the doc's numbers. */
#ifndef LS_AGENT_STEAL_RULE_H
#define LS_AGENT_STEAL_RULE_H

#include <stdbool.h>
#include <stdint.h>

/* A peer's records have waited this long, with its consumer position
 * unchanged: the owner was woken and is ready but not running -- behind a
 * kernel thread that does not yield, preempted on a busy CPU until the
 * next tick, its vCPU not run by the host. */
#define AGENT_STEAL_AFTER_NS 100000ull
/* ... but not from a worker whose last batch took longer than this: its
 * guest is slow, and its batch in the thief's thread would hold the
 * thief's own shard (and its tick) as long. */
#define AGENT_STEAL_MAX_BATCH_NS 1000000ull

/* One worker's view of one peer's ring, as it last looked. */
struct agent_steal_seen {
	unsigned long cons; /* the peer's consumer position then */
	uint64_t since;	    /* K since when pending at that position; 0: not */
};

/* One look at a peer: whether to try its lock now. own_pending: the
 * looking worker's own ring has records (they come first: nothing is
 * taken, and nothing about the peer is learnt). */
static inline bool agent_steal_due(struct agent_steal_seen *s, bool own_pending, bool peer_pending,
				   unsigned long peer_cons, uint64_t now_k, uint64_t peer_batch_ns)
{
	if (own_pending)
		return false;
	if (!peer_pending) {
		s->since = 0;
		return false;
	}
	if (!s->since || peer_cons != s->cons) { /* new records, or drained since */
		s->cons = peer_cons;
		s->since = now_k;
		return false;
	}
	return now_k - s->since >= AGENT_STEAL_AFTER_NS &&
	       peer_batch_ns <= AGENT_STEAL_MAX_BATCH_NS;
}

/* After a stolen batch: the peer's ring is looked at afresh. */
static inline void agent_steal_taken(struct agent_steal_seen *s)
{
	s->since = 0;
}

#endif
