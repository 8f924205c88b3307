/* test_clock_guestclock.c - the guest clock G provider: spec parsing (and its
 * error messages), and each fault's effect on readings against K. */
#include "test.h"

#include <math.h>

#include "clock/guestclock.h"

#include <errno.h>

static struct ls_gclock_spec parse_ok(const char *s)
{
	struct ls_gclock_spec sp;
	struct ls_err err = {0};
	int rc = ls_gclock_parse(s, &sp, &err);
	if (rc)
		printf("# parse '%s': %s\n", s, err.msg);
	CHECK(rc == 0);
	return sp;
}

static void parse_bad(const char *s, const char *must_mention)
{
	struct ls_gclock_spec sp;
	struct ls_err err = {0};
	int rc = ls_gclock_parse(s, &sp, &err);
	CHECK(rc == -EINVAL);
	if (!strstr(err.msg, must_mention)) {
		printf("# error for '%s' is '%s', expected to mention '%s'\n", s, err.msg,
		       must_mention);
		CHECK(0);
	}
}

TEST(parse_full_spec)
{
	struct ls_gclock_spec s =
		parse_ok("offset=+5ms,drift=+200ppm,delay=2ms,quantum=1ms,step=+50ms@30s");
	CHECK_EQ_INT(s.offset_ns, 5000000);
	CHECK(s.drift_ppm > 199.999 && s.drift_ppm < 200.001);
	CHECK_EQ_INT(s.delay_ns, 2000000);
	CHECK_EQ_INT(s.quantum_ns, 1000000);
	CHECK_EQ_INT(s.nsteps, 1);
	CHECK_EQ_INT(s.steps[0].step_ns, 50000000);
	CHECK_EQ_INT(s.steps[0].at_ns, 30000000000ll);
	CHECK(!s.zero);
}

TEST(parse_units_signs_and_modes)
{
	struct ls_gclock_spec s = parse_ok("offset=-1.5s,drift=-250ppb,zero,step=-3us@0.5s,step=+1ns@2s");
	CHECK_EQ_INT(s.offset_ns, -1500000000ll);
	CHECK(s.drift_ppm > -0.2501 && s.drift_ppm < -0.2499);
	CHECK(s.zero);
	CHECK_EQ_INT(s.nsteps, 2);
	CHECK_EQ_INT(s.steps[0].step_ns, -3000);
	CHECK_EQ_INT(s.steps[0].at_ns, 500000000);
	CHECK_EQ_INT(s.steps[1].step_ns, 1);
	s = parse_ok("");
	CHECK_EQ_INT(s.offset_ns, 0);
	CHECK_EQ_INT(s.nsteps, 0);
	s = parse_ok("none");
	CHECK(!s.zero);
	s = parse_ok("offset=250ns,quantum=10us");
	CHECK_EQ_INT(s.offset_ns, 250);
	CHECK_EQ_INT(s.quantum_ns, 10000);
}

TEST(parse_errors_are_clear)
{
	parse_bad("offset=5 ms", "offset '5 ms'");
	parse_bad("offset=1e3ms", "offset '1e3ms'"); /* the one grammar has no exponents */
	parse_bad("offset=5parsecs", "offset");
	parse_bad("drift=+200", "ppm");
	parse_bad("drift=99999999ppm", "drift");
	parse_bad("delay=-1ms", "delay");
	parse_bad("quantum=0ms", "quantum");
	parse_bad("step=+50ms", "step=+50ms@30s");
	parse_bad("step=+50ms@-1s", "step time");
	parse_bad("step=fast@1s", "step size");
	parse_bad("wobble=1ms", "unknown key 'wobble'");
	parse_bad("offset=1ms,,delay=1ms", "empty item");
	parse_bad("offset=1ms,", "trailing");
	parse_bad("lag", "not key=value");
	parse_bad("step=1ms@1s,step=1ms@2s,step=1ms@3s,step=1ms@4s,step=1ms@5s,"
		  "step=1ms@6s,step=1ms@7s,step=1ms@8s,step=1ms@9s", "more than 8");
}

