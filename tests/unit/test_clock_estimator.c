/* test_clock_estimator.c - the K <-> G estimator against injected truth, on
 * simulated exchanges (deterministic; many cases). The same estimator on real
 * exchanges through the kernel is in test_clock_realping.c.
 *
 * Criteria (issue 5): after at most 8 beats the offset is within
 * max(1 us, min round trip / 2 + quantum) of the truth and the rate within
 * 0.5 ppm + its own stated uncertainty; a step is detected on the first beat
 * that sees it and the estimate is back within bounds right after. */
#include "test.h"

#include <math.h>

#include "clock_sim.h"

static const int64_t offsets[] = {-LS_NS_PER_S, -1000000, -1, 0, 37000, 999999, LS_NS_PER_S};
static const double drifts[] = {-500, -123.4, -1, 0, 0.3, 250, 500};
static const int64_t delays[] = {0, 100000, 2000000, 5000000};
static const int64_t quanta[] = {0, 1000, 100000, 1000000};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct ls_gclock_spec spec_of(int64_t off, double drift, int64_t delay, int64_t q)
{
	struct ls_gclock_spec s = {0};
	s.offset_ns = off;
	s.drift_ppm = drift;
	s.delay_ns = delay;
	s.quantum_ns = q;
	return s;
}

static int64_t offset_bound(const struct ls_estimator *est, int64_t q)
{
	int64_t b = est->min_delay_ns / 2 + q;
	return b > 1000 ? b : 1000;
}

/* Runs one case for `beats` beats; checks the criteria from beat 8 on.
 * Returns the worst |offset error| / bound seen (for the summary). */
static double run_case(uint64_t seed, const struct ls_gclock_spec *sp, int beats,
		       int *fails, double *worst_rate_ratio)
{
	struct clock_sim sim;
	sim_init(&sim, seed, sp);
	struct ls_estimator est;
	struct ls_est_config cfg = {.g_resolution_ns = ls_gclock_resolution_ns(&sim.gc)};
	ls_est_init(&est, &cfg);
	double worst = 0;
	for (int b = 1; b <= beats; b++) {
		struct ls_est_update u;
		if (sim_beat(&sim, &est, &u) != 0) {
			printf("# seed %llu: burst refused\n", (unsigned long long)seed);
			(*fails)++;
			return worst;
		}
		if (u.step) {
			printf("# seed %llu beat %d: false step of %lld ns\n",
			       (unsigned long long)seed, b, (long long)u.step_ns);
			(*fails)++;
		}
		if (b < 8)
			continue;
		const struct ls_mapping *m = ls_est_mapping(&est);
		int64_t err = sim_offset_err(&sim, m);
		int64_t bound = offset_bound(&est, sp->quantum_ns);
		double r_err = fabs(m->rate - sp->drift_ppm * 1e-6);
		double r_bound = 0.5e-6 + m->rate_unc;
		if (llabs(err) > bound || r_err > r_bound || llabs(err) > m->eps0_ns) {
			char buf[256];
			ls_gclock_format(sp, buf, sizeof(buf));
			printf("# seed %llu beat %d [%s]: offset err %lld (bound %lld, eps0 %lld), "
			       "rate err %.3f ppm (bound %.3f ppm)\n",
			       (unsigned long long)seed, b, buf, (long long)err, (long long)bound,
			       (long long)m->eps0_ns, r_err * 1e6, r_bound * 1e6);
			(*fails)++;
		}
		double ratio = (double)llabs(err) / (double)bound;
		if (ratio > worst)
			worst = ratio;
		if (r_err / r_bound > *worst_rate_ratio)
			*worst_rate_ratio = r_err / r_bound;
	}
	return worst;
}

TEST(accuracy_grid_after_8_beats)
{
	int fails = 0, cases = 0;
	double worst = 0, worst_rate = 0;
	uint64_t seed = 1;
	for (size_t a = 0; a < N(offsets); a++)
		for (size_t b = 0; b < N(drifts); b++)
			for (size_t c = 0; c < N(delays); c++)
				for (size_t d = 0; d < N(quanta); d++) {
					struct ls_gclock_spec sp =
						spec_of(offsets[a], drifts[b], delays[c], quanta[d]);
					double w = run_case(seed++, &sp, 16, &fails, &worst_rate);
					if (w > worst)
						worst = w;
					cases++;
				}
	printf("# %d cases x beats 8..16: worst offset error %.2f of its bound, worst rate "
	       "error %.2f of its bound, %d failures\n", cases, worst, worst_rate, fails);
	CHECK_EQ_INT(fails, 0);
}

