/* test_clock_heartbeat.c - the heartbeat in the real kernel: the BPF beat timer
 * (absolute re-arm, no accumulated drift), beats through the ring buffer,
 * the interval check, the liveness map, the BPF watchdog entering and
 * leaving fail-safe (a silent agent, or an unhealthy policy side), sharing
 * the data plane's maps, and a pinned watchdog outliving its agent. Pins go
 * to a private bpffs directory only. */
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock/heartbeat.h"
#include "dataplane/dp_internal.h"
#include "lockstep.skel.h"
#include "lockstep/wire_clock.h"

#define IVL (20 * LS_NS_PER_MS)
#define MAXB 256

struct rec {
	int n;
	struct ls_hb_beat_info b[MAXB];
};

static void observe(void *arg, const struct ls_hb_beat_info *in)
{
	struct rec *r = arg;
	if (r->n < MAXB)
		r->b[r->n++] = *in;
}

static char pin_dir[128];

static void cleanup_pins(void)
{
	if (!pin_dir[0])
		return;
	const char *names[] = {"hb_beat", "liveness", "events", "counters"};
	char p[256];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", pin_dir, names[i]);
		unlink(p);
	}
	rmdir(pin_dir);
}

/* Opens and starts a heartbeat, its beats recorded into r (unless NULL).
 * NULL, with the reason printed and a failed check, when it cannot: every
 * test here needs a running heartbeat, so this is a failure, not a skip. */
