/* worker_bench.c - how the policy workers' side scales with threads
 * (docs/workers.md, "Scaling"): 1 worker, then 2 workers at once, in
 * alternating rounds of the same run, each worker a thread with its own
 * policy instance (struct ls_policy, the minimal guest of
 * tests/policy/guests/minimal.c) as src/agent/worker.c runs them.
 *
 * Each worker dispatches batches of 256 events (the agent's batch) of its
 * own flows: FLOW_NEW (the guest sets pass for 10 s, a verdict to the
 * sink) and FLOW_END (the guest returns), the same pair as policy_bench.
 * The sink queues the verdicts and counts them at the batch's end (no
 * kernel map: this measures the user-space side alone, what N workers add
 * over one; the kernel's ring and verdict-map costs are policy_bench's).
 * Events are pre-built, so the producer costs nothing here.
 *
 * Printed: events/s of 1 worker and of 2 workers together (medians of the
 * rounds), per-worker CPU time per event, and the line
 *   scaling: 2 workers / 1 worker: X.XXx events/s
 * and the line "limited by: ..." that names what holds the ratio below 2:
 * the CPU the scheduler gave the process (under other load the kernel's
 * autogroup gives a session one share, however many threads it runs), or
 * a cost per event that grew with the second worker (contention), or the
 * CPUs themselves.
 * --live N: each worker's events are N FLOW_NEWs, then their N FLOW_ENDs,
 * so N flows are open at the peak (the policy's flow table holds them, as
 * an agent's does under new flows; the default pairs keep it near empty).
 * Options: --secs S (per phase, default 1), --rounds R (default 5),
 * --autogroup-nice N (-20..19: first set this session's autogroup nice
 * value, /proc/self/autogroup, to test the share; root to lower it).
 * Times are printed, never asserted. Needs no root. */
#include "policy/policy.h"
#include "base/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define FLOWS 4096		/* per worker; a flow's pair is new then end */
static uint32_t nflows = FLOWS; /* --live N: N, a multiple of BATCH / 2 */
static bool live;
#define MAXW 2

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct worker {
	struct ls_policy *p;
	struct ls_event *ev; /* 2 * nflows: new, end, new, end ... (--live: N
			      * news, then N ends) */
	uint64_t events, verdicts, pending;
	uint64_t cpu_ns;
	pthread_t thr;
};

static _Atomic int go, stop;

static int sink_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id, uint32_t verdict,
		      uint64_t deadline_k)
{
	struct worker *w = ctx;
	w->pending++;
	return 0;
}

static void sink_flush(void *ctx)
{
	struct worker *w = ctx;
	w->verdicts += w->pending;
	w->pending = 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(&go))
		;
	uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	size_t at = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		ls_policy_dispatch(w->p, &w->ev[at], BATCH);
		w->events += BATCH;
		at = (at + BATCH) % (2 * nflows);
	}
	w->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* n workers at once for secs: their events/s summed, CPU per event */
