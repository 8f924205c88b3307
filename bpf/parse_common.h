/* parse_common.h - what the header parsers share: their result codes and the
 * parsed view of one packet. Each parse_*.h handles exactly one header and
 * answers "parsed", "not mine" (a protocol we do not track) or "malformed";
 * the caller counts the reason and passes the packet either way. */
#ifndef LS_PARSE_COMMON_H
#define LS_PARSE_COMMON_H

#include <linux/types.h>

enum ls_parse_rc {
	LS_P_OK = 0,
	LS_P_NOT_MINE = 1,   /* well-formed, but not something we track */
	LS_P_MALFORMED = 2,  /* truncated or lying length fields */
	LS_P_FRAGMENT = 3,   /* non-first IP fragment: no L4 header here */
	LS_P_LIMIT = 4,      /* deeper or longer than the parser goes */
};

/* Upper bounds that keep every packet offset provably small for the
 * verifier; packets beyond them are counted as unparsed, never dropped. */
#define LS_L3_OFF_MAX 384  /* an (inner) IP header: Ethernet, tags and up to
			    * LS_ENCAP_MAX tunnels' headers before it */
#define LS_L4_OFF_MAX 512  /* L3 header incl. options/extension chain */

/* One parsed packet. Addresses in network order, IPv4 as ::ffff:a.b.c.d. */
struct __attribute__((aligned(8))) ls_pkt {
	__u32 saddr[4]; /* first: 8-byte aligned for the key comparison */
	__u32 daddr[4];
	__u32 frame_len; /* whole frame, incl. non-linear parts (set by caller) */
	__u32 l4_off;   /* offset of the L4 header from the frame start */
	__u32 l4_end;   /* end of the IP payload (IP length, not frame length) */
	__u32 pay_off;  /* L4 payload offset */
	__u32 pay_len;  /* L4 payload length present in this packet */
	__u16 sport, dport; /* host order; ICMP echo: the identifier */
	__u8 proto;     /* IPPROTO_* of the L4 header */
	__u8 family;    /* 4 or 6 */
	__u8 tcp_flags; /* TCP flags byte (FIN 0x01 SYN 0x02 RST 0x04 ACK 0x10) */
	__u8 first_frag;/* first fragment of a fragmented datagram */
	__u8 icmp_type; /* ICMP/ICMPv6 type (0 for other protocols) */
	__u8 bad_tun;   /* a UDP tunnel port whose header did not parse: the
			 * packet is the outer UDP flow's (counted) */
	__u16 why;      /* parse_packet's failure: the counter explaining it */
	/* the innermost tunnel (parse_encap.h; all zero outside any): its
	 * type and id (wire.h enum ls_tun_type), tunnels descended through,
	 * LS_LAYER_* seen; the outer addresses are in the scratch (tun) */
	__u32 tun_id;
	__u8 tun_type;
	__u8 tun_depth;
	__u8 tun_layers;
	__u8 pad;
};

#define LS_TCP_FIN 0x01
#define LS_TCP_SYN 0x02
#define LS_TCP_RST 0x04
#define LS_TCP_ACK 0x10

#endif
