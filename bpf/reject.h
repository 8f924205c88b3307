/* reject.h - the answer the kernel gives instead of a silent drop, for a
 * packet whose verdict is LS_VERDICT_REJECT (docs/dataplane.md, "Rejects"):
 *
 *   DNS query over UDP (to port 53, one question, opcode QUERY): a response
 *       built here -- the query's ID, opcode and RD, QR=1, RCODE REFUSED (5)
 *       or NXDOMAIN (3) with LS_VERDICT_F_NXDOMAIN, the question echoed, no
 *       records (an EDNS OPT record of the query is not echoed);
 *   TCP (anything but a RST): a RST built as RFC 9293 3.10.7.1 says -- to a
 *       segment with ACK, <SEQ=SEG.ACK><RST>; else <SEQ=0>
 *       <ACK=SEG.SEQ+SEG.LEN (SYN and FIN count)><RST,ACK>;
 *   other UDP (and a DNS query we cannot answer): ICMP destination
 *       unreachable / port unreachable (type 3 code 3, RFC 792) or ICMPv6
 *       destination unreachable / port unreachable (type 1 code 4, RFC 4443),
 *       quoting the offending IP packet from its IP header on, up to
 *       LS_REJ_QUOTE_MAX bytes (RFC 792 asks for the header and 8 bytes;
 *       RFC 4443 as much as fits the minimum MTU; 512 fits both).
 *
 * The reply goes back out of the interface the packet came in on: XDP_TX on
 * the XDP path; on the TC (egress) path, where the sender is this host, it
 * is redirected into the same device's ingress (bpf_redirect with
 * BPF_F_INGRESS), so the local socket gets it. Addresses and ports are
 * swapped, MACs too, VLAN tags kept; IPv4 gets a fresh 20-byte header (TTL
 * 64, ID 0), IPv6 a fresh 40-byte header (hop limit 64, no extension
 * headers); every checksum (IPv4 header, UDP -- mandatory for IPv6 --, TCP,
 * ICMP, ICMPv6 with its pseudo-header) is computed here.
 *
 * Nothing answers a packet that should get no answer: ICMP, a TCP RST, a
 * multicast or broadcast destination (MAC or IP), a multicast source. Those,
 * and a frame the reply cannot be built for, are dropped (reject_none).
 *
 * A flow inside one tunnel (VXLAN, Geneve, VXLAN-GPE, GRE, GRE in UDP,
 * IP-in-IP) is answered inside it: the inner reply after the frame's own
 * headers turned around (ls_rej_tun_head, ls_rej_tun_fix: MACs and outer
 * addresses swapped, the tunnel's UDP ports kept, every length and
 * checksum redone, VNI / key kept, Geneve options stripped). Other tunnels
 * (ERSPAN, MPLS, PPPoE, GTP-U, Teredo, nested ones) are a plain drop.
 *
 * Rate: a token bucket per CPU (GCRA: one u64 in the per-CPU scratch),
 * ls_config.reject_rate answers per second with a burst of
 * LS_REJECT_BURST(rate); beyond it a reject is a plain drop
 * (reject_limited), so lockstep cannot be made a reflector. No reply is
 * bigger than LS_REJ_OUT_MAX bytes; a DNS or RST reply is never bigger than
 * the query (the ICMP error is: by its 28 or 48 bytes of headers).
 *
 * The reply is built in the per-CPU scratch buffer (s->buf: the DPI copy is
 * no longer needed by then), every byte at a masked index, then the frame is
 * resized and overwritten with one store helper call. */
#ifndef LS_REJECT_H
#define LS_REJECT_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lockstep/wire.h"
#include "parse_common.h"
#include "parse_eth.h"
#include "parse_encap.h"
#include "dpi_common.h"
#include "bpf_loops.h"

#define LS_REJ_OUT_MAX 1024u /* the reply is built in s->buf[0, 1024) */
#define LS_REJ_MASK (LS_REJ_OUT_MAX - 1)
#define LS_REJ_TCP_AT 1536u /* a TCP header read, past the reply */
#define LS_REJ_QUOTE_MAX 512u
#define LS_REJ_DNS_MAX 300u /* DNS bytes read: header + one question */
#define LS_REJ_TTL 64
#define LS_REJ_HDR_MAX 384u /* a tunnelled flow's inner IP header within */

