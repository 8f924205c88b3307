/* dpi_dns.h - the question names of a DNS query (RFC 1035 4.1), over UDP
 * (base 0) or TCP (base 2: a two-byte length prefix), every question of the
 * message up to LS_DNS_QMAX, one result (one DPI event) each.
 *
 * Labels are decoded into dotted form; the root name is reported as ".".
 * Compression pointers are followed only strictly backwards and at most
 * LS_DNS_HOPS times, so loops and forward references are refused; a name
 * longer than the buffer, a label with a reserved type (0x40/0x80), a '.' or
 * NUL inside a label, or a name running off the message is malformed and
 * yields nothing. Responses are not reported: their question repeats the
 * query we already saw.
 *
 * On the DNS ports (the caller decides) the header is trusted as far as QR
 * and QDCOUNT. Anywhere else DNS is recognised by content, and the message
 * must be a query a resolver would send, whole, with nothing left over
 * (ls_dns_head_strict, then every question walked before anything is
 * reported): a payload that is not DNS is "not this protocol", never a
 * name. */
#ifndef LS_DPI_DNS_H
#define LS_DPI_DNS_H

#include "dpi_common.h"
#include "bpf_loops.h"

#define LS_DNS_HOPS 8
/* labels and pointers walked: a name of at most 255 octets has at most 128
 * labels, and each pointer hop costs one more step */
#define LS_DNS_STEPS (128 + LS_DNS_HOPS)
/* questions reported per message; a QDCOUNT above it is counted (dpi_cut)
 * and, off the DNS ports, not taken for DNS at all */
#define LS_DNS_QMAX 16
/* the smallest query: header, the root name, QTYPE, QCLASS */
#define LS_DNS_MIN 17
#define LS_DNS_NO_CLASS 0x10000 /* qclass: QTYPE/QCLASS not in the message */

/* Bytes we accept inside a label: anything but NUL and '.' (which would make
 * the dotted form ambiguous). DNS labels are binary (RFC 2181 11). */
static __always_inline int ls_dns_byte_ok(__u8 c)
{
	return c != 0 && c != '.';
}

/* The header of a query off the DNS ports, from the first base + 12 bytes
 * (len: the payload's length, all of it in the packet): over TCP the
 * length prefix covers exactly the rest of the segment; QR = 0, opcode
 * QUERY, AA = TC = 0; RA = Z = 0 and RCODE NOERROR (AD and CD may be set,
 * RFC 6840 5.7-5.8); 1..LS_DNS_QMAX questions, no answer or authority
 * records, at most one additional record (an EDNS OPT, checked later). */
static __always_inline int ls_dns_head_strict(const struct ls_scratch *s, __u32 base, __u32 len)
{
	if (len < base + LS_DNS_MIN)
		return 0;
	if (base == 2 && ls_be16(s, 0) + 2 != len)
		return 0;
	if ((ls_b(s, base + 2) & 0xfe) || (ls_b(s, base + 3) & 0xcf))
		return 0;
	__u32 qd = ls_be16(s, base + 4);
	return qd >= 1 && qd <= LS_DNS_QMAX && ls_be16(s, base + 6) == 0 &&
	       ls_be16(s, base + 8) == 0 && ls_be16(s, base + 10) <= 1;
}

/* The question at s->dns.p: its name into s->ev.u.dpi (which the caller
 * has zeroed), its QTYPE/QCLASS into s->dns, s->dns.p past it. FOUND, or
 * PARTIAL (the packet ends inside the name and the message goes on) or
 * MALFORMED. */
