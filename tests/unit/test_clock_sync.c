/* test_clock_sync.c - the clock options as `lockstep run` takes them, and
 * the sync object the policy pipeline uses: G for the guest, conversions
 * for deadlines and timestamps, with and without --no-clock-sync, on the
 * real heartbeat. */
#include "test.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock/sync.h"
#include "dataplane/dp_internal.h"
#include "lockstep.skel.h"
#include "lockstep/wasm.h"
#include "policy/policy.h"
#include "policy_harness.h"

static char pin_dir[128];

static void cleanup_pins(void)
{
	const char *names[] = {"hb_beat", "liveness", "events", "counters"};
	char p[256];
	if (!pin_dir[0])
		return;
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", pin_dir, names[i]);
		unlink(p);
	}
	rmdir(pin_dir);
}

static int forward(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct ls_event))
		ls_hb_handle_event(ctx, data);
	return 0;
}

TEST(options_parse_and_refuse)
{
	struct ls_clock_opts o;
	struct ls_err err;
	ls_clock_opts_default(&o);
	CHECK_EQ_INT(o.beat_interval_ns, 100 * LS_NS_PER_MS);
	CHECK_EQ_INT(o.detect_multiplier, 3);
	CHECK_EQ_INT(o.failsafe_mode, LS_FAILSAFE_PASS);
	CHECK(!o.no_clock_sync);
	CHECK_EQ_INT(ls_clock_opt(&o, "--guest-clock", "offset=+5ms,quantum=1ms", &err), 1);
	CHECK_EQ_INT(o.guest.offset_ns, 5 * LS_NS_PER_MS);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "250ms", &err), 1);
	CHECK_EQ_INT(o.beat_interval_ns, 250 * LS_NS_PER_MS);
	CHECK_EQ_INT(ls_clock_opt(&o, "--detect-multiplier", "5", &err), 1);
	CHECK_EQ_INT(o.detect_multiplier, 5);
	CHECK_EQ_INT(ls_clock_opt(&o, "--fail-safe", "drop", &err), 1);
	CHECK_EQ_INT(o.failsafe_mode, LS_FAILSAFE_DROP);
	CHECK_EQ_INT(ls_clock_opt(&o, "--no-clock-sync", NULL, &err), 1);
	CHECK(o.no_clock_sync);
	CHECK_EQ_INT(ls_clock_opt(&o, "--iface", "eth0", &err), 0);
	CHECK_EQ_INT(ls_clock_opt_takes_value("--no-clock-sync"), 0);
	CHECK_EQ_INT(ls_clock_opt_takes_value("--fail-safe"), 1);
	CHECK_EQ_INT(ls_clock_opt_takes_value("--policy"), -1);

	CHECK_EQ_INT(ls_clock_opt(&o, "--fail-safe", "maybe", &err), -EINVAL);
	CHECK(strstr(err.msg, "pass or drop") != NULL);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "10us", &err), -EINVAL);
	CHECK(strstr(err.msg, "1ms to 60s") != NULL);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "needs a value") != NULL);
	CHECK_EQ_INT(ls_clock_opt(&o, "--detect-multiplier", "0", &err), -EINVAL);
	CHECK_EQ_INT(ls_clock_opt(&o, "--detect-multiplier", "3x", &err), -EINVAL);
	CHECK_EQ_INT(ls_clock_opt(&o, "--guest-clock", "drift=fast", &err), -EINVAL);
	CHECK(strstr(err.msg, "drift") != NULL);
	/* a refused value leaves the previous setting */
	CHECK_EQ_INT(o.failsafe_mode, LS_FAILSAFE_DROP);
	CHECK_EQ_INT(o.beat_interval_ns, 250 * LS_NS_PER_MS);
}

