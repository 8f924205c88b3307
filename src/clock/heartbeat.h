/* heartbeat.h - user-space side of the heartbeat (docs/clock.md).
 *
 * Loads bpf/heartbeat.bpf.c, arms the kernel beat, and on every beat event:
 *   - checks the interval it observes against the one it expects and flags a
 *     mismatch (the two sides configured differently, or a broken timer);
 *   - measures kernel -> user delivery delay (fired_k to receipt);
 *   - runs a burst of four-timestamp pings through the SEC("syscall") ping
 *     program and feeds the estimator (estimator.h);
 *   - after a good beat (pings went through and the policy side's health
 *     check, ls_hb_set_health, passes), records it in the `liveness` map
 *     (hb_alive), which keeps the kernel watchdog out of fail-safe;
 *   - refreshes the wall clock (wallclock.h).
 * Single-threaded: the owner's epoll loop either polls ls_hb_fd() (when the
 * heartbeat has its own ring buffer) or passes LS_EV_BEAT/LS_EV_FAILSAFE
 * events from the data plane's ring buffer to ls_hb_handle_event().
 */
#ifndef LS_CLOCK_HEARTBEAT_H
#define LS_CLOCK_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock/domains.h"
#include "clock/estimator.h"
#include "clock/guestclock.h"
#include "clock/mapping_pub.h"
#include "clock/wallclock.h"
#include "lockstep/wire.h"

#define LS_HB_INTERVAL_DEFAULT_NS (100 * LS_NS_PER_MS)
#define LS_HB_DETECT_MULT_DEFAULT 3
#define LS_HB_PINGS_DEFAULT 4

struct ls_hb_config {
	int64_t interval_ns;        /* kernel beat period (default 100 ms) */
	int64_t expect_interval_ns; /* what user space checks against
				     * (default: interval_ns) */
	int detect_multiplier;      /* fail-safe after this many intervals
				     * without a good beat (default 3) */
	uint32_t failsafe_mode;     /* enum ls_failsafe_mode (default PASS) */
	int pings_per_beat;         /* exchanges per beat (default 4, <= 16) */
	/* maps of the data plane to share (bpf_map__reuse_fd); -1 or 0: the
	 * heartbeat creates its own (standalone use, tests) */
	int events_fd, liveness_fd, counters_fd;
	/* bpffs directory to pin the beat timer map (and the maps the
	 * heartbeat owns) in, so the watchdog outlives the agent; NULL: no
	 * pins. Maps already pinned there under the data plane's names
	 * (events, liveness, counters) are adopted instead of created: that is
	 * how the agent shares them. Tests pass a private directory. */
	const char *pin_dir;
	/* `events` is consumed by someone else (the data plane's ring-buffer
	 * consumer, which passes heartbeat events to ls_hb_handle_event): do
	 * not open a second consumer on it. Implied by events_fd > 0. */
	bool events_elsewhere;
	const struct ls_gclock *gclock; /* the guest clock to map (NULL: G
					 * without faults) */
	struct ls_est_config est;
};

/* What one beat did, for observers (metrics, bench, tests). */
struct ls_hb_beat_info {
	uint64_t seq;
	ls_k planned_k, fired_k, delivered_k;
	int64_t delivery_ns;          /* delivered_k - fired_k */
	int64_t observed_interval_ns; /* median of recent intervals, 0: unknown */
	bool interval_mismatch;
	uint64_t missed;              /* beats never seen before this one */
	int pings_ok;
	struct ls_est_update est;
	bool good;                    /* liveness recorded */
	const char *unhealthy;        /* the health check said why the policy
				       * side is not healthy (not good), or NULL */
	bool recovered;               /* its event was lost: found in the map */
	bool wall_step;
	int64_t wall_step_ns;
};

struct ls_hb_stats {
	uint64_t beats;           /* beats handled (delivered + recovered) */
	uint64_t delivered;       /* ... of which arrived as events */
	uint64_t recovered;       /* ... of which were found by ls_hb_tick */
	uint64_t duplicates;      /* events for beats already handled */
	uint64_t missed;          /* sequence gaps */
	uint64_t good;            /* beats recorded in liveness */
	uint64_t unhealthy;       /* beats not recorded: the policy side's
				   * health check failed */
	uint64_t pings, ping_errors;
	uint64_t steps;           /* guest clock steps detected */
	uint64_t wall_steps;      /* REALTIME steps detected */
	uint64_t mismatches;      /* beats flagged with an interval mismatch */
	uint64_t failsafe_enter, failsafe_leave; /* LS_EV_FAILSAFE seen */
	int64_t delivery_last_ns, delivery_max_ns;
	double delivery_sum_ns;
	uint64_t dither_ns; /* time bursts waited for their dither (a
			     * coarse G only: docs/clock.md) */
};

struct ls_heartbeat;

typedef void (*ls_hb_observer)(void *arg, const struct ls_hb_beat_info *info);

/* Load the BPF object (sharing the given maps). Returns 0, or a negative
 * errno with a message in err. */
int ls_hb_open(struct ls_heartbeat **out, const struct ls_hb_config *cfg, struct ls_err *err);

/* Arm (or re-arm) the kernel beat; writes the liveness configuration.
 * 0, or a negative errno with a message in err. */
