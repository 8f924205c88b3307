/* parse_packet.h - one frame into struct ls_pkt: Ethernet (tags), then as
 * many encapsulations as the limits allow (parse_encap.h), then the
 * innermost IP header and its L4 header. Anything unparsed passes, counted
 * by the reason left in p->why.
 *
 * A small state machine: each step reads the header `h` at `off` and says
 * what follows. Entering a tunnel (IP-in-IP, GRE, a UDP tunnel port, a
 * PPPoE session) records it in p as the innermost one (ls_enter_tunnel);
 * the flow is the innermost 5-tuple. Verified once per program type: the
 * entry points are global functions (ls_parse_xdp, ls_parse_tc), so the
 * branches of the descent do not multiply with the paths of handle(). */
#ifndef LS_PARSE_PACKET_H
#define LS_PARSE_PACKET_H

#include <linux/in.h>

#include "parse_common.h"
#include "parse_eth.h"
#include "parse_ipv4.h"
#include "parse_ipv6.h"
#include "parse_tcp.h"
#include "parse_udp.h"
#include "parse_icmp.h"
#include "parse_encap.h"
#include "dpi_common.h"
#include "bpf_loops.h"

/* steps of the state machine: Ethernet, PPPoE, MPLS and IP per level */
#define LS_PARSE_STEPS (4 * (LS_ENCAP_MAX + 1))

static __always_inline int ls_parse_l4(void *data, void *data_end, struct ls_pkt *p)
{
	int rc;
	if (p->proto == IPPROTO_TCP)
		rc = parse_tcp(data, data_end, p);
	else if (p->proto == IPPROTO_UDP)
		rc = parse_udp(data, data_end, p);
	else if (p->proto == IPPROTO_ICMP && p->family == 4)
		rc = parse_icmp(data, data_end, p, 0);
	else if (p->proto == IPPROTO_ICMPV6 && p->family == 6)
		rc = parse_icmp(data, data_end, p, 1);
	else {
		p->why = LS_CNT_UNPARSED_PROTO;
		return LS_P_NOT_MINE;
	}
	p->why = LS_CNT_UNPARSED_L4;
	return rc;
}

/* A tunnel header's failure: a limit, or the header itself. */
static __always_inline int ls_encap_fail(struct ls_pkt *p, int rc)
{
	p->why = rc == LS_P_LIMIT      ? LS_CNT_ENCAP_LIMIT
		 : rc == LS_P_NOT_MINE ? LS_CNT_UNPARSED_PROTO
				       : LS_CNT_ENCAP_MALFORMED;
	return rc;
}

/* The IP header at off (h: LS_H_IP4 / LS_H_IP6) and what it carries: LS_P_OK
 * with *h, *off set to the tunnel's inner header when it carries a tunnel
 * (entered), LS_P_OK with *h = LS_H_NONE when p is complete (the innermost
 * 5-tuple), or the failure. */
static __always_inline int ls_parse_ip_step(void *data, void *data_end, struct ls_pkt *p,
					    struct ls_tunnel *t, __u32 *off, int *h)
{
	int ext_err = 0, rc;
	if (*off > LS_L3_OFF_MAX) {
		p->why = LS_CNT_ENCAP_LIMIT;
		return LS_P_LIMIT;
	}
	if (*h == LS_H_IP4) {
		rc = parse_ipv4(data, data_end, *off, p);
		p->why = LS_CNT_UNPARSED_IPV4;
	} else {
		rc = parse_ipv6(data, data_end, *off, p, &ext_err);
		p->why = ext_err ? LS_CNT_UNPARSED_IPV6_EXT : LS_CNT_UNPARSED_IPV6;
	}
	if (rc == LS_P_FRAGMENT)
		p->why = LS_CNT_FRAGMENT;
	if (rc != LS_P_OK)
		return rc;
	__u32 id = 0;
	__u8 type = LS_TUN_NONE;
	int next = LS_H_NONE;
	if (p->proto == IPPROTO_IPIP || p->proto == IPPROTO_IPV6) {
		/* the inner IP header must be whole within the outer */
		next = p->proto == IPPROTO_IPIP ? LS_H_IP4 : LS_H_IP6;
		type = LS_TUN_IPIP;
		*off = p->l4_off;
	} else if (p->proto == IPPROTO_GRE) {
		*off = p->l4_off;
		rc = ls_parse_gre(data, data_end, off, &next, &id, &type);
		if (rc != LS_P_OK)
			return ls_encap_fail(p, rc);
	} else {
		rc = ls_parse_l4(data, data_end, p);
		if (rc != LS_P_OK || p->proto != IPPROTO_UDP || !ls_udp_tunnel_port(p->sport, p->dport)) {
			*h = LS_H_NONE;
			return rc;
		}
		rc = ls_parse_udp_tunnel(data, data_end, p, off, &next, &id, &type);
		if (rc != LS_P_OK) {
			/* a datagram to a tunnel port that is no tunnel we
			 * read: it is the outer UDP flow's (counted) */
			p->bad_tun = 1;
			*h = LS_H_NONE;
			return LS_P_OK;
		}
	}
	rc = ls_enter_tunnel(p, t, type, id, 1);
	if (rc != LS_P_OK)
		return ls_encap_fail(p, rc);
	*h = next;
	return LS_P_OK;
}

