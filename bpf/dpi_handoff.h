/* dpi_handoff.h - payloads the kernel recognises but cannot decode, handed
 * to user space (docs/dataplane.md, "What the kernel decodes, what user
 * space decodes, and why"). A QUIC Initial's ClientHello is encrypted with
 * keys derived by HKDF-SHA256 from its connection ID and sealed with
 * AES-128-GCM; an HTTP/2 request's headers are HPACK-compressed against a
 * dynamic table that lives for the whole connection. Neither fits a BPF
 * program (no crypto helpers for XDP/TC, state and loops far beyond the
 * verifier's budget), so the kernel only recognises the candidate from its
 * first bytes and copies the payload into the ring as an LS_EV_PAYLOAD
 * record; src/dataplane/udpi.c decodes it and delivers the same LS_EV_DPI
 * a kernel inspector would have sent.
 *
 * The copy reuses the hold path's per-CPU record buffer (hold.h: an event,
 * then LS_HOLD_FRAME_MAX bytes) and its one-output-of-the-used-length
 * approach. A payload that cannot be copied (ring full, too short) is
 * counted and the packet passes as before: the handoff never decides. */
#ifndef LS_DPI_HANDOFF_H
#define LS_DPI_HANDOFF_H

#include "lockstep/wire.h"

_Static_assert(LS_PAYLOAD_MAX <= LS_HOLD_FRAME_MAX, "the payload fits the hold buffer");

/* A client Initial of QUIC v1 or v2 (RFC 9000 17.2.2, RFC 9369 3.2): long
 * header with the fixed bit (0b11xx_xxxx), the version, the Initial type
 * (0b00 in v1, 0b01 in v2 and in v2's drafts, 0x709a50c4, which Debian
 * 12's ngtcp2 speaks). A client pads every datagram carrying an
 * Initial to 1200 bytes at least (RFC 9000 14.1): smaller ones are not
 * a client's first flight and are left alone. */
static __always_inline int ls_quic_initial(const struct ls_scratch *s, __u32 len)
{
	__u8 b0 = ls_b(s, 0);
	if ((b0 & 0xc0) != 0xc0 || len < 1200)
		return 0;
	__u32 v =
	    (__u32)ls_b(s, 1) << 24 | (__u32)ls_b(s, 2) << 16 | (__u32)ls_b(s, 3) << 8 | ls_b(s, 4);
	__u8 type = (b0 >> 4) & 3;
	return (v == 0x00000001 && type == 0) ||
	       ((v == 0x6b3343cf || v == 0x709a50c4) && type == 1);
}

/* The HTTP/2 client connection preface (RFC 9113 3.4) starts
 * "PRI * HTTP/2.0\r\n" -- sixteen bytes, the head inspect() reads -- then
 * "\r\nSM\r\n\r\n". Prior knowledge sends it first; h2c's Upgrade sends it
 * as the client's first bytes after the server's 101. No HTTP/1 request
 * has the method PRI with the version HTTP/2.0. */
static __always_inline int ls_h2_preface(const struct ls_scratch *s, __u32 len)
{
	if (len < 16)
		return 0;
	__u64 w0, w1;
	__builtin_memcpy(&w0, s->buf, 8);
	__builtin_memcpy(&w1, s->buf + 8, 8);
	/* little-endian loads of "PRI * HT" and "TP/2.0\r\n" */
	return w0 == 0x5448202a20495250ull && w1 == 0x0a0d302e322f5054ull;
}

/* A TCP segment's sequence number (host order). */
static __always_inline __u32 ls_tcp_seq(void *ctx, int is_xdp, const struct ls_pkt *p)
{
	__u32 be = 0;
	if (p->l4_off > LS_L4_OFF_MAX)
		return 0;
	if (is_xdp ? bpf_xdp_load_bytes(ctx, p->l4_off + 4, &be, 4)
		   : bpf_skb_load_bytes(ctx, p->l4_off + 4, &be, 4))
		return 0;
	return bpf_ntohl(be);
}

/* Copies the payload after an LS_EV_PAYLOAD header built from s->ev's
 * (ev_init done by the caller) and sends both. 0 when sent. */
static __always_inline int ls_handoff(void *ctx, int is_xdp, const struct ls_pkt *p,
				      struct ls_scratch *s, __u8 proto, __u32 seq)
{
	__u32 zero = 0;
	struct ls_hold_buf *hb = bpf_map_lookup_elem(&ls_hold_buf, &zero);
	if (!hb)
		return -1;
	__u32 len = p->pay_len;
	if (len > LS_PAYLOAD_MAX)
		len = LS_PAYLOAD_MAX;
	if (len < 1)
		return -1;
	__builtin_memcpy(&hb->ev, &s->ev, sizeof(hb->ev));
	hb->ev.kind = LS_EV_PAYLOAD;
	__builtin_memset(&hb->ev.u, 0, sizeof(hb->ev.u));
	hb->ev.u.payload.cap_len = len;
	hb->ev.u.payload.pay_len = p->pay_len;
	hb->ev.u.payload.seq = seq;
	hb->ev.u.payload.proto = proto;
	long rc = is_xdp ? bpf_xdp_load_bytes(ctx, p->pay_off, hb->frame, len)
			 : bpf_skb_load_bytes(ctx, p->pay_off, hb->frame, len);
	if (rc)
		return -1;
	if (ls_shard_output(&hb->ev, hb, sizeof(hb->ev) + len)) {
		count(LS_CNT_RINGBUF_FULL);
		return -1;
	}
	count(LS_CNT_DPI_HANDOFF);
	return 0;
}

#endif
