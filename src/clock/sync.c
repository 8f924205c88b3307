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

ls_g ls_sync_now_g(const struct ls_sync *s)
{
	ls_g g = ls_gclock_guest_at(&s->gclock, ls_k_now(), ls_k_ns(s->queued_k));
	/* Jitter can make a later reading staler than an earlier one; a
	 * monotonic clock a guest reads never goes back, so it holds. The one
	 * mutable field of a provider its callers treat as read-only. */
	struct ls_sync *m = (struct ls_sync *)s;
	if (s->gclock.spec.jitter_ns || s->gclock.spec.load) {
		if (g.ns < m->last_guest_g)
			g = ls_g_ns(m->last_guest_g);
		m->last_guest_g = g.ns;
	}
	return g;
}

void ls_sync_queued(void *sync, uint64_t ts_k)
{
	struct ls_sync *s = sync;
	s->queued_k = ts_k > (uint64_t)INT64_MAX ? 0 : (int64_t)ts_k;
}

int64_t ls_sync_realtime_ns(const struct ls_sync *s)
{
	const struct ls_wallclock *w = ls_hb_wallclock(s->hb);
	int64_t off = w->valid ? w->offset_ns
			       : ls_clock_read_ns(CLOCK_REALTIME, NULL) -
					 ls_clock_read_ns(CLOCK_BOOTTIME, NULL);
	ls_k k = ls_k_now();
	k = ls_k_add(k, -ls_gclock_guest_stale_ns(&s->gclock, k, ls_k_ns(s->queued_k)));
	return ls_gclock_realtime_ns(&s->gclock, k, off);
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

int ls_sync_wasi_clock(void *user, uint32_t id, uint64_t *ns)
{
	const struct ls_sync *s = user;
	int64_t v;
	switch (id) {
	case 0:
		v = ls_sync_realtime_ns(s);
		break;
	case 1:
		v = ls_sync_now_g(s).ns;
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
