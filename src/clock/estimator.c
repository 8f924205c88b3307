/* estimator.c - clock filter, the polygon of allowed lines, uncertainty,
 * step detection and beat dither for the K <-> G mapping (the model is
 * described in estimator.h). */
#include "clock/estimator.h"

#include <math.h>
#include <string.h>

void ls_est_init(struct ls_estimator *est, const struct ls_est_config *cfg)
{
	memset(est, 0, sizeof(*est));
	est->cfg.window = 32;
	est->cfg.g_resolution_ns = 1;
	est->cfg.max_rate_ppm = LS_EST_MAX_RATE_PPM;
	if (cfg) {
		if (cfg->window > 0)
			est->cfg.window = cfg->window;
		if (cfg->g_resolution_ns > 0)
			est->cfg.g_resolution_ns = cfg->g_resolution_ns;
		if (cfg->max_rate_ppm > 0)
			est->cfg.max_rate_ppm = cfg->max_rate_ppm;
	}
	if (est->cfg.window > LS_EST_WINDOW_MAX)
		est->cfg.window = LS_EST_WINDOW_MAX;
	if (est->cfg.window < 3)
		est->cfg.window = 3;
	est->prior_rate = 0.0;
	est->prior_unc = est->cfg.max_rate_ppm * 1e-6;
}

int64_t ls_sample_theta_ns(const struct ls_clock_sample *s)
{
	/* halve each sum separately: the inputs are ~1e18 at most, no overflow */
	int64_t g = s->g1.ns / 2 + s->g4.ns / 2 + (s->g1.ns % 2 + s->g4.ns % 2) / 2;
	int64_t k = s->k2.ns / 2 + s->k3.ns / 2 + (s->k2.ns % 2 + s->k3.ns % 2) / 2;
	return g - k;
}

int64_t ls_sample_delay_ns(const struct ls_clock_sample *s)
{
	int64_t d = (s->g4.ns - s->g1.ns) - (s->k3.ns - s->k2.ns);
	/* a coarse G can read the same tick before and after: delay 0, not < 0 */
	return d < 0 ? 0 : d;
}

static struct ls_est_point *pt(struct ls_estimator *est, int i)
{
	return &est->pts[(est->head + i) % LS_EST_WINDOW_MAX];
}

static void push(struct ls_estimator *est, const struct ls_est_point *p)
{
	if (est->n == est->cfg.window) {
		est->head = (est->head + 1) % LS_EST_WINDOW_MAX;
		est->n--;
	}
	*pt(est, est->n) = *p;
	est->n++;
}

/* Half-width of the slab an exchange allows for the true offset at its
 * t_k (feasible.h): NTP's delay / 2, the resolution (a floored reading
 * stands for the tick after it), the kernel's hold time read at a rate up
 * to the prior's, and rounding. A bound by construction, not a statistic. */
static double half_width(const struct ls_estimator *est, const struct ls_est_point *p)
{
	double q = (double)est->cfg.g_resolution_ns;
	double rmax = est->cfg.max_rate_ppm * 1e-6;
	return (double)p->delay / 2.0 + q / 2.0 + rmax * (double)p->hold / 2.0 + 2.0;
}

/* Exchanges whose own polygon bounds how far a hidden step bent the rate. */
#define LS_EST_RECENT 16

static void min_delay(struct ls_estimator *est)
{
	est->min_delay_ns = INT64_MAX;
	for (int i = 0; i < est->n; i++)
		if (pt(est, i)->delay < est->min_delay_ns)
			est->min_delay_ns = pt(est, i)->delay;
}

/* The polygon of the latest `last` exchanges of the window alone, with the
 * wide prior; false if they contradict each other. */
static bool polygon_of(const struct ls_estimator *est, int last, struct ls_feasible *f)
{
	double r = est->cfg.max_rate_ppm * 1e-6;
	int from = est->n > last ? est->n - last : 0;
	const struct ls_est_point *p0 = &est->pts[(est->head + from) % LS_EST_WINDOW_MAX];
	ls_feas_start(f, p0->t_k, p0->theta, half_width(est, p0), -r, r);
	for (int i = from + 1; i < est->n; i++) {
		const struct ls_est_point *p = &est->pts[(est->head + i) % LS_EST_WINDOW_MAX];
		ls_feas_move(f, p->t_k, p->theta);
		if (!ls_feas_clip(f, p->theta, half_width(est, p)))
			return false;
	}
	return true;
}

