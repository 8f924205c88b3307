/* test_clock_wallclock.c - wall time from K by bracketed REALTIME/BOOTTIME
 * samples, and REALTIME step detection. REALTIME cannot be stepped on a
 * shared machine, so the step tests read the real clocks through a reader
 * that adds an injected step to REALTIME. */
#include "test.h"

#include <stdlib.h>

#include "clock/wallclock.h"

TEST(bracketed_sample_matches_realtime)
{
	struct ls_wallclock wc;
	ls_wall_init(&wc, NULL, NULL);
	CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	CHECK(wc.valid);
	CHECK(wc.width_ns >= 0 && wc.width_ns < 1000000);
	/* wall(K now) lies between two REALTIME reads around the K read,
	 * give or take the bracket width */
	int64_t r1 = ls_clock_read_ns(CLOCK_REALTIME, NULL);
	ls_k k = ls_k_now();
	int64_t r2 = ls_clock_read_ns(CLOCK_REALTIME, NULL);
	int64_t w = ls_wall_from_k(&wc, k);
	printf("# bracket width %lld ns; wall(K) - REALTIME midpoint %lld ns\n",
	       (long long)wc.width_ns, (long long)(w - (r1 + (r2 - r1) / 2)));
	CHECK(w >= r1 - wc.width_ns - 1000 && w <= r2 + wc.width_ns + 1000);
	/* refreshing without any step reports none */
	for (int i = 0; i < 20; i++)
		CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	CHECK_EQ_INT(wc.steps, 0);
	CHECK_EQ_INT(wc.refreshes, 21);
}

struct stepper {
	int64_t add_ns; /* added to REALTIME */
	int64_t slew_ppm; /* REALTIME runs this much faster since armed */
	int64_t armed_b;
	int glitch_next; /* make the next REALTIME read jump mid-bracket */
};

static int64_t stepped_read(clockid_t id, void *arg)
{
	struct stepper *s = arg;
	int64_t v = ls_clock_read_ns(id, NULL);
	if (id != CLOCK_REALTIME)
		return v;
	if (s->glitch_next) {
		s->glitch_next = 0;
		return v + 5 * LS_NS_PER_S;
	}
	int64_t b = ls_clock_read_ns(CLOCK_BOOTTIME, NULL);
	int64_t slew = s->armed_b ? (b - s->armed_b) * s->slew_ppm / 1000000 : 0;
	return v + s->add_ns + slew;
}

TEST(realtime_step_detected_and_reported)
{
	struct stepper s = {0};
	struct ls_wallclock wc;
	ls_wall_init(&wc, stepped_read, &s);
	CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	int64_t before = ls_wall_from_k(&wc, ls_k_now());
	s.add_ns = -250 * LS_NS_PER_MS; /* someone sets the clock back 250 ms */
	int64_t step = 0;
	CHECK_EQ_INT(ls_wall_refresh(&wc, &step), 1);
	CHECK(llabs(step + 250 * LS_NS_PER_MS) < 100000);
	CHECK_EQ_INT(wc.steps, 1);
	/* wall time follows the new REALTIME at once: not a one-time offset */
	int64_t after = ls_wall_from_k(&wc, ls_k_now());
	CHECK(after < before);
	/* a small step of 1 ms is caught too */
	s.add_ns += LS_NS_PER_MS;
	CHECK_EQ_INT(ls_wall_refresh(&wc, &step), 1);
	CHECK(llabs(step - LS_NS_PER_MS) < 100000);
	CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
}

TEST(slewing_is_not_a_step_and_glitched_brackets_are_discarded)
{
	struct stepper s = {.slew_ppm = 400};
	struct ls_wallclock wc;
	ls_wall_init(&wc, stepped_read, &s);
	s.armed_b = ls_clock_read_ns(CLOCK_BOOTTIME, NULL);
	CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	/* NTP slewing at 400 ppm for 20 x 5 ms: never a step */
	for (int i = 0; i < 20; i++) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
		CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	}
	CHECK_EQ_INT(wc.steps, 0);
	/* a REALTIME read that jumps inside one bracket is a bad try, not a
	 * sample: the tightest good try is kept, no step reported */
	s.glitch_next = 1;
	CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	CHECK(wc.width_ns < 1000000);
}

/* Scripted clocks: every read, of either clock, advances both by 200 ns,
 * REALTIME reading R + t and BOOTTIME B + t. A bracket r1, b, r2 is then
 * R + t, B + t + 200, R + t + 400: 400 ns wide, its midpoint R + t + 200 is
 * the instant of the BOOTTIME read, so by hand wall(K) = K + (R - B) exactly,
 * where a bracket's start instead of its midpoint would be 200 ns early. */
struct script {
	int64_t t;
};

static int64_t scripted_read(clockid_t id, void *arg)
{
	struct script *s = arg;
	int64_t v = (id == CLOCK_REALTIME ? 1700000000000000000ll : 5000000000ll) + s->t;
	s->t += 200;
	return v;
}

TEST(wall_time_is_the_bracket_midpoint)
{
	struct script s = {0};
	struct ls_wallclock wc;
	ls_wall_init(&wc, scripted_read, &s);
	CHECK_EQ_INT(ls_wall_refresh(&wc, NULL), 0);
	CHECK_EQ_INT(wc.width_ns, 400);
	CHECK_EQ_INT(ls_wall_from_k(&wc, ls_k_ns(5000000000ll)), 1700000000000000000ll);
	CHECK_EQ_INT(ls_wall_from_k(&wc, ls_k_ns(6000000123ll)), 1700000001000000123ll);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(bracketed_sample_matches_realtime);
	RUN(wall_time_is_the_bracket_midpoint);
	RUN(realtime_step_detected_and_reported);
	RUN(slewing_is_not_a_step_and_glitched_brackets_are_discarded);
	return test_done();
}
