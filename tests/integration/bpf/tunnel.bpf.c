/* tunnel.bpf.c - tunnels made by BPF for tests/integration/encap_bpf_live.sh,
 * for the kinds this kernel cannot make as devices (no gre / geneve / ipip /
 * sit / ip6tnl module): the technique of the kernel's selftests
 * (tools/testing/selftests/bpf/progs/test_tc_tunnel.c) and Cilium,
 * bpf_skb_adjust_room at the MAC header, then the outer headers written by
 * hand. Not part of lockstep (hence no ls_ prefix).
 *
 * Built twice by the test: -DTL_ENCAP gives tl_encap (TC egress: wraps an
 * inner TCP / UDP packet), without it tl_decap (TC ingress: unwraps what the
 * other side's tl_encap made, so the real conversation completes).
 *
 * The inner destination picks the tunnel: 198.18.N.H or 2001:db8:N::H
 * (IPv6 group N read as a number, so 2001:db8:15:: is N 0x15 = 21):
 *   21 Geneve over IPv4, VNI TL_VNI, one 8-byte option     (inner v4, v6)
 *   22 GRE over IPv4 with key TL_KEY (RFC 2890)            (inner v4, v6)
 *   23 IPv4 in IPv4 (protocol 4)                           (inner v4)
 *   24 IPv6 in IPv4, 6in4 / SIT (protocol 41)              (inner v6)
 *   25 IPv4 in IPv6, 4in6 (next header 4)                  (inner v4)
 *   26 MPLS in GRE over IPv4 (RFC 4023), labels TL_LABEL1, TL_LABEL2, no key
 *                                                          (inner v4, v6)
 *   27 gretap: GRE over IPv4, key TL_TAPKEY, inner Ethernet (inner v4, v6)
 *   28 GRE over IPv6 with key TL_KEY6 (ip6gre)             (inner v4, v6)
 *   29 IPv6 in IPv6, 6in6 (next header 41)                 (inner v6)
 * (MPLS straight on Ethernet cannot be unwrapped here: bpf_skb_adjust_room
 * refuses an skb whose protocol is not IPv4 / IPv6, and without the kernel's
 * MPLS stack that is what an MPLS frame stays.)
 * The outer addresses are the underlay's, 198.18.1.H / 2001:db8:1::H, with
 * H the inner address's last byte (1 client, 2 server). TCP, UDP and ICMP
 * are wrapped; ARP, neighbour discovery and anything else pass as they are. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#ifndef TL_VNI
#define TL_VNI 7721
#endif
#ifndef TL_KEY
#define TL_KEY 2222
#endif
#ifndef TL_KEY6
#define TL_KEY6 2828
#endif
#ifndef TL_TAPKEY
#define TL_TAPKEY 2727
#endif
#ifndef TL_LABEL1
#define TL_LABEL1 1026
#endif
#ifndef TL_LABEL2
#define TL_LABEL2 2626
#endif

enum {
	K_GENEVE = 21,
	K_GRE = 22,
	K_4IN4 = 23,
	K_6IN4 = 24,
	K_4IN6 = 25,
	K_MPLS = 26,
	K_GRETAP = 27,
	K_GRE6 = 28,
	K_6IN6 = 29
};
#define GENEVE_PORT 6081
#define ETH_P_MPLS 0x8847 /* GRE protocol type of MPLS unicast */
#define ETH_P_TEB 0x6558  /* GRE protocol type of Ethernet (gretap) */
#define OLEN_MAX 64
/* Linux 6.3 UAPI (include/uapi/linux/bpf.h); Debian 12's headers predate
 * them: set skb->protocol to the inner family when shrinking */
#define TL_DECAP_L3_IPV4 (1ULL << 7)
#define TL_DECAP_L3_IPV6 (1ULL << 8)