TEST(accuracy_random_cases_and_zero_epoch)
{
	/* random points of the whole space, half of them with a zero epoch */
	int fails = 0;
	double worst = 0, worst_rate = 0;
	struct clock_sim r;
	r.rng = 424242;
	for (int i = 0; i < 400; i++) {
		struct ls_gclock_spec sp = spec_of(
			(int64_t)(sim_unit(&r) * 2e9) - LS_NS_PER_S, sim_unit(&r) * 1000 - 500,
			(int64_t)(sim_unit(&r) * 5e6),
			sim_unit(&r) < 0.3 ? 0 : (int64_t)(sim_unit(&r) * 1e6) + 1);
		sp.zero = i % 2;
		double w = run_case(1000 + (uint64_t)i, &sp, 10, &fails, &worst_rate);
		if (w > worst)
			worst = w;
	}
	printf("# 400 random cases: worst offset error %.2f of its bound, worst rate error "
	       "%.2f of its bound\n", worst, worst_rate);
	CHECK_EQ_INT(fails, 0);
}

TEST(deadlines_never_fire_early)
{
	/* The guest sets deadline = its now + ttl; the kernel deadline must not
	 * come before the truth reaches it; the naive identity does, which is
	 * the production failure. */
	int early = 0, naive_early = 0, checked = 0, too_late = 0;
	int64_t ttls[] = {0, 1000000, 100 * LS_NS_PER_MS, LS_NS_PER_S, 10 * LS_NS_PER_S};
	uint64_t seed = 77;
	for (size_t c = 0; c < N(delays); c++)
		for (size_t d = 0; d < N(quanta); d++)
			for (size_t b = 0; b < N(drifts); b += 2) {
				struct ls_gclock_spec sp =
					spec_of(-3 * LS_NS_PER_MS, drifts[b], delays[c], quanta[d]);
				struct clock_sim sim;
				sim_init(&sim, seed++, &sp);
				struct ls_estimator est;
				struct ls_est_config cfg = {.g_resolution_ns =
								    ls_gclock_resolution_ns(&sim.gc)};
				ls_est_init(&est, &cfg);
				for (int i = 0; i < 8; i++)
					sim_beat(&sim, &est, NULL);
				const struct ls_mapping *m = ls_est_mapping(&est);
				struct ls_mapping naive = ls_mapping_identity();
				for (size_t t = 0; t < N(ttls); t++) {
					ls_g now_g = ls_gclock_at(&sim.gc, sim.now_k);
					ls_g deadline_g = ls_g_add(now_g, ttls[t]);
					ls_k truth_k = sim_truth_inverse(&sim, deadline_g, sim.now_k);
					ls_k dl_k = ls_deadline_to_kernel(m, deadline_g);
					checked++;
					if (dl_k.ns < truth_k.ns) {
						printf("# early by %lld ns (ttl %lld, delay %lld, q %lld)\n",
						       (long long)(truth_k.ns - dl_k.ns),
						       (long long)ttls[t], (long long)delays[c],
						       (long long)quanta[d]);
						early++;
					}
					/* the margin stays a margin: at most 3 eps late */
					int64_t eps = ls_mapping_eps_ns(m, dl_k);
					if (dl_k.ns - truth_k.ns > 3 * eps + 1000)
						too_late++;
					if (ls_deadline_to_kernel(&naive, deadline_g).ns < truth_k.ns)
						naive_early++;
				}
			}
	printf("# %d deadlines: %d early with the estimator, %d early with the naive "
	       "identity, %d later than 3 eps\n", checked, early, naive_early, too_late);
	CHECK_EQ_INT(early, 0);
	CHECK_EQ_INT(too_late, 0);
	CHECK(naive_early > 0);
}

/* Runs a case with one step; checks it is flagged on the first beat whose
 * exchange saw it, never elsewhere, and that the estimate is within bounds
 * on that beat and every beat after. */
