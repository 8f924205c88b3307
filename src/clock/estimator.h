/* estimator.h - estimates the mapping between the kernel clock K and the
 * guest clock G from four-timestamp exchanges, and is the only way across.
 *
 * One exchange (NTP's on-wire protocol): the guest reads g1, the kernel
 * stamps k2 on receipt and k3 on reply, the guest reads g4. Then
 *     offset  theta = ((g1 + g4) - (k2 + k3)) / 2     (G - K at (k2+k3)/2)
 *     delay   delta = (g4 - g1) - (k3 - k2)           (round trip)
 * and |theta - true offset| <= delta/2 (+ the resolution of G).
 *
 * Each beat brings a burst of exchanges; the one with the smallest delay is
 * kept (ntpd's clock filter). Each kept exchange bounds the true offset at
 * its time to theta +- (delta/2 + q/2): a slab in the plane of lines
 * offset(K) = x + r * (K - ref). The truth lies in the intersection of every
 * slab since the last restart and of the rate prior (+-100000 ppm, the most
 * --guest-clock accepts): a polygon (feasible.h). The mapping is its middle:
 *     G ~ (1 + r) * K + theta      with an uncertainty
 *     eps(K) = eps0 + r_unc * |K - ref|
 * where eps0 and r_unc bound every line in the polygon (and eps0 also holds
 * on the latest exchange alone, r_unc allows for a step too small to see).
 *
 * An exchange whose slab misses the polygon contradicts every line the
 * earlier ones allow: drift cannot do that, a step of G can. It is
 * reported, the polygon restarts from that exchange with the rates stated
 * (a step does not change the rate); contradicted again at once, the
 * exchanges since are refitted with the wide prior.
 *
 * Beats of a coarse G are dithered (ls_est_dither_ns) so the slabs see the
 * tick at spread phases and the polygon shrinks as q / N.
 *
 * Pure and deterministic: no clock reads, no allocation, no I/O.
 */
#ifndef LS_CLOCK_ESTIMATOR_H
#define LS_CLOCK_ESTIMATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/domains.h"
#include "clock/feasible.h"

#define LS_EST_WINDOW_MAX 64
/* The largest rate error of G the estimator learns, and the prior it starts
 * from: 10%, the most --guest-clock accepts (a clock off by more is broken,
 * not drifting). */
#define LS_EST_MAX_RATE_PPM 100000.0

/* One four-timestamp exchange. */
struct ls_clock_sample {
	ls_g g1; /* guest, before */
	ls_k k2; /* kernel, receive */
	ls_k k3; /* kernel, send */
	ls_g g4; /* guest, after */
};

struct ls_est_config {
	int window;              /* beats kept in the fit (default 32, <= 64) */
	int64_t g_resolution_ns; /* resolution of G (clock_res_get), default 1 */
	double max_rate_ppm;	 /* prior bound on |r| (default LS_EST_MAX_RATE_PPM) */
};

/* The mapping G ~ ref_g + (1 + rate) * (K - ref_k), uncertainty eps. */
struct ls_mapping {
	bool valid;       /* false until the first sample */
	bool identity;    /* the naive G == K of --no-clock-sync */
	ls_k ref_k;       /* reference point: the latest sample's K time */
	ls_g ref_g;       /* estimated G at ref_k */
	double rate;      /* r: G runs (1 + r) times as fast as K */
	double rate_unc;  /* bound on |r_estimated - r| */
	int64_t eps0_ns;  /* bound on the error of ref_g */
};

/* Result of feeding one beat's burst. */
struct ls_est_update {
	bool used;          /* a sample entered the window */
	bool step;          /* G stepped: window restarted */
	int64_t step_ns;    /* size of the step (observed - predicted offset) */
	int64_t theta_ns;   /* offset (G - K) of the kept sample */
	int64_t delay_ns;   /* its round trip */
};

struct ls_est_point {
	int64_t t_k;     /* K time of the sample: (k2 + k3) / 2 */
	int64_t theta;   /* G - K there, ns, resolution-corrected */
	int64_t delay;   /* round trip, ns, >= 0 */
	int64_t hold;	 /* k3 - k2: the kernel's own time in the exchange */
};

struct ls_estimator {
	struct ls_est_config cfg;
	struct ls_est_point pts[LS_EST_WINDOW_MAX]; /* ring, oldest at head */
	int head, n;
	double prior_rate, prior_unc; /* rate interval a restart begins with */
	struct ls_feasible feas;      /* lines every exchange since the restart allows */
	int64_t feas_start_k;	      /* K time of its first exchange */
	bool contradicted;	      /* the previous beat restarted the polygon */
	struct ls_mapping map;
	uint64_t beats, steps;        /* bursts accepted; steps detected */
	uint64_t refits;	      /* restarts with the wide prior (a step
				       * that was a rate change, or a step
				       * too small to see at once) */
	int64_t min_delay_ns;         /* minimum round trip in the window */
};

void ls_est_init(struct ls_estimator *est, const struct ls_est_config *cfg);

/* The dither of beat number n (>= 0) for a G of resolution q_ns with beats
 * every interval_ns: how long after the beat its burst should start, so that
 * successive bursts read G's tick at spread phases (a deterministic
 * pseudo-random sequence) and a coarse clock averages down instead of being
 * read at one phase for ever. 0 when G is fine (q < 10 us: timer and delivery jitter
 * spread the phase already); at most min(q, interval / 10). */
int64_t ls_est_dither_ns(uint64_t n, int64_t q_ns, int64_t interval_ns);

/* Offset and delay of one exchange (without resolution correction). */
int64_t ls_sample_theta_ns(const struct ls_clock_sample *s);
int64_t ls_sample_delay_ns(const struct ls_clock_sample *s);

/* Feed one beat's burst of n exchanges (n >= 1). Malformed exchanges (k3 <
 * k2, g4 < g1) are ignored; returns 0, or -1 if none was usable. */
int ls_est_add_burst(struct ls_estimator *est, const struct ls_clock_sample *s,
		     int n, struct ls_est_update *out);

/* The current mapping (valid == false before the first sample). */
const struct ls_mapping *ls_est_mapping(const struct ls_estimator *est);

/* ---- the only conversions between K and G ------------------------------- */

/* Best estimate of G at kernel time k (event timestamps handed to guests). */
ls_g ls_to_guest(const struct ls_mapping *m, ls_k k);

/* Best estimate of the kernel time at which G reads g. */
ls_k ls_to_kernel(const struct ls_mapping *m, ls_g g);

/* Uncertainty of the mapping around kernel time k, ns. */
int64_t ls_mapping_eps_ns(const struct ls_mapping *m, ls_k k);

/* A guest deadline in K that never fires before G reaches deadline_g: the
 * estimate pushed late by the uncertainty. Firing late keeps a verdict a
 * little longer; firing early drops live connections. */
ls_k ls_deadline_to_kernel(const struct ls_mapping *m, ls_g deadline_g);

/* The kernel time at which a guest duration ttl_g_ns, started at the call
 * (kernel time now_k), has run out: the rate alone, never the offset (a
 * duration does not care where G is, so a step of G or a stale mapping
 * cannot shorten it), pushed late by the rate's uncertainty. Saturating: a
 * duration past the end of K returns ls_k_ns(INT64_MAX) (forever). The
 * naive mapping adds the duration to K as it is. */
ls_k ls_ttl_to_kernel(const struct ls_mapping *m, ls_k now_k, int64_t ttl_g_ns);

/* The naive mapping G == K (what an integration without sync does); kept for
 * --no-clock-sync so the failure can be reproduced. */
struct ls_mapping ls_mapping_identity(void);

#endif
