/* parse_tcp.h - the TCP header: ports, flags, data offset, payload bounds. */
#ifndef LS_PARSE_TCP_H
#define LS_PARSE_TCP_H

#include <linux/tcp.h>
#include <bpf/bpf_endian.h>

#include "parse_common.h"

static __always_inline int parse_tcp(void *data, void *data_end, struct ls_pkt *p)
{
	__u32 off = p->l4_off;
	if (off > LS_L4_OFF_MAX)
		return LS_P_MALFORMED;
	struct tcphdr *th = data + off;
	if ((void *)(th + 1) > data_end)
		return LS_P_MALFORMED;
	__u32 hlen = th->doff * 4;
	if (hlen < sizeof(*th) || off + hlen > p->l4_end)
		return LS_P_MALFORMED;
	p->sport = bpf_ntohs(th->source);
	p->dport = bpf_ntohs(th->dest);
	p->tcp_flags = ((__u8 *)th)[13];
	p->pay_off = off + hlen;
	p->pay_len = p->l4_end - p->pay_off;
	return LS_P_OK;
}

#endif
