/* clock_bench.c - measures the heartbeat and the K <-> G estimator:
 *   1. ping round trip through the SEC("syscall") program (p50/p99/p99.9),
 *      beside a bare syscall and a bare pair of clock reads (baselines);
 *   2. estimator error against injected truth as a function of beats
 *      (simulated exchanges, many seeds; and real exchanges);
 *   3. CPU per beat in user space (pings, estimator, liveness, wall clock),
 *      beside the estimator alone;
 *   4. time for the kernel watchdog to detect a silent policy side (the
 *      agent not answering beats at all);
 *   5. time to detect a stalled guest: the agent alive and beating, its
 *      policy's on_tick burning its fuel every time (tests/policy/guests/
 *      hostile.c, tickburn), beside 4 as the baseline;
 *   6. the estimator against injected truth in issue 13's cases (high
 *      drift, steps below the threshold, coarse clocks; clock_cases.h).
 * Absolute times depend on the machine; read the ratios. Needs root, except
 * `clock_bench --cases` (section 6 alone, simulated). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "../tests/unit/clock_sim.h"
#include "clock_cases.h"
#include "clock/heartbeat.h"
#include "policy/policy.h"

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t pct(int64_t *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * LS_NS_PER_S + ts.tv_nsec;
}

#define NPING 20000

static void bench_rtt(struct ls_heartbeat *hb)
{
	int64_t *rtt = calloc(NPING, sizeof(int64_t)), *tot = calloc(NPING, sizeof(int64_t));
	int64_t *sys = calloc(NPING, sizeof(int64_t)), *clk = calloc(NPING, sizeof(int64_t));
	struct ls_gclock_spec none = {0};
	struct ls_gclock gc;
	ls_gclock_init(&gc, &none, ls_k_now());
	int n = 0;
	for (int i = 0; i < NPING; i++) {
		struct ls_clock_sample s;
		if (ls_hb_ping_with(hb, &gc, &s))
			continue;
		rtt[n] = ls_sample_delay_ns(&s);
		tot[n] = s.g4.ns - s.g1.ns;
		n++;
		ls_k a = ls_k_now();
		syscall(SYS_getppid);
		ls_k b = ls_k_now();
		sys[i] = b.ns - a.ns;
		a = ls_k_now();
		b = ls_k_now();
		clk[i] = b.ns - a.ns;
	}
	qsort(rtt, (size_t)n, sizeof(int64_t), cmp64);
	qsort(tot, (size_t)n, sizeof(int64_t), cmp64);
	qsort(sys, NPING, sizeof(int64_t), cmp64);
	qsort(clk, NPING, sizeof(int64_t), cmp64);
	printf("\n== 1. heartbeat ping round trip (%d exchanges) ==\n", n);
	printf("%-34s %10s %10s %10s\n", "", "p50 ns", "p99 ns", "p99.9 ns");
	printf("%-34s %10lld %10lld %10lld\n", "ping round trip (g4-g1)-(k3-k2)",
	       (long long)pct(rtt, n, .5), (long long)pct(rtt, n, .99), (long long)pct(rtt, n, .999));
	printf("%-34s %10lld %10lld %10lld\n", "ping wall time g4-g1", (long long)pct(tot, n, .5),
	       (long long)pct(tot, n, .99), (long long)pct(tot, n, .999));
	printf("%-34s %10lld %10lld %10lld\n", "baseline: bare syscall (getppid)",
	       (long long)pct(sys, NPING, .5), (long long)pct(sys, NPING, .99),
	       (long long)pct(sys, NPING, .999));
	printf("%-34s %10lld %10lld %10lld\n", "baseline: two clock reads",
	       (long long)pct(clk, NPING, .5), (long long)pct(clk, NPING, .99),
	       (long long)pct(clk, NPING, .999));
	printf("ratio ping round trip / bare syscall: p50 %.2fx, p99 %.2fx\n",
	       (double)pct(rtt, n, .5) / (double)pct(sys, NPING, .5),
	       (double)pct(rtt, n, .99) / (double)pct(sys, NPING, .99));
	printf("=> offset error bound from the round trip alone (rtt/2): p50 %lld ns\n",
	       (long long)pct(rtt, n, .5) / 2);
	free(rtt);
	free(tot);
	free(sys);
	free(clk);
}

static const char *scen[] = {
	"",
	"offset=+5ms,drift=+200ppm,delay=2ms,quantum=1ms",
	"offset=-1s,drift=-500ppm,delay=5ms",
	"drift=+50ppm,quantum=1us",
	"zero,drift=+500ppm,quantum=100us",
};
#define NSCEN (int)(sizeof(scen) / sizeof(scen[0]))
static const int checkpoints[] = {1, 2, 4, 8, 16, 32, 64};
#define NCP (int)(sizeof(checkpoints) / sizeof(checkpoints[0]))
#define SEEDS 200

static void bench_sim_convergence(void)
{
	printf("\n== 2a. estimator error vs injected truth, simulated exchanges (%d seeds, "
	       "window 32, 4 pings/beat) ==\n", SEEDS);
	printf("%-48s %5s %12s %12s %12s %12s %12s\n", "guest clock", "beats", "|off| p50",
	       "|off| max", "bound", "|rate| p50", "stated unc");
	for (int sc = 0; sc < NSCEN; sc++) {
		struct ls_gclock_spec sp;
		struct ls_err err;
		ls_gclock_parse(scen[sc], &sp, &err);
		static int64_t off[NCP][SEEDS], rate_e[NCP][SEEDS], bound[NCP][SEEDS],
			unc[NCP][SEEDS];
		for (int s = 0; s < SEEDS; s++) {
			struct clock_sim sim;
			sim_init(&sim, (uint64_t)(s + 1) * 7919, &sp);
			struct ls_estimator est;
			struct ls_est_config cfg = {.g_resolution_ns = ls_gclock_resolution_ns(&sim.gc)};
			ls_est_init(&est, &cfg);
			int cp = 0;
			for (int b = 1; b <= checkpoints[NCP - 1]; b++) {
				sim_beat(&sim, &est, NULL);
				if (b != checkpoints[cp])
					continue;
				const struct ls_mapping *m = ls_est_mapping(&est);
				off[cp][s] = llabs(sim_offset_err(&sim, m));
				rate_e[cp][s] = (int64_t)(fabs(m->rate - sp.drift_ppm * 1e-6) * 1e9);
				int64_t bd = est.min_delay_ns / 2 + sp.quantum_ns;
				bound[cp][s] = bd > 1000 ? bd : 1000;
				unc[cp][s] = (int64_t)(m->rate_unc * 1e9);
				cp++;
			}
		}
		for (int cp = 0; cp < NCP; cp++) {
			qsort(off[cp], SEEDS, sizeof(int64_t), cmp64);
			qsort(rate_e[cp], SEEDS, sizeof(int64_t), cmp64);
			qsort(bound[cp], SEEDS, sizeof(int64_t), cmp64);
			qsort(unc[cp], SEEDS, sizeof(int64_t), cmp64);
			printf("%-48s %5d %9lld ns %9lld ns %9lld ns %8.3f ppm %8.3f ppm\n",
			       cp == 0 ? (scen[sc][0] ? scen[sc] : "no faults") : "", checkpoints[cp],
			       (long long)off[cp][SEEDS / 2], (long long)off[cp][SEEDS - 1],
			       (long long)bound[cp][SEEDS / 2], (double)rate_e[cp][SEEDS / 2] / 1000.0,
			       (double)unc[cp][SEEDS / 2] / 1000.0);
		}
	}
}

struct real_run {
	struct ls_heartbeat *hb;
	struct ls_gclock gc[NSCEN];
	struct ls_estimator est[NSCEN];
	struct ls_gclock_spec sp[NSCEN];
	int beat;
	int64_t cpu_ns_total;
};

static void real_beat(void *arg, const struct ls_hb_beat_info *in)
{
	struct real_run *r = arg;
	r->beat++;
	for (int i = 0; i < NSCEN; i++) {
		struct ls_clock_sample xs[4];
		int n = 0;
		for (int j = 0; j < 4; j++)
			if (ls_hb_ping_with(r->hb, &r->gc[i], &xs[n]) == 0)
				n++;
		if (n)
			ls_est_add_burst(&r->est[i], xs, n, NULL);
		int cp = -1;
		for (int c = 0; c < NCP; c++)
			if (checkpoints[c] == r->beat)
				cp = c;
		if (cp < 0)
			continue;
		const struct ls_mapping *m = ls_est_mapping(&r->est[i]);
		int64_t e = m->ref_g.ns - ls_gclock_truth(&r->gc[i], m->ref_k).ns;
		int64_t bd = r->est[i].min_delay_ns / 2 + r->sp[i].quantum_ns;
		printf("%-48s %5d %9lld ns %9lld ns %8.3f ppm %8.3f ppm %9lld ns\n",
		       scen[i][0] ? scen[i] : "no faults", r->beat, (long long)e,
		       (long long)(bd > 1000 ? bd : 1000),
		       fabs(m->rate - r->sp[i].drift_ppm * 1e-6) * 1e6, m->rate_unc * 1e6,
		       (long long)m->eps0_ns);
	}
	(void)in;
}

static void bench_real_convergence(void)
{
	printf("\n== 2b. estimator error vs injected truth, real exchanges through the kernel "
	       "(beat 100 ms) ==\n");
	printf("%-48s %5s %12s %12s %12s %12s %12s\n", "guest clock", "beats", "offset err",
	       "bound", "|rate err|", "stated unc", "eps0");
	struct real_run *r = calloc(1, sizeof(*r));
	struct ls_err err;
	struct ls_hb_config c = {.interval_ns = LS_HB_INTERVAL_DEFAULT_NS};
	if (ls_hb_open(&r->hb, &c, &err)) {
		printf("%s\n", err.msg);
		free(r);
		return;
	}
	ls_k start = ls_k_now();
	for (int i = 0; i < NSCEN; i++) {
		ls_gclock_parse(scen[i], &r->sp[i], &err);
		ls_gclock_init(&r->gc[i], &r->sp[i], start);
		struct ls_est_config ec = {.g_resolution_ns = ls_gclock_resolution_ns(&r->gc[i])};
		ls_est_init(&r->est[i], &ec);
	}
	ls_hb_set_observer(r->hb, real_beat, r);
	ls_hb_start(r->hb, &err);
	int last = 16; /* 1.6 s of beats; longer windows are in the simulated table */
	while (r->beat < last)
		ls_hb_poll(r->hb, 200);
	ls_hb_close(r->hb);
	free(r);
}