#ifdef TL_ENCAP
/* sum of 16-bit words, folded: the IPv4 header checksum (RFC 791) */
static __always_inline __u16 csum20(const __u8 *h)
{
	__u32 s = 0;
	for (int i = 0; i < 20; i += 2)
		s += (__u32)h[i] << 8 | h[i + 1];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static __always_inline void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static __always_inline void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* outer IPv4 header 198.18.1.SH -> 198.18.1.DH carrying PROTO, TOT bytes */
static __always_inline void ip4(__u8 *h, __u8 proto, __u16 tot, __u8 sh, __u8 dh)
{
	h[0] = 0x45;
	put16(h + 2, tot);
	put16(h + 6, 0x4000); /* DF */
	h[8] = 64;
	h[9] = proto;
	h[12] = 198, h[13] = 18, h[14] = 1, h[15] = sh;
	h[16] = 198, h[17] = 18, h[18] = 1, h[19] = dh;
	put16(h + 10, csum20(h));
}

/* outer IPv6 header 2001:db8:1::SH -> 2001:db8:1::DH, NEXT, PLEN bytes after it */
static __always_inline void ip6(__u8 *h, __u8 next, __u16 plen, __u8 sh, __u8 dh)
{
	h[0] = 0x60;
	put16(h + 4, plen);
	h[6] = next;
	h[7] = 64;
	for (int a = 8; a <= 24; a += 16) {
		h[a] = 0x20, h[a + 1] = 0x01, h[a + 2] = 0x0d, h[a + 3] = 0xb8;
		h[a + 4] = 0, h[a + 5] = 1;
	}
	h[23] = sh;
	h[39] = dh;
}

SEC("tc")
int tl_encap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u8 hdr[OLEN_MAX] = {0};
	__u32 n, olen;
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO; /* ENCAP_L2(len) sits in bits 56.. */
	__u8 sh, dh, l4, v6;
	__u16 sport = 0, dport = 0;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return TC_ACT_OK;
		__u8 *s = (__u8 *)&ip->saddr, *d = (__u8 *)&ip->daddr;
		if (d[0] != 198 || d[1] != 18 || s[2] != d[2])
			return TC_ACT_OK;
		n = d[2], sh = s[3], dh = d[3], l4 = ip->protocol, v6 = 0;
		__u16 *ports = (void *)ip + ip->ihl * 4;
		if ((void *)(ports + 2) <= end)
			sport = bpf_ntohs(ports[0]), dport = bpf_ntohs(ports[1]);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end)
			return TC_ACT_OK;
		__u8 *s = ip->saddr.s6_addr, *d = ip->daddr.s6_addr;
		if (d[0] != 0x20 || d[1] != 0x01 || d[2] != 0x0d || d[3] != 0xb8 || d[4] || s[4] ||
		    s[5] != d[5])
			return TC_ACT_OK;
		n = d[5], sh = s[15], dh = d[15], l4 = ip->nexthdr, v6 = 1;
		__u16 *ports = (void *)(ip + 1);
		if ((void *)(ports + 2) <= end)
			sport = bpf_ntohs(ports[0]), dport = bpf_ntohs(ports[1]);
	} else {
		return TC_ACT_OK;
	}
	/* ICMP errors (port unreachable) go inside like the flows they quote;
	 * neighbour discovery (ICMPv6 133..137) stays outside, as ARP does */
	if (l4 == IPPROTO_ICMPV6) {
		__u8 *t = (void *)(eth + 1) + sizeof(struct ipv6hdr);
		if ((void *)(t + 1) > end || (*t >= 133 && *t <= 137))
			return TC_ACT_OK;
	} else if (l4 != IPPROTO_TCP && l4 != IPPROTO_UDP && l4 != IPPROTO_ICMP) {
		return TC_ACT_OK;
	}

	__u16 inner = skb->len - ETH_HLEN;
	__u16 iproto = v6 ? ETH_P_IPV6 : ETH_P_IP;
	switch (n) {
	case K_GENEVE: /* IPv4 + UDP + Geneve (8) + one option (8) */
		olen = 20 + 8 + 8 + 8;
		ip4(hdr, IPPROTO_UDP, inner + olen, sh, dh);
		/* UDP: source port from the inner ports (entropy, RFC 8926 3.3),
		 * checksum 0 over IPv4 */
		put16(hdr + 20, 49152 | ((sport ^ dport) & 0x3fff));
		put16(hdr + 22, GENEVE_PORT);
		put16(hdr + 24, inner + olen - 20);
		hdr[28] = 2; /* version 0, option length 2 words */
		put16(hdr + 30, iproto);
		put32(hdr + 32, (__u32)TL_VNI << 8);
		put16(hdr + 36, 0xff01); /* option class (experimental), */
		hdr[38] = 0x42;		 /* type, */
		hdr[39] = 1;		 /* length 1 word */
		put32(hdr + 40, 0x6c6f636b);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
		break;
	case K_GRE: /* IPv4 + GRE with the K bit and the key */
		olen = 20 + 8;
		ip4(hdr, IPPROTO_GRE, inner + olen, sh, dh);
		put16(hdr + 20, 0x2000);
		put16(hdr + 22, iproto);
		put32(hdr + 24, TL_KEY);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE;
		break;
	case K_4IN4:
	case K_6IN4:
		if (v6 != (n == K_6IN4))
			return TC_ACT_OK;
		olen = 20;
		ip4(hdr, v6 ? IPPROTO_IPV6 : IPPROTO_IPIP, inner + olen, sh, dh);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
		break;
	case K_4IN6:
	case K_6IN6:
		if (v6 != (n == K_6IN6))
			return TC_ACT_OK;
		olen = 40;
		ip6(hdr, v6 ? IPPROTO_IPV6 : IPPROTO_IPIP, inner, sh, dh);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
		break;
	case K_GRE6: /* IPv6 + GRE with the K bit and the key (ip6gre) */
		olen = 40 + 8;
		ip6(hdr, IPPROTO_GRE, inner + 8, sh, dh);
		put16(hdr + 40, 0x2000);
		put16(hdr + 42, iproto);
		put32(hdr + 44, TL_KEY6);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE;
		break;
	case K_GRETAP: /* IPv4 + GRE with a key + the inner Ethernet header
			* (a copy of this frame's own), as a gretap device sends */
		olen = 20 + 8 + ETH_HLEN;
		ip4(hdr, IPPROTO_GRE, inner + olen, sh, dh);
		put16(hdr + 20, 0x2000);
		put16(hdr + 22, ETH_P_TEB);
		put32(hdr + 24, TL_TAPKEY);
		__builtin_memcpy(hdr + 28, eth, ETH_HLEN);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
			 BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN);
		break;
	case K_MPLS: /* IPv4 + GRE (no key) + two label stack entries (RFC 3032,
		      * RFC 4023), TTL 64 */
		olen = 20 + 4 + 8;
		ip4(hdr, IPPROTO_GRE, inner + olen, sh, dh);
		put16(hdr + 22, ETH_P_MPLS);
		put32(hdr + 24, (__u32)TL_LABEL1 << 12 | 64);
		put32(hdr + 28, (__u32)TL_LABEL2 << 12 | 1 << 8 | 64);
		flags |= BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
			 BPF_F_ADJ_ROOM_ENCAP_L2(8);
		break;
	default:
		return TC_ACT_OK;
	}
	if (bpf_skb_adjust_room(skb, olen, BPF_ADJ_ROOM_MAC, flags))
		return TC_ACT_SHOT; /* a test tunnel: a frame it cannot wrap must not leak */
	if (bpf_skb_store_bytes(skb, ETH_HLEN, hdr, olen & (OLEN_MAX - 1), 0))
		return TC_ACT_SHOT;
	__u16 ethp = bpf_htons(n == K_4IN6 || n == K_6IN6 || n == K_GRE6 ? ETH_P_IPV6 : ETH_P_IP);
	if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &ethp, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
