/* test_clock_realping.c - the estimator on real exchanges: every beat of the
 * real BPF timer, four-timestamp pings through the SEC("syscall") program in
 * the kernel (BPF_PROG_TEST_RUN), read through guest clocks with injected
 * faults. Truth is known exactly (G is computed from K), so the same
 * criteria as the simulated test apply: after at most 8 beats (100 ms) the
 * offset is within max(1 us, min round trip / 2 + quantum) and the rate
 * within 0.5 ppm + its stated uncertainty; a step is caught on the first
 * beat after it. All cases share one run of beats. */
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock/heartbeat.h"

static const char *specs[] = {
	"",
	"offset=+5ms,drift=+200ppm,delay=2ms,quantum=1ms",
	"offset=-1s,drift=-500ppm,delay=5ms",
	"zero,drift=+500ppm,quantum=1us",
	"offset=+1s,drift=+37ppm,delay=100us,quantum=100us",
	"offset=+1ms,drift=-250ppm,delay=5ms,quantum=1ms",
	"zero,offset=-3ms,drift=-0.4ppm,delay=1ms",
	"drift=+100ppm,quantum=10us,step=+50ms@450ms",
	"offset=-20ms,delay=2ms,quantum=1ms,step=-7ms@650ms",
};
#define NCASES (int)(sizeof(specs) / sizeof(specs[0]))
#define BEATS 12

struct cs {
	struct ls_gclock_spec spec;
	struct ls_gclock gc;
	struct ls_estimator est;
	int fails, step_beat, expect_step_beat;
	double worst_off, worst_rate;
	int64_t last_err, last_bound;
};

struct run {
	struct ls_heartbeat *hb;
	struct cs c[NCASES];
	int beat;
};

static void on_beat(void *arg, const struct ls_hb_beat_info *in)
{
	struct run *r = arg;
	r->beat++;
	for (int i = 0; i < NCASES; i++) {
		struct cs *c = &r->c[i];
		struct ls_clock_sample xs[4];
		int n = 0;
		ls_k before = ls_k_now();
		for (int j = 0; j < 4; j++)
			if (ls_hb_ping_with(r->hb, &c->gc, &xs[n]) == 0)
				n++;
		struct ls_est_update u;
		if (n == 0 || ls_est_add_burst(&c->est, xs, n, &u)) {
			c->fails++;
			continue;
		}
		/* the first beat whose readings include the step */
		if (c->spec.nsteps && c->expect_step_beat < 0 &&
		    before.ns - c->spec.delay_ns >= c->gc.start_k.ns + c->spec.steps[0].at_ns)
			c->expect_step_beat = r->beat;
		if (u.step) {
			if (c->step_beat >= 0 || !c->spec.nsteps) {
				printf("# case %d beat %d: unexpected step %lld ns\n", i, r->beat,
				       (long long)u.step_ns);
				c->fails++;
			}
			c->step_beat = r->beat;
		}
		if (r->beat < 8)
			continue;
		const struct ls_mapping *m = ls_est_mapping(&c->est);
		int64_t err = m->ref_g.ns - ls_gclock_truth(&c->gc, m->ref_k).ns;
		int64_t bound = c->est.min_delay_ns / 2 + c->spec.quantum_ns;
		if (bound < 1000)
			bound = 1000;
		double rerr = fabs(m->rate - c->spec.drift_ppm * 1e-6);
		double rbound = 0.5e-6 + m->rate_unc;
		c->last_err = err;
		c->last_bound = bound;
		if (llabs(err) > bound || rerr > rbound) {
			printf("# case %d [%s] beat %d: offset err %lld ns (bound %lld), rate err %.3f "
			       "ppm (bound %.3f)\n", i, specs[i], r->beat, (long long)err,
			       (long long)bound, rerr * 1e6, rbound * 1e6);
			c->fails++;
		}
		if ((double)llabs(err) / (double)bound > c->worst_off)
			c->worst_off = (double)llabs(err) / (double)bound;
		if (rerr / rbound > c->worst_rate)
			c->worst_rate = rerr / rbound;
	}
	(void)in;
}

TEST(real_exchanges_meet_the_accuracy_criteria)
{
	struct run *r = calloc(1, sizeof(*r));
	struct ls_err err;
	struct ls_hb_config cfg = {.interval_ns = LS_HB_INTERVAL_DEFAULT_NS,
				   .failsafe_mode = LS_FAILSAFE_OFF};
	if (ls_hb_open(&r->hb, &cfg, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		free(r);
		return;
	}
	ls_k start = ls_k_now();
	for (int i = 0; i < NCASES; i++) {
		struct cs *c = &r->c[i];
		CHECK(ls_gclock_parse(specs[i], &c->spec, &err) == 0);
		ls_gclock_init(&c->gc, &c->spec, start);
		struct ls_est_config ec = {.g_resolution_ns = ls_gclock_resolution_ns(&c->gc)};
		ls_est_init(&c->est, &ec);
		c->step_beat = c->expect_step_beat = -1;
	}
	ls_hb_set_observer(r->hb, on_beat, r);
	CHECK(ls_hb_start(r->hb, &err) == 0);
	ls_k end = ls_k_add(ls_k_now(), 5 * LS_NS_PER_S);
	while (r->beat < BEATS && ls_k_now().ns < end.ns)
		ls_hb_poll(r->hb, 100);
	CHECK_EQ_INT(r->beat, BEATS);
	for (int i = 0; i < NCASES; i++) {
		struct cs *c = &r->c[i];
		const struct ls_mapping *m = ls_est_mapping(&c->est);
		printf("# [%s] offset err %lld ns (bound %lld, %.2f worst), rate err %.3f ppm "
		       "(stated +-%.3f), min rtt %lld ns, eps0 %lld ns\n",
		       specs[i][0] ? specs[i] : "no faults", (long long)c->last_err,
		       (long long)c->last_bound, c->worst_off,
		       fabs(m->rate - c->spec.drift_ppm * 1e-6) * 1e6, m->rate_unc * 1e6,
		       (long long)c->est.min_delay_ns, (long long)m->eps0_ns);
		CHECK_EQ_INT(c->fails, 0);
		if (c->spec.nsteps) {
			if (c->step_beat != c->expect_step_beat)
				printf("# step flagged at beat %d, expected %d\n", c->step_beat,
				       c->expect_step_beat);
			CHECK(c->step_beat > 0);
			CHECK_EQ_INT(c->step_beat, c->expect_step_beat);
			CHECK_EQ_INT(c->est.steps, 1);
		}
	}
	ls_hb_close(r->hb);
	free(r);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	if (geteuid() != 0) {
		return test_skip_all("needs root for BPF");
	}
	RUN(real_exchanges_meet_the_accuracy_criteria);
	return test_done();
}