struct cpu_run {
	int beats;
};

static void count_beat(void *arg, const struct ls_hb_beat_info *in)
{
	((struct cpu_run *)arg)->beats++;
	(void)in;
}

static int64_t silent_sum_ns[2]; /* section 4, per interval, over 3 trials */

static void bench_cpu_and_detect(void)
{
	printf("\n== 3. CPU per beat (user space: 4 pings, estimator, liveness, wall clock) ==\n");
	struct ls_err err;
	struct ls_heartbeat *hb;
	int64_t ivl = 10 * LS_NS_PER_MS;
	struct ls_hb_config c = {.interval_ns = ivl, .failsafe_mode = LS_FAILSAFE_PASS};
	if (ls_hb_open(&hb, &c, &err)) {
		printf("%s\n", err.msg);
		return;
	}
	struct cpu_run cr = {0};
	ls_hb_set_observer(hb, count_beat, &cr);
	ls_hb_start(hb, &err);
	while (cr.beats < 3)
		ls_hb_poll(hb, 100);
	int b0 = cr.beats;
	int64_t c0 = thread_cpu_ns();
	while (cr.beats < b0 + 200)
		ls_hb_poll(hb, 100);
	int64_t per_beat = (thread_cpu_ns() - c0) / (cr.beats - b0);
	/* the work of a beat without the wake-up: pings, estimator, liveness,
	 * wall clock, back to back */
	struct ls_wallclock wc;
	ls_wall_init(&wc, NULL, NULL);
	int64_t w0 = thread_cpu_ns();
	for (int i = 0; i < 2000; i++) {
		ls_hb_sync_burst(hb, NULL);
		ls_hb_record_alive(hb, NULL);
		ls_wall_refresh(&wc, NULL);
	}
	int64_t work_per = (thread_cpu_ns() - w0) / 2000;
	/* baseline: the estimator alone on the same kind of burst */
	struct ls_estimator est;
	ls_est_init(&est, NULL);
	struct ls_gclock_spec none = {0};
	struct clock_sim sim;
	sim_init(&sim, 3, &none);
	int64_t e0 = thread_cpu_ns();
	for (int i = 0; i < 2000; i++)
		sim_beat(&sim, &est, NULL);
	int64_t est_per = (thread_cpu_ns() - e0) / 2000;
	printf("CPU per beat, event loop included (wake-up, ring buffer): %.1f us "
	       "(at 100 ms beats: %.4f%% of one core)\n",
	       (double)per_beat / 1000.0, (double)per_beat / 1e3 / 1e5 * 100.0);
	printf("CPU per beat, work only (4 pings, estimator, liveness, wall clock): %.1f us\n",
	       (double)work_per / 1000.0);
	printf("baseline: estimator alone per beat (window 32): %.2f us; work / estimator "
	       "= %.1fx, loop / work = %.1fx\n", (double)est_per / 1000.0,
	       (double)work_per / (double)est_per, (double)per_beat / (double)work_per);
	printf("mean kernel->user delivery: %.1f us, max %.1f us\n",
	       ls_hb_stats(hb)->delivery_sum_ns / (double)ls_hb_stats(hb)->beats / 1000.0,
	       (double)ls_hb_stats(hb)->delivery_max_ns / 1000.0);
	ls_hb_close(hb);

	printf("\n== 4. time to detect a silent policy side (kernel watchdog) ==\n");
	printf("%-10s %-6s %-14s %-18s %s\n", "interval", "mult", "timeout", "detected after",
	       "beats");
	int64_t ivls[] = {20 * LS_NS_PER_MS, 100 * LS_NS_PER_MS};
	for (int k = 0; k < 2; k++) {
		silent_sum_ns[k] = 0;
		struct ls_hb_config d = {.interval_ns = ivls[k], .detect_multiplier = 3,
					 .failsafe_mode = LS_FAILSAFE_PASS};
		if (ls_hb_open(&hb, &d, &err))
			continue;
		struct cpu_run r = {0};
		ls_hb_set_observer(hb, count_beat, &r);
		ls_hb_start(hb, &err);
		for (int trial = 0; trial < 3; trial++) {
			while (ls_hb_stats(hb)->failsafe_leave < (uint64_t)trial)
				ls_hb_poll(hb, 100);
			int start = r.beats + 2;
			while (r.beats < start)
				ls_hb_poll(hb, 100);
			ls_hb_set_paused(hb, true);
			int paused = r.beats;
			while (ls_hb_stats(hb)->failsafe_enter <= (uint64_t)trial)
				ls_hb_poll(hb, 100);
			struct ls_liveness l;
			__u32 key = 0;
			bpf_map_lookup_elem(ls_hb_liveness_fd(hb), &key, &l);
			printf("%-10lld %-6d %-14lld %-18.1f %d\n", (long long)(ivls[k] / LS_NS_PER_MS),
			       3, (long long)(3 * ivls[k] / LS_NS_PER_MS),
			       (double)((int64_t)l.entered_k - (int64_t)l.last_beat_k) / 1e6,
			       r.beats - paused);
			silent_sum_ns[k] += (int64_t)l.entered_k - (int64_t)l.last_beat_k;
			ls_hb_set_paused(hb, false);
		}
		ls_hb_close(hb);
	}
	printf("(ms; detection happens on the first beat after the timeout, so it takes "
	       "between timeout and timeout + one interval)\n");
}