/* what ls_reject_*() tell handle() (lockstep.bpf.c) */
enum ls_rej_rc {
	LS_REJ_DROPPED = 0, /* no reply: drop (counted) */
	LS_REJ_SENT = 1,    /* the frame is the reply: XDP_TX / redirected */
};

/* 1 while this CPU's bucket has a token: GCRA with rate r per second and
 * burst b, i.e. emission interval T = 1 s / r and tolerance (b - 1) T. `now`
 * may be the tick-cached clock: the rate is then kept per tick. */
static __always_inline int ls_reject_allowed(struct ls_scratch *s, const struct ls_config *cfg,
					     __u64 now)
{
	__u32 rate = cfg->reject_rate ? cfg->reject_rate : LS_REJECT_RATE_DEFAULT;
	__u64 t = 1000000000ull / rate;
	__u64 tau = (__u64)(LS_REJECT_BURST(rate) - 1) * t;
	__u64 tat = s->rej_tat > now ? s->rej_tat : now;
	if (tat - now > tau)
		return 0;
	s->rej_tat = tat + t;
	return 1;
}

static __always_inline __u8 ls_rb(const struct ls_scratch *s, __u32 i)
{
	return s->buf[i & LS_REJ_MASK];
}

static __always_inline void ls_wb(struct ls_scratch *s, __u32 i, __u32 v)
{
	s->buf[i & LS_REJ_MASK] = (__u8)v;
}

static __always_inline void ls_w16(struct ls_scratch *s, __u32 i, __u32 v)
{
	ls_wb(s, i, v >> 8);
	ls_wb(s, i + 1, v);
}

static __always_inline void ls_w32(struct ls_scratch *s, __u32 i, __u32 v)
{
	ls_w16(s, i, v >> 16);
	ls_w16(s, i + 2, v);
}

static __always_inline __u32 ls_r16(const struct ls_scratch *s, __u32 i)
{
	return ((__u32)ls_rb(s, i) << 8) | ls_rb(s, i + 1);
}

static __always_inline __u32 ls_r32(const struct ls_scratch *s, __u32 i)
{
	return (ls_r16(s, i) << 16) | ls_r16(s, i + 2);
}

/* One's-complement sum of the big-endian 16-bit words of buf[off, off+len)
 * (an odd last byte padded with zero), added to sum, not folded. */
static __always_inline __u32 ls_rej_sum(const struct ls_scratch *s, __u32 off, __u32 len, __u32 sum)
{
	int i;
	__u32 words = (len & LS_REJ_MASK) / 2;
	ls_for(i, 0, words) sum += ls_r16(s, off + 2 * (__u32)i);
	if (len & 1)
		sum += (__u32)ls_rb(s, off + len - 1) << 8;
	return sum;
}

static __always_inline __u32 ls_rej_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __always_inline long ls_rej_load(void *ctx, int is_xdp, __u32 off, void *to, __u32 len)
{
	return is_xdp ? bpf_xdp_load_bytes(ctx, off, to, len)
		      : bpf_skb_load_bytes(ctx, off, to, len);
}

/* multicast or limited broadcast (IPv4-mapped or IPv6), network order */
static __always_inline int ls_rej_group_addr(const __u32 a[4], __u8 family)
{
	__u8 b0 = ((const __u8 *)a)[family == 4 ? 12 : 0];
	if (family == 6)
		return b0 == 0xff;
	return (b0 & 0xf0) == 0xe0 || a[3] == 0xffffffff;
}

/* Fresh IP header at ip for an L4 payload of l4len bytes, addresses swapped
 * from p; returns its length. The IPv4 header checksum is filled in. */
