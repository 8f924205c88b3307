/* parse_encap.h - the headers of the encapsulations the parser descends
 * through (docs/dataplane.md "Encapsulations"): MPLS label stacks, PPPoE
 * sessions, GRE (RFC 2784/2890, ERSPAN I/II/III, also inside UDP 4754 per
 * RFC 8086), VXLAN (UDP 4789, RFC 7348), Geneve (UDP 6081, RFC 8926),
 * VXLAN-GPE (UDP 4790, draft-ietf-nvo3-vxlan-gpe-13), GTP-U (UDP 2152,
 * 3GPP TS 29.281) and Teredo (UDP 3544, RFC 4380).
 * Each parser reads one header at *off, says what follows (enum ls_hdr) and
 * moves *off past it; a header it cannot vouch for is LS_P_MALFORMED (or
 * LS_P_NOT_MINE for a well-formed one carrying something we do not track),
 * and the caller passes the packet. IP-in-IP needs no header of its own. */
#ifndef LS_PARSE_ENCAP_H
#define LS_PARSE_ENCAP_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lockstep/wire.h"
#include "parse_common.h"

/* what a header is followed by */
enum ls_hdr {
	LS_H_NONE = 0,
	LS_H_ETH,
	LS_H_IP4,
	LS_H_IP6,
	LS_H_MPLS,
	LS_H_PPPOE,
};

#define LS_UDP_VXLAN 4789
#define LS_UDP_GENEVE 6081
#define LS_UDP_GRE 4754
#define LS_UDP_VXLAN_GPE 4790
#define LS_UDP_GTPU 2152
#define LS_UDP_TEREDO 3544 /* the server's port: a relay's is any */
#define LS_GTPU_EXT_MAX 4  /* GTP-U extension headers followed */

#define LS_ETH_P_TEB 0x6558 /* transparent Ethernet bridging */
#define LS_ETH_P_MPLS_UC 0x8847
#define LS_ETH_P_MPLS_MC 0x8848
#define LS_ETH_P_PPPOE_SES 0x8864
#define LS_ETH_P_ERSPAN 0x88BE /* type I (no S bit) and II */
#define LS_ETH_P_ERSPAN3 0x22EB

/* The header an ethertype / GRE or Geneve protocol type announces. TEB (an
 * Ethernet frame) only where a tunnel says so (teb). */
static __always_inline int ls_hdr_of(__u16 proto, int teb)
{
	switch (proto) {
	case 0x0800:
		return LS_H_IP4;
	case 0x86DD:
		return LS_H_IP6;
	case LS_ETH_P_MPLS_UC:
	case LS_ETH_P_MPLS_MC:
		return LS_H_MPLS;
	case LS_ETH_P_PPPOE_SES:
		return LS_H_PPPOE;
	case LS_ETH_P_TEB:
		return teb ? LS_H_ETH : LS_H_NONE;
	}
	return LS_H_NONE;
}

/* An MPLS label stack (RFC 3032): labels up to the bottom-of-stack bit,
 * then IPv4 or IPv6 told apart by the first nibble (RFC 4182 removed the
 * explicit-null tricks; nothing else names the payload). LS_P_LIMIT past
 * LS_MPLS_MAX labels. */
static __always_inline int ls_parse_mpls(void *data, void *data_end, __u32 *off, int *next)
{
	__u32 o = *off;
	for (int i = 0; i < LS_MPLS_MAX; i++) { /* a bounded loop */
		if (o > LS_L3_OFF_MAX)
			return LS_P_LIMIT;
		__u8 *l = data + o;
		if ((void *)(l + 5) > data_end)
			return LS_P_MALFORMED;
		__u8 bos = l[2] & 1, v = l[4] >> 4;
		barrier_var(v); /* read here, through the checked pointer */
		barrier_var(bos);
		o += 4;
		if (bos) { /* bottom of stack */
			*next = v == 4 ? LS_H_IP4 : v == 6 ? LS_H_IP6 : LS_H_NONE;
			*off = o;
			return *next ? LS_P_OK : LS_P_NOT_MINE;
		}
	}
	return LS_P_LIMIT;
}

/* A PPPoE session header (RFC 2516) and its PPP protocol field (IPv4
 * 0x0021, IPv6 0x0057; RFC 1661, not compressed). *id: the session id. */
