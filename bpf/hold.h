/* hold.h - hold until decided: the kernel half (docs/dataplane.md "Hold").
 *
 * Under --default-verdict hold a packet of an undecided flow is neither
 * passed nor dropped: the whole frame is copied into the flow's ring (`events`,
 * or its worker's shard ring with --workers N, bpf/shard.h) as an
 * LS_EV_HELD record and the kernel drops its own copy (counted `held`, not
 * as a drop); user space queues it and, once the policy has decided,
 * re-injects the queue in order or frees it. XDP and TC cannot queue, and
 * this keeps the queue -- memory, limits, timeouts -- in user space where it
 * is bounded and visible, with the kernel keeping only one 32-byte slot per
 * flow being held.
 *
 * Ordering: from its first held packet until user space closes the hold,
 * every packet of the flow is held behind the first (whatever its verdict
 * by then): a packet that arrives after the verdict was written but before
 * the queue is flushed is held too and flushed after the queue. The hold
 * closes by a compare-and-swap from exactly the count user space has seen
 * (wire.h, struct ls_hold_slot), so no packet slips between the last look
 * and the close.
 *
 * Payload-less TCP packets of an undecided flow that holds nothing yet pass
 * (the handshake costs no retransmit); the first payload packet is held.
 * Every other packet of an undecided flow (UDP: the DNS query) is held.
 *
 * Bounded: packets per hold (hold_max_pkts), frames up to LS_HOLD_FRAME_MAX
 * bytes, one hold per slot (LS_HOLD_SLOTS, slot = hash of flow_id). What
 * cannot be held gets the hold fallback (pass or drop), counted
 * `hold_overflow`. The rest -- bytes in total, time held -- user space
 * bounds. A hold still open hold_stale_ns after it began is abandoned (its
 * agent gone): the kernel closes it (`hold_stale`). In fail-safe nothing
 * new is held. */
#ifndef LS_HOLD_H
#define LS_HOLD_H

#include "lockstep/wire.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LS_HOLD_SLOTS);
	__uint(map_flags, 1024u); /* BPF_F_MMAPABLE: user space CASes ctl */
	__type(key, __u32);
	__type(value, struct ls_hold_slot);
} ls_hold_slots SEC(".maps");

/* The HELD record under construction: the event, then the frame, written
 * to the ring with one bpf_ringbuf_output of the length actually used. */
struct ls_hold_buf {
	struct ls_event ev;
	__u8 frame[LS_HOLD_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_hold_buf);
} ls_hold_buf SEC(".maps");

#define LS_HOLD_CAS_TRIES 4

/* decide()'s answer for an undecided flow under the hold default. */
static __always_inline __u32 ls_hold_undecided(const struct ls_pkt *p)
{
	if (p->proto == IPPROTO_TCP && !p->pay_len)
		return LS_DEC_HOLD_PASS;
	return LS_DEC_HOLD;
}

static __always_inline __u32 ls_hold_fallback(const struct ls_config *cfg)
{
	count(LS_CNT_HOLD_OVERFLOW);
	return cfg->hold_fallback == LS_VERDICT_PASS ? LS_DEC_PASS : LS_DEC_DROP_DEFAULT;
}

static __always_inline int ls_hold_in_failsafe(void)
{
	__u32 zero = 0;
	struct ls_liveness *l = bpf_map_lookup_elem(&ls_liveness, &zero);
	return l && l->mode != LS_FAILSAFE_OFF && l->in_failsafe;
}

static __always_inline int ls_hold_stale(const struct ls_hold_slot *sl, const struct ls_config *cfg,
					 __u64 now)
{
	__u64 stale = cfg->hold_stale_ns ? cfg->hold_stale_ns : LS_HOLD_STALE_NS_DEFAULT;
	return now > sl->since_k && now - sl->since_k > stale;
}

/* Fills the HELD record's header: the event, and the slot coordinates
 * user space needs to close the hold. */
static __always_inline void ls_hold_note(struct ls_hold_buf *hb, const struct ls_flow_key *key,
					 const struct ls_pkt *p, __u8 dir, const struct ls_flow *f,
					 __u32 idx, __u64 ctl)
{
	/* stamped exactly, like every event: user space measures the time
	 * held from it */
	ev_init(&hb->ev, LS_EV_HELD, key, p, dir, f->flow_id, bpf_ktime_get_boot_ns());
	hb->ev.u.held.frame_len = p->frame_len;
	hb->ev.u.held.cap_len = p->frame_len;
	hb->ev.u.held.seq = (__u32)(ctl & LS_HOLD_COUNT_MASK);
	hb->ev.u.held.slot = idx;
	hb->ev.u.held.ctl_hi = (__u32)(ctl >> 32);
	hb->ev.u.held.tcp_flags = p->tcp_flags;
	hb->ev.u.held.family = p->family;
	hb->ev.u.held.proto = p->proto;
	hb->ev.u.held.l4_off = (__u16)p->l4_off;
	hb->ev.u.held.pay_len = (__u16)p->pay_len;
}

