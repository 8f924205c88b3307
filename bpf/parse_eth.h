/* parse_eth.h - Ethernet with up to two 802.1Q / 802.1ad tags (QinQ). */
#ifndef LS_PARSE_ETH_H
#define LS_PARSE_ETH_H

#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>

#include "parse_common.h"

struct ls_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

#define LS_VLAN_MAX 2

static __always_inline int ls_is_vlan(__u16 proto)
{
	return proto == ETH_P_8021Q || proto == ETH_P_8021AD;
}

/* On LS_P_OK, *l3_off and *ethertype (host order) describe the L3 header.
 * More than LS_VLAN_MAX tags is malformed for us (counted, passed). */
static __always_inline int parse_eth(void *data, void *data_end, __u32 *l3_off,
				     __u16 *ethertype)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);

	if ((void *)(eth + 1) > data_end)
		return LS_P_MALFORMED;
	__u16 proto = bpf_ntohs(eth->h_proto);
#pragma unroll
	for (int i = 0; i < LS_VLAN_MAX; i++) {
		if (!ls_is_vlan(proto))
			break;
		struct ls_vlan_hdr *vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return LS_P_MALFORMED;
		proto = bpf_ntohs(vh->encap_proto);
		off += sizeof(*vh);
	}
	if (ls_is_vlan(proto))
		return LS_P_MALFORMED;
	*l3_off = off;
	*ethertype = proto;
	return proto == ETH_P_IP || proto == ETH_P_IPV6 ? LS_P_OK : LS_P_NOT_MINE;
}

#endif