static __always_inline __u32 ls_rej_ip(struct ls_scratch *s, const struct ls_pkt *p, __u32 ip,
				       __u8 proto, __u32 l4len)
{
	const __u8 *src = (const __u8 *)p->daddr, *dst = (const __u8 *)p->saddr;
	if (p->family == 4) {
		ls_wb(s, ip, 0x45);
		ls_wb(s, ip + 1, 0);
		ls_w16(s, ip + 2, 20 + l4len);
		ls_w32(s, ip + 4, 0); /* ID 0, no flags, offset 0 */
		ls_wb(s, ip + 8, LS_REJ_TTL);
		ls_wb(s, ip + 9, proto);
		ls_w16(s, ip + 10, 0);
		for (int i = 0; i < 4; i++) {
			ls_wb(s, ip + 12 + i, src[12 + i]);
			ls_wb(s, ip + 16 + i, dst[12 + i]);
		}
		ls_w16(s, ip + 10, ls_rej_fold(ls_rej_sum(s, ip, 20, 0)));
		return 20;
	}
	ls_w32(s, ip, 0x60000000); /* version 6, traffic class 0, flow label 0 */
	ls_w16(s, ip + 4, l4len);
	ls_wb(s, ip + 6, proto);
	ls_wb(s, ip + 7, LS_REJ_TTL);
	for (int i = 0; i < 16; i++) {
		ls_wb(s, ip + 8 + i, src[i]);
		ls_wb(s, ip + 24 + i, dst[i]);
	}
	return 40;
}

/* The L4 checksum over the pseudo-header (addresses from the IP header at
 * ip) and the l4len bytes at l4. */
static __always_inline __u32 ls_rej_l4sum(const struct ls_scratch *s, __u8 family, __u32 ip,
					  __u32 l4, __u8 proto, __u32 l4len)
{
	__u32 sum = family == 4 ? ls_rej_sum(s, ip + 12, 8, 0) : ls_rej_sum(s, ip + 8, 32, 0);
	sum += proto + (l4len & 0xffff) + (l4len >> 16);
	return ls_rej_fold(ls_rej_sum(s, l4, l4len, sum));
}

/* A DNS response at l4 + 8 from the query loaded there (n bytes); returns
 * the DNS length, or 0 when the query is not one we answer. */
static __always_inline __u32 ls_rej_dns(struct ls_scratch *s, __u32 dns, __u32 n, __u32 verdict)
{
	if (n < 12 + 5)
		return 0;
	__u8 fl = ls_rb(s, dns + 2);
	if ((fl & 0x80) || (fl & 0x78) != 0) /* a response, or not QUERY */
		return 0;
	if (ls_r16(s, dns + 4) != 1) /* exactly one question */
		return 0;
	/* the question's name: labels up to the root, no pointer (a query's
	 * only name cannot point anywhere), inside the bytes we have */
	__u32 q = 12;
	int i;
	ls_for(i, 0, 128)
	{
		if (q >= n)
			return 0;
		__u8 c = ls_rb(s, dns + q);
		if (c == 0)
			break;
		if (c & 0xc0)
			return 0;
		q += 1 + c;
	}
	if (q >= n || ls_rb(s, dns + q) != 0)
		return 0;
	q += 1 + 4; /* the root label, QTYPE, QCLASS */
	if (q > n || q > LS_REJ_DNS_MAX)
		return 0;
	ls_wb(s, dns + 2, 0x80 | (fl & 0x79)); /* QR, opcode, RD kept; AA, TC 0 */
	ls_wb(s, dns + 3, verdict & LS_VERDICT_F_NXDOMAIN ? 3 : 5); /* RA, Z 0 */
	ls_w32(s, dns + 6, 0);					    /* ANCOUNT, NSCOUNT */
	ls_w16(s, dns + 10, 0);					    /* ARCOUNT */
	return q;
}

/* The tunnels a reject answers inside (docs/dataplane.md "Rejects"): one
 * level, whose outer header can be turned around. ERSPAN is mirrored
 * traffic (answering it would answer a copy); MPLS, PPPoE, GTP-U and
 * Teredo are not answered either (a label stack or a session to reverse,
 * a mobile core's tunnel ids, a relay's NAT mapping): a plain drop. */
static __always_inline int ls_rej_tun_ok(__u8 type)
{
	return type == LS_TUN_VXLAN || type == LS_TUN_GENEVE || type == LS_TUN_VXLAN_GPE ||
	       type == LS_TUN_GRE || type == LS_TUN_GRE_UDP || type == LS_TUN_IPIP;
}