static __always_inline int ls_parse_pppoe(void *data, void *data_end, __u32 *off, int *next,
					  __u32 *id)
{
	__u32 o = *off;
	if (o > LS_L3_OFF_MAX)
		return LS_P_LIMIT;
	__u8 *h = data + o;
	if ((void *)(h + 8) > data_end)
		return LS_P_MALFORMED;
	if (h[0] != 0x11 || h[1] != 0) /* version 1, type 1; code 0: session data */
		return LS_P_MALFORMED;
	__u16 ppp = (__u16)h[6] << 8 | h[7];
	*id = (__u32)h[2] << 8 | h[3];
	*next = ppp == 0x0021 ? LS_H_IP4 : ppp == 0x0057 ? LS_H_IP6 : LS_H_NONE;
	*off = o + 8;
	return *next ? LS_P_OK : LS_P_NOT_MINE;
}

#define LS_GRE_C 0x8000
#define LS_GRE_K 0x2000
#define LS_GRE_S 0x1000

/* A GRE header (RFC 2784 with RFC 2890's key and sequence number): the
 * checksum (C), key (K) and sequence (S) fields are skipped or read; any
 * other flag, or version != 0 (1 is PPTP's enhanced GRE), is not ours.
 * ERSPAN type I (no S bit: the mirrored frame follows at once), II (an
 * 8-byte header) and III (12 bytes, 8 more with the O bit) are read past,
 * their session id becoming the tunnel id. */
static __always_inline int ls_parse_gre(void *data, void *data_end, __u32 *off, int *next,
					__u32 *id, __u8 *type)
{
	__u32 o = *off;
	if (o > LS_L4_OFF_MAX)
		return LS_P_LIMIT;
	__u8 *g = data + o;
	if ((void *)(g + 4) > data_end)
		return LS_P_MALFORMED;
	__u16 flags = (__u16)g[0] << 8 | g[1];
	__u16 proto = (__u16)g[2] << 8 | g[3];
	if (flags & ~(LS_GRE_C | LS_GRE_K | LS_GRE_S))
		return LS_P_NOT_MINE;
	o += 4;
	if (flags & LS_GRE_C)
		o += 4; /* checksum, reserved1 */
	*id = 0;
	if (flags & LS_GRE_K) {
		if (o > LS_L4_OFF_MAX + 8)
			return LS_P_LIMIT;
		__u8 *k = data + o;
		if ((void *)(k + 4) > data_end)
			return LS_P_MALFORMED;
		*id = (__u32)k[0] << 24 | (__u32)k[1] << 16 | (__u32)k[2] << 8 | k[3];
		o += 4;
	}
	if (flags & LS_GRE_S)
		o += 4; /* sequence number */
	if (proto == LS_ETH_P_ERSPAN || proto == LS_ETH_P_ERSPAN3) {
		*type = LS_TUN_ERSPAN;
		*next = LS_H_ETH;
		*id = 0;
		if (proto == LS_ETH_P_ERSPAN && !(flags & LS_GRE_S)) {
			*off = o; /* type I: no ERSPAN header */
			return LS_P_OK;
		}
		if (o > LS_L4_OFF_MAX + 16)
			return LS_P_LIMIT;
		__u8 *e = data + o;
		if ((void *)(e + 12) > data_end)
			return LS_P_MALFORMED;
		__u8 ver = e[0] >> 4;
		if (proto == LS_ETH_P_ERSPAN ? ver != 1 : ver != 2)
			return LS_P_MALFORMED;
		*id = ((__u32)e[2] & 0x03) << 8 | e[3];
		if (proto == LS_ETH_P_ERSPAN)
			o += 8;
		else
			o += (e[11] & 1) ? 20 : 12; /* O: platform-specific subheader */
		*off = o;
		return LS_P_OK;
	}
	*type = LS_TUN_GRE;
	*next = ls_hdr_of(proto, 1);
	*off = o;
	return *next ? LS_P_OK : LS_P_NOT_MINE;
}

/* A GTP-U G-PDU (3GPP TS 29.281 5.1): version 1, PT 1; with E, S or PN
 * the optional 4 octets follow, the last naming the first extension
 * header; each extension header gives its length in 4-octet units and ends
 * with the next one's type. Only a G-PDU (type 255) carries a user packet,
 * IPv4 or IPv6 by its first nibble; echo and error messages are not ours. */
