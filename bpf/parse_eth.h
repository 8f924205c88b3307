/* parse_eth.h - Ethernet with up to LS_VLAN_MAX 802.1Q / 802.1ad tags (QinQ
 * and a third tag), at any offset: the frame's own header, or the inner
 * Ethernet header of a VXLAN / Geneve / GRE (TEB, ERSPAN) tunnel. */
#ifndef LS_PARSE_ETH_H
#define LS_PARSE_ETH_H

#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>

#include "parse_common.h"

struct ls_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

#define LS_VLAN_MAX 3

static __always_inline int ls_is_vlan(__u16 proto)
{
	return proto == ETH_P_8021Q || proto == ETH_P_8021AD;
}

/* The Ethernet header at `off` (bounded by the caller). On LS_P_OK or
 * LS_P_NOT_MINE, *l3_off and *ethertype (host order) describe what follows
 * the header and its tags; *vlans is the number of tags. More than
 * LS_VLAN_MAX tags is malformed for us (counted, passed). */
static __always_inline int parse_eth_at(void *data, void *data_end, __u32 off, __u32 *l3_off,
					__u16 *ethertype, __u32 *vlans)
{
	if (off > LS_L3_OFF_MAX)
		return LS_P_MALFORMED;
	struct ethhdr *eth = data + off;
	if ((void *)(eth + 1) > data_end)
		return LS_P_MALFORMED;
	off += sizeof(*eth);
	__u16 proto = bpf_ntohs(eth->h_proto);
	*vlans = 0;
#pragma unroll
	for (int i = 0; i < LS_VLAN_MAX; i++) {
		if (!ls_is_vlan(proto))
			break;
		struct ls_vlan_hdr *vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return LS_P_MALFORMED;
		proto = bpf_ntohs(vh->encap_proto);
		off += sizeof(*vh);
		*vlans = i + 1;
	}
	if (ls_is_vlan(proto))
		return LS_P_MALFORMED;
	*l3_off = off;
	*ethertype = proto;
	return proto == ETH_P_IP || proto == ETH_P_IPV6 ? LS_P_OK : LS_P_NOT_MINE;
}

/* The frame's own Ethernet header (reject.h builds replies from it). */
static __always_inline int parse_eth(void *data, void *data_end, __u32 *l3_off,
				     __u16 *ethertype)
{
	__u32 vlans = 0;
	return parse_eth_at(data, data_end, 0, l3_off, ethertype, &vlans);
}

#endif
