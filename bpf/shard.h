/* shard.h - steering a flow's records to its worker's ring (docs/workers.md).
 *
 * With N policy workers each has its own ring buffer (a slot of
 * shard_rings); every record about a flow goes to the ring of the flow's
 * shard, so one worker sees all of a flow's records -- its events and its
 * held frames -- in the order the kernel wrote them, and no two workers
 * ever share a flow. Records about no flow (beats, fail-safe) go to
 * `events`, where the heartbeat lives; so does everything while
 * shard_cfg.n <= 1 (one worker: exactly the single-ring data plane, whose
 * one reader marks itself awake in shard_live[0] as a worker does).
 *
 * Every writer of a record calls ls_shard_output(): emit() in
 * lockstep.bpf.c and the hold path. Include after the `flows` map and
 * shared_maps.h (`events`). */
#ifndef LS_SHARD_H
#define LS_SHARD_H

#include "lockstep/wire.h"

/* The inner map's shape; user space sizes it like `events` before load. */
struct ls_shard_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, LS_SHARDS_MAX);
	__type(key, __u32);
	__array(values, struct ls_shard_ring);
} ls_shard_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_shard_cfg);
} ls_shard_cfg SEC(".maps");

/* Per-shard liveness (docs/workers.md, "Liveness per shard"): with N
 * workers a flow is also in fail-safe when its own worker is silent --
 * shard_live[shard].alive_k older than the data plane's detect timeout --
 * so one stalled worker fails safe for its shard alone while the others
 * keep deciding. Judged per packet, like the global check, with the same
 * timeout and mode; the transition is claimed by compare-and-swap and
 * announced once (LS_EV_FAILSAFE with u.failsafe.shard = shard + 1). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LS_SHARDS_MAX);
	__uint(map_flags, LS_VERDICT_GEN_MAP_FLAGS); /* BPF_F_MMAPABLE */
	__type(key, __u32);
	__type(value, struct ls_shard_live);
} ls_shard_live SEC(".maps");

static __always_inline __u32 ls_fnv(__u32 h, __u8 b)
{
	return (h ^ b) * LS_FNV_PRIME;
}

/* The shard of the flow with canonical key `key` among n (> 1): FNV-1a
 * over the sharding key (docs/workers.md), client_lo saying whether the
 * client is the key's lo side (LS_SHARD_BY_CLIENT only). A global function:
 * verified once, not at every call site. -1 for a NULL key. */
__noinline int ls_shard_hash(const struct ls_flow_key *key, __u32 client_lo, __u32 by, __u32 n)
{
	if (!key)
		return -1;
	if (n > LS_SHARDS_MAX)
		n = LS_SHARDS_MAX;
	__u32 h = LS_FNV_BASIS;
	if (by == LS_SHARD_BY_CLIENT) {
		const __u8 *a = client_lo ? key->lo_addr : key->hi_addr;
		for (int i = 0; i < 16; i++)
			h = ls_fnv(h, a[i]);
	} else {
		for (int i = 0; i < 16; i++)
			h = ls_fnv(h, key->lo_addr[i]);
		for (int i = 0; i < 16; i++)
			h = ls_fnv(h, key->hi_addr[i]);
		h = ls_fnv(h, (__u8)(key->lo_port >> 8));
		h = ls_fnv(h, (__u8)key->lo_port);
		h = ls_fnv(h, (__u8)(key->hi_port >> 8));
		h = ls_fnv(h, (__u8)key->hi_port);
		h = ls_fnv(h, key->proto);
	}
	/* the high bits: FNV-1a's low bits are weak (the low k bits of the
	 * hash depend only on the low k bits of each byte) */
	return (int)(((__u64)h * n) >> 32);
}

/* ls_shard_of's answers for `events`: with N workers (records about no
 * flow, read by the main thread beside them), and with one (every record:
 * that thread is the only reader, and shard_live[0].awake is its word). */
#define LS_SHARD_EVENTS (-1)
#define LS_SHARD_EVENTS_ONE (-2)

/* The shard of the flow ev is about, or LS_SHARD_EVENTS(_ONE). A global
 * function: verified once, not at every emit site. */
__noinline int ls_shard_of(const struct ls_event *ev)
{
	__u32 zero = 0;
	if (!ev)
		return LS_SHARD_EVENTS;
	struct ls_shard_cfg *c = bpf_map_lookup_elem(&ls_shard_cfg, &zero);
	if (!c || c->n <= 1)
		return LS_SHARD_EVENTS_ONE;
	if (ev->kind == LS_EV_BEAT || ev->kind == LS_EV_FAILSAFE)
		return LS_SHARD_EVENTS;
	/* the client sent the flow's first packet; a flow gone from the
	 * table falls back to this packet's source */
	int lo = ev->dir == LS_DIR_LO_TO_HI;
	if (c->by == LS_SHARD_BY_CLIENT) {
		struct ls_flow *f = bpf_map_lookup_elem(&ls_flows, &ev->key);
		if (f)
			lo = f->init_dir == LS_DIR_LO_TO_HI;
	}
	return ls_shard_hash(&ev->key, (__u32)lo, c->by, c->n);
}

/* Writes a record to worker k's ring without the wake-up a worker off its
 * epoll does not need (docs/workers.md, "Wake-ups the kernel does not
 * send"). bpf_ringbuf_output's default wakes the consumer whenever it has
 * caught up, which a worker that drains or busy-polls has, record after
 * record: an irq_work, i.e. a self-IPI -- an APIC register write, a VM exit
 * on a virtual machine, half of this program's cost per packet there. So
 * while shard_live[k].awake is set the record goes with BPF_RB_NO_WAKEUP.
 * The worker, before it sleeps, clears awake, fences and looks at the ring
 * again; this side, after its record is in, reads awake again with a full
 * barrier (an atomic op) and, if it was cleared meanwhile, sends the
 * wake-up after all (an empty record, which the worker skips). One of the
 * two sees the other (Dekker): a record is never left behind a sleeping
 * worker. */
static __noinline long ls_ring_output(void *ring, __u32 k, void *data, __u64 size)
{
	struct ls_shard_live *sl = bpf_map_lookup_elem(&ls_shard_live, &k);
	if (!sl || !sl->awake)
		return bpf_ringbuf_output(ring, data, size, 0);
	long rc = bpf_ringbuf_output(ring, data, size, BPF_RB_NO_WAKEUP);
	if (__sync_fetch_and_add(&sl->awake, 0) == 0)
		bpf_ringbuf_output(ring, data, 0, BPF_RB_FORCE_WAKEUP);
	return rc;
}

/* Writes size bytes at data (a record starting with ev) to ev's ring.
 * bpf_ringbuf_output's result: 0, or negative when the ring is full. */
static __always_inline long ls_shard_output(const struct ls_event *ev, void *data, __u64 size)
{
	int idx = ls_shard_of(ev);
	if (idx >= 0) {
		__u32 k = (__u32)idx;
		void *ring = bpf_map_lookup_elem(&ls_shard_rings, &k);
		if (ring)
			return ls_ring_output(ring, k, data, size);
	}
	/* one worker: `events` is its ring, so it skips wake-ups while awake
	 * as a worker of N does (its word: shard_live[0], no shard 0 then) */
	if (idx == LS_SHARD_EVENTS_ONE)
		return ls_ring_output(&ls_events, 0, data, size);
	return bpf_ringbuf_output(&ls_events, data, size, 0);
}

#endif