/* The mapping from the polygon, anchored at the latest exchange p: the
 * middle of the offsets and rates it allows, and bounds that hold for every
 * line in it.
 * A step too small to contradict the polygon leaves it beside the truth:
 *  - eps0 also holds on p alone (the estimate's distance to p's offset plus
 *    p's half-width), and p is never beside the truth;
 *  - the rate is bent by at most what the recent exchanges alone still
 *    allow (a step older than them no longer bends their polygon, which
 *    holds the true rate), plus the largest step that can hide (the width
 *    predicted before p, and p's slab) over the polygon's span. */
static void publish(struct ls_estimator *est, const struct ls_est_point *p, double hidden)
{
	struct ls_mapping *m = &est->map;
	double xlo, xhi, ylo, yhi;
	ls_feas_range(&est->feas, &xlo, &xhi, &ylo, &yhi);
	double x = (xlo + xhi) / 2.0, rate = (ylo + yhi) / 2.0;
	double eps = fmax((xhi - xlo) / 2.0, fabs(x) + half_width(est, p));
	double unc = (yhi - ylo) / 2.0;
	struct ls_feasible recent;
	if (est->n > 2 && polygon_of(est, LS_EST_RECENT, &recent)) {
		double a, b, c, d;
		ls_feas_range(&recent, &a, &b, &c, &d);
		unc = fmax(unc, fmax(fabs(rate - c), fabs(d - rate)));
	}
	double span = (double)(p->t_k - pt(est, 0)->t_k);
	if (est->feas_start_k < pt(est, 0)->t_k)
		span = (double)(p->t_k - est->feas_start_k);
	if (span > 0)
		unc += hidden / span;
	double rmax = est->cfg.max_rate_ppm * 1e-6;
	if (unc > rmax + fabs(rate))
		unc = rmax + fabs(rate);
	m->valid = true;
	m->identity = false;
	m->ref_k = ls_k_ns(p->t_k);
	m->ref_g = ls_g_ns(p->t_k + est->feas.base + (int64_t)llround(x));
	m->rate = rate;
	/* + 1e-12: the rounding of a rate read off two vertices */
	m->rate_unc = unc + 1e-12;
	m->eps0_ns = (int64_t)ceil(eps) + 1;
}

/* Start the polygon afresh at p with a rate interval, the window with p. */
static void restart(struct ls_estimator *est, const struct ls_est_point *p, double lo, double hi)
{
	est->n = 0;
	est->head = 0;
	push(est, p);
	ls_feas_start(&est->feas, p->t_k, p->theta, half_width(est, p), lo, hi);
	est->feas_start_k = p->t_k;
}

/* The polygon from every exchange in the window, with the wide prior; false
 * if they contradict each other. */
static bool rebuild(struct ls_estimator *est)
{
	est->feas_start_k = pt(est, 0)->t_k;
	return polygon_of(est, LS_EST_WINDOW_MAX, &est->feas);
}

int64_t ls_est_dither_ns(uint64_t n, int64_t q_ns, int64_t interval_ns)
{
	if (q_ns < 10000 || interval_ns <= 0)
		return 0;
	int64_t span = q_ns < interval_ns / 10 ? q_ns : interval_ns / 10;
	/* a hash of n (splitmix64's finaliser), not a rotation such as n times
	 * the golden ratio: the drift of G adds its own rotation to the phase,
	 * and against some drift (700 ppm at 100 ms beats and q = 10 ms) any
	 * fixed rotation is nearly periodic and reads a handful of phases */
	uint64_t z = n + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return (int64_t)(((z >> 32) * (uint64_t)span) >> 32);
}