#else
SEC("tc")
int tl_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 olen;
	__u8 v6; /* the inner family */

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end || ip->ihl != 5)
			return TC_ACT_OK;
		__u8 *d = (__u8 *)&ip->daddr;
		if (d[0] != 198 || d[1] != 18 || d[2] != 1)
			return TC_ACT_OK;
		if (ip->protocol == IPPROTO_IPIP || ip->protocol == IPPROTO_IPV6) {
			olen = 20, v6 = ip->protocol == IPPROTO_IPV6;
		} else if (ip->protocol == IPPROTO_GRE) {
			__u8 *g = (void *)(ip + 1);
			if ((void *)(g + 8) > end || (g[0] != 0x20 && g[0]) || g[1])
				return TC_ACT_OK; /* the K bit or no flag, version 0 */
			olen = g[0] ? 28 : 24, v6 = g[2] == 0x86 && g[3] == 0xdd;
			if (g[2] == 0x65 && g[3] == 0x58) { /* TEB: and the inner Ethernet */
				__u8 *ie = g + (g[0] ? 8 : 4);
				if ((void *)(ie + ETH_HLEN) > end)
					return TC_ACT_OK;
				olen += ETH_HLEN, v6 = ie[12] == 0x86 && ie[13] == 0xdd;
			}
			if (g[2] == 0x88 && g[3] == 0x47) { /* MPLS: to the bottom label */
				__u8 *l = g + (g[0] ? 8 : 4);
				for (int i = 0; i < 6; i++) {
					if ((void *)(l + 5) > end)
						return TC_ACT_OK;
					olen += 4;
					if (l[2] & 1)
						break;
					l += 4;
				}
				if ((void *)(l + 5) > end || !(l[2] & 1))
					return TC_ACT_OK;
				v6 = (l[4] >> 4) == 6;
			}
		} else if (ip->protocol == IPPROTO_UDP) {
			__u8 *u = (void *)(ip + 1);
			if ((void *)(u + 16) > end || u[2] != GENEVE_PORT >> 8 ||
			    u[3] != (GENEVE_PORT & 0xff))
				return TC_ACT_OK;
			olen = 20 + 8 + 8 + (u[8] & 0x3f) * 4;
			v6 = u[10] == 0x86 && u[11] == 0xdd;
		} else {
			return TC_ACT_OK;
		}
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > end || ip->daddr.s6_addr[5] != 1)
			return TC_ACT_OK;
		if (ip->nexthdr == IPPROTO_GRE) {
			__u8 *g = (void *)(ip + 1);
			if ((void *)(g + 8) > end || g[0] != 0x20 || g[1])
				return TC_ACT_OK; /* the K bit, version 0 */
			olen = 48, v6 = g[2] == 0x86 && g[3] == 0xdd;
		} else if (ip->nexthdr == IPPROTO_IPIP || ip->nexthdr == IPPROTO_IPV6) {
			olen = 40, v6 = ip->nexthdr == IPPROTO_IPV6;
		} else {
			return TC_ACT_OK;
		}
	} else {
		return TC_ACT_OK;
	}
	if (bpf_skb_adjust_room(skb, -(__s32)olen, BPF_ADJ_ROOM_MAC,
				v6 ? TL_DECAP_L3_IPV6 : TL_DECAP_L3_IPV4))
		return TC_ACT_SHOT;
	__u16 ethp = bpf_htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &ethp, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
#endif
