/* wire_clock.h - the heartbeat's part of the kernel/user contract: contexts
 * of the SEC("syscall") programs of bpf/heartbeat.bpf.c (run through
 * BPF_PROG_TEST_RUN, which copies the context back to user space) and the
 * beat timer's map value. Kept beside wire.h (same rules: fixed-width
 * fields, explicit padding, `_k` = clock K) so the heartbeat can evolve
 * without touching the data plane's records. The beat event itself
 * (LS_EV_BEAT, struct ls_event_beat) and the liveness record are in wire.h.
 */
#ifndef LOCKSTEP_WIRE_CLOCK_H
#define LOCKSTEP_WIRE_CLOCK_H

#include <linux/bpf.h>
#include <linux/types.h>

#include "lockstep/wire.h"

/* hb_ping: the kernel half of a four-timestamp exchange. */
struct ls_hb_ping {
	__u64 recv_k; /* out: K when the program started (k2) */
	__u64 send_k; /* out: K just before it returned (k3) */
};

/* hb_arm: (re)configure and start the beat, or stop it. */
struct ls_hb_arm {
	__u64 interval_ns;       /* in: beat period; 0 = cancel the timer */
	__u64 first_k;           /* in: first planned beat; 0 = now + interval */
	__u64 detect_timeout_ns; /* in: liveness timeout written to `liveness` */
	__u32 mode;              /* in: enum ls_failsafe_mode */
	__u32 pad;
	__s64 result;            /* out: 0 or -errno of the failing helper */
	__u64 armed_k;           /* out: K when armed */
};

/* hb_alive: record a good beat (last_beat_k = now) in `liveness`. Done in
 * the kernel, one 8-byte store, so it can't race with the watchdog's
 * in_failsafe/entered_k updates the way a whole-value map update would. */
struct ls_hb_alive {
	__u64 beat_k; /* out: the K time stored */
	__s64 result; /* out: 0, or -1 if the liveness map is missing */
};

/* Value of the heartbeat's private `beat` array (one entry). */
struct ls_hb_state {
	struct bpf_timer timer;
	__u64 interval_ns; /* current period */
	__u64 next_k;      /* planned time of the next beat (absolute, K) */
	__u64 seq;         /* sequence number the next beat will carry */
	__u64 skipped;     /* planned beats skipped because the timer ran late */
	__u64 fired;       /* callbacks run */
};

#endif /* LOCKSTEP_WIRE_CLOCK_H */
