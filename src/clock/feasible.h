/* feasible.h - the set of clock lines (offset, rate) that every exchange
 * allows: a convex polygon, the estimator's hard bound.
 *
 * An exchange at kernel time t says the true offset G - K there lies in
 * [theta - b, theta + b] (b = round trip / 2 + resolution / 2: on-wire
 * arithmetic, no statistics). With a constant rate the truth is a line
 * offset(K) = x + y * (K - anchor), so each exchange is a slab in the
 * (x, y) plane and the truth lies in the intersection of all of them and of
 * the rate prior. Averaging shrinks an error as 1/sqrt(N); intersecting
 * shrinks it as 1/N when the exchanges see the quantum at spread phases
 * (dithered beats), which is how a 10 ms clock is learned to microseconds.
 *
 * The polygon is kept anchored at the latest exchange: x is the offset
 * there, relative to an integer base (full precision with offsets ~1e18).
 * An exchange whose slab misses the polygon is a contradiction: a step of G
 * (or a rate change) since some exchange in it; the estimator decides what
 * to drop. Pure: no clock reads, no allocation. */
#ifndef LS_CLOCK_FEASIBLE_H
#define LS_CLOCK_FEASIBLE_H

#include <stdbool.h>
#include <stdint.h>

#define LS_FEAS_MAX_VERTS 64

struct ls_feasible {
	int nv;			     /* 0: empty (or not started) */
	double x[LS_FEAS_MAX_VERTS]; /* offset at anchor_k, ns, minus base */
	double y[LS_FEAS_MAX_VERTS]; /* rate */
	int64_t anchor_k;	     /* K time of the latest exchange */
	int64_t base;		     /* integer part of the offsets */
};

/* Start from one exchange (theta +- b at t_k) and a rate interval. */
void ls_feas_start(struct ls_feasible *f, int64_t t_k, int64_t theta, double b, double rate_lo,
		   double rate_hi);

/* Move the anchor to t_k (a shear: x += y * dt) and rebase on theta. */
void ls_feas_move(struct ls_feasible *f, int64_t t_k, int64_t theta);

/* Range of the offset at the anchor (relative to base) and of the rate. */
void ls_feas_range(const struct ls_feasible *f, double *xlo, double *xhi, double *ylo, double *yhi);

/* Whether [theta - b, theta + b] at the anchor meets the polygon (after
 * ls_feas_move to its time). */
bool ls_feas_meets(const struct ls_feasible *f, int64_t theta, double b);

/* Intersect with the slab of an exchange at the anchor. Returns false (and
 * leaves f unchanged) if the result would be empty. */
bool ls_feas_clip(struct ls_feasible *f, int64_t theta, double b);

#endif
