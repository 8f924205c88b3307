/* busy_poll.c - the bounded, adaptive spin of a ring's reader after a
 * wake-up (busy_poll.h; docs/workers.md, "Wake-ups"). */
#include "agent/busy_poll.h"
#include "base/time.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Two clock reads of a busy-poll are ~3 us apart (64 looks): a gap longer
 * than this means the thread lost its CPU in between -- another task
 * wanted it. Spinning then takes the CPU from that task (on a small host,
 * often the packet path that makes the events), so the reader stops and
 * skips its next windows: first POLL_BACKOFF wake-ups, doubling up to
 * POLL_BACKOFF_MAX while it keeps losing the CPU, halving with each window
 * that kept it. */
#define POLL_LOST_NS 50000ull
#define POLL_BACKOFF 8u
#define POLL_BACKOFF_MAX 1024u
/* Spinning pays only with a CPU to spare: the reader reads the host's CPU
 * pressure (/proc/pressure/cpu, "some": the share of time some task was
 * runnable and waiting for a CPU) at most every PSI_EVERY_NS, and
 * busy-polls only while that share, over the last interval, stayed under
 * PSI_MAX_PPM. Without PSI (a kernel without it, psi=0) the lost-CPU test
 * is all there is. It takes a reading when it starts and at each tick too
 * (agent_poll_pressure): the first wake-up of a burst after a quiet spell
 * then judges the time since (contended or not), not nothing, and does
 * not spin through its first 100 ms on hogged CPUs. */
#define PSI_EVERY_NS 100000000ull
#define PSI_MAX_PPM 50000u /* 5% */

void agent_poll_init(struct agent_poll *p, uint64_t window_ns, uint64_t max_ns, bool rt)
{
	memset(p, 0, sizeof(*p));
	p->window_ns = window_ns;
	p->max_ns = max_ns;
	p->spin_ns = window_ns;
	/* --rt readers have their CPU: they poll regardless */
	p->psi_fd = window_ns && !rt ? open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC) : -1;
}

void agent_poll_close(struct agent_poll *p)
{
	if (p->psi_fd >= 0)
		close(p->psi_fd);
	p->psi_fd = -1;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Were the host's CPUs contended over the last interval? Re-read at most
 * every PSI_EVERY_NS; false without PSI. */
static bool cpus_contended(struct agent_poll *p, uint64_t now)
{
	if (p->psi_fd < 0 || now - p->psi_k < PSI_EVERY_NS)
		return p->psi_busy;
	char buf[256];
	ssize_t n = pread(p->psi_fd, buf, sizeof(buf) - 1, 0);
	unsigned long long total;
	const char *t;
	if (n <= 0) {
		p->psi_busy = false;
		return false;
	}
	buf[n] = 0;
	/* "some avg10=... avg60=... avg300=... total=US" on the first line */
	if (!(t = strstr(buf, "total=")) || sscanf(t, "total=%llu", &total) != 1) {
		p->psi_busy = false;
		return false;
	}
	if (p->psi_k && total >= p->psi_some_us) {
		uint64_t waited_ns = (total - p->psi_some_us) * 1000ull, span = now - p->psi_k;
		p->psi_busy = waited_ns * 1000000ull / span > PSI_MAX_PPM;
	}
	p->psi_k = now;
	p->psi_some_us = total;
	return p->psi_busy;
}

void agent_poll_pressure(struct agent_poll *p)
{
	(void)cpus_contended(p, ls_now_k());
}

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Under load the next records come within microseconds, and a sleep in
 * epoll costs a wake-up (a system call, a context switch, the scheduler's
 * latency: tens of microseconds, milliseconds on a loaded host) that a
 * look at the ring's positions does not. So the reader watches its ring
 * for up to spin_ns and drains what comes; the window adapts like NAPI's:
 * a look that found records restores it to the full window, one that found
 * none halves it, down to an eighth, so an idle reader wastes at most an
 * eighth of the window per wake-up and a loaded one sleeps rarely. */
static void spin(struct agent_poll *p, uint64_t t0, agent_poll_pending_fn pending,
		 agent_poll_drain_fn drain, void *ctx)
{
	uint64_t last = ls_now_k(), prev = last;
	for (;;) {
		bool found = false;
		/* the clock only every 64 looks: reading it may be a system
		 * call on some VMs (kvm-clock without a stable TSC) */
		for (int i = 0; i < 64 && !found; i++) {
			found = pending(ctx);
			if (!found)
				cpu_relax();
		}
		uint64_t now = ls_now_k();
		if (now - prev > POLL_LOST_NS) {
			/* descheduled between two looks: the CPU is wanted */
			count(&p->yields);
			p->backoff = p->backoff ? p->backoff * 2 : POLL_BACKOFF;
			if (p->backoff > POLL_BACKOFF_MAX)
				p->backoff = POLL_BACKOFF_MAX;
			p->skip = p->backoff;
			if (found) /* what came meanwhile, then sleep */
				drain(ctx);
			return;
		}
		prev = now;
		int n = found ? drain(ctx) : 0;
		if (n > 0) { /* (a record reserved, not yet committed: 0) */
			count(&p->hits);
			p->spin_ns = p->window_ns;
			last = now = ls_now_k();
			prev = now; /* the drain's own time is no lost CPU */
		} else if (now - last >= p->spin_ns) {
			count(&p->misses);
			if (p->spin_ns > p->window_ns / 8)
				p->spin_ns /= 2;
			p->backoff /= 2; /* a window that kept its CPU */
			return;
		}
		if (now - t0 >= p->max_ns)
			return;
	}
}

void agent_poll_after(struct agent_poll *p, uint64_t t0, int n, agent_poll_pending_fn pending,
		      agent_poll_drain_fn drain, void *ctx)
{
	count(&p->wakeups);
	if (!p->window_ns || n <= 0 || !p->spin_ns)
		return;
	if (p->skip) {
		p->skip--; /* it lost its CPU lately: sleep instead */
		count(&p->backoffs);
	} else if (cpus_contended(p, t0)) {
		count(&p->pressured);
	} else {
		spin(p, t0, pending, drain, ctx);
	}
}

static unsigned long long get(const _Atomic uint64_t *c)
{
	return (unsigned long long)atomic_load_explicit(c, memory_order_relaxed);
}

void agent_poll_metrics_rows(const struct agent_poll *p, uint32_t id, FILE *f)
{
	fprintf(f,
		"lockstep_worker_busy_polls_total{worker=\"%u\",result=\"hit\"} %llu\n"
		"lockstep_worker_busy_polls_total{worker=\"%u\",result=\"miss\"} %llu\n"
		"lockstep_worker_busy_polls_total{worker=\"%u\",result=\"yield\"} %llu\n"
		"lockstep_worker_busy_polls_total{worker=\"%u\",result=\"backoff\"} %llu\n"
		"lockstep_worker_busy_polls_total{worker=\"%u\",result=\"pressure\"} %llu\n",
		id, get(&p->hits), id, get(&p->misses), id, get(&p->yields), id,
		get(&p->backoffs), id, get(&p->pressured));
}

uint64_t agent_poll_wakeups(const struct agent_poll *p)
{
	return get(&p->wakeups);
}
