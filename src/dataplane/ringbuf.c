/* ringbuf.c - draining the events ring buffer. The consumer exposes one fd
 * for the agent's epoll loop; records are checked for size and version
 * before the callback sees them (a mismatch is counted, never crashes). */
#include "dataplane/dp_internal.h"
#include "dataplane/udpi.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ls_dp *dp = ctx;
	const struct ls_event *ev = data;

	if (size == 0) /* a late wake-up (bpf/shard.h, ls_ring_output): no record */
		return 0;
	if (size < sizeof(*ev) || ev->version != LS_WIRE_VERSION ||
	    (ev->kind == LS_EV_HELD && size < sizeof(*ev) + ev->u.held.cap_len)) {
		dp->ev_bad++;
		return 0;
	}
	/* a payload for user-space DPI is delivered as the DPI event it makes */
	struct ls_event dpi;
	if (ev->kind == LS_EV_FLOW_END)
		ls_udpi_forget(dp->udpi, ev->flow_id);
	int u = ls_udpi_take(dp->udpi, ev, size, &dpi);
	if (u == 0)
		return 0;
	if (u == 1)
		ev = &dpi;
	int rc = dp->ev_fn ? dp->ev_fn(dp->ev_ctx, ev) : 0;
	/* libbpf stops at a negative return, after moving the consumer past
	 * this record: it is delivered, the rest stays in the ring */
	if (!rc && dp->ev_budget && ++dp->ev_taken >= dp->ev_budget)
		return -E2BIG;
	return rc;
}

void ls_ring_pos_map(struct ls_ring_pos *p, int fd)
{
	p->pg = (size_t)sysconf(_SC_PAGESIZE);
	p->cons_pg = mmap(NULL, p->pg, PROT_READ, MAP_SHARED, fd, 0);
	p->prod_pg = mmap(NULL, p->pg, PROT_READ, MAP_SHARED, fd, (off_t)p->pg);
	if (p->cons_pg == MAP_FAILED)
		p->cons_pg = NULL;
	if (p->prod_pg == MAP_FAILED)
		p->prod_pg = NULL;
}

void ls_ring_pos_unmap(struct ls_ring_pos *p)
{
	if (p->cons_pg)
		munmap(p->cons_pg, p->pg);
	if (p->prod_pg)
		munmap(p->prod_pg, p->pg);
	p->cons_pg = p->prod_pg = NULL;
}

bool ls_ring_pos_pending(const struct ls_ring_pos *p)
{
	if (!p->cons_pg || !p->prod_pg)
		return false;
	/* the kernel's own protocol (tools/lib/bpf/ringbuf.c): acquire loads */
	unsigned long cons = __atomic_load_n((unsigned long *)p->cons_pg, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n((unsigned long *)p->prod_pg, __ATOMIC_ACQUIRE);
	return prod != cons;
}

unsigned long ls_ring_pos_consumed(const struct ls_ring_pos *p)
{
	return p->cons_pg ? __atomic_load_n((unsigned long *)p->cons_pg, __ATOMIC_ACQUIRE) : 0;
}

bool ls_dp_events_pending(const struct ls_dp *dp)
{
	return ls_ring_pos_pending(&dp->ev_pos);
}

int ls_dp_events_open(struct ls_dp *dp, ls_dp_event_fn fn, void *ctx, struct ls_err *err)
{
	if (dp->rb)
		return ls_errf(err, -EALREADY, "event consumer already open");
	dp->ev_fn = fn;
	dp->ev_ctx = ctx;
	if (!dp->udpi && !(dp->udpi = ls_udpi_new()))
		return ls_errf(err, -ENOMEM, "out of memory");
	dp->rb = ring_buffer__new(dp->map_fd[LS_MAP_EVENTS], on_sample, dp, NULL);
	if (!dp->rb)
		return ls_errf(err, -errno, "opening the events ring buffer: %s", strerror(errno));
	ls_ring_pos_map(&dp->ev_pos, dp->map_fd[LS_MAP_EVENTS]);
	return 0;
}

int ls_dp_events_fd(const struct ls_dp *dp)
{
	return dp->rb ? ring_buffer__epoll_fd(dp->rb) : -1;
}

int ls_dp_events_drain(struct ls_dp *dp)
{
	return dp->rb ? ring_buffer__consume(dp->rb) : -EINVAL;
}

int ls_dp_events_drain_max(struct ls_dp *dp, uint32_t max, bool *more)
{
	*more = false;
	if (!dp->rb)
		return -EINVAL;
	dp->ev_budget = max;
	dp->ev_taken = 0;
	int n = ring_buffer__consume(dp->rb);
	dp->ev_budget = 0;
	if (n == -E2BIG) { /* the budget, not an error */
		*more = true;
		return (int)dp->ev_taken;
	}
	return n;
}

uint64_t ls_dp_events_bad(const struct ls_dp *dp)
{
	return dp->ev_bad;
}
