/* parse_ipv4.h - IPv4 with options and fragments. Only a first fragment
 * (offset 0) carries the L4 header; later fragments are LS_P_FRAGMENT. */
#ifndef LS_PARSE_IPV4_H
#define LS_PARSE_IPV4_H

#include <linux/ip.h>
#include <bpf/bpf_endian.h>

#include "parse_common.h"

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 off, struct ls_pkt *p)
{
	if (off > LS_L3_OFF_MAX)
		return LS_P_MALFORMED;
	struct iphdr *ip = data + off;
	if ((void *)(ip + 1) > data_end)
		return LS_P_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return LS_P_MALFORMED;
	__u32 hlen = ip->ihl * 4;
	__u32 tot = bpf_ntohs(ip->tot_len);
	__u32 avail = p->frame_len > off ? p->frame_len - off : 0;
	/* a total length shorter than the header, or longer than what arrived,
	 * is a lie: nothing after it can be trusted */
	if (tot < hlen || tot > avail)
		return LS_P_MALFORMED;
	__u16 frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff)
		return LS_P_FRAGMENT;
	p->first_frag = (frag & 0x2000) ? 1 : 0;
	p->family = 4;
	p->proto = ip->protocol;
	p->saddr[0] = p->saddr[1] = p->daddr[0] = p->daddr[1] = 0;
	p->saddr[2] = p->daddr[2] = bpf_htonl(0x0000ffff);
	p->saddr[3] = ip->saddr;
	p->daddr[3] = ip->daddr;
	p->l4_off = off + hlen;
	p->l4_end = off + tot;
	return LS_P_OK;
}

#endif
