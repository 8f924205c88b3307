/* parse_ipv6.h - IPv6 and a bounded chain of extension headers (hop-by-hop,
 * routing, fragment, destination options). A chain longer than
 * LS_IPV6_EXT_MAX, or reaching past LS_L4_OFF_MAX, is malformed for us. */
#ifndef LS_PARSE_IPV6_H
#define LS_PARSE_IPV6_H

#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

#include "parse_common.h"

#define LS_IPV6_EXT_MAX 6

struct ls_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ls_ipv6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

static __always_inline int ls_ipv6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS;
}

/* Returns LS_P_OK, LS_P_FRAGMENT, or LS_P_MALFORMED; *ext_err is set when the
 * extension chain (not the fixed header) was at fault. */
static __always_inline int parse_ipv6(void *data, void *data_end, __u32 off, struct ls_pkt *p,
				      int *ext_err)
{
	*ext_err = 0;
	if (off > LS_L3_OFF_MAX)
		return LS_P_MALFORMED;
	struct ipv6hdr *ip6 = data + off;
	if ((void *)(ip6 + 1) > data_end)
		return LS_P_MALFORMED;
	if (ip6->version != 6)
		return LS_P_MALFORMED;
	__u32 plen = bpf_ntohs(ip6->payload_len);
	__u32 avail = p->frame_len > off ? p->frame_len - off : 0;
	if (plen + sizeof(*ip6) > avail)
		return LS_P_MALFORMED;
	/* plen 0 is a jumbogram (RFC 2675): its length lives in hop-by-hop;
	 * never valid on a link of our MTU, so not ours to guess */
	if (plen == 0 && ip6->nexthdr != 59)
		return LS_P_MALFORMED;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	p->family = 6;
	p->first_frag = 0;
	p->l4_end = off + sizeof(*ip6) + plen;

	__u8 nh = ip6->nexthdr;
	__u32 o = off + sizeof(*ip6);
#pragma unroll
	for (int i = 0; i < LS_IPV6_EXT_MAX; i++) {
		if (!ls_ipv6_is_ext(nh))
			break;
		if (o > LS_L4_OFF_MAX)
			break;
		if (nh == IPPROTO_FRAGMENT) {
			struct ls_ipv6_frag_hdr *fh = data + o;
			if ((void *)(fh + 1) > data_end || o + sizeof(*fh) > p->l4_end) {
				*ext_err = 1;
				return LS_P_MALFORMED;
			}
			__u16 fo = bpf_ntohs(fh->frag_off);
			if (fo & 0xfff8)
				return LS_P_FRAGMENT;
			if (fo & 1)
				p->first_frag = 1;
			nh = fh->nexthdr;
			o += sizeof(*fh);
		} else {
			struct ls_ipv6_opt_hdr *oh = data + o;
			if ((void *)(oh + 1) > data_end) {
				*ext_err = 1;
				return LS_P_MALFORMED;
			}
			__u32 len = ((__u32)oh->hdrlen + 1) * 8;
			if (o + len > p->l4_end) {
				*ext_err = 1;
				return LS_P_MALFORMED;
			}
			nh = oh->nexthdr;
			o += len;
		}
	}
	if (ls_ipv6_is_ext(nh) || o > LS_L4_OFF_MAX) {
		*ext_err = 1;
		return LS_P_MALFORMED;
	}
	p->proto = nh;
	p->l4_off = o;
	return LS_P_OK;
}

#endif
