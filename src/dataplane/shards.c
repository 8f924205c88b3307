/* shards.c - the workers' rings (docs/workers.md): filling shard_rings and
 * setting shard_cfg in the order that never steers a record to a missing
 * ring, and one consumer per worker ring. The kernel half is bpf/shard.h. */
#include "dataplane/dp_internal.h"
#include "dataplane/udpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* shard_live is one page (LS_SHARDS_MAX x 64 bytes, wire.h) */
#define SHARD_LIVE_BYTES (LS_SHARDS_MAX * sizeof(struct ls_shard_live))

void ls_shard_live_map(struct ls_dp *dp)
{
	int fd = dp->map_fd[LS_MAP_SHARD_LIVE];
	if (fd < 0 || dp->shard_live)
		return;
	void *p = mmap(NULL, SHARD_LIVE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	dp->shard_live = p == MAP_FAILED ? NULL : p;
}

void ls_shard_live_unmap(struct ls_dp *dp)
{
	if (dp->shard_live)
		munmap(dp->shard_live, SHARD_LIVE_BYTES);
	dp->shard_live = NULL;
}

int ls_dp_shard_alive(struct ls_dp *dp, uint32_t shard, uint64_t alive_k)
{
	if (!dp->shard_live)
		return -ENOTSUP;
	if (shard >= LS_SHARDS_MAX)
		return -EINVAL;
	/* an aligned 8-byte store: the kernel reads it whole, and the fields
	 * it owns (in_failsafe, the counts) are never written from here */
	__atomic_store_n(&dp->shard_live[shard].alive_k, alive_k, __ATOMIC_RELEASE);
	return 0;
}

uint32_t *ls_dp_shard_awake(struct ls_dp *dp, uint32_t shard)
{
	return dp->shard_live && shard < LS_SHARDS_MAX ? &dp->shard_live[shard].awake : NULL;
}

void ls_dp_awake_set(uint32_t *word, bool on)
{
	if (!word)
		return;
	if (on)
		__atomic_store_n(word, 1, __ATOMIC_RELAXED);
	else /* an exchange: a full barrier before the look that follows
	      * (x86's xchg; TSan has no standalone fence) */
		(void)__atomic_exchange_n(word, 0, __ATOMIC_SEQ_CST);
}

int ls_dp_shard_watch(struct ls_dp *dp, uint32_t shard, uint64_t now_k, uint64_t timeout_ns,
		      struct ls_event *ev)
{
	if (!dp->shard_live)
		return -ENOTSUP;
	if (shard >= LS_SHARDS_MAX)
		return -EINVAL;
	struct ls_shard_live *l = &dp->shard_live[shard];
	uint64_t alive = __atomic_load_n(&l->alive_k, __ATOMIC_ACQUIRE);
	if (!alive || !timeout_ns) /* not judged */
		return 0;
	/* the kernel's rule (shard_failsafe_check) */
	uint32_t stale = now_k > alive && now_k - alive > timeout_ns;
	uint32_t was = !stale;
	if (!__atomic_compare_exchange_n(&l->in_failsafe, &was, stale, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return 0; /* no change, or the kernel made it */
	__atomic_store_n(&l->entered_k, now_k, __ATOMIC_RELAXED);
	__atomic_fetch_add(stale ? &l->enters : &l->leaves, 1, __ATOMIC_RELAXED);
	memset(ev, 0, sizeof(*ev));
	ev->version = LS_WIRE_VERSION;
	ev->kind = LS_EV_FAILSAFE;
	ev->ts_k = now_k;
	ev->u.failsafe.last_beat_k = alive;
	ev->u.failsafe.entered = stale;
	ev->u.failsafe.shard = shard + 1;
	return 1;
}

int ls_dp_shard_live_get(const struct ls_dp *dp, uint32_t shard, struct ls_shard_live *out)
{
	memset(out, 0, sizeof(*out));
	if (!dp->shard_live)
		return -ENOTSUP;
	if (shard >= LS_SHARDS_MAX)
		return -EINVAL;
	struct ls_shard_live *l = &dp->shard_live[shard];
	out->alive_k = __atomic_load_n(&l->alive_k, __ATOMIC_ACQUIRE);
	out->in_failsafe = __atomic_load_n(&l->in_failsafe, __ATOMIC_RELAXED);
	out->entered_k = __atomic_load_n(&l->entered_k, __ATOMIC_RELAXED);
	out->enters = __atomic_load_n(&l->enters, __ATOMIC_RELAXED);
	out->leaves = __atomic_load_n(&l->leaves, __ATOMIC_RELAXED);
	out->defaults = __atomic_load_n(&l->defaults, __ATOMIC_RELAXED);
	return 0;
}

void ls_shards_close(struct ls_dp *dp)
{
	for (int i = 0; i < LS_SHARDS_MAX; i++)
		if (dp->shard_fd[i] >= 0) {
			close(dp->shard_fd[i]);
			dp->shard_fd[i] = -1;
		}
	dp->nshards = 0;
}

/* The ring in slot i of the outer map: its fd, or -ENOENT for an empty slot. */
static int slot_fd(int outer, uint32_t i)
{
	__u32 id = 0;
	if (bpf_map_lookup_elem(outer, &i, &id))
		return -errno;
	int fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? -errno : fd;
}

static uint32_t fnv(uint32_t h, uint8_t b)
{
	return (h ^ b) * LS_FNV_PRIME;
}

/* bpf/shard.h's ls_shard_hash, byte for byte: the agent finds which of its
 * workers owns a flow of the pinned table (the handover: each worker's new
 * instance is told of its own shard's flows) */
uint32_t ls_dp_shard_of_flow(const struct ls_flow_key *key, bool client_lo, uint32_t by, uint32_t n)
{
	if (n <= 1)
		return 0;
	if (n > LS_SHARDS_MAX)
		n = LS_SHARDS_MAX;
	uint32_t h = LS_FNV_BASIS;
	if (by == LS_SHARD_BY_CLIENT) {
		const uint8_t *a = client_lo ? key->lo_addr : key->hi_addr;
		for (int i = 0; i < 16; i++)
			h = fnv(h, a[i]);
	} else {
		for (int i = 0; i < 16; i++)
			h = fnv(h, key->lo_addr[i]);
		for (int i = 0; i < 16; i++)
			h = fnv(h, key->hi_addr[i]);
		h = fnv(h, (uint8_t)(key->lo_port >> 8));
		h = fnv(h, (uint8_t)key->lo_port);
		h = fnv(h, (uint8_t)(key->hi_port >> 8));
		h = fnv(h, (uint8_t)key->hi_port);
		h = fnv(h, key->proto);
	}
	return (uint32_t)(((uint64_t)h * n) >> 32);
}

int ls_dp_shards_set(struct ls_dp *dp, uint32_t n, uint32_t by, struct ls_dp_shards_status *st,
		     struct ls_err *err)
{
	int outer = dp->map_fd[LS_MAP_SHARD_RINGS], cfg_fd = dp->map_fd[LS_MAP_SHARD_CFG];
	__u32 zero = 0;
	memset(st, 0, sizeof(*st));
	if (n > LS_SHARDS_MAX)
		return ls_errf(err, -EINVAL, "at most %d workers, not %u", LS_SHARDS_MAX, n);
	if (by != LS_SHARD_BY_FLOW && by != LS_SHARD_BY_CLIENT)
		return ls_errf(err, -EINVAL, "unknown sharding key %u", by);
	if (outer < 0 || cfg_fd < 0)
		return ls_errf(err, -ENOTSUP,
			       "the pinned data plane in %s has no worker rings (older build): "
			       "restart it with `lockstep stop` first to run several workers",
			       dp->pin_dir);
	struct ls_shard_cfg cur = {0};
	if (!bpf_map_lookup_elem(cfg_fd, &zero, &cur))
		st->was = cur.n;
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(dp->map_fd[LS_MAP_EVENTS], &info, &len))
		return ls_errf(err, -errno, "reading the events ring's size: %s", strerror(errno));
	ls_shards_close(dp);
	/* a previous agent's signs of life are not this one's workers': no
	 * shard is judged until the heartbeat publishes for it */
	for (uint32_t i = 0; i < LS_SHARDS_MAX; i++) {
		ls_dp_shard_alive(dp, i, 0);
		/* a worker killed while awake left its ring without wake-ups */
		uint32_t *a = ls_dp_shard_awake(dp, i);
		if (a)
			__atomic_store_n(a, 0, __ATOMIC_SEQ_CST);
	}
	uint32_t want = n > 1 ? n : 0;
	for (uint32_t i = 0; i < want; i++) {
		int fd = slot_fd(outer, i);
		if (fd >= 0) {
			st->kept++;
		} else {
			fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ls_worker_ring", 0, 0,
					    info.max_entries, NULL);
			if (fd < 0)
				return ls_errf(err, -errno, "creating the ring of worker %u: %s", i,
					       strerror(errno));
			if (bpf_map_update_elem(outer, &i, &fd, BPF_ANY)) {
				int rc = -errno;
				close(fd);
				return ls_errf(err, rc,
					       "putting the ring of worker %u in place: %s", i,
					       strerror(-rc));
			}
			st->created++;
		}
		dp->shard_fd[i] = fd;
	}
	dp->nshards = want;
	struct ls_shard_cfg c = {.n = n > 1 ? n : 1, .by = by};
	if (bpf_map_update_elem(cfg_fd, &zero, &c, BPF_ANY))
		return ls_errf(err, -errno, "writing shard_cfg: %s", strerror(errno));
	/* only now that nothing is steered there */
	for (uint32_t i = want; i < LS_SHARDS_MAX; i++)
		if (!bpf_map_delete_elem(outer, &i))
			st->removed++;
	st->n = c.n;
	st->by = by;
	return 0;
}

struct ls_dp_ring {
	struct ring_buffer *rb;
	int fd;
	ls_dp_event_fn fn;
	void *ctx;
	uint64_t bad;
	uint32_t budget, taken;
	struct ls_udpi *udpi; /* user-space DPI of this ring (udpi.h) */
	struct ls_ring_pos pos; /* for ls_dp_ring_pending */
};

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ls_dp_ring *r = ctx;
	const struct ls_event *ev = data;
	if (size == 0) /* a late wake-up (shard.h, ls_ring_output): no record */
		return 0;
	if (size < sizeof(*ev) || ev->version != LS_WIRE_VERSION) {
		r->bad++;
		return 0;
	}
	struct ls_event dpi; /* as ringbuf.c: a payload becomes its DPI event */
	if (ev->kind == LS_EV_FLOW_END)
		ls_udpi_forget(r->udpi, ev->flow_id);
	int u = ls_udpi_take(r->udpi, ev, size, &dpi);
	if (u == 0)
		return 0;
	if (u == 1)
		ev = &dpi;
	int rc = r->fn ? r->fn(r->ctx, ev) : 0;
	/* as ringbuf.c: the record is consumed, the rest waits */
	if (!rc && r->budget && ++r->taken >= r->budget)
		return -E2BIG;
	return rc;
}