static __always_inline int ls_parse_gtpu(void *data, void *data_end, __u32 o, __u32 end,
					 __u32 *off, int *next, __u32 *id)
{
	__u8 *h = data + o;
	if ((void *)(h + 8) > data_end || o + 8 > end)
		return LS_P_MALFORMED;
	if ((h[0] >> 4) != 0x3) /* version 1, PT 1 */
		return LS_P_MALFORMED;
	if (h[1] != 0xff)
		return LS_P_NOT_MINE;
	*id = (__u32)h[4] << 24 | (__u32)h[5] << 16 | (__u32)h[6] << 8 | h[7];
	__u32 len = (__u32)h[2] << 8 | h[3];
	if (o + 8 + len > end)
		return LS_P_MALFORMED;
	__u8 ext = 0;
	if (h[0] & 0x07) {
		if ((void *)(h + 12) > data_end || len < 4)
			return LS_P_MALFORMED;
		ext = h[11];
		o += 12;
	} else {
		o += 8;
	}
	for (int i = 0; i < LS_GTPU_EXT_MAX && ext; i++) { /* a bounded loop */
		if (o > LS_L3_OFF_MAX)
			return LS_P_LIMIT;
		__u8 *x = data + o;
		if ((void *)(x + 1) > data_end)
			return LS_P_MALFORMED;
		__u32 xl = (__u32)x[0] * 4;
		barrier_var(xl);
		if (!xl || xl > 64 || o + xl > end)
			return LS_P_MALFORMED;
		__u32 last = o + xl - 1; /* the next type, checked as its own byte */
		barrier_var(last);
		__u8 *nx = data + last;
		if ((void *)(nx + 1) > data_end)
			return LS_P_MALFORMED;
		ext = *nx;
		o += xl;
	}
	if (ext)
		return LS_P_LIMIT;
	__u8 *ip = data + o;
	if ((void *)(ip + 1) > data_end || o >= end)
		return LS_P_MALFORMED;
	__u8 v = ip[0] >> 4;
	*next = v == 4 ? LS_H_IP4 : v == 6 ? LS_H_IP6 : LS_H_NONE;
	*off = o;
	return *next ? LS_P_OK : LS_P_NOT_MINE;
}

/* Teredo (RFC 4380 5.1.1): an IPv6 packet in UDP, after an optional
 * authentication indicator (0x0001, ID and AU lengths, the client id, the
 * authentication value, an 8-octet nonce and a confirmation octet) and an
 * optional origin indication (0x0000, port and address). A datagram to or
 * from 3544 that does not end in one whole IPv6 packet is not ours. */
static __always_inline int ls_parse_teredo(void *data, void *data_end, __u32 o, __u32 end,
					   __u32 *off, int *next)
{
	__u8 *h = data + o;
	if ((void *)(h + 2) > data_end || o + 2 > end)
		return LS_P_NOT_MINE;
	if (h[0] == 0 && h[1] == 1) {
		if ((void *)(h + 4) > data_end)
			return LS_P_MALFORMED;
		o += 4 + (__u32)h[2] + h[3] + 9;
		if (o > LS_L4_OFF_MAX + 16)
			return LS_P_LIMIT;
		h = data + o;
		if ((void *)(h + 2) > data_end || o + 2 > end)
			return LS_P_MALFORMED;
	}
	if (h[0] == 0 && h[1] == 0) {
		o += 8;
		h = data + o;
		if ((void *)(h + 1) > data_end || o + 1 > end)
			return LS_P_MALFORMED;
	}
	/* exactly one IPv6 packet fills the datagram: its payload length
	 * says so (a first nibble of 6 alone is any ASCII 'a'..'o') */
	if ((void *)(h + 6) > data_end || (h[0] >> 4) != 6 ||
	    o + 40 + ((__u32)h[4] << 8 | h[5]) != end)
		return LS_P_NOT_MINE;
	*next = LS_H_IP6;
	*off = o;
	return LS_P_OK;
}

