/* baseline.bpf.c - the benchmark's reference programs (bench/dataplane_bench.c).
 *
 * ls_baseline: the same header parsers as the data plane (parse_*.h), then
 * pass. No maps, no flow table, no DPI: what a bare parse-and-pass XDP
 * program costs on this machine; the data plane's cost is reported as a
 * ratio to it.
 *
 * ls_floor: the same parse, then one lookup in an LRU hash keyed and valued
 * like the data plane's flow table, and one counter bumped in the entry --
 * the least any design that keeps per-flow state in such a table pays per
 * packet (no canonical key, no verdict, no clock, no counters by reason).
 * It is not a data plane; the benchmark prints it to show how much of the
 * fast path's cost is that one lookup. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "lockstep/wire.h"
#include "parse_common.h"
#include "parse_eth.h"
#include "parse_ipv4.h"
#include "parse_ipv6.h"
#include "parse_tcp.h"
#include "parse_udp.h"
#include "parse_icmp.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The parse result must be used, or the compiler would drop the parsing. */
volatile __u32 sink;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_flow_key);
	__type(value, struct ls_flow);
} ls_floor_flows SEC(".maps");

static __always_inline int parse(struct xdp_md *ctx, struct ls_pkt *p)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 l3 = 0;
	__u16 et = 0;
	int ext_err = 0;

	p->frame_len = (__u32)bpf_xdp_get_buff_len(ctx);
	if (parse_eth(data, data_end, &l3, &et) != LS_P_OK)
		return -1;
	int rc = et == ETH_P_IP ? parse_ipv4(data, data_end, l3, p)
				: parse_ipv6(data, data_end, l3, p, &ext_err);
	if (rc != LS_P_OK)
		return -1;
	if (p->proto == IPPROTO_TCP)
		rc = parse_tcp(data, data_end, p);
	else if (p->proto == IPPROTO_UDP)
		rc = parse_udp(data, data_end, p);
	else
		rc = parse_icmp(data, data_end, p, p->family == 6);
	return rc;
}

SEC("xdp.frags")
int ls_baseline(struct xdp_md *ctx)
{
	struct ls_pkt p = {};
	int rc = parse(ctx, &p);
	if (rc < 0)
		return XDP_PASS;
	sink = rc + p.sport + p.dport + p.pay_len;
	return XDP_PASS;
}

SEC("xdp.frags")
int ls_floor(struct xdp_md *ctx)
{
	struct ls_pkt p = {};
	if (parse(ctx, &p) != LS_P_OK)
		return XDP_PASS;
	struct ls_flow_key k __attribute__((aligned(8))) = {};
	__builtin_memcpy(k.lo_addr, p.saddr, 16);
	__builtin_memcpy(k.hi_addr, p.daddr, 16);
	k.lo_port = p.sport;
	k.hi_port = p.dport;
	k.proto = p.proto;
	k.family = p.family;
	struct ls_flow *f = bpf_map_lookup_elem(&ls_floor_flows, &k);
	if (f) {
		f->pkts[0]++;
	} else {
		struct ls_flow nf = {};
		bpf_map_update_elem(&ls_floor_flows, &k, &nf, BPF_ANY);
	}
	return XDP_PASS;
}