/* Parses a frame into p (p->frame_len set by the caller). On failure
 * returns the parse code, p->why the counter explaining it. An iterator
 * loop over steps whose state (s->parse_off, s->parse_h) lives in p: memory
 * the verifier does not track, so the loop body converges at once instead
 * of being verified once per step and per path. */
static __always_inline int parse_packet(void *data, void *data_end, struct ls_pkt *p,
					struct ls_scratch *s)
{
	int step = 0, rc = LS_P_LIMIT;

	s->parse_off = 0;
	s->parse_h = LS_H_ETH;
	p->why = LS_CNT_ENCAP_LIMIT;
	ls_for(step, 0, LS_PARSE_STEPS)
	{
		__u32 off = s->parse_off, l3 = 0, vlans = 0, id = 0;
		int h = s->parse_h;
		__u16 et = 0;
		if (off > LS_L3_OFF_MAX) {
			p->why = LS_CNT_ENCAP_LIMIT;
			rc = LS_P_LIMIT;
			break;
		}
		if (h == LS_H_ETH) {
			rc = parse_eth_at(data, data_end, off, &l3, &et, &vlans);
			if (vlans)
				p->tun_layers |= LS_LAYER_VLAN;
			if (rc == LS_P_MALFORMED) {
				p->why = LS_CNT_UNPARSED_ETH;
				break;
			}
			h = ls_hdr_of(et, 0);
			if (h == LS_H_NONE) {
				p->why = LS_CNT_UNPARSED_ETHERTYPE;
				rc = LS_P_NOT_MINE;
				break;
			}
			off = l3;
		} else if (h == LS_H_MPLS) {
			p->tun_layers |= LS_LAYER_MPLS;
			rc = ls_parse_mpls(data, data_end, &off, &h);
			if (rc != LS_P_OK) {
				ls_encap_fail(p, rc);
				break;
			}
		} else if (h == LS_H_PPPOE) {
			rc = ls_parse_pppoe(data, data_end, &off, &h, &id);
			if (rc == LS_P_OK)
				rc = ls_enter_tunnel(p, &s->tun, LS_TUN_PPPOE, id, 0);
			if (rc != LS_P_OK) {
				ls_encap_fail(p, rc);
				break;
			}
		} else if (h == LS_H_IP4 || h == LS_H_IP6) {
			__u32 ip = off;
			s->in_l3 = ip;
			rc = ls_parse_ip_step(data, data_end, p, &s->tun, &off, &h);
			if (rc != LS_P_OK || h == LS_H_NONE)
				break;
			/* a tunnel entered: its headers, for a reject (reject.h) */
			s->tun_l3 = ip;
			s->tun_hdr = p->l4_off;
			s->tun_in = off;
		} else {
			rc = LS_P_MALFORMED;
			break;
		}
		s->parse_off = off;
		s->parse_h = h;
		rc = LS_P_LIMIT; /* unless a later step finishes */
		p->why = LS_CNT_ENCAP_LIMIT;
	}
	return rc;
}

/* The outer header of this packet for its events (s->tun): the innermost
 * tunnel's outer addresses (ls_enter_tunnel), with p's summary. */
static __always_inline void ls_tun_finish(const struct ls_pkt *p, struct ls_scratch *s)
{
	if (!p->tun_depth) {
		__builtin_memset(s->tun.outer_src, 0, 32);
		s->tun.outer_family = 0;
	}
	s->tun.type = p->tun_type;
	s->tun.id = p->tun_id;
	s->tun.depth = p->tun_depth;
	s->tun.layers = p->tun_layers;
}

/* The entry points: global, verified once each (see the top). p->frame_len
 * is the caller's; everything else in p is written here, and s->tun. */
__noinline int ls_parse_xdp(struct xdp_md *ctx, struct ls_pkt *p, struct ls_scratch *s)
{
	if (!ctx || !p || !s)
		return LS_P_MALFORMED;
	int rc = parse_packet((void *)(long)ctx->data, (void *)(long)ctx->data_end, p, s);
	if (p->tun_layers)
		ls_tun_finish(p, s);
	return rc;
}

__noinline int ls_parse_tc(struct __sk_buff *skb, struct ls_pkt *p, struct ls_scratch *s)
{
	if (!skb || !p || !s)
		return LS_P_MALFORMED;
	int rc = parse_packet((void *)(long)skb->data, (void *)(long)skb->data_end, p, s);
	if (p->tun_layers)
		ls_tun_finish(p, s);
	return rc;
}

#endif