int ls_dp_ring_open(struct ls_dp *dp, uint32_t shard, ls_dp_event_fn fn, void *ctx,
		    struct ls_dp_ring **out, struct ls_err *err)
{
	*out = NULL;
	if (shard >= dp->nshards || dp->shard_fd[shard] < 0)
		return ls_errf(err, -ENOENT, "no ring for worker %u (%u in place)", shard,
			       dp->nshards);
	struct ls_dp_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return ls_errf(err, -ENOMEM, "out of memory");
	r->fn = fn;
	r->ctx = ctx;
	if (!(r->udpi = ls_udpi_new())) {
		free(r);
		return ls_errf(err, -ENOMEM, "out of memory");
	}
	r->fd = fcntl(dp->shard_fd[shard], F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0 || !(r->rb = ring_buffer__new(r->fd, on_sample, r, NULL))) {
		int rc = ls_errf(err, -errno, "opening the ring of worker %u: %s", shard,
				 strerror(errno));
		ls_dp_ring_close(r);
		return rc;
	}
	ls_ring_pos_map(&r->pos, r->fd);
	*out = r;
	return 0;
}

unsigned long ls_dp_ring_consumed(const struct ls_dp_ring *r)
{
	return ls_ring_pos_consumed(&r->pos);
}

bool ls_dp_ring_pending(const struct ls_dp_ring *r)
{
	return ls_ring_pos_pending(&r->pos);
}

int ls_dp_ring_fd(const struct ls_dp_ring *r)
{
	return ring_buffer__epoll_fd(r->rb);
}

int ls_dp_ring_drain_max(struct ls_dp_ring *r, uint32_t max, bool *more)
{
	*more = false;
	r->budget = max;
	r->taken = 0;
	int n = ring_buffer__consume(r->rb);
	r->budget = 0;
	if (n == -E2BIG) {
		*more = true;
		return (int)r->taken;
	}
	return n;
}

uint64_t ls_dp_ring_bad(const struct ls_dp_ring *r)
{
	return r->bad;
}

void ls_dp_ring_close(struct ls_dp_ring *r)
{
	if (!r)
		return;
	if (r->rb)
		ring_buffer__free(r->rb);
	ls_ring_pos_unmap(&r->pos);
	ls_udpi_free(r->udpi);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}
