/* busy_poll.h - after a wake-up that drained records, watch the ring a
 * bounded, adaptive while before sleeping again (docs/workers.md,
 * "Wake-ups"): what every reader of a ring does, a worker thread of N and
 * the agent's main loop when it is the one worker. Only while a CPU is
 * spare (the host's CPU pressure, and the reader not losing its CPU while
 * it spins); counted for lockstep_worker_busy_polls_total. */
#ifndef LS_AGENT_BUSY_POLL_H
#define LS_AGENT_BUSY_POLL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct agent_poll {
	uint64_t window_ns; /* --busy-poll: the longest window, 0: never */
	uint64_t max_ns;    /* spinning and draining per wake-up, at most */
	/* the reader's thread only */
	uint64_t spin_ns;		  /* the current window */
	int psi_fd;			  /* /proc/pressure/cpu, -1: none */
	uint64_t psi_k, psi_some_us;	  /* its last reading: when, "some total" */
	bool psi_busy;			  /* the CPUs were contended then */
	uint32_t skip, backoff;		  /* wake-ups left without a window, the next skip */
	/* written by the reader, read by metrics: relaxed atomics */
	_Atomic uint64_t wakeups, hits, misses, yields, backoffs, pressured;
};

/* Records waiting in the ring (no system call), and one batch drained
 * (records taken, or <0) -- the reader's own. */
typedef bool (*agent_poll_pending_fn)(void *ctx);
typedef int (*agent_poll_drain_fn)(void *ctx);

/* window_ns 0: never spins (counts wake-ups only). rt: the reader owns its
 * CPU (SCHED_FIFO, pinned) and polls whatever the host's pressure; else
 * it reads /proc/pressure/cpu, now and later. */
void agent_poll_init(struct agent_poll *p, uint64_t window_ns, uint64_t max_ns, bool rt);
void agent_poll_close(struct agent_poll *p);
/* A wake-up (counted) whose first drain, begun at t0 (K), took n records:
 * busy-polls when it may, draining what comes, and returns within max_ns
 * of t0. */
void agent_poll_after(struct agent_poll *p, uint64_t t0, int n, agent_poll_pending_fn pending,
		      agent_poll_drain_fn drain, void *ctx);
/* A fresh reading of the CPU pressure (at the reader's start and each of
 * its ticks): the first wake-up of a burst then judges the quiet spell
 * before it. */
void agent_poll_pressure(struct agent_poll *p);
/* `lockstep_worker_busy_polls_total` rows of worker `id` (the family's
 * head is the caller's), and its wake-ups. */
void agent_poll_metrics_rows(const struct agent_poll *p, uint32_t id, FILE *f);
uint64_t agent_poll_wakeups(const struct agent_poll *p);

#endif
