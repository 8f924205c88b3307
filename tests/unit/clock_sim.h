/* clock_sim.h - a deterministic simulation of guest <-> kernel exchanges,
 * used by the estimator tests and bench/clock_bench.c.
 *
 * K is simulated time. Each beat, the guest reads its (faulty) clock G, the
 * request travels to the kernel (one-way delay = a fixed base, per direction
 * different so the path is asymmetric, plus exponential queueing and, rarely,
 * a spike of up to 5 ms), the kernel stamps receive and send, the reply comes
 * back, the guest reads G again. Ground truth is ls_gclock_truth(). */
#ifndef LS_CLOCK_SIM_H
#define LS_CLOCK_SIM_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "clock/estimator.h"
#include "clock/guestclock.h"

struct clock_sim {
	uint64_t rng;
	struct ls_gclock gc;
	int64_t up_base_ns, down_base_ns; /* asymmetric path */
	int64_t queue_mean_ns;            /* mean exponential queueing */
	double spike_prob;                /* chance of a 0..5 ms spike */
	int64_t interval_ns;              /* beat interval */
	int burst;                        /* exchanges per beat */
	ls_k now_k;
	/* sim_beat_grid: beats planned on an exact grid as the BPF timer does
	 * (a coarse G is then read at one phase unless the burst is dithered) */
	int64_t grid_k0;
	uint64_t beat_n;
	int dither; /* apply ls_est_dither_ns (the heartbeat does) */
};

static inline uint64_t sim_rand(struct clock_sim *s)
{
	/* xorshift64*: deterministic across platforms */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 2685821657736338717ull;
}

static inline double sim_unit(struct clock_sim *s)
{
	return (double)(sim_rand(s) >> 11) / 9007199254740992.0;
}

static inline int64_t sim_queue(struct clock_sim *s)
{
	int64_t q = (int64_t)(-log(1.0 - sim_unit(s)) * (double)s->queue_mean_ns);
	if (sim_unit(s) < s->spike_prob)
		q += (int64_t)(sim_unit(s) * 5e6);
	return q;
}

static inline void sim_init(struct clock_sim *s, uint64_t seed,
			    const struct ls_gclock_spec *spec)
{
	s->rng = seed * 0x9E3779B97F4A7C15ull + 1;
	s->now_k = ls_k_ns(3600 * LS_NS_PER_S + (int64_t)(sim_rand(s) % LS_NS_PER_S));
	ls_gclock_init(&s->gc, spec, s->now_k);
	s->up_base_ns = 300 + (int64_t)(sim_rand(s) % 2700);
	s->down_base_ns = 200 + (int64_t)(sim_rand(s) % 1800);
	s->queue_mean_ns = 500;
	s->spike_prob = 0.05;
	s->interval_ns = 100 * LS_NS_PER_MS;
	s->burst = 4;
	s->grid_k0 = s->now_k.ns;
	s->beat_n = 0;
	s->dither = 1;
}

/* One exchange starting at the current time; advances time. */
static inline struct ls_clock_sample sim_exchange(struct clock_sim *s)
{
	struct ls_clock_sample x;
	ls_k k1 = s->now_k;
	x.g1 = ls_gclock_at(&s->gc, k1);
	x.k2 = ls_k_add(k1, s->up_base_ns + sim_queue(s));
	x.k3 = ls_k_add(x.k2, 150 + (int64_t)(sim_rand(s) % 100));
	ls_k k4 = ls_k_add(x.k3, s->down_base_ns + sim_queue(s));
	x.g4 = ls_gclock_at(&s->gc, k4);
	s->now_k = ls_k_add(k4, 2000);
	return x;
}

/* One beat: wait for the next beat (with wake-up jitter), run a burst and
 * feed it. */
static inline int sim_beat(struct clock_sim *s, struct ls_estimator *est,
			   struct ls_est_update *u)
{
	s->now_k = ls_k_add(s->now_k, s->interval_ns - 20000 +
					      (int64_t)(sim_rand(s) % 100000));
	struct ls_clock_sample xs[16];
	int n = s->burst > 16 ? 16 : s->burst;
	for (int i = 0; i < n; i++)
		xs[i] = sim_exchange(s);
	return ls_est_add_burst(est, xs, n, u);
}

/* One beat as the heartbeat runs it: the timer fires on the planned grid
 * (+ up to 10 us late), the event reaches user space 30..80 us later, the
 * burst waits for its dither, then runs and is fed. */
static inline int sim_beat_grid(struct clock_sim *s, struct ls_estimator *est,
				struct ls_est_update *u)
{
	s->beat_n++;
	int64_t at = s->grid_k0 + (int64_t)s->beat_n * s->interval_ns +
		     (int64_t)(sim_rand(s) % 10000) + 30000 + (int64_t)(sim_rand(s) % 50000);
	if (s->dither)
		at += ls_est_dither_ns(s->beat_n, ls_gclock_resolution_ns(&s->gc), s->interval_ns);
	if (at > s->now_k.ns)
		s->now_k = ls_k_ns(at);
	struct ls_clock_sample xs[16];
	int n = s->burst > 16 ? 16 : s->burst;
	for (int i = 0; i < n; i++)
		xs[i] = sim_exchange(s);
	return ls_est_add_burst(est, xs, n, u);
}

/* Offset error (estimate - truth) at the mapping's reference point. */
static inline int64_t sim_offset_err(const struct clock_sim *s, const struct ls_mapping *m)
{
	return m->ref_g.ns - ls_gclock_truth(&s->gc, m->ref_k).ns;
}

/* The kernel time at which the truth reaches g (Newton on a line). */
static inline ls_k sim_truth_inverse(const struct clock_sim *s, ls_g g, ls_k guess)
{
	ls_k k = guess;
	double rate = 1.0 + s->gc.spec.drift_ppm * 1e-6;
	for (int i = 0; i < 4; i++) {
		int64_t d = g.ns - ls_gclock_truth(&s->gc, k).ns;
		k = ls_k_add(k, (int64_t)llround((double)d / rate));
	}
	/* first K at which truth >= g */
	while (ls_gclock_truth(&s->gc, k).ns < g.ns)
		k = ls_k_add(k, 1);
	while (ls_gclock_truth(&s->gc, ls_k_add(k, -1)).ns >= g.ns)
		k = ls_k_add(k, -1);
	return k;
}

/* The truth without the steps still to come after now: a deadline is judged
 * against the clock as it is when it is set (a later step moves G itself). */
static inline struct ls_gclock sim_truth_frozen(const struct clock_sim *s, ls_k now)
{
	struct ls_gclock g = s->gc;
	int64_t seen = now.ns - g.spec.delay_ns - g.start_k.ns;
	int n = 0;
	for (int i = 0; i < g.spec.nsteps; i++)
		if (g.spec.steps[i].at_ns <= seen)
			g.spec.steps[n++] = g.spec.steps[i];
	g.spec.nsteps = n;
	return g;
}

/* First K (within 30 s of from_k) at which the truth g reaches target: a
 * bisection on the truth, which holds for steps too (unlike
 * sim_truth_inverse's Newton on a line). */
static inline int64_t sim_truth_reach_k(const struct ls_gclock *g, int64_t target, int64_t from_k)
{
	int64_t lo = from_k - 30 * LS_NS_PER_S, hi = from_k + 30 * LS_NS_PER_S;
	while (lo + 1 < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (ls_gclock_truth(g, ls_k_ns(mid)).ns >= target)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

#endif
