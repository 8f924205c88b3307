/* vcpu_floor.c - the latency floor of this host's CPUs: what a thread that
 * never sleeps, pinned to each CPU at the top SCHED_FIFO priority, still
 * loses. On a VM that is the hypervisor taking the virtual CPU away (and the
 * guest's own interrupts); no scheduling in the guest can win it back, so it
 * bounds every latency target measured here (bench/latency_matrix.sh
 * prints it first, docs/workers.md "The floor").
 *
 *   vcpu_floor [--secs S] [--threshold-us US]...
 *
 * One line per CPU, then "floor:" with the worst CPU:
 *   cpu=N gaps_per_s_over_100us=.. max_gap_us=.. wait_over_100us_pct=..
 * wait_over_X_pct is the share of arrivals, spread evenly in time, that
 * would wait more than X for that spinner to run again: the sum over its
 * gaps G of max(0, G - X), over the time watched. An agent woken by an
 * event on that CPU can do no better.
 *
 * The spinner runs in 450 ms windows 50 ms apart, so the kernel's RT
 * throttle (950 ms of each second, kernel.sched_rt_runtime_us) never stops
 * it: the gaps between windows are not counted. Without the right to
 * SCHED_FIFO it spins at its normal priority and says so. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/time.h"

#define WINDOW_NS 450000000ull
#define REST_NS 50000000ull
#define THRESH_MAX 4

struct spinner {
	pthread_t th;
	int cpu;
	uint64_t secs_ns;
	int nthr;
	const uint64_t *thr_ns;
	/* results */
	uint64_t watched_ns, max_gap_ns;
	uint64_t gaps_over[THRESH_MAX];
	double wait_over_ns[THRESH_MAX];
	int fifo; /* 1: SCHED_FIFO, 0: normal, -1: could not pin */
};

static uint64_t mono_ns(void)
{
	return (uint64_t)ls_clock_ns(CLOCK_MONOTONIC);
}

static void *spin(void *arg)
{
	struct spinner *s = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		s->fifo = -1;
		return NULL;
	}
	struct sched_param sp = {.sched_priority = sched_get_priority_max(SCHED_FIFO)};
	s->fifo = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
	uint64_t left = s->secs_ns;
	while (left) {
		uint64_t w = left < WINDOW_NS ? left : WINDOW_NS;
		uint64_t t0 = mono_ns(), end = t0 + w, prev = t0, now;
		while ((now = mono_ns()) < end) {
			uint64_t d = now - prev;
			prev = now;
			if (d > s->max_gap_ns)
				s->max_gap_ns = d;
			for (int i = 0; i < s->nthr; i++)
				if (d > s->thr_ns[i]) {
					s->gaps_over[i]++;
					s->wait_over_ns[i] += (double)(d - s->thr_ns[i]);
				}
		}
		s->watched_ns += now - t0;
		left -= w;
		if (left) {
			struct timespec r = {0, (long)REST_NS};
			nanosleep(&r, NULL);
		}
	}
	return NULL;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"vcpu_floor: %s\nusage: vcpu_floor [--secs S] [--threshold-us US]... "
		"(default 2 s, thresholds 100 and 1000 us; at most %d)\n",
		why, THRESH_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	double secs = 2;
	uint64_t thr[THRESH_MAX];
	int nthr = 0;
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (!strcmp(argv[i], "--secs") && i + 1 < argc) {
			secs = strtod(argv[++i], &end);
			if (*end || !(secs > 0 && secs <= 3600))
				return usage("--secs wants a number of seconds in (0, 3600]");
		} else if (!strcmp(argv[i], "--threshold-us") && i + 1 < argc) {
			unsigned long long us = strtoull(argv[++i], &end, 10);
			if (*end || !us || us > 10000000 || nthr == THRESH_MAX)
				return usage("--threshold-us wants 1..10000000, at most 4 of them");
			thr[nthr++] = us * 1000;
		} else {
			return usage("unknown option or missing value");
		}
	}
	if (!nthr) {
		thr[nthr++] = 100000;
		thr[nthr++] = 1000000;
	}
	cpu_set_t online;
	if (sched_getaffinity(0, sizeof(online), &online))
		return fprintf(stderr, "vcpu_floor: sched_getaffinity: %s\n", strerror(errno)), 1;
	int n = CPU_COUNT(&online);
	struct spinner *sp = calloc((size_t)n, sizeof(*sp));
	if (!sp)
		return fprintf(stderr, "vcpu_floor: out of memory\n"), 1;
	for (int cpu = 0, k = 0; k < n; cpu++) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		sp[k] = (struct spinner){
		    .cpu = cpu, .secs_ns = (uint64_t)(secs * 1e9), .nthr = nthr, .thr_ns = thr};
		if (pthread_create(&sp[k].th, NULL, spin, &sp[k]))
			return fprintf(stderr, "vcpu_floor: cannot start a thread\n"), 1;
		k++;
	}
	int worst = 0, fifo = 1;
	for (int k = 0; k < n; k++) {
		pthread_join(sp[k].th, NULL);
		if (sp[k].fifo < 0)
			return fprintf(stderr, "vcpu_floor: cannot pin to CPU %d\n", sp[k].cpu), 1;
		fifo &= sp[k].fifo;
	}
	for (int k = 0; k < n; k++) {
		struct spinner *s = &sp[k];
		double w = (double)s->watched_ns;
		printf("cpu=%d max_gap_us=%.0f", s->cpu, (double)s->max_gap_ns / 1e3);
		for (int i = 0; i < nthr; i++)
			printf(" gaps_per_s_over_%lluus=%.1f wait_over_%lluus_pct=%.3f",
			       (unsigned long long)(thr[i] / 1000),
			       (double)s->gaps_over[i] * 1e9 / w,
			       (unsigned long long)(thr[i] / 1000), 100.0 * s->wait_over_ns[i] / w);
		printf("\n");
		if (s->wait_over_ns[0] / (double)s->watched_ns >
		    sp[worst].wait_over_ns[0] / (double)sp[worst].watched_ns)
			worst = k;
	}
	struct spinner *s = &sp[worst];
	printf("floor: %s, %.1f s per CPU; worst CPU %d:",
	       fifo ? "SCHED_FIFO" : "normal priority (no SCHED_FIFO)", (double)s->watched_ns / 1e9,
	       s->cpu);
	for (int i = 0; i < nthr; i++)
		printf("%s %.3f%% of arrivals wait >%llu us", i ? "," : "",
		       100.0 * s->wait_over_ns[i] / (double)s->watched_ns,
		       (unsigned long long)(thr[i] / 1000));
	printf(", its longest gap %.0f us\n", (double)s->max_gap_ns / 1e3);
	free(sp);
	return 0;
}