TEST(sync_converts_guest_deadlines_safely)
{
	struct ls_clock_opts o;
	struct ls_err err;
	ls_clock_opts_default(&o);
	o.beat_interval_ns = 20 * LS_NS_PER_MS;
	CHECK_EQ_INT(ls_clock_opt(&o, "--guest-clock", "offset=+5ms,delay=2ms,quantum=1ms", &err),
		     1);
	struct ls_sync s;
	if (ls_sync_open(&s, &o, NULL, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		return;
	}
	/* valid before the first beat: open took a burst */
	struct ls_mapping m = ls_sync_mapping(&s);
	CHECK(m.valid && !m.identity);
	for (int i = 0; i < 10; i++)
		ls_hb_poll(s.hb, 50);
	CHECK(ls_hb_stats(s.hb)->good >= 3);

	/* the guest sets a 50 ms TTL from its own (stale, coarse, offset) now */
	ls_g now_g = ls_sync_now_g(&s);
	ls_g deadline_g = ls_g_add(now_g, 50 * LS_NS_PER_MS);
	ls_k dl_k = ls_sync_deadline_k(&s, deadline_g);
	/* truth: K at which the guest's clock reaches the deadline */
	ls_k truth_k = ls_k_ns(deadline_g.ns - s.gclock.spec.offset_ns + s.gclock.spec.delay_ns);
	printf("# deadline in K: %lld ns after the truth (margin)\n",
	       (long long)(dl_k.ns - truth_k.ns));
	CHECK(dl_k.ns >= truth_k.ns);
	CHECK(dl_k.ns - truth_k.ns < 3 * LS_NS_PER_MS);
	/* a kernel timestamp handed to the guest lands on its clock */
	ls_k k = ls_k_now();
	ls_g g = ls_sync_to_guest(&s, k);
	ls_g truth_g = ls_gclock_truth(&s.gclock, k);
	CHECK(llabs(g.ns - truth_g.ns) <= ls_mapping_eps_ns(&m, k) + LS_NS_PER_MS);
	/* realtime for WASI keeps the epoch */
	int64_t rt = ls_sync_realtime_ns(&s);
	int64_t real = ls_clock_read_ns(CLOCK_REALTIME, NULL);
	CHECK(llabs(rt - real) < 10 * LS_NS_PER_MS);

	/* the WASI layer's clock callback reads the same G */
	lw_wasi_config wc = {.clock = ls_sync_wasi_clock, .clock_user = &s,
			     .clock_res_ns = ls_sync_resolution_ns(&s)};
	CHECK_EQ_INT(wc.clock_res_ns, LS_NS_PER_MS);
	uint64_t mono = 0, wall = 0, cpu = 0;
	ls_g before = ls_sync_now_g(&s);
	CHECK_EQ_INT(wc.clock(wc.clock_user, 1, &mono), 0);
	ls_g after = ls_sync_now_g(&s);
	CHECK((int64_t)mono >= before.ns && (int64_t)mono <= after.ns);
	CHECK_EQ_INT(mono % LS_NS_PER_MS, 0);
	CHECK_EQ_INT(wc.clock(wc.clock_user, 0, &wall), 0);
	CHECK(llabs((int64_t)wall - ls_clock_read_ns(CLOCK_REALTIME, NULL)) < 10 * LS_NS_PER_MS);
	CHECK_EQ_INT(wc.clock(wc.clock_user, 2, &cpu), 0);
	CHECK(cpu > 0);
	CHECK_EQ_INT(wc.clock(wc.clock_user, 4, &cpu), 28);

	/* the live mapping follows the estimator as beats come */
	const struct ls_mapping *live = ls_sync_live_mapping(&s);
	uint64_t beats_before = ls_hb_estimator(s.hb)->beats;
	ls_k ref_before = live->ref_k;
	for (int i = 0; i < 4; i++)
		ls_hb_poll(s.hb, 50);
	CHECK(ls_hb_estimator(s.hb)->beats > beats_before);
	CHECK(live->ref_k.ns > ref_before.ns);
	/* the adapters fit the policy pipeline's clock as they are */
	struct ls_policy_clock pc = {.ctx = &s, .now_g = ls_sync_now_g_u64,
				     .now_k = ls_sync_now_k_u64};
	uint64_t g_u = pc.now_g(pc.ctx);
	CHECK(g_u > 0 && g_u % LS_NS_PER_MS == 0);
	CHECK(llabs((int64_t)pc.now_k(pc.ctx) - ls_k_now().ns) < LS_NS_PER_MS);

	/* --no-clock-sync: the naive identity, which fires early here */
	s.opts.no_clock_sync = true;
	CHECK(ls_sync_live_mapping(&s)->identity);
	ls_k naive_k = ls_sync_deadline_k(&s, deadline_g);
	CHECK_EQ_INT(naive_k.ns, deadline_g.ns);
	s.opts.no_clock_sync = false;
	ls_sync_close(&s);

	/* the naive version is early by delay - offset when offset < delay */
	struct ls_clock_opts o2;
	ls_clock_opts_default(&o2);
	CHECK_EQ_INT(ls_clock_opt(&o2, "--guest-clock", "delay=2ms", &err), 1);
	o2.no_clock_sync = true;
	struct ls_sync s2;
	if (ls_sync_open(&s2, &o2, NULL, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		return;
	}
	/* a G before its epoch (zero mode, negative offset) reads 0 in WASI */
	s2.gclock.spec.zero = true;
	s2.gclock.spec.offset_ns = -LS_NS_PER_S;
	ls_gclock_init(&s2.gclock, &s2.gclock.spec, ls_k_now());
	uint64_t neg = 123;
	CHECK_EQ_INT(ls_sync_wasi_clock(&s2, 1, &neg), 0);
	CHECK_EQ_INT(neg, 0);
	s2.gclock.spec.zero = false;
	s2.gclock.spec.offset_ns = 0;
	ls_gclock_init(&s2.gclock, &s2.gclock.spec, ls_k_now());
	ls_g d2 = ls_g_add(ls_sync_now_g(&s2), 50 * LS_NS_PER_MS);
	ls_k n2 = ls_sync_deadline_k(&s2, d2);
	ls_k t2 = ls_k_ns(d2.ns + 2 * LS_NS_PER_MS);
	printf("# naive deadline fires %lld ns early\n", (long long)(t2.ns - n2.ns));
	CHECK(n2.ns < t2.ns);
	ls_sync_close(&s2);
}

/* A real guest (tests/policy/guests/gclock.c) run by the policy pipeline
 * wired to the agent's clock as `lockstep run` wires it: every time it
 * reads -- the lockstep import, WASI monotonic and realtime, clock_res_get
 * -- is G under the injected faults, and its 2 s TTL lands 2 s after now in
 * K through the mapping (the naive identity would put it 3 s later). */
TEST(a_guest_reads_g_everywhere)
{
	if (!guest_exists("test/gclock.wasm"))
		SKIP("gclock.wasm not built");
	struct ls_clock_opts o;
	struct ls_err err;
	const int64_t off = 3 * LS_NS_PER_S, delay = 2 * LS_NS_PER_MS, q = LS_NS_PER_MS;
	ls_clock_opts_default(&o);
	o.beat_interval_ns = 20 * LS_NS_PER_MS;
	CHECK_EQ_INT(ls_clock_opt(&o, "--guest-clock", "offset=+3s,delay=2ms,quantum=1ms", &err),
		     1);
	struct ls_sync s;
	if (ls_sync_open(&s, &o, NULL, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		return;
	}
	for (int i = 0; i < 10; i++)
		ls_hb_poll(s.hb, 50);
	struct harness *h = calloc(1, sizeof(*h));
	struct ls_policy_config cfg = {.default_verdict = LS_VERDICT_DROP,
				       .clock = ls_policy_clock_of_sync(&s),
				       .log = h_log, .log_ctx = h};
	struct ls_verdict_sink sink = {.ctx = h, .write = h_write};
	CHECK_EQ_INT(ls_policy_new(&cfg, &sink, &h->p, &h->err), 0);
	ls_policy_set_mapping(h->p, ls_sync_live_mapping(&s));
	CHECK_EQ_INT(harness_load(h, "test/gclock.wasm"), 0);

	int64_t k0 = ls_k_now().ns;
	int64_t r0 = ls_clock_read_ns(CLOCK_REALTIME, NULL);
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	int64_t k1 = ls_k_now().ns;
	int64_t r1 = ls_clock_read_ns(CLOCK_REALTIME, NULL);

	double mono = metric(h, "gclock_wasi_mono_s") * 1e9 + metric(h, "gclock_wasi_mono_ns");
	double real = metric(h, "gclock_wasi_real_s") * 1e9 + metric(h, "gclock_wasi_real_ns");
	double now = metric(h, "gclock_now");
	printf("# guest read: monotonic K%+.3f ms, realtime REALTIME%+.3f ms (injected %+lld ms, "
	       "readings %lld ms stale, %lld ms quantum)\n",
	       (mono - (double)k0) / 1e6, (real - (double)r0) / 1e6, (long long)(off / LS_NS_PER_MS),
	       (long long)(delay / LS_NS_PER_MS), (long long)(q / LS_NS_PER_MS));
	/* the readings G's fault model gives between k0 and k1 */
	CHECK(mono >= (double)(k0 + off - delay - q) && mono <= (double)(k1 + off - delay));
	CHECK(real >= (double)(r0 + off - delay - q) - 1e6 && real <= (double)(r1 + off - delay) + 1e6);
	CHECK(fabs(now - mono) <= (double)q);
	/* coarse: every reading a multiple of the quantum, and said so */
	CHECK_EQ_INT((int64_t)metric(h, "gclock_wasi_mono_ns") % q, 0);
	CHECK_EQ_INT((int64_t)metric(h, "gclock_wasi_real_ns") % q, 0);
	CHECK_EQ_INT((int64_t)metric(h, "gclock_now_ns") % q, 0);
	CHECK(metric(h, "gclock_res_mono") == (double)q);
	CHECK(metric(h, "gclock_res_real") == (double)q);
	/* the TTL crossed through the mapping: 2 s from now in K, never
	 * early, late by no more than the mapping's margin: the rate's stated
	 * uncertainty over 2 s (a fraction of a percent after a dozen beats of
	 * a 1 ms clock that may drift by up to 10 %) */
	const struct rec_verdict *v = last_verdict(h, 1);
	double unc = ls_sync_live_mapping(&s)->rate_unc;
	CHECK(v != NULL);
	CHECK(unc < 0.02);
	if (v) {
		int64_t ttl_k = (int64_t)v->deadline_k - k1;
		printf("# 2 s TTL enforced %.3f ms after the call in K (rate stated +-%.0f ppm)\n",
		       (double)ttl_k / 1e6, unc * 1e6);
		CHECK((int64_t)v->deadline_k >= k0 + 2 * LS_NS_PER_S);
		CHECK((double)v->deadline_k <=
		      (double)(k1 + 2 * LS_NS_PER_S) * 1.0 + 2e9 * 2 * unc + (double)(5 * q));
	}
	ls_policy_free(h->p);
	free(h);
	ls_sync_close(&s);
}

/* The fault model of load, end to end through the policy pipeline: under
 * `load` a guest handling an event the kernel queued 300 ms ago reads a G
 * 300 ms stale (G == K otherwise), so its "2 s from now" is 300 ms short.
 * The naive integration enforces it as a K time, 300 ms early; with sync the
 * TTL is counted from the K time of the call and lands >= 2 s after it.
 * Expected values by hand from the injected staleness. */
static int64_t load_case(bool naive, int64_t *read_lag)
{
	struct ls_clock_opts o;
	struct ls_err err = {0};
	ls_clock_opts_default(&o);
	o.beat_interval_ns = 20 * LS_NS_PER_MS;
	o.no_clock_sync = naive;
	CHECK_EQ_INT(ls_clock_opt(&o, "--guest-clock", "load", &err), 1);
	struct ls_sync s;
	if (ls_sync_open(&s, &o, NULL, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		return 0;
	}
	for (int i = 0; i < 5; i++)
		ls_hb_poll(s.hb, 50);
	struct harness *h = calloc(1, sizeof(*h));
	struct ls_policy_config cfg = {.default_verdict = LS_VERDICT_DROP,
				       .clock = ls_policy_clock_of_sync(&s),
				       .log = h_log,
				       .log_ctx = h};
	struct ls_verdict_sink sink = {.ctx = h, .write = h_write};
	CHECK_EQ_INT(ls_policy_new(&cfg, &sink, &h->p, &h->err), 0);
	ls_policy_set_mapping(h->p, ls_sync_live_mapping(&s));
	CHECK_EQ_INT(harness_load(h, "test/gclock.wasm"), 0);
	int64_t k0 = ls_k_now().ns;
	h->now_k = (uint64_t)(k0 - 300 * LS_NS_PER_MS); /* queued 300 ms ago */
	flow_new(h, 1, "198.18.0.1", 40000, "198.18.0.2", 80, 6);
	*read_lag = k0 - (int64_t)metric(h, "gclock_now");
	const struct rec_verdict *v = last_verdict(h, 1);
	int64_t early = v ? k0 + 2 * LS_NS_PER_S - (int64_t)v->deadline_k : 0;
	CHECK(v != NULL);
	ls_policy_free(h->p);
	free(h);
	ls_sync_close(&s);
	return early;
}

TEST(load_makes_naive_ttls_early_never_synced_ones)
{
	if (!guest_exists("test/gclock.wasm"))
		SKIP("gclock.wasm not built");
	int64_t lag_naive, lag_sync;
	int64_t early_naive = load_case(true, &lag_naive);
	int64_t early_sync = load_case(false, &lag_sync);
	printf("# event queued 300 ms before its callback: the guest reads G %.3f / %.3f ms "
	       "stale; a 2 s TTL fires %.3f ms early naive, %.3f ms early synced\n",
	       (double)lag_naive / 1e6, (double)lag_sync / 1e6, (double)early_naive / 1e6,
	       (double)early_sync / 1e6);
	/* the reading is as stale as the queueing (plus the call's own time) */
	CHECK(lag_naive >= 300 * LS_NS_PER_MS && lag_naive < 350 * LS_NS_PER_MS);
	CHECK(lag_sync >= 300 * LS_NS_PER_MS && lag_sync < 350 * LS_NS_PER_MS);
	/* naive: early by the staleness; synced: never early */
	CHECK(early_naive >= 250 * LS_NS_PER_MS && early_naive <= 300 * LS_NS_PER_MS);
	CHECK(early_sync <= 0);
}

TEST(adopts_the_data_plane_pins)
{
	/* the data plane pinned its maps (as src/dataplane does, same names);
	 * the sync object adopts them from the pin directory, pins its beat
	 * beside them, and lets the data plane's consumer forward its events */
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/ls-test-sync-%d", (int)getpid());
	struct ls_err perr;
	if (ls_pins_prepare(pin_dir, &perr)) { /* mounts bpffs when absent */
		printf("# %s\n", perr.msg);
		CHECK(0);
		return;
	}
	struct lockstep_bpf *dp = lockstep_bpf__open();
	CHECK(dp != NULL);
	if (!dp)
		return;
	char p[256];
	/* pinned under the data plane's pin names (not the kernel's ls_ names) */
	struct bpf_map *maps[] = {dp->maps.ls_events, dp->maps.ls_liveness, dp->maps.ls_counters};
	static const char *const pins[] = {"events", "liveness", "counters"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", pin_dir, pins[i]);
		CHECK(bpf_map__set_pin_path(maps[i], p) == 0);
	}
	if (lockstep_bpf__load(dp)) {
		printf("# loading lockstep.bpf.o: %s\n", strerror(errno));
		CHECK(0);
		lockstep_bpf__destroy(dp);
		return;
	}
	struct ls_clock_opts o;
	struct ls_err err;
	ls_clock_opts_default(&o);
	o.beat_interval_ns = 20 * LS_NS_PER_MS;
	struct ls_sync_maps m = {.pin_dir = pin_dir, .events_elsewhere = true};
	struct ls_sync s;
	if (ls_sync_open(&s, &o, &m, &err)) {
		printf("# %s\n", err.msg);
		CHECK(0);
		lockstep_bpf__destroy(dp);
		return;
	}
	CHECK_EQ_INT(ls_hb_fd(s.hb), -1);
	struct ring_buffer *rb =
		ring_buffer__new(bpf_map__fd(dp->maps.ls_events), forward, s.hb, NULL);
	CHECK(rb != NULL);
	ls_k end = ls_k_add(ls_k_now(), 2 * LS_NS_PER_S);
	while (rb && ls_hb_stats(s.hb)->good < 5 && ls_k_now().ns < end.ns)
		ring_buffer__poll(rb, 50);
	CHECK(ls_hb_stats(s.hb)->good >= 5);
	struct ls_liveness l;
	__u32 key = 0;
	CHECK_EQ_INT(bpf_map_lookup_elem(bpf_map__fd(dp->maps.ls_liveness), &key, &l), 0);
	CHECK(ls_k_now().ns - (int64_t)l.last_beat_k < 100 * LS_NS_PER_MS);
	CHECK_EQ_INT(l.detect_timeout_ns, 60 * LS_NS_PER_MS);
	struct stat sb;
	snprintf(p, sizeof(p), "%s/hb_beat", pin_dir);
	CHECK(stat(p, &sb) == 0);
	ring_buffer__free(rb);
	ls_hb_stop(s.hb);
	ls_sync_close(&s);
	lockstep_bpf__destroy(dp);
	cleanup_pins();
	CHECK(stat(pin_dir, &sb) != 0);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	atexit(cleanup_pins);
	RUN(options_parse_and_refuse);
	if (geteuid() != 0)
		test_skip_rest("not root: the kernel part needs root for BPF");
	RUN(sync_converts_guest_deadlines_safely);
	RUN(a_guest_reads_g_everywhere);
	RUN(load_makes_naive_ttls_early_never_synced_ones);
	RUN(adopts_the_data_plane_pins);
	return test_done();
}