/* The tunnel header at the start of a UDP payload to a tunnel port. */
static __always_inline int ls_parse_udp_tunnel(void *data, void *data_end, const struct ls_pkt *p,
					       __u32 *off, int *next, __u32 *id, __u8 *type)
{
	__u32 o = p->pay_off;
	if (p->dport == LS_UDP_GRE) {
		*off = o;
		int rc = ls_parse_gre(data, data_end, off, next, id, type);
		if (*type == LS_TUN_GRE)
			*type = LS_TUN_GRE_UDP;
		return rc;
	}
	if (o > LS_L4_OFF_MAX + 8)
		return LS_P_LIMIT;
	__u32 end = o + p->pay_len;
	if (p->dport == LS_UDP_GTPU) {
		*type = LS_TUN_GTPU;
		return ls_parse_gtpu(data, data_end, o, end, off, next, id);
	}
	if (p->dport == LS_UDP_TEREDO || p->sport == LS_UDP_TEREDO) {
		*type = LS_TUN_TEREDO;
		*id = 0;
		return ls_parse_teredo(data, data_end, o, end, off, next);
	}
	__u8 *h = data + o;
	if ((void *)(h + 8) > data_end || p->pay_len < 8)
		return LS_P_MALFORMED;
	*id = (__u32)h[4] << 16 | (__u32)h[5] << 8 | h[6];
	if (p->dport == LS_UDP_VXLAN) {
		if (!(h[0] & 0x08)) /* the I flag: a valid VNI (RFC 7348) */
			return LS_P_MALFORMED;
		*type = LS_TUN_VXLAN;
		*next = LS_H_ETH;
		*off = o + 8;
		return LS_P_OK;
	}
	if (p->dport == LS_UDP_VXLAN_GPE) {
		/* flags R R Ver(2) I P B O: version 0, the VNI and the next
		 * protocol present; OAM messages are not ours */
		if ((h[0] & 0x30) || (h[0] & 0x0c) != 0x0c)
			return LS_P_MALFORMED;
		if (h[0] & 0x01)
			return LS_P_NOT_MINE;
		*type = LS_TUN_VXLAN_GPE;
		*next = h[3] == 1 ? LS_H_IP4 : h[3] == 2 ? LS_H_IP6 : h[3] == 3 ? LS_H_ETH : LS_H_NONE;
		*off = o + 8;
		return *next ? LS_P_OK : LS_P_NOT_MINE;
	}
	/* Geneve: version 0, options length in 4-byte words */
	if (h[0] >> 6)
		return LS_P_MALFORMED;
	__u32 hl = 8 + (__u32)(h[0] & 0x3f) * 4;
	if (hl > p->pay_len)
		return LS_P_MALFORMED;
	*type = LS_TUN_GENEVE;
	*next = ls_hdr_of((__u16)h[2] << 8 | h[3], 1);
	*off = o + hl;
	return *next ? LS_P_OK : LS_P_NOT_MINE;
}

static __always_inline int ls_udp_tunnel_port(__u16 sport, __u16 dport)
{
	return dport == LS_UDP_VXLAN || dport == LS_UDP_GENEVE || dport == LS_UDP_GRE ||
	       dport == LS_UDP_VXLAN_GPE || dport == LS_UDP_GTPU || dport == LS_UDP_TEREDO ||
	       sport == LS_UDP_TEREDO;
}

static __always_inline __u8 ls_tun_layer(__u8 type)
{
	switch (type) {
	case LS_TUN_VXLAN:
	case LS_TUN_VXLAN_GPE:
		return LS_LAYER_VXLAN;
	case LS_TUN_GTPU:
		return LS_LAYER_GTPU;
	case LS_TUN_GENEVE:
		return LS_LAYER_GENEVE;
	case LS_TUN_TEREDO:
	case LS_TUN_IPIP:
		return LS_LAYER_IPIP;
	case LS_TUN_PPPOE:
		return LS_LAYER_PPPOE;
	}
	return LS_LAYER_GRE;
}

/* The packet enters a tunnel: it becomes the innermost one; the outer
 * addresses are the IP header just parsed (none for PPPoE). LS_P_LIMIT
 * past LS_ENCAP_MAX tunnels. */
static __always_inline int ls_enter_tunnel(struct ls_pkt *p, struct ls_tunnel *t, __u8 type,
					   __u32 id, int outer_ip)
{
	if (p->tun_depth >= LS_ENCAP_MAX)
		return LS_P_LIMIT;
	p->tun_depth++;
	p->tun_type = type;
	p->tun_id = id;
	p->tun_layers |= ls_tun_layer(type);
	if (outer_ip) {
		__builtin_memcpy(t->outer_src, p->saddr, 16);
		__builtin_memcpy(t->outer_dst, p->daddr, 16);
		t->outer_family = p->family;
	} else {
		__builtin_memset(t->outer_src, 0, 32);
		t->outer_family = 0;
	}
	return LS_P_OK;
}

#endif
