/* baseline.bpf.c - the benchmark baseline: the same header parsers as the
 * data plane (parse_*.h), then pass. No maps, no flow table, no DPI: what a
 * bare parse-and-pass XDP program costs on this machine, so the data plane's
 * cost is reported as a ratio to it (bench/dataplane_bench.c). */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

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

SEC("xdp.frags")
int ls_baseline(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ls_pkt p = {};
	__u32 l3 = 0;
	__u16 et = 0;
	int ext_err = 0;

	p.frame_len = (__u32)bpf_xdp_get_buff_len(ctx);
	if (parse_eth(data, data_end, &l3, &et) != LS_P_OK)
		return XDP_PASS;
	int rc = et == ETH_P_IP ? parse_ipv4(data, data_end, l3, &p)
				: parse_ipv6(data, data_end, l3, &p, &ext_err);
	if (rc != LS_P_OK)
		return XDP_PASS;
	if (p.proto == IPPROTO_TCP)
		rc = parse_tcp(data, data_end, &p);
	else if (p.proto == IPPROTO_UDP)
		rc = parse_udp(data, data_end, &p);
	else
		rc = parse_icmp(data, data_end, &p, p.family == 6);
	sink = rc + p.sport + p.dport + p.pay_len;
	return XDP_PASS;
}
