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
};

/* Start G, load and arm the heartbeat on the data plane's maps (fds; -1 for
 * own maps), and take a first burst so the mapping is valid at once. */
int ls_sync_open(struct ls_sync *s, const struct ls_clock_opts *o, int events_fd,
		 int liveness_fd, int counters_fd, const char *pin_dir, char *err,
		 size_t errlen);
void ls_sync_close(struct ls_sync *s);

ls_g ls_sync_now_g(const struct ls_sync *s);
int64_t ls_sync_realtime_ns(const struct ls_sync *s);
ls_g ls_sync_to_guest(const struct ls_sync *s, ls_k k);
ls_k ls_sync_deadline_k(const struct ls_sync *s, ls_g deadline_g);

/* The mapping in use (the identity with --no-clock-sync). */
struct ls_mapping ls_sync_mapping(const struct ls_sync *s);

#endif