static void step_case(uint64_t seed, const char *specstr)
{
	struct ls_gclock_spec sp;
	struct ls_err err;
	CHECK(ls_gclock_parse(specstr, &sp, &err) == 0);
	struct clock_sim sim;
	sim_init(&sim, seed, &sp);
	struct ls_estimator est;
	struct ls_est_config cfg = {.g_resolution_ns = ls_gclock_resolution_ns(&sim.gc)};
	ls_est_init(&est, &cfg);
	int64_t step_seen_k = sim.gc.start_k.ns + sp.steps[0].at_ns + sp.delay_ns;
	int flagged_at = -1, expect_at = -1;
	for (int b = 1; b <= 30; b++) {
		ls_k beat_start = sim.now_k;
		struct ls_est_update u;
		sim_beat(&sim, &est, &u);
		const struct ls_mapping *m = ls_est_mapping(&est);
		/* the first beat that begins after the readings show the step */
		if (expect_at < 0 && beat_start.ns + sim.interval_ns - 20000 > step_seen_k)
			expect_at = b;
		if (u.step) {
			if (flagged_at >= 0)
				printf("# %s: second step flagged at beat %d\n", specstr, b);
			CHECK(flagged_at < 0);
			flagged_at = b;
			int64_t want = sp.steps[0].step_ns;
			if (llabs(u.step_ns - want) > offset_bound(&est, sp.quantum_ns) + 1000) {
				printf("# %s: step measured %lld, injected %lld\n", specstr,
				       (long long)u.step_ns, (long long)want);
				CHECK(0);
			}
		}
		if (flagged_at > 0 || b >= 8) {
			int64_t e = sim_offset_err(&sim, m);
			if (llabs(e) > offset_bound(&est, sp.quantum_ns)) {
				printf("# %s beat %d: offset err %lld > %lld\n", specstr, b,
				       (long long)e, (long long)offset_bound(&est, sp.quantum_ns));
				CHECK(0);
			}
		}
	}
	if (flagged_at != expect_at)
		printf("# %s: step flagged at beat %d, expected %d\n", specstr, flagged_at,
		       expect_at);
	CHECK_EQ_INT(flagged_at, expect_at);
	CHECK_EQ_INT(est.steps, 1);
}

TEST(step_detected_within_one_beat_and_reconverges)
{
	step_case(5, "step=+50ms@1.05s");
	step_case(6, "offset=-1s,drift=-400ppm,delay=5ms,quantum=1ms,step=-3ms@1.32s");
	step_case(7, "zero,drift=+500ppm,quantum=1us,step=+100us@1.55s");
	step_case(8, "offset=+5ms,drift=+200ppm,delay=2ms,quantum=1ms,step=+50ms@1.2s");
	step_case(9, "drift=+37ppm,step=+20us@0.35s");
}

TEST(conversions_invert_and_refuse_bad_samples)
{
	struct ls_gclock_spec sp = spec_of(LS_NS_PER_S / 3, 321, 0, 0);
	struct clock_sim sim;
	sim_init(&sim, 99, &sp);
	struct ls_estimator est;
	ls_est_init(&est, NULL);
	CHECK(!ls_est_mapping(&est)->valid);
	for (int i = 0; i < 8; i++)
		sim_beat(&sim, &est, NULL);
	const struct ls_mapping *m = ls_est_mapping(&est);
	CHECK(m->valid && !m->identity);
	for (int64_t dt = -10 * LS_NS_PER_S; dt <= 10 * LS_NS_PER_S; dt += LS_NS_PER_S / 7) {
		ls_k k = ls_k_add(sim.now_k, dt);
		ls_k back = ls_to_kernel(m, ls_to_guest(m, k));
		CHECK(llabs(back.ns - k.ns) <= 1);
	}
	/* the uncertainty grows with distance from the reference */
	CHECK(ls_mapping_eps_ns(m, ls_k_add(m->ref_k, 10 * LS_NS_PER_S)) >
	      ls_mapping_eps_ns(m, m->ref_k));
	/* kernel send before receive, guest time going backwards: refused */
	struct ls_clock_sample bad[2] = {
		{.g1 = {100}, .k2 = {200}, .k3 = {150}, .g4 = {300}},
		{.g1 = {300}, .k2 = {200}, .k3 = {250}, .g4 = {100}},
	};
	struct ls_est_update u;
	uint64_t beats = est.beats;
	CHECK_EQ_INT(ls_est_add_burst(&est, bad, 2, &u), -1);
	CHECK(!u.used);
	CHECK_EQ_INT(est.beats, beats);
	/* the identity mapping is exactly G == K with no margin */
	struct ls_mapping id = ls_mapping_identity();
	CHECK_EQ_INT(ls_to_kernel(&id, ls_g_ns(12345)).ns, 12345);
	CHECK_EQ_INT(ls_deadline_to_kernel(&id, ls_g_ns(12345)).ns, 12345);
}