static __always_inline int ls_rej_tun_udp(__u8 type)
{
	return type == LS_TUN_VXLAN || type == LS_TUN_GENEVE || type == LS_TUN_VXLAN_GPE ||
	       type == LS_TUN_GRE_UDP;
}

/* The headers loaded by ls_rej_tun_head turned around (a global function:
 * verified once, whatever path of the reply builder calls it): MACs of the
 * outer frame and of the inner one (when the tunnel carries Ethernet,
 * rtin < ip) swapped, a Geneve header's options gone. Returns ip, or 0
 * when either frame went to a group MAC. */
__noinline __u32 ls_rej_tun_turn(struct ls_scratch *s, const struct ls_pkt *p, __u32 ip, __u32 rtin)
{
	if (!s || !p)
		return 0;
	if (p->tun_type == LS_TUN_GENEVE) {
		__u32 g = s->tun_hdr + 8;
		ls_wb(s, g, 0);	    /* version 0, no options */
		ls_wb(s, g + 1, 0); /* O and C clear */
		ls_wb(s, g + 7, 0);
	}
	if (ls_rb(s, 0) & 1) /* the outer frame sent to a group MAC */
		return 0;
	for (int i = 0; i < 6; i++) {
		__u8 t = ls_rb(s, i);
		ls_wb(s, i, ls_rb(s, 6 + i));
		ls_wb(s, 6 + i, t);
	}
	if (rtin < ip) {
		if (ls_rb(s, rtin) & 1) /* the inner one */
			return 0;
		for (int i = 0; i < 6; i++) {
			__u8 t = ls_rb(s, rtin + i);
			ls_wb(s, rtin + i, ls_rb(s, rtin + 6 + i));
			ls_wb(s, rtin + 6 + i, t);
		}
	}
	return ip;
}

/* A tunnelled flow: the frame's headers up to the inner IP header into
 * s->buf, turned around where nothing but their place matters -- outer and
 * inner MACs swapped, a Geneve header without its options (they describe
 * the sender: RFC 8926 2.2.1 leaves their meaning to each option class,
 * e.g. OVN's logical ingress port; echoed, they would claim the other
 * side's metadata for the reply). Returns the reply's inner IP offset (0:
 * no answer), the frame's in *fip. ls_rej_tun_fix does the rest once the
 * reply's length is known. */
static __always_inline __u32 ls_rej_tun_head(void *ctx, int is_xdp, const struct ls_pkt *p,
					     struct ls_scratch *s, __u32 *fip)
{
	__u8 type = p->tun_type, fam = s->tun.outer_family;
	__u32 t3 = s->tun_l3, th = s->tun_hdr, tin = s->tun_in, in3 = s->in_l3;
	if (p->tun_depth != 1 || !ls_rej_tun_ok(type) ||
	    (p->tun_layers & ~(LS_LAYER_VLAN | ls_tun_layer(type))))
		return 0;
	/* an outer IPv4 header with options or IPv6 with extension headers
	 * would need them reversed (a source route): not answered */
	if ((fam != 4 && fam != 6) || th != t3 + (fam == 4 ? 20 : 40))
		return 0;
	if (t3 < 14 || t3 > 22 || tin < th || in3 < tin || in3 > LS_REJ_HDR_MAX)
		return 0;
	if (ls_rej_group_addr((const __u32 *)s->tun.outer_src, fam) ||
	    ls_rej_group_addr((const __u32 *)s->tun.outer_dst, fam))
		return 0;
	__u32 keep = in3, skip = 0;
	if (type == LS_TUN_GENEVE) {
		keep = th + 16; /* UDP and the 8-byte Geneve header */
		skip = tin - keep;
	}
	if (keep < 14 || keep > LS_REJ_HDR_MAX || ls_rej_load(ctx, is_xdp, 0, s->buf, keep))
		return 0;
	if (skip > LS_REJ_HDR_MAX)
		return 0;
	if (type == LS_TUN_GENEVE) {
		__u32 il2 = in3 - tin; /* an inner Ethernet header, with its tags */
		if (il2 > 30 || (il2 && ls_rej_load(ctx, is_xdp, tin, s->buf + (keep & 511), il2)))
			return 0;
	}
	*fip = in3;
	return ls_rej_tun_turn(s, p, in3 - skip, tin - skip);
}