int ls_hb_start(struct ls_heartbeat *hb, struct ls_err *err);

/* Cancel the kernel beat (the watchdog stops with it). */
int ls_hb_stop(struct ls_heartbeat *hb);

/* Free everything. A pinned beat keeps running in the kernel. */
void ls_hb_close(struct ls_heartbeat *hb);

/* Remove the pins this heartbeat made or adopted. */
void ls_hb_unpin(struct ls_heartbeat *hb);

/* For an agent that runs without a heartbeat on pins an earlier agent left
 * (pin_dir): a pinned beat timer (hb_beat) and a liveness configuration
 * (mode != off) would keep judging a heartbeat nobody sends, and the data
 * plane would sit in fail-safe for good. Unpins the beat timer (the kernel
 * cancels it when its last reference goes) and turns liveness off (leaving
 * fail-safe). Returns 1 and says what it did in msg (msg->code 0), 0 when
 * nothing was armed there, a negative errno with the reason in msg. */
int ls_hb_disarm_pinned(const char *pin_dir, struct ls_err *msg);

/* The ring buffer's epoll fd when the heartbeat owns `events`, else -1. */
int ls_hb_fd(struct ls_heartbeat *hb);

/* Drain the heartbeat's own ring buffer (timeout_ms as ring_buffer__poll),
 * then ls_hb_tick(). Returns beats and events handled, or -errno. */
int ls_hb_poll(struct ls_heartbeat *hb, int timeout_ms);

/* Handle one event from a shared ring buffer. Returns 1 if it was a
 * heartbeat event (LS_EV_BEAT, LS_EV_FAILSAFE), 0 otherwise. */
int ls_hb_handle_event(struct ls_heartbeat *hb, const struct ls_event *ev);

/* Call on every turn of the event loop (its epoll timeout should not
 * exceed the beat interval). When no beat was handled for 1.5 intervals, it
 * reads the beat timer's map: if the kernel fired a beat whose event never
 * came (a shared ring buffer that was full), that beat is handled now, so a
 * congested ring cannot fake a silent agent and trip fail-safe. Returns 1 if
 * it recovered a beat, 0 if none was due, -errno on error. */
int ls_hb_tick(struct ls_heartbeat *hb);

/* Ignore beats (do not ping, do not record liveness) while paused: lets tests
 * and `lockstep` fault drills simulate a silent policy side. */
void ls_hb_set_paused(struct ls_heartbeat *hb, bool paused);

void ls_hb_set_observer(struct ls_heartbeat *hb, ls_hb_observer fn, void *arg);

/* What makes a beat good besides the pings: the health of the policy side
 * (e.g. ls_policy_health). Called on every beat; NULL means healthy, a
 * string says why not, and then the beat is not recorded in `liveness` --
 * a live agent whose policy cannot run (a guest burning its fuel on every
 * tick, say) lets the watchdog enter fail-safe as a dead one would. */
typedef const char *(*ls_hb_health_fn)(void *arg);
void ls_hb_set_health(struct ls_heartbeat *hb, ls_hb_health_fn fn, void *arg);

/* One four-timestamp exchange through the ping program. 0 or -errno. */
int ls_hb_ping(struct ls_heartbeat *hb, struct ls_clock_sample *out);

/* Run one burst of pings into the estimator now (also done on every beat;
 * call once at start so the mapping is valid before the first beat).
 * Returns the number of successful exchanges; *u (optional) the update. */
int ls_hb_sync_burst(struct ls_heartbeat *hb, struct ls_est_update *u);

/* The same exchange read through another guest clock (tests, bench). */
int ls_hb_ping_with(struct ls_heartbeat *hb, const struct ls_gclock *gc,
		    struct ls_clock_sample *out);

/* Record a good beat in `liveness` now; *beat_k (optional) gets its time. */
int ls_hb_record_alive(struct ls_heartbeat *hb, ls_k *beat_k);

/* The estimator's mapping: for the heartbeat's own thread only (the
 * next beat rewrites it in place). */
const struct ls_mapping *ls_hb_mapping(const struct ls_heartbeat *hb);
/* The same mapping published for other threads (mapping_pub.h: read it
 * with ls_mapping_read); republished after every burst. */
const struct ls_mapping_pub *ls_hb_mapping_pub(const struct ls_heartbeat *hb);
const struct ls_estimator *ls_hb_estimator(const struct ls_heartbeat *hb);
/* The heartbeat's own wall clock: its thread only. */
const struct ls_wallclock *ls_hb_wallclock(const struct ls_heartbeat *hb);
/* Its offset published for other threads (wallclock.h: ls_wall_pub_offset),
 * after every refresh. */
const struct ls_wall_pub *ls_hb_wall_pub(const struct ls_heartbeat *hb);
const struct ls_hb_stats *ls_hb_stats(const struct ls_heartbeat *hb);

/* fds of the maps in use (shared or own), for tests and `lockstep inspect`. */
int ls_hb_liveness_fd(const struct ls_heartbeat *hb);
int ls_hb_events_fd(const struct ls_heartbeat *hb);
int ls_hb_beat_fd(const struct ls_heartbeat *hb);
int ls_hb_counters_fd(const struct ls_heartbeat *hb);

#endif