static int phase(struct worker *w, int n, double secs, double *eps, double *cpu_per_ev,
		 double *busy)
{
	atomic_store(&go, 0);
	atomic_store(&stop, 0);
	for (int i = 0; i < n; i++) {
		w[i].events = 0;
		if (pthread_create(&w[i].thr, NULL, run, &w[i]))
			return -1;
	}
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	atomic_store(&go, 1);
	struct timespec ts = {.tv_sec = (time_t)secs,
			      .tv_nsec = (long)((secs - (time_t)secs) * 1e9)};
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	uint64_t ev = 0, cpu = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].thr, NULL);
		ev += w[i].events;
		cpu += w[i].cpu_ns;
	}
	double wall = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	*eps = (double)ev / wall;
	*cpu_per_ev = ev ? (double)cpu / (double)ev : 0;
	*busy = (double)cpu / 1e9 / wall; /* CPUs the workers actually got */
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void make_events(struct ls_event *ev, uint32_t worker)
{
	for (uint32_t i = 0; i < nflows; i++) {
		struct ls_event e;
		memset(&e, 0, sizeof(e));
		e.version = LS_WIRE_VERSION;
		e.flow_id = ((uint64_t)worker << 32) | (i + 1);
		e.key.lo_addr[10] = e.key.lo_addr[11] = 0xff;
		e.key.hi_addr[10] = e.key.hi_addr[11] = 0xff;
		e.key.lo_addr[12] = 198, e.key.lo_addr[13] = 18;
		e.key.lo_addr[14] = (uint8_t)worker, e.key.lo_addr[15] = 1;
		e.key.hi_addr[12] = 198, e.key.hi_addr[13] = 19, e.key.hi_addr[15] = 1;
		e.key.lo_port = (uint16_t)(10000 + i);
		e.key.lo_addr[14] ^= (uint8_t)((i >> 16) << 4);
		e.key.hi_port = 80;
		e.key.proto = 6;
		e.key.family = 4;
		e.sport = e.key.lo_port;
		e.dport = 80;
		e.ts_k = ls_now_k();
		e.kind = LS_EV_FLOW_NEW;
		ev[live ? i : 2 * i] = e;
		e.kind = LS_EV_FLOW_END;
		e.u.end.reason = LS_END_FIN;
		ev[live ? nflows + i : 2 * i + 1] = e;
	}
}

/* "autogroup-N nice K", or "no autogroup" */
static void autogroup(char *buf, size_t len)
{
	snprintf(buf, len, "no autogroup");
	FILE *f = fopen("/proc/sys/kernel/sched_autogroup_enabled", "r");
	int on = 0;
	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = 0;
		fclose(f);
	}
	if (!on)
		return;
	f = fopen("/proc/self/autogroup", "r");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	if (buf[0] == '/')
		memmove(buf, buf + 1, strlen(buf));
}

