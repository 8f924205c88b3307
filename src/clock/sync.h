/* sync.h - the clock part of the agent in one object: the guest clock G the
 * policy reads, the heartbeat that maps it to K, and the conversions the
 * policy pipeline calls wherever time crosses the boundary:
 *   ls_sync_now_g()          what WASI clock_time_get(monotonic) and the
 *                            lockstep time import return
 *   ls_sync_realtime_ns()    what WASI clock_time_get(realtime) returns
 *   ls_sync_to_guest()       kernel timestamps handed to guests (events, ticks)
 *   ls_sync_deadline_k()     a guest deadline (verdict TTL) to enforce in K;
 *                            never early. With --no-clock-sync: the identity,
 *                            as a naive integration would do.
 */
#ifndef LS_CLOCK_SYNC_H
#define LS_CLOCK_SYNC_H

#include "clock/heartbeat.h"
#include "clock/options.h"

struct ls_sync {
	struct ls_clock_opts opts;
	struct ls_gclock gclock;
	struct ls_heartbeat *hb;
	/* the guest's path (--guest-clock jitter, load): the K time the event
	 * being handled was queued (0: none), and the last reading handed out
	 * (a guest's monotonic clock never goes back, however stale) */
	int64_t queued_k;
	int64_t last_guest_g;
	struct ls_mapping_pub identity; /* what --no-clock-sync publishes */
};

/* Where the heartbeat's shared maps come from. */
struct ls_sync_maps {
	/* bpffs directory of the data plane's pins: events, liveness and
	 * counters are adopted from there, the beat timer is pinned there
	 * (so the watchdog outlives the agent). NULL: no pins. */
	const char *pin_dir;
	/* or the data plane's map fds (> 0), used before pins */
	int events_fd, liveness_fd, counters_fd;
	/* the data plane consumes `events` and forwards LS_EV_BEAT and
	 * LS_EV_FAILSAFE to ls_hb_handle_event(s->hb, ev) */
	bool events_elsewhere;
	/* load, do not arm: the caller arms with ls_sync_start() once it can
	 * serve beats (arming starts the watchdog) */
	bool start_later;
};

/* Start G, load and arm the heartbeat on the given maps (NULL: its own,
 * unpinned; poll ls_hb_fd(s->hb)), and take a first burst of pings so the
 * mapping is valid before the first beat. */
int ls_sync_open(struct ls_sync *s, const struct ls_clock_opts *o, const struct ls_sync_maps *maps,
		 struct ls_err *err);
/* Arm the beat (maps.start_later): the watchdog counts from now. */
int ls_sync_start(struct ls_sync *s, struct ls_err *err);
void ls_sync_close(struct ls_sync *s);

ls_g ls_sync_now_g(const struct ls_sync *s);

/* The policy pipeline is about to hand the guest an event the kernel queued
 * at ts_k (0: done, or a tick): its readings are that stale under `load`
 * (ls_policy_clock.queued). */
void ls_sync_queued(void *sync, uint64_t ts_k);
int64_t ls_sync_realtime_ns(const struct ls_sync *s);
ls_g ls_sync_to_guest(const struct ls_sync *s, ls_k k);
ls_k ls_sync_deadline_k(const struct ls_sync *s, ls_g deadline_g);

/* The guest's clocks for the WASI layer, with the signature of lw_clock_fn
 * (include/lockstep/wasm.h) so the policy host plugs it in as is:
 *   cfg.clock = ls_sync_wasi_clock; cfg.clock_user = &sync;
 *   cfg.clock_res_ns = ls_sync_resolution_ns(&sync);
 * id 0 (realtime) and 1 (monotonic) come from G (a G before its epoch reads
 * as 0: WASI times are unsigned); 2 and 3 (CPU time) are the host's.
 * Returns 0 or a WASI errno (28, EINVAL, for an unknown id). */
int ls_sync_wasi_clock(void *user, uint32_t id, uint64_t *ns);
uint64_t ls_sync_resolution_ns(const struct ls_sync *s);

/* The mapping in use (the identity with --no-clock-sync). */
struct ls_mapping ls_sync_mapping(const struct ls_sync *s);

/* The same, as a pointer that stays valid and current (the estimator
 * updates it in place every beat): for the heartbeat's own thread only. */
const struct ls_mapping *ls_sync_live_mapping(const struct ls_sync *s);
/* The same, published for other threads (a seqlock, mapping_pub.h): hand
 * it once to a policy pipeline that runs on any thread,
 * ls_policy_set_mapping_pub(p, ls_sync_mapping_pub(&sync)). */
const struct ls_mapping_pub *ls_sync_mapping_pub(const struct ls_sync *s);

/* One guest instance's view of G: the event it is handling (`load`) and
 * its last reading (a monotonic clock never goes back) are its own, so
 * several instances on several threads (the workers) read one ls_sync
 * without sharing anything they write. The adapters below take it as ctx
 * (the same signatures as ls_sync_now_g_u64, ls_sync_queued,
 * ls_sync_wasi_clock). */
struct ls_sync_guest {
	const struct ls_sync *s;
	int64_t queued_k;
	int64_t last_guest_g;
};
void ls_sync_guest_init(struct ls_sync_guest *g, const struct ls_sync *s);
uint64_t ls_sync_guest_now_g_u64(void *guest);
void ls_sync_guest_queued(void *guest, uint64_t ts_k);
int ls_sync_guest_wasi_clock(void *guest, uint32_t id, uint64_t *ns);

/* Adapters with the policy's clock signature (struct ls_policy_clock:
 * uint64_t (*)(void *ctx), ctx = the struct ls_sync): G now (0 before G's
 * epoch), and K now. */
uint64_t ls_sync_now_g_u64(void *sync);
uint64_t ls_sync_now_k_u64(void *sync);

#endif