__noinline int ls_dns_question(struct ls_scratch *s)
{
	if (!s)
		return LS_DPI_R_NONE;
	__u32 len = s->len, end = s->dns.end, base = s->dns.base;
	if (len > LS_BUF_SZ || end > len || base > 2)
		return LS_DPI_R_NONE;
	/* the message is cut by the end of the packet, not by its own end */
	int cut = (s->more || base == 2) && end == len;

	struct ls_event_dpi *d = &s->ev.u.dpi;
	d->kind = LS_DPI_DNS;
	volatile struct ls_loop_st *st = &s->st;
	st->p = s->dns.p;      /* next byte to read */
	st->lowest = s->dns.p; /* a pointer must point below every label seen */
	st->n = 0;	       /* bytes written to d->name */
	st->hops = 0;
	st->aux = 0; /* the end of the name in the question (0: not yet known) */
	/* opaque to the verifier from here on (see dpi_http.h) */
	__u32 p = st->p, n = st->n, hops = st->hops, lowest = st->lowest, qend = st->aux;
	int i;
	/* one label (or pointer) per step; its bytes in a tight inner loop */
	ls_for(i, 0, LS_DNS_STEPS)
	{
		if (p >= end)
			return cut ? LS_DPI_R_PARTIAL : LS_DPI_R_MALFORMED;
		__u8 c = ls_b(s, p);
		if (c == 0) {
			if (!qend)
				qend = p + 1;
			if (n == 0) { /* the root */
				d->name[0] = '.';
				n = 1;
			}
			d->name_len = n;
			if (qend + 4 <= end) {
				s->dns.qtype = ls_be16(s, qend);
				s->dns.qclass = ls_be16(s, qend + 2);
				s->dns.p = qend + 4;
			} else {
				s->dns.qtype = 0;
				s->dns.qclass = LS_DNS_NO_CLASS;
				s->dns.p = end;
			}
			return LS_DPI_R_FOUND;
		}
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= end)
				return cut ? LS_DPI_R_PARTIAL : LS_DPI_R_MALFORMED;
			__u32 target = base + (((__u32)(c & 0x3f) << 8) | ls_b(s, p + 1));
			hops++;
			if (target < base + 12 || target >= lowest || hops > LS_DNS_HOPS)
				return LS_DPI_R_MALFORMED;
			if (!qend)
				qend = p + 2;
			p = target;
			lowest = target;
			continue;
		}
		if (c & 0xc0)
			return LS_DPI_R_MALFORMED; /* reserved label types */
		if (n) {
			if (n >= LS_NAME_MAX - 1)
				return LS_DPI_R_MALFORMED;
			d->name[ls_idx(n, LS_NAME_MAX - 1)] = '.';
			n++;
		}
		p++;
		if (p + c > end)
			return cut ? LS_DPI_R_PARTIAL : LS_DPI_R_MALFORMED;
		if (n + c > LS_NAME_MAX - 1)
			return LS_DPI_R_MALFORMED;
		for (__u32 j = 0; j < 63; j++) {
			if (j >= c)
				break;
			__u8 b = ls_b(s, p + j);
			if (!ls_dns_byte_ok(b))
				return LS_DPI_R_MALFORMED;
			d->name[ls_idx(n + j, LS_NAME_MAX - 1)] = b;
		}
		n += c;
		p += c;
	}
	return LS_DPI_R_MALFORMED;
}

/* QCLASS of a query off the DNS ports: IN, CH, HS or ANY (RFC 1035 3.2.4-5) */
static __always_inline int ls_dns_class_ok(__u32 c)
{
	return c == 1 || c == 3 || c == 4 || c == 255;
}

/* Off the DNS ports: every question well formed (QTYPE not 0, a class of
 * ls_dns_class_ok) and the message ending exactly after them, or after one
 * EDNS OPT record (RFC 6891 6.1.2: root name, TYPE 41, its RDATA exactly
 * the rest). Walks the questions with the same parser that reports them. */
static __always_inline int ls_dns_strict_ok(struct ls_scratch *s)
{
	__u32 qd = s->dns.qd, start = s->dns.p;
	int q;
	ls_for(q, 0, LS_DNS_QMAX)
	{
		if ((__u32)q >= qd)
			break;
		if (ls_dns_question(s) != LS_DPI_R_FOUND || s->dns.qclass == LS_DNS_NO_CLASS ||
		    !s->dns.qtype || !ls_dns_class_ok(s->dns.qclass))
			return 0;
	}
	__u32 p = s->dns.p, end = s->dns.end, base = s->dns.base;
	s->dns.p = start;
	if (end > LS_BUF_SZ || base > 2)
		return 0;
	if (ls_be16(s, base + 10) == 0)
		return p == end;
	return p + 11 <= end && ls_b(s, p) == 0 && ls_be16(s, p + 1) == 41 &&
	       p + 11 + ls_be16(s, p + 9) == end;
}

/* The header: whether this is a query, and where its questions are
 * (s->dns). FOUND means "read the questions" (ls_dns_question, s->dns.qd
 * of them); strict (off the DNS ports) requires the whole message to be a
 * well-formed query first, and gives NONE when it is not. */
__noinline int ls_dpi_dns(struct ls_scratch *s, __u32 base, __u32 strict)
{
	if (!s || base > 2)
		return LS_DPI_R_NONE;
	__u32 len = s->len;
	if (len > LS_BUF_SZ)
		return LS_DPI_R_NONE;
	__u32 msg_end = len;
	if (strict && (s->more || !ls_dns_head_strict(s, base, len)))
		return LS_DPI_R_NONE;
	if (base == 2) {
		if (len < 2)
			return LS_DPI_R_PARTIAL;
		__u32 mlen = ls_be16(s, 0);
		if (mlen < 12)
			return LS_DPI_R_MALFORMED;
		if (2 + mlen < msg_end)
			msg_end = 2 + mlen;
	}
	if (base + 12 > msg_end)
		return (base == 2 || s->more) ? LS_DPI_R_PARTIAL : LS_DPI_R_MALFORMED;
	__u8 flags = ls_b(s, base + 2);
	if (flags & 0x80) /* QR: a response */
		return LS_DPI_R_NONE;
	__u32 qd = ls_be16(s, base + 4); /* QDCOUNT */
	if (qd == 0)
		return LS_DPI_R_NONE;
	s->dns.base = base;
	s->dns.end = msg_end;
	s->dns.p = base + 12;
	s->dns.cut = qd > LS_DNS_QMAX;
	s->dns.qd = qd > LS_DNS_QMAX ? LS_DNS_QMAX : qd;
	if (strict && !ls_dns_strict_ok(s))
		return LS_DPI_R_NONE;
	return LS_DPI_R_FOUND;
}

#endif
