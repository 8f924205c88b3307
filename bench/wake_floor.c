/* wake_floor.c - how late the scheduler runs a thread that does nothing but
 * wait to be woken, as the agent's threads wait for their ring: the floor
 * under any latency a non-real-time agent can show on this host, idle or
 * beside other load (bench/latency_matrix.sh prints it beside its rows;
 * docs/workers.md "The floor").
 *
 *   wake_floor [--rate N] [--count N] [--nice N|keep] [--slice-us US]
 *              [--work-us US] [--waker fifo|normal]
 *
 * A waker thread at SCHED_FIFO (as the kernel's packet path is above every
 * task) writes its clock to a pipe N times a second; the waiter, a
 * normal task with the agent's defaults (nice -10 on its autogroup and on
 * itself, a 100 us slice: docs/workers.md "Weight"), sleeps in epoll_wait
 * on it, as a worker sleeps on its ring, and notes how long each wake-up
 * took to run it. By default it does no work, so the figure is the
 * scheduler's alone; --work-us spins that long per wake-up (an agent uses
 * its CPU, and the scheduler weighs that), --waker normal wakes it from a
 * normal task (as a local process sending packets would).
 * Run it in a session of its own (setsid), as the agent runs, so that its
 * nice reaches its own autogroup and not the caller's. Prints
 *   wake_floor: RATE/s nice N slice US: p50 X p99 Y p99.9 Z max M us (n wakes)
 * Without the right to SCHED_FIFO the waker runs at normal priority and
 * the line says so. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent/rt.h"
#include "base/time.h"

struct run {
	int wfd;
	int normal; /* --waker normal: a normal task, as a process sending packets */
	uint64_t period_ns;
	uint32_t count;
	int fifo;
};

static uint64_t mono_ns(void)
{
	return (uint64_t)ls_clock_ns(CLOCK_MONOTONIC);
}

static void *waker(void *arg)
{
	struct run *r = arg;
	struct sched_param sp = {.sched_priority = 1};
	r->fifo = !r->normal && pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* on time, not 50 us late */
	uint64_t t = mono_ns();
	for (uint32_t i = 0; i < r->count; i++) {
		t += r->period_ns;
		struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		uint64_t now = mono_ns();
		if (write(r->wfd, &now, sizeof(now)) != sizeof(now))
			break;
	}
	close(r->wfd); /* the waiter sees the end */
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"wake_floor: %s\nusage: wake_floor [--rate N] [--count N] [--nice N|keep] "
		"[--slice-us US] [--work-us US] [--waker fifo|normal] (defaults 10000/s, 20000 "
		"wakes, nice -10, 100 us, no work, fifo)\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	long rate = 10000, count = 20000, nice_v = -10, slice_us = 100, work_us = 0;
	int keep_nice = 0, waker_normal = 0;
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage("missing value");
		i++;
		if (!strcmp(o, "--nice") && !strcmp(v, "keep")) {
			keep_nice = 1;
			continue;
		}
		if (!strcmp(o, "--waker") && (!strcmp(v, "fifo") || !strcmp(v, "normal"))) {
			waker_normal = !strcmp(v, "normal");
			continue;
		}
		long x = strtol(v, &end, 10);
		if (*end)
			return usage("values are whole numbers");
		if (!strcmp(o, "--rate") && x >= 1 && x <= 1000000)
			rate = x;
		else if (!strcmp(o, "--count") && x >= 100 && x <= 10000000)
			count = x;
		else if (!strcmp(o, "--nice") && x >= -20 && x <= 19)
			nice_v = x;
		else if (!strcmp(o, "--slice-us") && x >= 0 && x <= 100000)
			slice_us = x;
		else if (!strcmp(o, "--work-us") && x >= 0 && x <= 100000)
			work_us = x;
		else
			return usage("unknown option or value out of range");
	}
	/* the agent's own calls for --nice and --sched-slice (agent/rt.c),
	 * before the waker thread exists, as the agent's threads inherit them */
	if (!keep_nice && agent_nice((int)nice_v))
		fprintf(stderr, "wake_floor: nice %ld not set (above)\n", nice_v);
	if (slice_us && agent_sched_slice((uint64_t)slice_us * 1000))
		fprintf(stderr, "wake_floor: the kernel's default slice kept (above)\n");
	struct run r = {.period_ns = 1000000000ull / (uint64_t)rate,
			.count = (uint32_t)count,
			.normal = waker_normal};
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK))
		return fprintf(stderr, "wake_floor: pipe: %s\n", strerror(errno)), 1;
	r.wfd = pfd[1];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	uint64_t *lat = calloc((size_t)count, sizeof(*lat));
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev) || !lat)
		return fprintf(stderr, "wake_floor: setup: %s\n", strerror(errno)), 1;
	pthread_t th;
	if (pthread_create(&th, NULL, waker, &r))
		return fprintf(stderr, "wake_floor: cannot start the waker\n"), 1;
	/* every stamp written is read (one wake-up may find several: each
	 * counts as late as it was) */
	long n = 0;
	for (int done = 0; !done && n < count;) {
		struct epoll_event got;
		int k = epoll_wait(ep, &got, 1, 2000);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* stuck */
		uint64_t now = mono_ns(), stamp[64];
		ssize_t b;
		while ((b = read(pfd[0], stamp, sizeof(stamp))) > 0)
			for (size_t i = 0; i < (size_t)b / sizeof(stamp[0]) && n < count; i++) {
				lat[n++] = now > stamp[i] ? now - stamp[i] : 0;
				/* the work a wake-up brings (--work-us): an agent
				 * uses its CPU, and the scheduler weighs that */
				for (uint64_t end = mono_ns() + (uint64_t)work_us * 1000;
				     mono_ns() < end;)
					;
			}
		done = b == 0; /* the waker closed its end */
	}
	pthread_join(th, NULL);
	if (n < 100)
		return fprintf(stderr, "wake_floor: only %ld wakes seen\n", n), 1;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	char nice_s[16];
	snprintf(nice_s, sizeof(nice_s), keep_nice ? "kept" : "%ld", nice_v);
	printf("wake_floor: %ld/s nice %s slice %ld us%s: p50 %.1f p99 %.1f p99.9 %.1f max %.1f us "
	       "(%ld "
	       "wakes)\n",
	       rate, nice_s, slice_us, r.fifo ? "" : " (waker not SCHED_FIFO)",
	       (double)lat[n / 2] / 1e3, (double)lat[n * 99 / 100] / 1e3,
	       (double)lat[n * 999 / 1000] / 1e3, (double)lat[n - 1] / 1e3, n);
	free(lat);
	return 0;
}
