/* dpi_common.h - the per-CPU scratch the payload inspectors work in (it also
 * holds the packet path's clock and verdict caches, ls_clock.h and decide()).
 *
 * The payload is copied (bpf_xdp_load_bytes / bpf_skb_load_bytes) into a
 * fixed buffer; inspectors read it through ls_b(), whose index mask keeps
 * every access inside the buffer whatever the packet claims, so the verifier
 * needs no packet-range proofs and a lying length can never read out of
 * bounds. Inspectors are global (separately verified) functions returning one
 * of enum ls_dpi_rc and filling s->ev.u.dpi. */
#ifndef LS_DPI_COMMON_H
#define LS_DPI_COMMON_H

#include "lockstep/wire.h"

#define LS_BUF_SZ 2048
#define LS_BUF_MASK (LS_BUF_SZ - 1)

/* Initial loop state of an inspector: written and read back through a
 * volatile pointer, because the verifier does not track values in memory.
 * The loop then starts from values it knows nothing about, its body is
 * checked once for all of them, and the iterator's states converge after
 * one pass instead of one per byte. */
struct ls_loop_st {
	__u32 p, n, left, hops, lowest, state, flags, aux;
};

/* What the HTTP scan carries from one step to the next (dpi_http.h). */
struct ls_http_scan {
	__u32 i;     /* next byte */
	__u32 state; /* H_* */
	__u32 fl;    /* HF_* */
	__u32 plen;  /* target bytes copied */
	__u32 nlen;  /* Host bytes copied */
	__u32 vpos;  /* offset of the LF ending the request line */
};

/* Where the DNS walk is between questions (dpi_dns.h). */
struct ls_dns_scan {
	__u32 base;   /* 0 (UDP) or 2 (TCP: the length prefix) */
	__u32 end;    /* end of the message in buf */
	__u32 p;      /* the next question */
	__u32 qd;     /* questions to report (QDCOUNT, at most LS_DNS_QMAX) */
	__u32 cut;    /* 1: QDCOUNT was more than LS_DNS_QMAX */
	__u32 qtype;  /* of the question last read */
	__u32 qclass; /* of the question last read (0x10000: not in the packet) */
	__u32 pad;
};

/* One per-CPU cache slot: the verdict record last read for a flow
 * (lockstep.bpf.c, decide()), tagged by what makes it current. */
struct ls_vcache {
	__u64 flow_id;    /* the flow (instance) it was read for */
	__u64 deadline_k; /* the record's deadline (0: none) */
	__u32 gen;        /* verdict_gen when it was read (low 32 bits) */
	__u32 jiffies;    /* the tick it was read in (low 32 bits) */
	__u32 verdict;    /* LS_VERDICT_UNDECIDED when there was no record */
	__u32 pad;
};

#define LS_VCACHE_SLOTS 512 /* per CPU; slot = flow_id mod slots */

/* What an inspection needs besides the packet (lockstep.bpf.c,
 * ls_inspect_xdp/tc: BPF functions take five arguments at most). */
struct ls_dpi_job {
	__u64 flow_id;
	__u64 exact_k; /* K read exactly for this packet, or 0 */
	__u8 h2;       /* the flow is HTTP/2 (LS_DPI_DONE_H2): hand its client
			* segments to user space */
	__u8 client;   /* this packet comes from the flow's client */
	__u8 h2_seen;  /* out: this packet began HTTP/2 (the preface) */
	__u8 h2_only;  /* past dpi_max_pkts: look for the preface only */
	__u8 pad[4];
};

struct ls_scratch {
	struct ls_event ev; /* the event being built */
	struct ls_dpi_job job;
	__u64 clk_jiffies;  /* jiffy in which clk_k was read (ls_clock.h) */
	__u64 clk_k;        /* clock K read at the first packet of that jiffy */
	__u32 len;          /* payload bytes in buf */
	__u32 more;         /* 1: the payload continues past buf */
	union {
		struct ls_loop_st st;
		struct ls_http_scan http;
	};
	struct ls_dns_scan dns;
	__u8 buf[LS_BUF_SZ];
	__u8 buf_slack[8]; /* an 8-byte read may start at any index < LS_BUF_SZ */
	struct ls_vcache vcache[LS_VCACHE_SLOTS];
	/* rejects (reject.h) */
	__u64 rej_tat;     /* the token bucket: theoretical arrival time (K) */
	__u32 rej_verdict; /* the reject verdict decide() found, with its flags */
	__u32 rej_cnt;     /* the counter the last reject is charged to */
	/* kernel rules (rules.h) */
	struct ls_rule_name_key rkey; /* the name key being looked up */
	__u32 rule_verdict;           /* a name rule's verdict for this packet */
	__u32 rule_cnt;               /* the counter of that rule's kind */
	/* the parser (parse_packet.h): this packet's outer header, for
	 * its events, and the state between the steps of the descent */
	struct ls_tunnel tun;
	__u32 parse_off;
	__u32 parse_h;
	/* where the descent found the headers a reject inside a tunnel is
	 * wrapped in (reject.h): the innermost tunnel's outer IP header, its
	 * tunnel header (UDP, GRE, or the inner IP for IP-in-IP), what the
	 * tunnel carries (an Ethernet or IP header), the innermost IP header */
	__u32 tun_l3;
	__u32 tun_hdr;
	__u32 tun_in;
	__u32 in_l3;
};

enum ls_dpi_rc {
	LS_DPI_R_NONE = 0,      /* not this protocol */
	LS_DPI_R_FOUND = 1,     /* a complete result in s->ev.u.dpi */
	LS_DPI_R_PARTIAL = 2,   /* this protocol, message continues: no names */
	LS_DPI_R_MALFORMED = 3, /* this protocol, but lying inside: no names */
};

/* x & mask, kept even where the compiler could prove x in range: the
 * verifier may not (a reloaded spill loses the bound), and the mask is
 * what makes the access safe whatever the packet said. */
static __always_inline __u32 ls_idx(__u32 x, __u32 mask)
{
	asm volatile("" : "+r"(x));
	return x & mask;
}

static __always_inline __u8 ls_b(const struct ls_scratch *s, __u32 i)
{
	return s->buf[i & LS_BUF_MASK];
}

static __always_inline __u32 ls_be16(const struct ls_scratch *s, __u32 i)
{
	return ((__u32)ls_b(s, i) << 8) | ls_b(s, i + 1);
}

static __always_inline __u32 ls_be24(const struct ls_scratch *s, __u32 i)
{
	return ((__u32)ls_b(s, i) << 16) | ((__u32)ls_b(s, i + 1) << 8) | ls_b(s, i + 2);
}

#endif
