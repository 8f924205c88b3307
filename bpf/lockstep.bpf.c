/* lockstep.bpf.c - the data plane: parse, flow table, verdict, DPI, events.
 *
 * Foundation version: maps and program sections in their final names; the
 * parsers and DPI come next. Every path returns XDP_PASS unless a verdict
 * says drop: a parser never drops what it does not understand. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "lockstep/wire.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_flow_key);
	__type(value, struct ls_flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_flow_key);
	__type(value, struct ls_verdict_rec);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_liveness);
} liveness SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);
	if (c)
		(*c)++;
}

static __always_inline int handle(void *data, void *data_end)
{
	count(LS_CNT_PKTS);
	count(LS_CNT_PASS);
	return 1; /* pass */
}

SEC("xdp")
int ls_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	return handle(data, data_end) ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int ls_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	return handle(data, data_end) ? TC_ACT_OK : TC_ACT_SHOT;
}
