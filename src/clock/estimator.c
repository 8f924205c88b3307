/* estimator.c - clock filter, weighted regression, uncertainty and step
 * detection for the K <-> G mapping (the model is described in estimator.h). */
#include "clock/estimator.h"

#include <math.h>
#include <string.h>

/* Statistical errors are stated as this many standard errors: the
 * uncertainty is used as a safety margin, so it must be a bound, not a
 * typical value. */
#define LS_EST_K_SIGMA 4.0
/* Floor of the random error of one exchange: the jitter of two clock reads. */
#define LS_EST_SIGMA_FLOOR_NS 20.0

void ls_est_init(struct ls_estimator *est, const struct ls_est_config *cfg)
{
	memset(est, 0, sizeof(*est));
	est->cfg.window = 32;
	est->cfg.g_resolution_ns = 1;
	est->cfg.max_rate_ppm = 1000.0;
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

/* Standard deviation of one sample's random error, from its excess delay. */
static double sigma_of(const struct ls_estimator *est, const struct ls_est_point *p)
{
	double q = (double)est->cfg.g_resolution_ns;
	double excess = (double)(p->delay - est->min_delay_ns);
	/* a tick of G crossing the exchange adds q to the delay, harmlessly */
	excess -= q;
	if (excess < 0)
		excess = 0;
	double s0 = sqrt(q * q / 12.0 + LS_EST_SIGMA_FLOOR_NS * LS_EST_SIGMA_FLOOR_NS);
	return excess / 2.0 + s0;
}

/* Recompute the mapping from the window. */
static void fit(struct ls_estimator *est)
{
	struct ls_mapping *m = &est->map;
	const struct ls_est_point *last = pt(est, est->n - 1);
	int64_t ref = last->t_k;
	double q = (double)est->cfg.g_resolution_ns;

	est->min_delay_ns = INT64_MAX;
	for (int i = 0; i < est->n; i++)
		if (pt(est, i)->delay < est->min_delay_ns)
			est->min_delay_ns = pt(est, i)->delay;

	/* offsets relative to the latest one keep full precision in doubles
	 * even when theta is ~1e18 (a guest epoch far from boot) */
	int64_t yref = last->theta;
#define Y(p) ((double)((p)->theta - yref))
	double sw = 0, swt = 0, swy = 0;
	for (int i = 0; i < est->n; i++) {
		const struct ls_est_point *p = pt(est, i);
		double s = sigma_of(est, p), w = 1.0 / (s * s);
		double t = (double)(p->t_k - ref);
		sw += w;
		swt += w * t;
		swy += w * Y(p);
	}
	double tbar = swt / sw, ybar = swy / sw;
	double stt = 0, sty = 0;
	for (int i = 0; i < est->n; i++) {
		const struct ls_est_point *p = pt(est, i);
		double s = sigma_of(est, p), w = 1.0 / (s * s);
		double t = (double)(p->t_k - ref);
		stt += w * (t - tbar) * (t - tbar);
		sty += w * (t - tbar) * (Y(p) - ybar);
	}

	/* The rate combines the regression (when there is a baseline) with the
	 * prior (the configured bound, or the rate from before a step), each
	 * weighted by its inverse variance; the offset is then fitted at ref
	 * with that rate. */
	double s2 = 1.0; /* unit variance: weights are calibrated in ns */
	double var_p = est->prior_unc / LS_EST_K_SIGMA;
	var_p *= var_p;
	double rate = est->prior_rate, var_r = var_p;
	if (est->n >= 2 && stt > 0) {
		double slope = sty / stt;
		if (est->n >= 3) {
			double ssr = 0;
			for (int i = 0; i < est->n; i++) {
				const struct ls_est_point *p = pt(est, i);
				double s = sigma_of(est, p), w = 1.0 / (s * s);
				double t = (double)(p->t_k - ref);
				double r = Y(p) - (ybar + slope * (t - tbar));
				ssr += w * r * r;
			}
			/* never more confident than the error model: a lucky
			 * small scatter of a few points proves nothing */
			if (ssr / (est->n - 2) > s2)
				s2 = ssr / (est->n - 2);
		}
		double var_f = s2 / stt;
		/* A coarse G read at a nearly fixed phase of its tick errs
		 * systematically, and the error ramps as the phase drifts: the
		 * residuals cannot show it, the slope can be off by up to
		 * q / span. Count it as a bound (LS_EST_K_SIGMA standard errors). */
		double span = (double)(ref - pt(est, 0)->t_k);
		if (q > 1 && span > 0) {
			double sys = q / span / LS_EST_K_SIGMA;
			var_f += sys * sys;
		}
		var_r = 1.0 / (1.0 / var_f + 1.0 / var_p);
		rate = var_r * (slope / var_f + est->prior_rate / var_p);
	}
	double theta0 = ybar - rate * tbar;
	double theta_se = sqrt(s2 / sw + tbar * tbar * var_r);
	double rate_unc = LS_EST_K_SIGMA * sqrt(var_r);
#undef Y

	m->valid = true;
	m->identity = false;
	m->ref_k = ls_k_ns(ref);
	m->ref_g = ls_g_ns(ref + yref + (int64_t)llround(theta0));
	m->rate = rate;
	m->rate_unc = rate_unc;
	m->eps0_ns = (int64_t)ceil((double)est->min_delay_ns / 2.0 + q / 2.0 +
				   LS_EST_K_SIGMA * theta_se) + 1;
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
	};

	if (est->map.valid) {
		/* does this sample fit the prediction within every error bound? */
		const struct ls_mapping *m = &est->map;
		double dev = (double)(p.theta - (m->ref_g.ns - m->ref_k.ns)) -
			     m->rate * (double)(p.t_k - m->ref_k.ns);
		double bound = (double)ls_mapping_eps_ns(m, ls_k_ns(p.t_k)) +
			       (double)p.delay / 2.0 + (double)est->cfg.g_resolution_ns / 2.0;
		if (fabs(dev) > 2.0 * bound + 1000.0) {
			u.step = true;
			u.step_ns = (int64_t)llround(dev);
			est->steps++;
			est->prior_rate = m->rate;
			est->prior_unc = m->rate_unc;
			est->n = 0;
			est->head = 0;
		}
	}
	push(est, &p);
	est->beats++;
	fit(est);
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