/* The outer headers of a tunnelled reply ending at `end`: outer addresses
 * swapped, TTL / hop limit LS_REJ_TTL, every length, the IPv4 header
 * checksum; for a UDP tunnel the ports kept as they came -- the destination
 * is the tunnel's port the peer listens on (RFC 7348 5, RFC 8926 3.3, RFC
 * 8086 3.1), the source the entropy port the peer chose for this inner
 * flow (swapping them would send the reply to that ephemeral port, where
 * no tunnel listens) -- and the UDP checksum 0 over IPv4 (RFC 7348 5,
 * RFC 8926 3.3), computed over IPv6 (Linux's vxlan and geneve drop a zero
 * checksum over IPv6 unless udp6zerocsumrx is set; RFC 6935 allows zero
 * only where configured); a GRE checksum (C bit) recomputed, key and
 * sequence number kept. */
__noinline int ls_rej_tun_fix(struct ls_scratch *s, const struct ls_pkt *p, __u32 end)
{
	if (!s || !p)
		return 0;
	__u8 type = p->tun_type, fam = s->tun.outer_family;
	__u32 t3 = s->tun_l3, th = s->tun_hdr, gre = th;
	if (fam == 4) {
		for (int i = 0; i < 4; i++) {
			__u8 t = ls_rb(s, t3 + 12 + i);
			ls_wb(s, t3 + 12 + i, ls_rb(s, t3 + 16 + i));
			ls_wb(s, t3 + 16 + i, t);
		}
		ls_w16(s, t3 + 2, end - t3);
		ls_w16(s, t3 + 6, ls_r16(s, t3 + 6) & 0x4000); /* DF kept, not a fragment */
		ls_wb(s, t3 + 8, LS_REJ_TTL);
		ls_w16(s, t3 + 10, 0);
		ls_w16(s, t3 + 10, ls_rej_fold(ls_rej_sum(s, t3, 20, 0)));
	} else {
		for (int i = 0; i < 16; i++) {
			__u8 t = ls_rb(s, t3 + 8 + i);
			ls_wb(s, t3 + 8 + i, ls_rb(s, t3 + 24 + i));
			ls_wb(s, t3 + 24 + i, t);
		}
		ls_w16(s, t3 + 4, end - t3 - 40);
		ls_wb(s, t3 + 7, LS_REJ_TTL);
	}
	if (ls_rej_tun_udp(type))
		gre = th + 8;
	if ((type == LS_TUN_GRE || type == LS_TUN_GRE_UDP) && (ls_rb(s, gre) & 0x80)) {
		ls_w16(s, gre + 4, 0); /* RFC 2784 2.5: over the GRE header and payload */
		ls_w16(s, gre + 4, ls_rej_fold(ls_rej_sum(s, gre, end - gre, 0)));
	}
	if (ls_rej_tun_udp(type)) {
		ls_w16(s, th + 4, end - th);
		ls_w16(s, th + 6, 0);
		if (fam == 6) {
			__u32 ck = ls_rej_l4sum(s, 6, t3, th, IPPROTO_UDP, end - th);
			ls_w16(s, th + 6, ck ? ck : 0xffff);
		}
	}
	return 0;
}

/* Builds the reply for p in s->buf; returns its length (0: none) and the
 * counter it is charged to in *cnt. l3: the frame's (outer) IP offset. */
