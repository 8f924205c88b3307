/* sync.c - guest clock + heartbeat + conversions for the agent (sync.h). */
#include "clock/sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ls_sync_open(struct ls_sync *s, const struct ls_clock_opts *o, const struct ls_sync_maps *maps,
		 struct ls_err *err)
{
	static const struct ls_sync_maps own = {0};
	if (!maps)
		maps = &own;
	memset(s, 0, sizeof(*s));
	s->opts = *o;
	ls_mapping_pub_init(&s->identity);
	struct ls_mapping id = ls_mapping_identity();
	ls_mapping_publish(&s->identity, &id);
	ls_gclock_init(&s->gclock, &o->guest, ls_k_now());
	struct ls_hb_config c = {
		.interval_ns = o->beat_interval_ns,
		.expect_interval_ns = o->check_interval_ns,
		.detect_multiplier = o->detect_multiplier,
		.failsafe_mode = o->failsafe_mode,
		.events_fd = maps->events_fd,
		.liveness_fd = maps->liveness_fd,
		.counters_fd = maps->counters_fd,
		.pin_dir = maps->pin_dir,
		.events_elsewhere = maps->events_elsewhere,
		.gclock = &s->gclock,
	};
	int rc = ls_hb_open(&s->hb, &c, err);
	if (rc)
		return rc;
	if (ls_hb_sync_burst(s->hb, NULL) <= 0)
		rc = ls_errf(err, -EIO, "clock: the first ping through the kernel failed");
	else if (!maps->start_later)
		rc = ls_sync_start(s, err);
	if (rc) {
		ls_hb_close(s->hb);
		s->hb = NULL;
	}
	return rc;
}

int ls_sync_start(struct ls_sync *s, struct ls_err *err)
{
	return ls_hb_start(s->hb, err);
}

void ls_sync_close(struct ls_sync *s)
{
	ls_hb_close(s->hb);
	s->hb = NULL;
}

/* G as a guest reads it while handling an event queued at queued_k, never
 * below *last (that guest's previous reading) */
static ls_g guest_now(const struct ls_sync *s, int64_t queued_k, int64_t *last)
{
	ls_g g = ls_gclock_guest_at(&s->gclock, ls_k_now(), ls_k_ns(queued_k));
	/* Jitter can make a later reading staler than an earlier one; a
	 * monotonic clock a guest reads never goes back, so it holds. */
	if (s->gclock.spec.jitter_ns || s->gclock.spec.load) {
		if (g.ns < *last)
			g = ls_g_ns(*last);
		*last = g.ns;
	}
	return g;
}

ls_g ls_sync_now_g(const struct ls_sync *s)
{
	/* the one mutable field of a provider its callers treat as read-only */
	struct ls_sync *m = (struct ls_sync *)s;
	return guest_now(s, s->queued_k, &m->last_guest_g);
}

static int64_t queued_of(uint64_t ts_k)
{
	return ts_k > (uint64_t)INT64_MAX ? 0 : (int64_t)ts_k;
}

void ls_sync_queued(void *sync, uint64_t ts_k)
{
	struct ls_sync *s = sync;
	s->queued_k = queued_of(ts_k);
}

static int64_t realtime_at(const struct ls_sync *s, int64_t queued_k)
{
	/* any thread (the policy workers): the heartbeat's published offset,
	 * one atomic word (wallclock.h, ls_wall_pub) */
	int64_t off;
	if (!ls_wall_pub_offset(ls_hb_wall_pub(s->hb), &off))
		off = ls_clock_read_ns(CLOCK_REALTIME, NULL) - ls_clock_read_ns(CLOCK_BOOTTIME, NULL);
	ls_k k = ls_k_now();
	k = ls_k_add(k, -ls_gclock_guest_stale_ns(&s->gclock, k, ls_k_ns(queued_k)));
	return ls_gclock_realtime_ns(&s->gclock, k, off);
}

int64_t ls_sync_realtime_ns(const struct ls_sync *s)
{
	return realtime_at(s, s->queued_k);
}

struct ls_mapping ls_sync_mapping(const struct ls_sync *s)
{
	if (s->opts.no_clock_sync)
		return ls_mapping_identity();
	return *ls_hb_mapping(s->hb);
}

ls_g ls_sync_to_guest(const struct ls_sync *s, ls_k k)
{
	struct ls_mapping m = ls_sync_mapping(s);
	return ls_to_guest(&m, k);
}

ls_k ls_sync_deadline_k(const struct ls_sync *s, ls_g deadline_g)
{
	struct ls_mapping m = ls_sync_mapping(s);
	return ls_deadline_to_kernel(&m, deadline_g);
}

static int wasi_clock(const struct ls_sync *s, int64_t queued_k, int64_t *last, uint32_t id,
		      uint64_t *ns)
{
	int64_t v;
	switch (id) {
	case 0:
		v = realtime_at(s, queued_k);
		break;
	case 1:
		v = guest_now(s, queued_k, last).ns;
		break;
	case 2:
		v = ls_clock_read_ns(CLOCK_PROCESS_CPUTIME_ID, NULL);
		break;
	case 3:
		v = ls_clock_read_ns(CLOCK_THREAD_CPUTIME_ID, NULL);
		break;
	default:
		return 28; /* WASI EINVAL */
	}
	*ns = v > 0 ? (uint64_t)v : 0;
	return 0;
}

int ls_sync_wasi_clock(void *user, uint32_t id, uint64_t *ns)
{
	struct ls_sync *s = user;
	return wasi_clock(s, s->queued_k, &s->last_guest_g, id, ns);
}

void ls_sync_guest_init(struct ls_sync_guest *g, const struct ls_sync *s)
{
	g->s = s;
	g->queued_k = 0;
	g->last_guest_g = 0;
}

uint64_t ls_sync_guest_now_g_u64(void *guest)
{
	struct ls_sync_guest *g = guest;
	int64_t v = guest_now(g->s, g->queued_k, &g->last_guest_g).ns;
	return v > 0 ? (uint64_t)v : 0;
}

void ls_sync_guest_queued(void *guest, uint64_t ts_k)
{
	struct ls_sync_guest *g = guest;
	g->queued_k = queued_of(ts_k);
}

int ls_sync_guest_wasi_clock(void *guest, uint32_t id, uint64_t *ns)
{
	struct ls_sync_guest *g = guest;
	return wasi_clock(g->s, g->queued_k, &g->last_guest_g, id, ns);
}

uint64_t ls_sync_resolution_ns(const struct ls_sync *s)
{
	return (uint64_t)ls_gclock_resolution_ns(&s->gclock);
}

const struct ls_mapping *ls_sync_live_mapping(const struct ls_sync *s)
{
	static struct ls_mapping identity;
	if (s->opts.no_clock_sync) {
		identity = ls_mapping_identity();
		return &identity;
	}
	return ls_hb_mapping(s->hb);
}

const struct ls_mapping_pub *ls_sync_mapping_pub(const struct ls_sync *s)
{
	return s->opts.no_clock_sync ? &s->identity : ls_hb_mapping_pub(s->hb);
}

uint64_t ls_sync_now_g_u64(void *sync)
{
	int64_t g = ls_sync_now_g(sync).ns;
	return g > 0 ? (uint64_t)g : 0;
}

uint64_t ls_sync_now_k_u64(void *sync)
{
	(void)sync;
	return (uint64_t)ls_k_now().ns;
}
