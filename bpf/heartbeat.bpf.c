/* heartbeat.bpf.c - the kernel half of the heartbeat (docs/clock.md):
 *
 *  - the beat: a BPF timer on CLOCK_BOOTTIME, re-armed at absolute planned
 *    times (planned_n = first + n * interval), so lateness of one beat never
 *    shifts the next: no accumulated drift. Each beat emits LS_EV_BEAT into
 *    the shared `events` ring buffer;
 *  - the watchdog: on each beat, if user space has not recorded a good beat
 *    in `liveness` for detect_timeout_ns, enter fail-safe (in_failsafe = 1,
 *    LS_EV_FAILSAFE), and leave it on the next good beat (hb_alive). It runs
 *    in the kernel, so it keeps working while the agent is stopped or dead
 *    (the `beat` map, which owns the timer, stays alive while pinned);
 *  - hb_ping / hb_arm / hb_alive: SEC("syscall") programs run through
 *    BPF_PROG_TEST_RUN (see wire_clock.h).
 *
 * `events`, `liveness` and `counters` have the same definitions as in
 * lockstep.bpf.c: user space hands this object the data plane's maps
 * (bpf_map__reuse_fd) so both programs use one set. in_failsafe changes only
 * by compare-and-swap (built with -mcpu=v3, see clock.mk) — here, and in the
 * data plane's per-packet check — and whoever wins the swap emits the event.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lockstep/wire.h"
#include "lockstep/wire_clock.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* BPF_F_TIMER_ABS (kernel >= 6.7) is missing from the 6.1 UAPI headers. */
#define LS_BPF_F_TIMER_ABS (1ULL << 0)
#define LS_CLOCK_BOOTTIME 7

/* liveness, counters, events: shared with the other object */
#include "shared_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_hb_state);
} ls_beat SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&ls_counters, &idx);
	if (c)
		(*c)++;
}

static __always_inline struct ls_event *reserve(__u16 kind, __u64 now_k)
{
	struct ls_event *ev = bpf_ringbuf_reserve(&ls_events, sizeof(*ev), 0);
	if (!ev) {
		count(LS_CNT_RINGBUF_FULL);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->version = LS_WIRE_VERSION;
	ev->kind = kind;
	ev->ts_k = now_k;
	return ev;
}

/* Move in_failsafe to `to` and announce it, once: the beat callback and
 * hb_alive can run at the same time on two CPUs, and compare-and-swap lets
 * exactly one of them make (and report) the transition. */
static __always_inline void transition(struct ls_liveness *l, __u32 to, __u64 last, __u64 now_k)
{
	if (__sync_val_compare_and_swap(&l->in_failsafe, !to, to) != !to)
		return;
	l->entered_k = now_k;
	count(to ? LS_CNT_FAILSAFE_ENTER : LS_CNT_FAILSAFE_LEAVE);
	struct ls_event *ev = reserve(LS_EV_FAILSAFE, now_k);
	if (!ev)
		return;
	ev->u.failsafe.last_beat_k = last;
	ev->u.failsafe.entered = to;
	/* rare and latency-sensitive: wake the consumer now */
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
}

static __always_inline void watchdog(__u64 now_k)
{
	__u32 key = 0;
	struct ls_liveness *l = bpf_map_lookup_elem(&ls_liveness, &key);
	if (!l || l->mode == LS_FAILSAFE_OFF || !l->detect_timeout_ns)
		return;
	__u64 last = l->last_beat_k;
	__u32 stale = (__s64)(now_k - last) > (__s64)l->detect_timeout_ns;
	if (stale != l->in_failsafe)
		transition(l, stale, last, now_k);
}

static int beat_cb(void *map, __u32 *key, struct ls_hb_state *st)
{
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 planned = st->next_k, interval = st->interval_ns;
	if (!interval)
		return 0;
	st->fired++;
	count(LS_CNT_BEAT);
	struct ls_event *ev = reserve(LS_EV_BEAT, now);
	if (ev) {
		ev->u.beat.seq = st->seq;
		ev->u.beat.planned_k = planned;
		ev->u.beat.fired_k = now;
		ev->u.beat.interval_ns = interval;
		/* rare and latency-sensitive: wake the consumer now */
		bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	}
	watchdog(now);

	/* next planned time on the original grid; if we are so late that it
	 * already passed, skip ahead (counted) rather than fire a burst */
	__u64 steps = 1;
	if (now >= planned + interval)
		steps = (now - planned) / interval + 1;
	st->skipped += steps - 1;
	st->seq += steps;
	st->next_k = planned + steps * interval;
	bpf_timer_start(&st->timer, st->next_k, LS_BPF_F_TIMER_ABS);
	return 0;
}

SEC("syscall")
int ls_hb_arm(struct ls_hb_arm *ctx)
{
	__u32 key = 0;
	__u64 now = bpf_ktime_get_boot_ns();
	struct ls_hb_state *st = bpf_map_lookup_elem(&ls_beat, &key);
	struct ls_liveness *l = bpf_map_lookup_elem(&ls_liveness, &key);
	ctx->armed_k = now;
	if (!st || !l) {
		ctx->result = -2; /* -ENOENT */
		return 0;
	}
	if (!ctx->interval_ns) {
		st->interval_ns = 0;
		ctx->result = bpf_timer_cancel(&st->timer);
		if (ctx->result > 0) /* 1: it was active */
			ctx->result = 0;
		return 0;
	}
	long err = bpf_timer_init(&st->timer, &ls_beat, LS_CLOCK_BOOTTIME);
	if (err && err != -16 /* -EBUSY: already initialised */) {
		ctx->result = err;
		return 0;
	}
	err = bpf_timer_set_callback(&st->timer, beat_cb);
	if (err) {
		ctx->result = err;
		return 0;
	}
	/* arming is a sign of life: the watchdog starts from here */
	l->detect_timeout_ns = ctx->detect_timeout_ns;
	l->mode = ctx->mode;
	l->last_beat_k = now;
	st->interval_ns = ctx->interval_ns;
	st->next_k = ctx->first_k ? ctx->first_k : now + ctx->interval_ns;
	st->seq = 0;
	st->skipped = 0;
	st->fired = 0;
	ctx->result = bpf_timer_start(&st->timer, st->next_k, LS_BPF_F_TIMER_ABS);
	return 0;
}

SEC("syscall")
int ls_hb_ping(struct ls_hb_ping *ctx)
{
	ctx->recv_k = bpf_ktime_get_boot_ns();
	ctx->send_k = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("syscall")
int ls_hb_alive(struct ls_hb_alive *ctx)
{
	__u32 key = 0;
	struct ls_liveness *l = bpf_map_lookup_elem(&ls_liveness, &key);
	__u64 now = bpf_ktime_get_boot_ns();
	ctx->beat_k = now;
	if (!l) {
		ctx->result = -1;
		return 0;
	}
	l->last_beat_k = now;
	/* a good beat ends fail-safe at once, not at the next timer tick */
	if (l->in_failsafe)
		transition(l, 0, now, now);
	ctx->result = 0;
	return 0;
}