TEST(minimum_delay_filter_picks_the_fastest_exchange)
{
	struct ls_estimator est;
	ls_est_init(&est, NULL);
	/* true offset +1000: the fast exchange says so; the slow one (queued on
	 * the way back) is off by half its extra delay */
	struct ls_clock_sample xs[3] = {
		{.g1 = {11000}, .k2 = {10500}, .k3 = {10600}, .g4 = {61700}},
		{.g1 = {20000}, .k2 = {19500}, .k3 = {19600}, .g4 = {21100}},
		{.g1 = {30000}, .k2 = {39500}, .k3 = {39600}, .g4 = {41700}},
	};
	struct ls_est_update u;
	CHECK_EQ_INT(ls_est_add_burst(&est, xs, 3, &u), 0);
	CHECK_EQ_INT(u.delay_ns, 1000);
	CHECK_EQ_INT(u.theta_ns, 1000);
	CHECK_EQ_INT(ls_est_mapping(&est)->ref_g.ns - ls_est_mapping(&est)->ref_k.ns, 1000);
}

/* A TTL is a duration: the rate alone converts it, from the K time of the
 * call; the offset (and so a step of G or a stale mapping) never enters.
 * Expected values are hand computations. */
TEST(ttl_uses_the_rate_alone_and_saturates)
{
	struct ls_mapping m = {.valid = true, .ref_k = {5000000000ll}, .ref_g = {-3000000000ll},
			       .rate = -1000e-6, .rate_unc = 0, .eps0_ns = 2000000};
	ls_k now = ls_k_ns(7000000000ll);
	/* 1 s of G at r = -1000 ppm: ceil(1e9 / 0.999) + 1 = 1001001002 + 1 */
	CHECK_EQ_INT(ls_ttl_to_kernel(&m, now, 1000000000ll).ns, 7000000000ll + 1001001003ll);
	/* the offset does not matter: a G 1.5 s behind gives the same K */
	struct ls_mapping stepped = m;
	stepped.ref_g.ns -= 1500000000ll;
	CHECK_EQ_INT(ls_ttl_to_kernel(&stepped, now, 1000000000ll).ns,
		     ls_ttl_to_kernel(&m, now, 1000000000ll).ns);
	/* the rate's uncertainty pushes it late: 1 + r - unc = 0.998 */
	m.rate_unc = 1000e-6;
	CHECK_EQ_INT(ls_ttl_to_kernel(&m, now, 1000000000ll).ns, 7000000000ll + 1002004009ll + 1);
	/* forever stays forever: no wrap into the past */
	CHECK_EQ_INT(ls_ttl_to_kernel(&m, now, INT64_MAX).ns, INT64_MAX);
	CHECK_EQ_INT(ls_ttl_to_kernel(&m, now, INT64_MAX - 7000000000ll).ns, INT64_MAX);
	struct ls_mapping id = ls_mapping_identity();
	CHECK_EQ_INT(ls_ttl_to_kernel(&id, now, 250).ns, 7000000250ll);
	CHECK_EQ_INT(ls_ttl_to_kernel(&id, now, INT64_MAX).ns, INT64_MAX);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(accuracy_grid_after_8_beats);
	RUN(accuracy_random_cases_and_zero_epoch);
	RUN(deadlines_never_fire_early);
	RUN(step_detected_within_one_beat_and_reconverges);
	RUN(conversions_invert_and_refuse_bad_samples);
	RUN(minimum_delay_filter_picks_the_fastest_exchange);
	RUN(ttl_uses_the_rate_alone_and_saturates);
	return test_done();
}