static int set_autogroup_nice(const char *v)
{
	FILE *f = fopen("/proc/self/autogroup", "w");
	int bad = !f;
	if (f) {
		bad = fprintf(f, "%s", v) < 0;
		bad |= fclose(f) != 0;
	}
	if (bad) {
		fprintf(stderr,
			"worker_bench: setting the autogroup's nice value to %s failed "
			"(root, and a kernel with autogroup)\n",
			v);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 1;
	int rounds = 5;
	const char *ag_nice = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--secs") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--autogroup-nice") && i + 1 < argc)
			ag_nice = argv[++i];
		else if (!strcmp(argv[i], "--live") && i + 1 < argc) {
			live = true;
			nflows = (uint32_t)atoi(argv[++i]);
			nflows = (nflows + BATCH / 2 - 1) / (BATCH / 2) * (BATCH / 2);
		} else {
			fprintf(stderr, "usage: worker_bench [--secs S] [--rounds R] "
					"[--autogroup-nice N] [--live FLOWS]\n");
			return 2;
		}
	}
	if (secs <= 0 || rounds < 1 || rounds > 100 || nflows < BATCH / 2 || nflows > 1000000) {
		fprintf(stderr, "worker_bench: --secs > 0, --rounds 1-100, --live 128-1000000\n");
		return 2;
	}
	char path[4200];
	const char *root = getenv("LS_ROOT");
	snprintf(path, sizeof(path), "%s/build/guests/test/minimal.wasm", root ? root : ".");
	struct worker w[MAXW];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < MAXW; i++) {
		struct ls_policy_config cfg = {.default_verdict = LS_VERDICT_PASS,
					       .min_log_level = 3};
		struct ls_verdict_sink sink = {
		    .ctx = &w[i], .write = sink_write, .flush = sink_flush};
		struct ls_err err;
		w[i].ev = calloc(2 * (size_t)nflows, sizeof(struct ls_event));
		if (!w[i].ev) {
			fprintf(stderr, "worker_bench: out of memory\n");
			return 1;
		}
		make_events(w[i].ev, (uint32_t)i);
		if (ls_policy_new(&cfg, &sink, &w[i].p, &err) ||
		    ls_policy_load_file(w[i].p, path, &err)) {
			fprintf(stderr, "worker_bench: %s\n", err.msg);
			return 1;
		}
	}
	if (ag_nice && set_autogroup_nice(ag_nice))
		return 1;
	char ag[128];
	autogroup(ag, sizeof(ag));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("worker_bench: %d rounds of %.1f s per phase, batches of %d events (FLOW_NEW + "
	       "FLOW_END%s), guest minimal.wasm, %ld online CPUs, %s\n",
	       rounds, secs, BATCH, live ? ", live: all news then all ends" : "", cpus, ag);
	if (live)
		printf("live flows: %u per worker at the peak\n", nflows);
	double e1[100], e2[100], c1[100], c2[100], b1[100], b2[100];
	for (int r = 0; r < rounds; r++) {
		/* alternate the order so that drift in the machine's load
		 * falls on both sides */
		int first = r % 2 ? 2 : 1;
		for (int k = 0; k < 2; k++) {
			int n = k ? 3 - first : first;
			double eps, cpe, busy;
			if (phase(w, n, secs, &eps, &cpe, &busy)) {
				fprintf(stderr, "worker_bench: pthread_create failed\n");
				return 1;
			}
			(n == 1 ? e1 : e2)[r] = eps;
			(n == 1 ? c1 : c2)[r] = cpe;
			(n == 1 ? b1 : b2)[r] = busy;
		}
		printf("  round %d: 1 worker %.0f events/s, 2 workers %.0f events/s (%.2fx)\n",
		       r + 1, e1[r], e2[r], e2[r] / e1[r]);
	}
	double m1 = median(e1, rounds), m2 = median(e2, rounds);
	double cpu1 = median(c1, rounds), cpu2 = median(c2, rounds);
	double busy1 = median(b1, rounds), busy2 = median(b2, rounds);
	double load[3] = {0};
	if (getloadavg(load, 3) < 1)
		load[0] = -1;
	printf("1 worker:  %.0f events/s, %.0f ns CPU per event, %.2f CPU busy\n", m1, cpu1, busy1);
	printf("2 workers: %.0f events/s, %.0f ns CPU per event, %.2f CPU busy\n", m2, cpu2, busy2);
	printf("scaling: 2 workers / 1 worker: %.2fx events/s\n", m2 / m1);
	/* what limits it: the CPUs the threads got (the scheduler's share
	 * under other load) and the cost per event (contention) */
	printf("limit: CPU the threads got, 2 workers / 1: %.2fx (%ld online CPUs, load average "
	       "%.2f); CPU per event, 2 workers / 1: %.2fx; on 2 idle CPUs that makes %.2fx\n",
	       busy2 / busy1, cpus, load[0], cpu2 / cpu1, 2 * cpu1 / cpu2);
	/* the verdict: the ratio is busy ratio x per-event ratio; name the
	 * factor that keeps it below 2 */
	double got = busy2 / busy1, per = cpu2 / cpu1;
	if (cpus < 2)
		printf("limited by: one online CPU\n");
	else if (per > 1.2 && per * 0.5 > (2.0 - got) / 2.0)
		printf("limited by: contention: a second worker made each event cost %.2fx the CPU "
		       "(a shared lock or cache line on the dispatch path)\n",
		       per);
	else if (got < 1.8)
		printf("limited by: the CPU share the scheduler gave this process: 2 threads got "
		       "%.2fx the CPU of 1 (%s, load average %.2f: under other load a session's "
		       "threads share one autogroup weight); the cost per event stayed flat "
		       "(%.2fx)\n",
		       got, ag, load[0], per);
	else
		printf("limited by: the CPUs (2 threads got %.2fx the CPU of 1, cost per event "
		       "%.2fx)\n",
		       got, per);
	for (int i = 0; i < MAXW; i++) {
		ls_policy_free(w[i].p);
		free(w[i].ev);
	}
	return 0;
}
