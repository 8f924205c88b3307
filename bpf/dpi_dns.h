/* dpi_dns.h - the first question name of a DNS query (RFC 1035 4.1), over
 * UDP (base 0) or TCP (base 2: a two-byte length prefix).
 *
 * Labels are decoded into dotted form. Compression pointers are followed only
 * strictly backwards and at most LS_DNS_HOPS times, so loops and forward
 * references are refused; a name longer than the buffer, a label with a
 * reserved type (0x40/0x80), a '.' or NUL inside a label, or a name running
 * off the message is malformed and yields nothing. Responses are not
 * reported: their question repeats the query we already saw. */
#ifndef LS_DPI_DNS_H
#define LS_DPI_DNS_H

#include "dpi_common.h"
#include "bpf_loops.h"

#define LS_DNS_HOPS 8
/* labels and pointers walked: a name of at most 255 octets has at most 128
 * labels, and each pointer hop costs one more step */
#define LS_DNS_STEPS (128 + LS_DNS_HOPS)

/* Bytes we accept inside a label: anything but NUL and '.' (which would make
 * the dotted form ambiguous). DNS labels are binary (RFC 2181 11). */
static __always_inline int ls_dns_byte_ok(__u8 c)
{
	return c != 0 && c != '.';
}

__noinline int ls_dpi_dns(struct ls_scratch *s, __u32 base)
{
	if (!s || base > 2)
		return LS_DPI_R_NONE;
	__u32 len = s->len;
	if (len > LS_BUF_SZ)
		return LS_DPI_R_NONE;
	__u32 msg_end = len;
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
	if (ls_be16(s, base + 4) == 0) /* QDCOUNT */
		return LS_DPI_R_NONE;

	struct ls_event_dpi *d = &s->ev.u.dpi;
	d->kind = LS_DPI_DNS;
	volatile struct ls_loop_st *st = &s->st;
	st->p = base + 12;      /* next byte to read */
	st->lowest = base + 12; /* a pointer must point below every label seen */
	st->n = 0;              /* bytes written to d->name */
	st->hops = 0;
	/* opaque to the verifier from here on (see dpi_http.h) */
	__u32 p = st->p, n = st->n, hops = st->hops, lowest = st->lowest;
	int i;
	/* one label (or pointer) per step; its bytes in a tight inner loop */
	ls_for(i, 0, LS_DNS_STEPS) {
		if (p >= msg_end)
			return (s->more || base == 2) && msg_end == len ? LS_DPI_R_PARTIAL
								   : LS_DPI_R_MALFORMED;
		__u8 c = ls_b(s, p);
		if (c == 0) {
			if (n == 0)
				return LS_DPI_R_NONE; /* the root: no name to report */
			d->name_len = n;
			return LS_DPI_R_FOUND;
		}
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= msg_end)
				return LS_DPI_R_MALFORMED;
			__u32 target = base + (((__u32)(c & 0x3f) << 8) | ls_b(s, p + 1));
			hops++;
			if (target < base + 12 || target >= lowest || hops > LS_DNS_HOPS)
				return LS_DPI_R_MALFORMED;
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
		if (p + c > msg_end)
			return (s->more || base == 2) && msg_end == len ? LS_DPI_R_PARTIAL
								   : LS_DPI_R_MALFORMED;
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

#endif
