/* rt.c - real-time scheduling, CPU pinning and locked memory for
 * `lockstep run --rt`, and the normal threads' slice (--sched-slice)
 * (rt.h). */
#include "agent/rt.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc 2.36 has no wrapper nor header for sched_setattr(2): the uapi
 * layout (linux/sched/types.h, SCHED_ATTR_SIZE_VER1) */
struct agent_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

int agent_sched_slice(uint64_t ns)
{
	if (!ns)
		return 0;
	struct agent_sched_attr a = {0};
	if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0)) {
		int e = errno;
		fprintf(stderr, "lockstep: --sched-slice: sched_getattr: %s\n", strerror(e));
		return -e;
	}
	if (a.sched_policy != SCHED_OTHER && a.sched_policy != SCHED_BATCH)
		return 0; /* real-time or idle: a slice means nothing there */
	/* the policy and nice value as they are, only the request changes */
	a.size = sizeof(a);
	a.sched_flags = 0;
	a.sched_runtime = ns;
	if (syscall(SYS_sched_setattr, 0, &a, 0)) {
		int e = errno;
		fprintf(stderr,
			"lockstep: --sched-slice: the kernel refused a slice of %llu ns: %s; "
			"the agent runs with the default slice\n",
			(unsigned long long)ns, strerror(e));
		return -e;
	}
	return 0;
}

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

int agent_nice(int nice)
{
	int rc = 0;
	errno = 0;
	int cur = getpriority(PRIO_PROCESS, 0); /* this thread's */
	if (!errno && nice < cur && setpriority(PRIO_PROCESS, 0, nice)) {
		rc = -errno;
		fprintf(stderr,
			"lockstep: --nice %d: the agent's threads stay at nice %d: %s (needs "
			"CAP_SYS_NICE or RLIMIT_NICE)\n",
			nice, cur, strerror(errno));
	}
	if (getsid(0) != getpid())
		return rc; /* its session is not its own: leave the group alone */
	FILE *f = fopen("/proc/self/autogroup", "r+");
	int gn;
	if (!f)
		return rc; /* no autogroup (CONFIG_SCHED_AUTOGROUP off) */
	if (fscanf(f, "/autogroup-%*d nice %d", &gn) == 1 && nice < gn) {
		rewind(f);
		if (fprintf(f, "%d", nice) < 0 || fflush(f)) {
			if (!rc)
				rc = -errno;
			fprintf(stderr, "lockstep: --nice %d: its autogroup stays at nice %d: %s\n",
				nice, gn, strerror(errno));
		}
	}
	fclose(f);
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

int agent_cpu_latency(long us)
{
	int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr,
			"lockstep: --cpu-latency-us: /dev/cpu_dma_latency: %s (the CPUs' idle "
			"states are left as they are)\n",
			strerror(e));
		return -e;
	}
	/* four bytes: the value as a binary s32 (a string is read as hex) */
	int32_t v = (int32_t)us;
	if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		int e = errno ? errno : EIO;
		fprintf(stderr, "lockstep: --cpu-latency-us: writing %ld: %s\n", us, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}
