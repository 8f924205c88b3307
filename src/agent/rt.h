/* rt.h - `lockstep run --rt` (docs/workers.md, "--rt"): the agent's threads
 * at a real-time priority, the workers pinned, the memory locked, so that
 * other tenants of the host neither deschedule the policy nor page it out
 * while events wait. Each call says on stderr what it could not do; the
 * agent runs on without it (no CAP_SYS_NICE, an RLIMIT_RTPRIO of 0, a
 * cgroup without real-time budget). */
#ifndef LS_AGENT_RT_H
#define LS_AGENT_RT_H

#include <stdint.h>

/* The SCHED_FIFO priority of --rt: above every normal thread, below the
 * kernel's threaded interrupt handlers (50) and its other real-time
 * threads, so that the packets that make the events are still received
 * and the machine's own housekeeping still runs. */
#define AGENT_RT_PRIO 20

/* The calling thread: SCHED_FIFO at AGENT_RT_PRIO and, when cpu >= 0,
 * pinned to the (cpu mod count)-th CPU of the process's affinity mask.
 * who names it in messages. 0, or -errno of the first thing refused. */
int agent_rt_thread(const char *who, int cpu);
/* The calling thread's request size ("slice") under the kernel's EEVDF
 * scheduler (Linux 6.12+), its policy and nice value kept: a thread that
 * asks for a short slice gets an earlier virtual deadline, so on waking it
 * preempts a thread in the middle of a longer one instead of queueing
 * behind it until the next tick (docs/workers.md, "Slice"). Threads made
 * after inherit it. ns 0 leaves the kernel's default. Older kernels accept
 * and ignore it for normal threads. 0 or -errno (said on stderr). */
int agent_sched_slice(uint64_t ns);
#define AGENT_SLICE_MIN_NS 100000ull /* the kernel clamps to 0.1-100 ms */
#define AGENT_SLICE_MAX_NS 100000000ull

/* A CPU weight for the agent without real time (--nice N, docs/workers.md,
 * "Weight"): the calling thread's nice value becomes N if it is higher
 * (threads made after inherit it), and so does its autogroup's when the
 * agent leads its session, as a service does -- under autogroup a
 * session's threads share one weight against the other sessions, so the
 * threads' own nice values alone would not move it. Never lowers a
 * priority it was started with. 0 or -errno of the first refusal (said on
 * stderr; the agent runs on). */
int agent_nice(int nice);
#define AGENT_NICE_DEFAULT (-10)

/* --cpu-latency-us N: a CPU wake-up latency request of N us to the kernel
 * (/dev/cpu_dma_latency, PM QoS), held while the returned fd is open --
 * the agent keeps it for its life. With 0 an idle CPU polls instead of
 * halting, so a wake-up (an event for a sleeping worker) runs at once
 * instead of after the CPU's exit from idle: 25-30 us on this VM, where a
 * halted virtual CPU waits for the host (docs/workers.md, "CPU
 * latency"). Costs an idle CPU's power, and on a VM the host sees it
 * busy. fd, or -errno (said on stderr; the agent runs on). */
int agent_cpu_latency(long us);
#define AGENT_CPU_LATENCY_MAX_US 1000000L

/* The process: mlockall(MCL_CURRENT | MCL_FUTURE). 0 or -errno. */
int agent_rt_lock_memory(void);

#endif