static struct ls_heartbeat *open_hb(struct ls_hb_config *c, struct rec *r)
{
	struct ls_heartbeat *hb = NULL;
	struct ls_err err;
	if (ls_hb_open(&hb, c, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		return NULL;
	}
	if (ls_hb_start(hb, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		ls_hb_close(hb);
		return NULL;
	}
	if (r)
		ls_hb_set_observer(hb, observe, r);
	return hb;
}

/* Poll until the observer has `want` beats (or 2 s per expected beat). */
static void wait_beats(struct ls_heartbeat *hb, struct rec *r, int want)
{
	ls_k end = ls_k_add(ls_k_now(), (int64_t)want * 4 * IVL + LS_NS_PER_S);
	while (r->n < want && ls_k_now().ns < end.ns)
		ls_hb_poll(hb, 50);
}

static int read_liveness(int fd, struct ls_liveness *l)
{
	__u32 key = 0;
	return bpf_map_lookup_elem(fd, &key, l);
}

/* Sum of a per-CPU counter. */
static uint64_t counter(int fd, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc((size_t)ncpu, sizeof(__u64));
	uint64_t sum = 0;
	if (v && bpf_map_lookup_elem(fd, &idx, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

static int on_dp_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct ls_event))
		ls_hb_handle_event(ctx, data);
	return 0;
}

/* A consumer that loses three beat events out of four, as a full shared
 * ring buffer would. */
static int on_lossy_event(void *ctx, void *data, size_t size)
{
	const struct ls_event *ev = data;
	if (size < sizeof(*ev))
		return 0;
	if (ev->kind == LS_EV_BEAT && ev->u.beat.seq % 4 != 0)
		return 0;
	ls_hb_handle_event(ctx, ev);
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

TEST(beat_fires_on_an_absolute_grid)
{
	struct rec r = {0};
	struct ls_hb_config c = {.interval_ns = IVL, .failsafe_mode = LS_FAILSAFE_PASS};
	struct ls_heartbeat *hb = open_hb(&c, &r);
	if (!hb)
		return;
	wait_beats(hb, &r, 40);
	CHECK_EQ_INT(r.n, 40);
	int64_t late[MAXB], deliv[MAXB];
	int bad_grid = 0, early = 0;
	for (int i = 0; i < r.n; i++) {
		/* planned times lie exactly on first + seq * interval: the
		 * lateness of one beat never moves the next */
		int64_t want = r.b[0].planned_k.ns + (int64_t)(r.b[i].seq - r.b[0].seq) * IVL;
		if (r.b[i].planned_k.ns != want)
			bad_grid++;
		if (r.b[i].fired_k.ns < r.b[i].planned_k.ns)
			early++;
		late[i] = r.b[i].fired_k.ns - r.b[i].planned_k.ns;
		deliv[i] = r.b[i].delivery_ns;
		CHECK(!r.b[i].interval_mismatch);
		CHECK(r.b[i].good);
	}
	CHECK_EQ_INT(bad_grid, 0);
	CHECK_EQ_INT(early, 0);
	CHECK_EQ_INT(r.b[0].seq, 0);
	/* no accumulated drift: N beats span exactly N intervals of plan, and
	 * the fire times stay within one interval of it to the end */
	int64_t span = r.b[r.n - 1].fired_k.ns - r.b[0].fired_k.ns;
	int64_t plan = (int64_t)(r.b[r.n - 1].seq - r.b[0].seq) * IVL;
	CHECK(llabs(span - plan) < IVL);
	qsort(late, (size_t)r.n, sizeof(int64_t), cmp64);
	qsort(deliv, (size_t)r.n, sizeof(int64_t), cmp64);
	printf("# %d beats at %lld ms: timer lateness p50 %lld ns max %lld ns; kernel->user "
	       "delivery p50 %lld ns max %lld ns; drift over the run %lld ns\n", r.n,
	       (long long)(IVL / LS_NS_PER_MS), (long long)late[r.n / 2], (long long)late[r.n - 1],
	       (long long)deliv[r.n / 2], (long long)deliv[r.n - 1], (long long)(span - plan));
	CHECK(r.b[r.n - 1].observed_interval_ns > IVL * 9 / 10);
	CHECK(r.b[r.n - 1].observed_interval_ns < IVL * 11 / 10);
	const struct ls_hb_stats *st = ls_hb_stats(hb);
	CHECK_EQ_INT(st->beats, (uint64_t)r.n);
	CHECK_EQ_INT(st->mismatches, 0);
	CHECK(st->pings >= (uint64_t)r.n * 4);
	CHECK_EQ_INT(st->ping_errors, 0);
	/* the estimator has converged on G == K (no faults): tiny offset */
	const struct ls_mapping *m = ls_hb_mapping(hb);
	CHECK(m->valid);
	printf("# estimated offset %lld ns, rate %.3f ppm +- %.3f, eps0 %lld ns, min rtt %lld ns\n",
	       (long long)(m->ref_g.ns - m->ref_k.ns), m->rate * 1e6, m->rate_unc * 1e6,
	       (long long)m->eps0_ns, (long long)ls_hb_estimator(hb)->min_delay_ns);
	CHECK(llabs(m->ref_g.ns - m->ref_k.ns) <= m->eps0_ns);
	ls_hb_close(hb);
}

TEST(misconfigured_interval_is_flagged)
{
	struct rec r = {0};
	/* the kernel beats every 20 ms, user space was told 30 ms */
	struct ls_hb_config c = {.interval_ns = IVL, .expect_interval_ns = 30 * LS_NS_PER_MS,
				 .failsafe_mode = LS_FAILSAFE_PASS};
	struct ls_heartbeat *hb = open_hb(&c, &r);
	if (!hb)
		return;
	wait_beats(hb, &r, 8);
	CHECK_EQ_INT(r.n, 8);
	/* flagged as soon as three intervals were seen, and stays flagged */
	int first = -1;
	for (int i = 0; i < r.n; i++)
		if (r.b[i].interval_mismatch && first < 0)
			first = i;
	printf("# mismatch flagged at beat %d, observed %lld ns, expected %lld ns\n", first,
	       (long long)r.b[r.n - 1].observed_interval_ns, (long long)(30 * LS_NS_PER_MS));
	CHECK(first >= 0 && first <= 4);
	CHECK(r.b[r.n - 1].interval_mismatch);
	CHECK(ls_hb_stats(hb)->mismatches >= 4);
	ls_hb_close(hb);
}

TEST(liveness_written_and_watchdog_enters_and_leaves_failsafe)
{
	struct rec r = {0};
	struct ls_hb_config c = {.interval_ns = IVL, .detect_multiplier = 5,
				 .failsafe_mode = LS_FAILSAFE_DROP};
	struct ls_heartbeat *hb = open_hb(&c, &r);
	if (!hb)
		return;
	wait_beats(hb, &r, 5);
	struct ls_liveness l;
	CHECK_EQ_INT(read_liveness(ls_hb_liveness_fd(hb), &l), 0);
	ls_k now = ls_k_now();
	CHECK(l.last_beat_k > 0 && (int64_t)l.last_beat_k <= now.ns);
	CHECK(now.ns - (int64_t)l.last_beat_k < 2 * IVL + 50 * LS_NS_PER_MS);
	CHECK_EQ_INT(l.detect_timeout_ns, 5 * IVL);
	CHECK_EQ_INT(l.mode, LS_FAILSAFE_DROP);
	CHECK_EQ_INT(l.in_failsafe, 0);
	CHECK_EQ_INT(ls_hb_stats(hb)->good, 5);

	/* the policy side falls silent: beats still arrive, none is good */
	ls_hb_set_paused(hb, true);
	int paused_at = r.n;
	while (ls_hb_stats(hb)->failsafe_enter == 0 && r.n < paused_at + 30)
		ls_hb_poll(hb, 50);
	int took = r.n - paused_at;
	CHECK_EQ_INT(ls_hb_stats(hb)->failsafe_enter, 1);
	CHECK_EQ_INT(read_liveness(ls_hb_liveness_fd(hb), &l), 0);
	CHECK_EQ_INT(l.in_failsafe, 1);
	printf("# fail-safe entered after %d silent beats (detect multiplier 5)\n", took);
	/* the first beat after the timeout (multiplier + 1), one more if our
	 * last liveness write was itself late */
	CHECK(took >= 5 && took <= 7);
	uint64_t good_before = ls_hb_stats(hb)->good;
	CHECK_EQ_INT(good_before, 5);

	/* it resumes: the next good beat is recorded, the watchdog leaves */
	ls_hb_set_paused(hb, false);
	int resumed_at = r.n;
	while (ls_hb_stats(hb)->failsafe_leave == 0 && r.n < resumed_at + 10)
		ls_hb_poll(hb, 50);
	CHECK_EQ_INT(ls_hb_stats(hb)->failsafe_leave, 1);
	CHECK_EQ_INT(read_liveness(ls_hb_liveness_fd(hb), &l), 0);
	CHECK_EQ_INT(l.in_failsafe, 0);
	printf("# fail-safe left %d beats after resuming\n", r.n - resumed_at);
	/* hb_alive ends it on the first good beat */
	CHECK_EQ_INT(r.n - resumed_at, 1);
	/* counters: one enter, one leave, and every beat counted */
	CHECK_EQ_INT(counter(ls_hb_counters_fd(hb), LS_CNT_FAILSAFE_ENTER), 1);
	CHECK_EQ_INT(counter(ls_hb_counters_fd(hb), LS_CNT_FAILSAFE_LEAVE), 1);
	CHECK(counter(ls_hb_counters_fd(hb), LS_CNT_BEAT) >= (uint64_t)r.n);
	ls_hb_close(hb);
}

static const char *sick_reason;
static const char *sick(void *arg)
{
	(void)arg;
	return sick_reason;
}

/* A live agent whose policy side is unhealthy: the beats keep coming and the
 * pings keep going, but none is good, so the watchdog enters fail-safe as
 * for a silent agent; healthy again, the next beat ends it. */
TEST(unhealthy_policy_side_means_no_good_beat)
{
	struct rec r = {0};
	struct ls_hb_config c = {.interval_ns = IVL, .detect_multiplier = 3,
				 .failsafe_mode = LS_FAILSAFE_PASS};
	struct ls_heartbeat *hb = open_hb(&c, &r);
	if (!hb)
		return;
	ls_hb_set_health(hb, sick, NULL);
	sick_reason = NULL;
	wait_beats(hb, &r, 3);
	CHECK(ls_hb_stats(hb)->good >= 3);
	sick_reason = "its last on_tick ran out of fuel";
	int at = r.n;
	uint64_t pings = ls_hb_stats(hb)->pings;
	while (ls_hb_stats(hb)->failsafe_enter == 0 && r.n < at + 30)
		ls_hb_poll(hb, 50);
	CHECK_EQ_INT(ls_hb_stats(hb)->failsafe_enter, 1);
	printf("# fail-safe after %d beats of an unhealthy policy side (multiplier 3)\n", r.n - at);
	CHECK(r.n - at >= 3 && r.n - at <= 5);
	CHECK(ls_hb_stats(hb)->unhealthy >= 3);
	CHECK(ls_hb_stats(hb)->pings > pings); /* the estimator keeps learning */
	CHECK(r.b[r.n - 1].unhealthy == sick_reason && !r.b[r.n - 1].good);
	sick_reason = NULL;
	at = r.n;
	while (ls_hb_stats(hb)->failsafe_leave == 0 && r.n < at + 10)
		ls_hb_poll(hb, 50);
	CHECK_EQ_INT(ls_hb_stats(hb)->failsafe_leave, 1);
	CHECK_EQ_INT(r.n - at, 1);
	ls_hb_close(hb);
}

TEST(shares_the_data_plane_maps)
{
	/* the data plane's object owns events/liveness/counters; the heartbeat
	 * reuses them: beats come through the data plane's ring buffer and the
	 * liveness it writes is the one the data plane reads */
	struct lockstep_bpf *dp = lockstep_bpf__open_and_load();
	if (!dp) {
		printf("# loading lockstep.bpf.o: %s\n", strerror(errno));
		CHECK(0);
		return;
	}
	struct ls_hb_config c = {
		.interval_ns = IVL,
		.failsafe_mode = LS_FAILSAFE_PASS,
		.events_fd = bpf_map__fd(dp->maps.ls_events),
		.liveness_fd = bpf_map__fd(dp->maps.ls_liveness),
		.counters_fd = bpf_map__fd(dp->maps.ls_counters),
	};
	struct ls_heartbeat *hb = open_hb(&c, NULL);
	if (!hb) {
		lockstep_bpf__destroy(dp);
		return;
	}
	CHECK_EQ_INT(ls_hb_fd(hb), -1); /* no ring of its own */
	struct rec r = {0};
	ls_hb_set_observer(hb, observe, &r);
	/* the data plane's consumer hands heartbeat events over */
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(dp->maps.ls_events), on_dp_event, hb, NULL);
	CHECK(rb != NULL);
	ls_k end = ls_k_add(ls_k_now(), 2 * LS_NS_PER_S);
	while (rb && r.n < 5 && ls_k_now().ns < end.ns)
		ring_buffer__poll(rb, 50);
	CHECK(r.n >= 5);
	struct ls_liveness l;
	CHECK_EQ_INT(read_liveness(bpf_map__fd(dp->maps.ls_liveness), &l), 0);
	CHECK(ls_k_now().ns - (int64_t)l.last_beat_k < 2 * IVL + 50 * LS_NS_PER_MS);
	CHECK_EQ_INT(l.mode, LS_FAILSAFE_PASS);
	CHECK_EQ_INT(l.detect_timeout_ns, 3 * IVL);
	CHECK(counter(bpf_map__fd(dp->maps.ls_counters), LS_CNT_BEAT) >= 5);
	ring_buffer__free(rb);
	ls_hb_close(hb);
	lockstep_bpf__destroy(dp);
}

TEST(lost_beat_events_are_recovered_and_do_not_trip_failsafe)
{
	struct lockstep_bpf *dp = lockstep_bpf__open_and_load();
	if (!dp) {
		CHECK(0);
		return;
	}
	/* timeout 3 beats: losing 3 of 4 events would trip it without recovery */
	struct ls_hb_config c = {
		.interval_ns = IVL,
		.detect_multiplier = 3,
		.failsafe_mode = LS_FAILSAFE_PASS,
		.events_fd = bpf_map__fd(dp->maps.ls_events),
		.liveness_fd = bpf_map__fd(dp->maps.ls_liveness),
		.counters_fd = bpf_map__fd(dp->maps.ls_counters),
	};
	struct ls_heartbeat *hb = open_hb(&c, NULL);
	if (!hb) {
		lockstep_bpf__destroy(dp);
		return;
	}
	struct rec r = {0};
	ls_hb_set_observer(hb, observe, &r);
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(dp->maps.ls_events), on_lossy_event, hb, NULL);
	ls_k end = ls_k_add(ls_k_now(), 3 * LS_NS_PER_S);
	while (rb && r.n < 24 && ls_k_now().ns < end.ns) {
		ring_buffer__poll(rb, 5);
		ls_hb_tick(hb);
	}
	const struct ls_hb_stats *st = ls_hb_stats(hb);
	printf("# %llu beats handled: %llu delivered, %llu recovered from the beat map\n",
	       (unsigned long long)st->beats, (unsigned long long)st->delivered,
	       (unsigned long long)st->recovered);
	CHECK(r.n >= 24);
	CHECK(st->recovered >= 12);
	CHECK(st->delivered >= 3);
	CHECK_EQ_INT(st->good, st->beats);
	CHECK_EQ_INT(counter(bpf_map__fd(dp->maps.ls_counters), LS_CNT_FAILSAFE_ENTER), 0);
	/* every beat counted once, in order */
	int ordered = 1;
	for (int i = 1; i < r.n; i++)
		if (r.b[i].planned_k.ns <= r.b[i - 1].planned_k.ns)
			ordered = 0;
	CHECK(ordered);
	ring_buffer__free(rb);
	ls_hb_close(hb);
	lockstep_bpf__destroy(dp);
}

TEST(pinned_watchdog_outlives_its_agent)
{
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/ls-test-clock-%d", (int)getpid());
	struct ls_err perr;
	if (ls_pins_prepare(pin_dir, &perr)) { /* mounts bpffs when absent */
		printf("# %s\n", perr.msg);
		CHECK(0);
		return;
	}
	struct ls_hb_config c = {.interval_ns = IVL,
				 .detect_multiplier = 3,
				 .failsafe_mode = LS_FAILSAFE_PASS,
				 .pin_dir = pin_dir};
	struct rec r = {0};
	struct ls_heartbeat *hb = open_hb(&c, &r);
	if (!hb)
		return;
	wait_beats(hb, &r, 3);
	CHECK_EQ_INT(r.n, 3);
	/* the agent goes away without stopping the beat */
	ls_hb_close(hb);
	char path[256];
	snprintf(path, sizeof(path), "%s/liveness", pin_dir);
	int lfd = bpf_obj_get(path);
	CHECK(lfd >= 0);
	struct ls_liveness l = {0};
	/* nothing in user space handles beats now: only the kernel watchdog
	 * can notice, and it must */
	ls_k end = ls_k_add(ls_k_now(), 40 * IVL);
	while (lfd >= 0 && ls_k_now().ns < end.ns) {
		read_liveness(lfd, &l);
		if (l.in_failsafe)
			break;
		usleep(5000);
	}
	CHECK_EQ_INT(l.in_failsafe, 1);
	printf("# agent gone: kernel watchdog entered fail-safe %lld ms after the last beat\n",
		   (long long)(((int64_t)l.entered_k - (int64_t)l.last_beat_k) / LS_NS_PER_MS));

	/* a new agent adopts the pins and the beat; liveness resumes */
	hb = open_hb(&c, NULL);
	if (!hb) {
		if (lfd >= 0)
			close(lfd);
		return;
	}
	struct rec r2 = {0};
	ls_hb_set_observer(hb, observe, &r2);
	end = ls_k_add(ls_k_now(), 2 * LS_NS_PER_S);
	while (ls_hb_stats(hb)->failsafe_leave == 0 && ls_k_now().ns < end.ns)
		ls_hb_poll(hb, 50);
	read_liveness(lfd, &l);
	CHECK_EQ_INT(l.in_failsafe, 0);
	CHECK_EQ_INT(ls_hb_stats(hb)->failsafe_leave, 1);
	CHECK_EQ_INT(ls_hb_stop(hb), 0);
	ls_hb_unpin(hb);
	ls_hb_close(hb);
	if (lfd >= 0)
		close(lfd);
	cleanup_pins();
	struct stat sb;
	CHECK(stat(pin_dir, &sb) != 0);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	atexit(cleanup_pins);
	if (geteuid() != 0) {
		return test_skip_all("needs root for BPF");
	}
	RUN(beat_fires_on_an_absolute_grid);
	RUN(misconfigured_interval_is_flagged);
	RUN(liveness_written_and_watchdog_enters_and_leaves_failsafe);
	RUN(unhealthy_policy_side_means_no_good_beat);
	RUN(shares_the_data_plane_maps);
	RUN(lost_beat_events_are_recovered_and_do_not_trip_failsafe);
	RUN(pinned_watchdog_outlives_its_agent);
	cleanup_pins();
	return test_done();
}