/* The hold gate, after decide(): for a flow with a hold open (f->hold) or
 * decided LS_DEC_HOLD. Returns LS_DEC_HOLD when this packet is to be held
 * (the record's header is then in hold_buf: ls_hold_out_* sends it), else
 * the decision to apply. */
static __always_inline __u32 ls_hold_gate(const struct ls_flow_key *key, const struct ls_pkt *p,
					  __u8 dir, struct ls_flow *f, const struct ls_config *cfg,
					  __u32 dec, __u64 now)
{
	__u32 zero = 0, idx = ls_hold_slot_of(f->flow_id);
	__u64 tag = ls_hold_tag_of(f->flow_id);
	struct ls_hold_slot *sl = bpf_map_lookup_elem(&ls_hold_slots, &idx);
	struct ls_hold_buf *hb = bpf_map_lookup_elem(&ls_hold_buf, &zero);
	if (!sl || !hb)
		return dec == LS_DEC_HOLD ? ls_hold_fallback(cfg) : dec;
	__u32 max = cfg->hold_max_pkts ? cfg->hold_max_pkts : LS_HOLD_MAX_PKTS_DEFAULT;
	int big = p->frame_len > LS_HOLD_FRAME_MAX || p->frame_len < 14;

	for (int i = 0; i < LS_HOLD_CAS_TRIES; i++) {
		__u64 c = *(volatile __u64 *)&sl->ctl;
		int closed = (c & LS_HOLD_CLOSED) != 0;
		if (c >> 40 == tag && !closed) {
			/* this flow's hold is open: everything goes behind it */
			if (ls_hold_stale(sl, cfg, now)) {
				if (__sync_val_compare_and_swap(&sl->ctl, c, c | LS_HOLD_CLOSED) ==
				    c)
					count(LS_CNT_HOLD_STALE);
				continue;
			}
			if (ls_hold_in_failsafe())
				return dec; /* never LS_DEC_HOLD in fail-safe (decide) */
			if ((c & LS_HOLD_COUNT_MASK) >= max || big)
				return ls_hold_fallback(cfg);
			if (__sync_val_compare_and_swap(&sl->ctl, c, c + 1) != c)
				continue;
			sl->last_k = now;
			ls_hold_note(hb, key, p, dir, f, idx, c);
			return LS_DEC_HOLD;
		}
		if (c >> 40 == tag)
			f->hold = 0; /* its hold has closed */
		if (dec != LS_DEC_HOLD)
			return dec;
		/* open a hold: on a slot never used, closed, or abandoned */
		if (big)
			return ls_hold_fallback(cfg);
		if (c >> 40 && !closed) {
			if (!ls_hold_stale(sl, cfg, now))
				return ls_hold_fallback(cfg); /* another flow holds it */
			if (__sync_val_compare_and_swap(&sl->ctl, c, c | LS_HOLD_CLOSED) == c)
				count(LS_CNT_HOLD_STALE);
			continue;
		}
		__u64 gen = ((c >> 32) + 1) & 0xff;
		__u64 nc = tag << 40 | gen << 32;
		if (__sync_val_compare_and_swap(&sl->ctl, c, nc + 1) != c)
			continue;
		sl->flow_id = f->flow_id;
		sl->since_k = now;
		sl->last_k = now;
		f->hold = 1;
		ls_hold_note(hb, key, p, dir, f, idx, nc);
		return LS_DEC_HOLD;
	}
	return dec == LS_DEC_HOLD ? ls_hold_fallback(cfg) : dec;
}

/* Copies the frame after the record header ls_hold_gate() wrote and sends
 * both. 0 when sent; else the packet could not be held. */
static __always_inline int ls_hold_out(void *ctx, int is_xdp, __u32 ifindex)
{
	__u32 zero = 0;
	struct ls_hold_buf *hb = bpf_map_lookup_elem(&ls_hold_buf, &zero);
	if (!hb)
		return -1;
	__u32 len = hb->ev.u.held.cap_len;
	if (len < 14 || len > LS_HOLD_FRAME_MAX)
		return -1;
	hb->ev.u.held.ifindex = ifindex;
	hb->ev.u.held.hook = is_xdp ? LS_HOLD_XDP : LS_HOLD_TC;
	long rc = is_xdp ? bpf_xdp_load_bytes(ctx, 0, hb->frame, len)
			 : bpf_skb_load_bytes(ctx, 0, hb->frame, len);
	if (rc)
		return -1;
	/* the flow's ring: with N workers, the worker that sees its
	 * flow_new and dpi records holds and releases its frames */
	if (ls_shard_output(&hb->ev, hb, sizeof(hb->ev) + len)) {
		count(LS_CNT_RINGBUF_FULL);
		return -1;
	}
	return 0;
}

/* One per context type, verified once (like ls_inspect_*). */
__noinline int ls_hold_out_xdp(struct xdp_md *ctx)
{
	if (!ctx)
		return -1;
	return ls_hold_out(ctx, 1, ctx->ingress_ifindex);
}

__noinline int ls_hold_out_tc(struct __sk_buff *skb)
{
	if (!skb)
		return -1;
	return ls_hold_out(skb, 0, skb->ifindex);
}

#endif