int ls_est_add_burst(struct ls_estimator *est, const struct ls_clock_sample *s,
		     int n, struct ls_est_update *out)
{
	struct ls_est_update u = {0};
	int best = -1;
	int64_t best_delay = INT64_MAX;
	for (int i = 0; i < n; i++) {
		if (s[i].k3.ns < s[i].k2.ns || s[i].g4.ns < s[i].g1.ns)
			continue;
		int64_t d = ls_sample_delay_ns(&s[i]);
		if (d < best_delay) {
			best_delay = d;
			best = i;
		}
	}
	if (best < 0) {
		if (out)
			*out = u;
		return -1;
	}
	const struct ls_clock_sample *b = &s[best];
	struct ls_est_point p = {
	    .t_k = b->k2.ns + (b->k3.ns - b->k2.ns) / 2,
	    /* a reading of a coarse clock stands for the whole tick after it */
	    .theta = ls_sample_theta_ns(b) + est->cfg.g_resolution_ns / 2,
	    .delay = best_delay,
	    .hold = b->k3.ns - b->k2.ns,
	};
	double hw = half_width(est, &p);
	double hidden = 2.0 * hw;

	if (!est->map.valid) {
		restart(est, &p, est->prior_rate - est->prior_unc,
			est->prior_rate + est->prior_unc);
	} else {
		/* the offset every allowed line predicts at p, before p */
		double xlo, xhi, ylo, yhi;
		ls_feas_move(&est->feas, p.t_k, p.theta);
		ls_feas_range(&est->feas, &xlo, &xhi, &ylo, &yhi);
		hidden += xhi - xlo;
		if (ls_feas_clip(&est->feas, p.theta, hw)) {
			push(est, &p);
			est->contradicted = false;
		} else if (!est->contradicted) {
			/* No line through the earlier exchanges meets p: G
			 * stepped (drift cannot do that: the true line is in
			 * the polygon). A step does not change the rate, so
			 * restart from p with the rates the polygon allowed. */
			u.step = true;
			u.step_ns = -(int64_t)llround((xlo + xhi) / 2.0);
			est->steps++;
			/* the rates the mapping stated (they allow for a
			 * hidden step having bent the polygon) */
			est->prior_rate = est->map.rate;
			est->prior_unc = est->map.rate_unc + 0.1e-6;
			restart(est, &p, est->prior_rate - est->prior_unc,
				est->prior_rate + est->prior_unc);
			est->contradicted = true;
		} else {
			/* Contradicted again right after a restart: the rates
			 * kept were wrong (the rate changed, or an earlier step
			 * too small to see had bent the polygon). Refit the
			 * exchanges since the restart with the wide prior;
			 * if even they disagree, G stepped again. */
			push(est, &p);
			est->refits++;
			est->contradicted = false;
			if (!rebuild(est)) {
				u.step = true;
				u.step_ns = -(int64_t)llround((xlo + xhi) / 2.0);
				est->steps++;
				double r = est->cfg.max_rate_ppm * 1e-6;
				restart(est, &p, -r, r);
				est->contradicted = true;
			}
		}
	}
	est->beats++;
	min_delay(est);
	publish(est, &p, hidden);
	u.used = true;
	u.theta_ns = p.theta;
	u.delay_ns = p.delay;
	if (out)
		*out = u;
	return 0;
}

const struct ls_mapping *ls_est_mapping(const struct ls_estimator *est)
{
	return &est->map;
}

ls_g ls_to_guest(const struct ls_mapping *m, ls_k k)
{
	if (m->identity)
		return ls_g_ns(k.ns);
	double d = (double)(k.ns - m->ref_k.ns) * (1.0 + m->rate);
	return ls_g_ns(m->ref_g.ns + (int64_t)llround(d));
}

ls_k ls_to_kernel(const struct ls_mapping *m, ls_g g)
{
	if (m->identity)
		return ls_k_ns(g.ns);
	double d = (double)(g.ns - m->ref_g.ns) / (1.0 + m->rate);
	return ls_k_ns(m->ref_k.ns + (int64_t)llround(d));
}

int64_t ls_mapping_eps_ns(const struct ls_mapping *m, ls_k k)
{
	if (m->identity)
		return 0;
	double age = fabs((double)(k.ns - m->ref_k.ns));
	return m->eps0_ns + (int64_t)ceil(m->rate_unc * age);
}

ls_k ls_deadline_to_kernel(const struct ls_mapping *m, ls_g deadline_g)
{
	ls_k k = ls_to_kernel(m, deadline_g);
	/* eps is in G ns; K ns differ by the rate, at most 10%: round up */
	int64_t eps = ls_mapping_eps_ns(m, k);
	return ls_k_add(k, eps + eps / 8 + (m->identity ? 0 : 1));
}

ls_k ls_ttl_to_kernel(const struct ls_mapping *m, ls_k now_k, int64_t ttl_g_ns)
{
	if (ttl_g_ns <= 0)
		return now_k;
	double d = (double)ttl_g_ns;
	if (!m->identity && m->valid) {
		/* G runs (1 + r) times as fast as K: the slowest G the fit allows
		 * takes the longest K to cover the duration. */
		double slow = 1.0 + m->rate - m->rate_unc;
		if (slow < 0.5)
			slow = 0.5; /* |r| <= 50%: beyond, the clock is broken */
		d = ceil(d / slow) + 1.0;
	}
	if (d >= (double)(INT64_MAX - now_k.ns))
		return ls_k_ns(INT64_MAX);
	return ls_k_ns(now_k.ns + (int64_t)d);
}

struct ls_mapping ls_mapping_identity(void)
{
	return (struct ls_mapping){.valid = true, .identity = true};
}