static __always_inline __u32 ls_rej_build(void *ctx, int is_xdp, const struct ls_pkt *p,
					  struct ls_scratch *s, __u32 l3, __u32 verdict, __u32 *cnt)
{
	*cnt = LS_CNT_REJECT_NONE;
	if (p->family != 4 && p->family != 6)
		return 0;
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return 0;
	if ((p->proto == IPPROTO_TCP && (p->tcp_flags & LS_TCP_RST)) ||
	    ls_rej_group_addr(p->daddr, p->family) || ls_rej_group_addr(p->saddr, p->family))
		return 0;
	/* ip: the (inner) IP header in the reply; fip: in the frame */
	__u32 ip = l3, fip = l3;
	if (p->tun_depth) {
		ip = ls_rej_tun_head(ctx, is_xdp, p, s, &fip);
		if (!ip)
			return 0;
	} else {
		/* no tunnel: L2 is the frame's own header (tags included),
		 * MACs swapped; an MPLS stack or a third tag is not rebuilt */
		if ((p->tun_layers & ~LS_LAYER_VLAN) || l3 > 22 || l3 < 14)
			return 0;
		if (ls_rej_load(ctx, is_xdp, 0, s->buf, l3 & 31))
			return 0;
		if (ls_rb(s, 0) & 1) /* sent to a group MAC */
			return 0;
		for (int i = 0; i < 6; i++) {
			__u8 t = ls_rb(s, i);
			ls_wb(s, i, ls_rb(s, 6 + i));
			ls_wb(s, 6 + i, t);
		}
	}
	__u32 iphl = p->family == 4 ? 20 : 40, l4 = ip + iphl;
	__u32 l4len = 0;
	__u8 proto = p->proto;

	if (p->proto == IPPROTO_TCP) {
		/* the segment's header, past the reply in the buffer (not on
		 * the stack: ls_rej_tun_fix's frame must fit under it) */
		__u8 *th = s->buf + LS_REJ_TCP_AT;
		if (p->l4_off > LS_L4_OFF_MAX || ls_rej_load(ctx, is_xdp, p->l4_off, th, 20))
			return 0;
		__u32 seq =
		    ((__u32)th[4] << 24) | ((__u32)th[5] << 16) | ((__u32)th[6] << 8) | th[7];
		__u32 ack =
		    ((__u32)th[8] << 24) | ((__u32)th[9] << 16) | ((__u32)th[10] << 8) | th[11];
		__u8 fl = th[13];
		ls_w16(s, l4, p->dport);
		ls_w16(s, l4 + 2, p->sport);
		if (fl & LS_TCP_ACK) {
			ls_w32(s, l4 + 4, ack);
			ls_w32(s, l4 + 8, 0);
			ls_wb(s, l4 + 13, LS_TCP_RST);
		} else {
			__u32 seglen = p->pay_len + !!(fl & LS_TCP_SYN) + !!(fl & LS_TCP_FIN);
			ls_w32(s, l4 + 4, 0);
			ls_w32(s, l4 + 8, seq + seglen);
			ls_wb(s, l4 + 13, LS_TCP_RST | LS_TCP_ACK);
		}
		ls_wb(s, l4 + 12, 5 << 4);
		ls_w32(s, l4 + 14, 0); /* window 0, checksum 0 (below) */
		ls_w16(s, l4 + 18, 0); /* urgent pointer */
		l4len = 20;
		*cnt = LS_CNT_REJECT_TCP;
	} else {
		__u32 n = p->pay_len < LS_REJ_DNS_MAX ? p->pay_len : LS_REJ_DNS_MAX;
		__u32 dlen = 0;
		if (p->dport == 53 && n >= 12 && p->pay_off <= LS_L4_OFF_MAX + 8 &&
		    !ls_rej_load(ctx, is_xdp, p->pay_off, s->buf + (l4 & 511) + 8, n & 511))
			dlen = ls_rej_dns(s, l4 + 8, n, verdict);
		if (dlen) {
			ls_w16(s, l4, p->dport);
			ls_w16(s, l4 + 2, p->sport);
			ls_w16(s, l4 + 4, 8 + dlen);
			ls_w16(s, l4 + 6, 0);
			l4len = 8 + dlen;
			*cnt = LS_CNT_REJECT_DNS;
		} else {
			/* port unreachable, quoting the packet from its IP header */
			__u32 have = p->l4_end > fip ? p->l4_end - fip : 0;
			__u32 qlen = have < LS_REJ_QUOTE_MAX ? have : LS_REJ_QUOTE_MAX;
			if (qlen < iphl + 8 ||
			    ls_rej_load(ctx, is_xdp, fip, s->buf + (l4 & 511) + 8, qlen & 1023))
				return 0;
			proto = p->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
			ls_wb(s, l4, p->family == 4 ? 3 : 1);	  /* destination unreachable */
			ls_wb(s, l4 + 1, p->family == 4 ? 3 : 4); /* port unreachable */
			ls_w16(s, l4 + 2, 0);
			ls_w32(s, l4 + 4, 0); /* unused */
			l4len = 8 + qlen;
			*cnt = LS_CNT_REJECT_ICMP;
		}
	}
	ls_rej_ip(s, p, ip, proto, l4len);
	__u32 ck = proto == IPPROTO_ICMP ? ls_rej_fold(ls_rej_sum(s, l4, l4len, 0))
					 : ls_rej_l4sum(s, p->family, ip, l4, proto, l4len);
	if (proto == IPPROTO_UDP && ck == 0)
		ck = 0xffff; /* 0 means "no checksum" (and is not allowed in v6) */
	ls_w16(s, l4 + (proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2), ck);
	if (p->tun_depth)
		ls_rej_tun_fix(s, p, l4 + l4len);
	return l4 + l4len;
}

