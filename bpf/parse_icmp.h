/* parse_icmp.h - ICMP and ICMPv6: type/code; echo request/reply use their
 * identifier as both "ports" so that concurrent pings are distinct flows. */
#ifndef LS_PARSE_ICMP_H
#define LS_PARSE_ICMP_H

#include <bpf/bpf_endian.h>

#include "parse_common.h"

struct ls_icmp_hdr {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be16 id;
	__be16 seq;
};

static __always_inline int parse_icmp(void *data, void *data_end, struct ls_pkt *p, int v6)
{
	__u32 off = p->l4_off;
	if (off > LS_L4_OFF_MAX)
		return LS_P_MALFORMED;
	struct ls_icmp_hdr *ih = data + off;
	if ((void *)(ih + 1) > data_end || off + sizeof(*ih) > p->l4_end)
		return LS_P_MALFORMED;
	int echo = v6 ? (ih->type == 128 || ih->type == 129) : (ih->type == 8 || ih->type == 0);
	p->sport = p->dport = echo ? bpf_ntohs(ih->id) : 0;
	p->icmp_type = ih->type;
	p->pay_off = off + sizeof(*ih);
	p->pay_len = p->l4_end - p->pay_off;
	return LS_P_OK;
}

#endif
