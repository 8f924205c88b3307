/* rt.c - real-time scheduling, CPU pinning and locked memory for
 * `lockstep run --rt` (rt.h). */
#include "agent/rt.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* The n-th CPU (mod their count) of the process's affinity mask, or -1. */
static int nth_allowed_cpu(int n)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	int count = CPU_COUNT(&set);
	if (count <= 0)
		return -1;
	n %= count;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && n-- == 0)
			return c;
	return -1;
}

int agent_rt_thread(const char *who, int cpu)
{
	int rc = 0;
	if (cpu >= 0) {
		int c = nth_allowed_cpu(cpu);
		cpu_set_t one;
		CPU_ZERO(&one);
		if (c >= 0)
			CPU_SET(c, &one);
		int e = c < 0 ? ENOENT : pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
		if (e) {
			fprintf(stderr, "lockstep: --rt: %s not pinned to a CPU: %s\n", who,
				strerror(e));
			rc = -e;
		}
	}
	struct sched_param sp = {.sched_priority = AGENT_RT_PRIO};
	int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (e) {
		fprintf(stderr,
			"lockstep: --rt: %s stays at normal priority: SCHED_FIFO %d refused: %s "
			"(needs CAP_SYS_NICE or RLIMIT_RTPRIO >= %d)\n",
			who, AGENT_RT_PRIO, strerror(e), AGENT_RT_PRIO);
		if (!rc)
			rc = -e;
	}
	return rc;
}

int agent_rt_lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
		return 0;
	int e = errno;
	fprintf(stderr,
		"lockstep: --rt: memory not locked: mlockall: %s (needs CAP_IPC_LOCK or a "
		"larger RLIMIT_MEMLOCK)\n",
		strerror(e));
	return -e;
}