/* ---- 5. a stalled guest ------------------------------------------------- */

struct burn_sink {
	uint64_t verdicts;
};

static int burn_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id,
		      uint32_t verdict, uint64_t deadline_k)
{
	((struct burn_sink *)ctx)->verdicts++;
	return 0;
}

static const char *burn_health(void *p)
{
	return ls_policy_health(p);
}

static void quiet_log(void *ctx, int level, const char *kind, const char *msg, size_t msg_len,
		      const char *fields)
{
}

static void bench_stalled_guest(void)
{
	static const char guest[] = "build/guests/test/hostile.wasm";
	printf("\n== 5. time to detect a stalled guest (on_tick burns its fuel; the agent beats) ==\n");
	if (access(guest, R_OK)) {
		printf("%s not built (make tests-build): skipped\n", guest);
		return;
	}
	printf("%-10s %-6s %-12s %-14s %-20s %-22s %s\n", "interval", "mult", "fuel", "burn (ms)",
	       "after last good (ms)", "after first burn (ms)", "vs silent agent (4.)");
	int64_t ivls[] = {20 * LS_NS_PER_MS, 100 * LS_NS_PER_MS};
	uint64_t fuels[] = {1000000, 10000000};
	for (int k = 0; k < 2; k++)
		for (int fi = 0; fi < 2; fi++) {
			struct ls_err err;
			struct ls_heartbeat *hb;
			struct ls_hb_config d = {.interval_ns = ivls[k], .detect_multiplier = 3,
						 .failsafe_mode = LS_FAILSAFE_PASS};
			if (ls_hb_open(&hb, &d, &err)) {
				printf("%s\n", err.msg);
				return;
			}
			ls_hb_start(hb, &err);
			int64_t det_sum = 0, first_sum = 0, burn_sum = 0;
			const int trials = 3;
			for (int t = 0; t < trials; t++) {
				/* good beats first (after the previous trial's fail-safe) */
				ls_hb_set_health(hb, NULL, NULL);
				uint64_t good0 = ls_hb_stats(hb)->good;
				while (ls_hb_stats(hb)->good < good0 + 3)
					ls_hb_poll(hb, 100);
				struct burn_sink sink = {0};
				struct ls_verdict_sink vs = {.ctx = &sink, .write = burn_write};
				struct ls_policy_config pc = {
					.fuel = fuels[fi], .default_verdict = LS_VERDICT_PASS,
					.tick_interval_ns = (uint64_t)ivls[k], .log = quiet_log,
					.guest_config = "tickburn", .guest_config_len = 8};
				struct ls_policy *p;
				struct ls_err perr;
				if (ls_policy_new(&pc, &vs, &p, &perr) ||
				    ls_policy_load_file(p, guest, &perr)) {
					printf("%s\n", perr.msg);
					ls_hb_close(hb);
					return;
				}
				ls_hb_set_health(hb, burn_health, p);
				uint64_t enter0 = ls_hb_stats(hb)->failsafe_enter;
				int64_t next_tick = ls_k_now().ns + ivls[k] / 2, first_burn_end = 0;
				while (ls_hb_stats(hb)->failsafe_enter == enter0) {
					ls_hb_poll(hb, 1);
					if (ls_k_now().ns < next_tick)
						continue;
					int64_t t0 = ls_k_now().ns;
					ls_policy_tick(p);
					if (!first_burn_end) {
						first_burn_end = ls_k_now().ns;
						burn_sum += first_burn_end - t0;
					}
					next_tick += ivls[k];
				}
				struct ls_liveness l;
				__u32 key = 0;
				bpf_map_lookup_elem(ls_hb_liveness_fd(hb), &key, &l);
				det_sum += (int64_t)l.entered_k - (int64_t)l.last_beat_k;
				first_sum += (int64_t)l.entered_k - first_burn_end;
				ls_hb_set_health(hb, NULL, NULL);
				ls_policy_free(p);
			}
			printf("%-10lld %-6d %-12llu %-14.1f %-20.1f %-22.1f %.2fx\n",
			       (long long)(ivls[k] / LS_NS_PER_MS), 3, (unsigned long long)fuels[fi],
			       (double)burn_sum / trials / 1e6, (double)det_sum / trials / 1e6,
			       (double)first_sum / trials / 1e6,
			       silent_sum_ns[k] ? (double)det_sum / (double)silent_sum_ns[k] : 0.0);
			ls_hb_close(hb);
		}
	printf("(means of 3 trials; \"after last good\" is what the watchdog measures, as in 4.: "
	       "a guest that cannot tick is detected like an agent that does not answer, plus the "
	       "time its burning blocked the loop)\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--cases")) {
		bench_issue13_cases();
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "clock_bench: needs root (BPF)\n");
		return 1;
	}
	struct ls_err err;
	struct ls_heartbeat *hb;
	struct ls_hb_config c = {0};
	if (ls_hb_open(&hb, &c, &err)) {
		fprintf(stderr, "clock_bench: %s\n", err.msg);
		return 1;
	}
	bench_rtt(hb);
	ls_hb_close(hb);
	bench_sim_convergence();
	bench_real_convergence();
	bench_cpu_and_detect();
	bench_stalled_guest();
	bench_issue13_cases();
	(void)argc;
	(void)argv;
	return 0;
}