/* The L3 offset of the frame (its Ethernet header and tags), 0 if none. */
static __always_inline __u32 ls_rej_l3(void *data, void *data_end)
{
	__u32 l3 = 0;
	__u16 et = 0;
	return parse_eth(data, data_end, &l3, &et) == LS_P_OK ? l3 : 0;
}

/* Global (separately verified) functions, one per context type, as for
 * inspect(). They count what they did and return enum ls_rej_rc. */
__noinline int ls_reject_xdp(struct xdp_md *ctx, const struct ls_pkt *p, struct ls_scratch *s,
			     __u32 verdict)
{
	if (!ctx || !p || !s)
		return LS_REJ_DROPPED;
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	/* the counter goes straight into the scratch: no stack slot (the
	 * call chain's stack is at its 512-byte limit) */
	__u32 len = ls_rej_build(ctx, 1, p, s, ls_rej_l3(data, data_end), verdict, &s->rej_cnt);
	if (len == 0 || len > LS_REJ_OUT_MAX)
		goto none;
	int delta = (int)len - (int)bpf_xdp_get_buff_len(ctx);
	if (delta < 0 && bpf_xdp_adjust_tail(ctx, delta))
		goto none;
	/* growing (an ICMP error): the tail if it has room, else the head */
	if (delta > 0 && bpf_xdp_adjust_tail(ctx, delta) && bpf_xdp_adjust_head(ctx, -delta))
		goto none;
	if (bpf_xdp_store_bytes(ctx, 0, s->buf, len))
		goto none;
	return LS_REJ_SENT;
none:
	s->rej_cnt = LS_CNT_REJECT_NONE;
	return LS_REJ_DROPPED;
}

__noinline int ls_reject_tc(struct __sk_buff *skb, const struct ls_pkt *p, struct ls_scratch *s,
			    __u32 verdict)
{
	if (!skb || !p || !s)
		return LS_REJ_DROPPED;
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	__u32 len = ls_rej_build(skb, 0, p, s, ls_rej_l3(data, data_end), verdict, &s->rej_cnt);
	if (len == 0 || len > LS_REJ_OUT_MAX)
		goto none;
	if (bpf_skb_change_tail(skb, len, 0)) {
		/* A frame this host's tunnel device encapsulated (TC egress
		 * on the underlay) has skb->encapsulation set, and the tail
		 * helper refuses such an skb. The reply then overwrites the
		 * frame's start, the head grown first when it is longer; the
		 * bytes left after it are cut by the receiving IP layer (the
		 * outer IP length says where the packet ends: ip_rcv,
		 * ipv6_rcv trim to it). Not a GSO frame: its segmentation
		 * state would outlive the rewrite. */
		if (!p->tun_depth || skb->gso_size)
			goto none;
		if (len > skb->len && bpf_skb_change_head(skb, len - skb->len, 0))
			goto none;
	}
	if (bpf_skb_store_bytes(skb, 0, s->buf, len, 0))
		goto none;
	/* TC runs at egress: the sender is this host, the reply goes up its
	 * own stack */
	bpf_redirect(skb->ifindex, BPF_F_INGRESS);
	return LS_REJ_SENT;
none:
	s->rej_cnt = LS_CNT_REJECT_NONE;
	return LS_REJ_DROPPED;
}

#endif
