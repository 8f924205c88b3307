/* parse_udp.h - the UDP header. In a first fragment the UDP length covers
 * the whole datagram: the payload is then what this fragment holds. */
#ifndef LS_PARSE_UDP_H
#define LS_PARSE_UDP_H

#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "parse_common.h"

static __always_inline int parse_udp(void *data, void *data_end, struct ls_pkt *p)
{
	__u32 off = p->l4_off;
	if (off > LS_L4_OFF_MAX)
		return LS_P_MALFORMED;
	struct udphdr *uh = data + off;
	if ((void *)(uh + 1) > data_end || off + sizeof(*uh) > p->l4_end)
		return LS_P_MALFORMED;
	__u32 ulen = bpf_ntohs(uh->len);
	__u32 have = p->l4_end - off;
	if (ulen < sizeof(*uh))
		return LS_P_MALFORMED;
	if (ulen > have) {
		if (!p->first_frag)
			return LS_P_MALFORMED;
		ulen = have;
	}
	p->sport = bpf_ntohs(uh->source);
	p->dport = bpf_ntohs(uh->dest);
	p->pay_off = off + sizeof(*uh);
	p->pay_len = ulen - sizeof(*uh);
	return LS_P_OK;
}

#endif