TEST(format_round_trips)
{
	struct ls_gclock_spec a = parse_ok("offset=-7ms,drift=+12.5ppm,delay=3us,quantum=1ms,"
					   "step=+50ms@30s,zero,jitter=2ms,load");
	char buf[512];
	ls_gclock_format(&a, buf, sizeof(buf));
	struct ls_gclock_spec b = parse_ok(buf);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

TEST(no_faults_is_k_valued_but_typed_g)
{
	struct ls_gclock gc;
	struct ls_gclock_spec s = parse_ok("");
	ls_gclock_init(&gc, &s, ls_k_ns(1000));
	ls_g g = ls_gclock_at(&gc, ls_k_ns(123456789));
	CHECK_EQ_INT(g.ns, 123456789);
	CHECK_EQ_INT(ls_gclock_resolution_ns(&gc), 1);
	/* the live reading sits between two K reads */
	ls_k a = ls_k_now();
	ls_g now = ls_gclock_now(&gc);
	ls_k b = ls_k_now();
	CHECK(now.ns >= a.ns && now.ns <= b.ns);
}

TEST(each_fault_moves_readings_as_specified)
{
	struct ls_gclock gc;
	ls_k start = ls_k_ns(10 * LS_NS_PER_S);
	struct ls_gclock_spec s = parse_ok("offset=+5ms");
	ls_gclock_init(&gc, &s, start);
	CHECK_EQ_INT(ls_gclock_at(&gc, ls_k_add(start, 100)).ns, start.ns + 100 + 5000000);

	s = parse_ok("drift=+200ppm");
	ls_gclock_init(&gc, &s, start);
	/* after 1 s of K, G has run 1 s + 200 us */
	CHECK_EQ_INT(ls_gclock_at(&gc, ls_k_add(start, LS_NS_PER_S)).ns,
		     start.ns + LS_NS_PER_S + 200000);

	s = parse_ok("delay=2ms");
	ls_gclock_init(&gc, &s, start);
	/* stale: the reading at K = start + 1 s is what G was at start + 998 ms */
	CHECK_EQ_INT(ls_gclock_at(&gc, ls_k_add(start, LS_NS_PER_S)).ns,
		     start.ns + LS_NS_PER_S - 2000000);

	s = parse_ok("quantum=1ms");
	ls_gclock_init(&gc, &s, start);
	ls_g q = ls_gclock_at(&gc, ls_k_add(start, 1999999));
	CHECK_EQ_INT(q.ns % 1000000, 0);
	CHECK_EQ_INT(q.ns, start.ns + 1000000);
	CHECK_EQ_INT(ls_gclock_truth(&gc, ls_k_add(start, 1999999)).ns, start.ns + 1999999);
	CHECK_EQ_INT(ls_gclock_resolution_ns(&gc), 1000000);

	s = parse_ok("step=+50ms@30s");
	ls_gclock_init(&gc, &s, start);
	int64_t before = ls_gclock_at(&gc, ls_k_add(start, 30 * LS_NS_PER_S - 1)).ns;
	int64_t after = ls_gclock_at(&gc, ls_k_add(start, 30 * LS_NS_PER_S)).ns;
	CHECK_EQ_INT(after - before, 50000001);

	s = parse_ok("zero");
	ls_gclock_init(&gc, &s, start);
	CHECK_EQ_INT(ls_gclock_at(&gc, start).ns, 0);
	CHECK_EQ_INT(ls_gclock_at(&gc, ls_k_add(start, 42)).ns, 42);

	/* a negative quantised value floors down, not toward zero */
	s = parse_ok("zero,quantum=1ms,offset=-1.5ms");
	ls_gclock_init(&gc, &s, start);
	CHECK_EQ_INT(ls_gclock_at(&gc, start).ns, -2000000);
}

TEST(realtime_follows_wall_offset_with_faults)
{
	struct ls_gclock gc;
	ls_k start = ls_k_ns(10 * LS_NS_PER_S);
	struct ls_gclock_spec s = parse_ok("zero,offset=+1ms,delay=1ms");
	ls_gclock_init(&gc, &s, start);
	int64_t wall_off = 1700000000ll * LS_NS_PER_S;
	/* zero applies to monotonic only: realtime keeps the epoch */
	CHECK_EQ_INT(ls_gclock_realtime_ns(&gc, start, wall_off), start.ns + wall_off);
}

/* The faults of load: only the guest's own readings are stale by them, the
 * heartbeat's (ls_gclock_at) never; the staleness of `load` is the time
 * since the event was queued; jitter is exponential with the given mean.
 * Expected values: hand computations on a fault-free G (G == K) and the
 * moments of the exponential distribution. */
TEST(load_and_jitter_stale_only_the_guest_path)
{
	struct ls_gclock gc;
	struct ls_gclock_spec s = parse_ok("load");
	CHECK(s.load && s.jitter_ns == 0);
	ls_gclock_init(&gc, &s, ls_k_ns(LS_NS_PER_S));
	ls_k k = ls_k_ns(10 * LS_NS_PER_S);
	/* handling an event queued 300 ms ago: the guest reads 9.7 s */
	CHECK_EQ_INT(ls_gclock_guest_at(&gc, k, ls_k_ns(9700 * LS_NS_PER_MS)).ns,
		     9700 * LS_NS_PER_MS);
	/* nothing queued (a tick), or the heartbeat's reading: fresh */
	CHECK_EQ_INT(ls_gclock_guest_at(&gc, k, ls_k_ns(0)).ns, 10 * LS_NS_PER_S);
	CHECK_EQ_INT(ls_gclock_at(&gc, k).ns, 10 * LS_NS_PER_S);
	/* with delay=2ms as well: both add up */
	s = parse_ok("load,delay=2ms");
	ls_gclock_init(&gc, &s, ls_k_ns(LS_NS_PER_S));
	CHECK_EQ_INT(ls_gclock_guest_at(&gc, k, ls_k_ns(9700 * LS_NS_PER_MS)).ns,
		     9698 * LS_NS_PER_MS);

	s = parse_ok("jitter=5ms");
	CHECK_EQ_INT(s.jitter_ns, 5 * LS_NS_PER_MS);
	ls_gclock_init(&gc, &s, ls_k_ns(LS_NS_PER_S));
	CHECK_EQ_INT(ls_gclock_at(&gc, k).ns, k.ns); /* the heartbeat's: fresh */
	double sum = 0, sum2 = 0, mx = 0;
	int over_mean = 0, n = 200000;
	for (int i = 0; i < n; i++) {
		ls_k ki = ls_k_ns(k.ns + (int64_t)i * 1234567);
		int64_t st = ls_gclock_jitter_ns(&gc, ki);
		CHECK(st >= 0 && st <= 20 * 5 * LS_NS_PER_MS);
		/* deterministic, and the guest's reading is that stale */
		CHECK_EQ_INT(ls_gclock_jitter_ns(&gc, ki), st);
		if (i < 1000)
			CHECK_EQ_INT(ls_gclock_guest_at(&gc, ki, ls_k_ns(0)).ns, ki.ns - st);
		double x = (double)st / 5e6;
		sum += x, sum2 += x * x;
		mx = x > mx ? x : mx;
		over_mean += x > 1.0;
	}
	double mean = sum / n, var = sum2 / n - mean * mean;
	printf("# jitter=5ms over %d readings: mean %.4f, variance %.4f (exponential: 1, 1), "
	       "P(> mean) %.4f (1/e = 0.3679), max %.2f means\n",
	       n, mean, var, (double)over_mean / n, mx);
	CHECK(fabs(mean - 1.0) < 0.01);
	CHECK(fabs(var - 1.0) < 0.03);
	CHECK(fabs((double)over_mean / n - exp(-1.0)) < 0.005);
	parse_bad("jitter=-1ms", "jitter");
	parse_bad("load=1", "load");
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(parse_full_spec);
	RUN(parse_units_signs_and_modes);
	RUN(parse_errors_are_clear);
	RUN(format_round_trips);
	RUN(no_faults_is_k_valued_but_typed_g);
	RUN(each_fault_moves_readings_as_specified);
	RUN(realtime_follows_wall_offset_with_faults);
	RUN(load_and_jitter_stale_only_the_guest_path);
	return test_done();
}
