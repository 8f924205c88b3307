/* dpi_http.h - HTTP/1.x request line (method, first 128 bytes of the target)
 * and Host header (RFC 9112 3, RFC 9110 7.2).
 *
 * One pass over the bytes with a small state machine. Names are reported only
 * when the whole header block (up to the empty line) is in this packet;
 * otherwise the result is LS_DPI_R_PARTIAL with no names, since a header cut
 * by a segment boundary (or a segment we never see) could give a wrong name.
 * The request line is METHOD SP target SP ... "HTTP/1.x" CRLF; an empty target
 * (two spaces) reports the method and Host without a path. */
#ifndef LS_DPI_HTTP_H
#define LS_DPI_HTTP_H

#include "dpi_common.h"
#include "bpf_loops.h"

#define LS_HTTP_PATH 128 /* bytes of the request target reported */

enum {
	H_TARGET,   /* in the request target */
	H_VERSION,  /* after the target, up to LF */
	H_LSTART,   /* at the start of a header line */
	H_NAME,     /* in a header name */
	H_HOST_WS,  /* after "Host:", skipping whitespace */
	H_HOST,     /* in the Host value */
	H_SKIP,     /* rest of an uninteresting line */
	H_EOH,      /* CR of the empty line seen */
};

enum {
	HF_DONE = 1,      /* the empty line ending the header block was seen */
	HF_PATH_BAD = 2,  /* a byte in the target we do not report */
	HF_TRUNC = 4,     /* target longer than LS_HTTP_PATH */
	HF_HAVE_HOST = 8, /* the first Host header was read */
	HF_WS = 16,       /* whitespace after the Host value */
	HF_HOST_BAD = 32, /* the Host value is not a name we report */
};

static __always_inline int ls_http_visible(__u8 c)
{
	return c > 0x20 && c < 0x7f;
}

/* The methods of RFC 9110 9.3 plus PATCH; anything else is not HTTP to us. */
static __always_inline int ls_http_method(const struct ls_scratch *s, __u32 m)
{
#define M3(a, b, c) (ls_b(s, 0) == a && ls_b(s, 1) == b && ls_b(s, 2) == c)
	switch (m) {
	case 3:
		return M3('G', 'E', 'T') || M3('P', 'U', 'T');
	case 4:
		return (M3('P', 'O', 'S') && ls_b(s, 3) == 'T') ||
		       (M3('H', 'E', 'A') && ls_b(s, 3) == 'D');
	case 5:
		return (M3('T', 'R', 'A') && ls_b(s, 3) == 'C' && ls_b(s, 4) == 'E') ||
		       (M3('P', 'A', 'T') && ls_b(s, 3) == 'C' && ls_b(s, 4) == 'H');
	case 6:
		return M3('D', 'E', 'L') && ls_b(s, 3) == 'E' && ls_b(s, 4) == 'T' &&
		       ls_b(s, 5) == 'E';
	case 7:
		return (M3('O', 'P', 'T') && ls_b(s, 3) == 'I' && ls_b(s, 4) == 'O' &&
			ls_b(s, 5) == 'N' && ls_b(s, 6) == 'S') ||
		       (M3('C', 'O', 'N') && ls_b(s, 3) == 'N' && ls_b(s, 4) == 'E' &&
			ls_b(s, 5) == 'C' && ls_b(s, 6) == 'T');
	}
	return 0;
#undef M3
}

__noinline int ls_dpi_http(struct ls_scratch *s)
{
	if (!s)
		return LS_DPI_R_NONE;
	__u32 len = s->len;
	if (len > LS_BUF_SZ || len < 4)
		return LS_DPI_R_NONE;
	__u32 m = 0;
	for (; m < LS_METHOD_MAX - 1; m++) {
		__u8 c = ls_b(s, m);
		if (c == ' ')
			break;
		if (c < 'A' || c > 'Z')
			return LS_DPI_R_NONE;
	}
	if (m >= len || ls_b(s, m) != ' ' || !ls_http_method(s, m))
		return LS_DPI_R_NONE;

	struct ls_event_dpi *d = &s->ev.u.dpi;
	d->kind = LS_DPI_HTTP;
	/* m <= 7 (the longest method): a fixed, unrolled copy */
#pragma unroll
	for (__u32 k = 0; k < 7; k++)
		if (k < m)
			d->method[k] = ls_b(s, k);
	d->method_len = m;

	/* loop state in memory (see struct ls_loop_st): p = next byte,
	 * n = host length, left = path length, hops = header-name position,
	 * lowest = header name still matches "host", aux = version offset */
	volatile struct ls_loop_st *st = &s->st;
	st->p = m + 1;
	st->state = H_TARGET;
	st->n = st->left = st->hops = st->lowest = st->aux = st->flags = 0;
	/* read back through the volatile pointer: the verifier then knows
	 * nothing of these values, so the loop body is checked once for all
	 * of them while they stay in registers at run time */
	__u32 i = st->p, state = st->state, fl = st->flags, vpos = st->aux;
	__u32 plen = st->left, nlen = st->n, hpos = st->hops, hmatch = st->lowest;
	int it;
	ls_for(it, 0, LS_BUF_SZ) {
		if (i >= len)
			break;
		__u8 c = ls_b(s, i);
		if (state == H_TARGET) {
			if (c == ' ') {
				state = H_VERSION;
			} else if (c == '\r' || c == '\n') {
				return LS_DPI_R_MALFORMED; /* no version: HTTP/0.9 */
			} else if (plen < LS_HTTP_PATH) {
				if (!ls_http_visible(c))
					fl |= HF_PATH_BAD;
				d->path[plen & (LS_HTTP_PATH - 1)] = c;
				plen++;
			} else {
				fl |= HF_TRUNC;
			}
		} else if (state == H_VERSION) {
			if (c == '\n') {
				state = H_LSTART;
				vpos = i;
			}
		} else if (state == H_LSTART) {
			if (c == '\r') {
				state = H_EOH;
			} else if (c == '\n') {
				fl |= HF_DONE;
			} else {
				state = H_NAME;
				hpos = 1;
				hmatch = (c | 0x20) == 'h';
			}
		} else if (state == H_NAME) {
			if (c == ':') {
				state = (hmatch && hpos == 4 && !(fl & HF_HAVE_HOST)) ? H_HOST_WS : H_SKIP;
			} else if (c == '\n') {
				state = H_LSTART;
			} else {
				if (hpos == 1)
					hmatch = hmatch && (c | 0x20) == 'o';
				else if (hpos == 2)
					hmatch = hmatch && (c | 0x20) == 's';
				else if (hpos == 3)
					hmatch = hmatch && (c | 0x20) == 't';
				if (hpos < 8)
					hpos++;
			}
		} else if (state == H_HOST_WS && (c == ' ' || c == '\t')) {
			/* leading whitespace */
		} else if (state == H_HOST_WS || state == H_HOST) {
			state = H_HOST;
			fl |= HF_HAVE_HOST;
			if (c == '\r' || c == '\n') {
				state = c == '\n' ? H_LSTART : H_SKIP;
			} else if (c == ' ' || c == '\t') {
				fl |= HF_WS; /* trailing whitespace is trimmed */
			} else if (!ls_http_visible(c) || (fl & HF_WS) || nlen >= LS_NAME_MAX - 1) {
				fl |= HF_HOST_BAD; /* control bytes, inner blanks, too long */
			} else {
				d->name[nlen & (LS_NAME_MAX - 1)] = c;
				nlen++;
			}
		} else if (state == H_SKIP) {
			if (c == '\n')
				state = H_LSTART;
		} else { /* H_EOH */
			if (c == '\n')
				fl |= HF_DONE;
			else
				state = H_SKIP;
		}
		i++;
		if (fl & HF_DONE)
			break;
	}
	if (!(fl & HF_DONE)) {
		__builtin_memset(d->method, 0, sizeof(d->method));
		__builtin_memset(d->path, 0, sizeof(d->path));
		__builtin_memset(d->name, 0, sizeof(d->name));
		d->method_len = 0;
		return LS_DPI_R_PARTIAL;
	}
	if (fl & HF_TRUNC)
		d->flags |= LS_DPI_F_TRUNCATED;
	/* the request line ends in "HTTP/1.x" CRLF (vpos: its LF) */
	if (vpos < m + 10 || ls_b(s, vpos - 1) != '\r' || ls_b(s, vpos - 9) != 'H' ||
	    ls_b(s, vpos - 8) != 'T' || ls_b(s, vpos - 7) != 'T' || ls_b(s, vpos - 6) != 'P' ||
	    ls_b(s, vpos - 5) != '/' || ls_b(s, vpos - 4) != '1' || ls_b(s, vpos - 3) != '.')
		return LS_DPI_R_MALFORMED;
	if (fl & HF_PATH_BAD) {
		__builtin_memset(d->path, 0, sizeof(d->path));
		plen = 0;
		d->flags &= ~LS_DPI_F_TRUNCATED;
	}
	d->path_len = plen;
	if (fl & HF_HOST_BAD) {
		__builtin_memset(d->name, 0, sizeof(d->name));
		nlen = 0;
	}
	d->name_len = nlen;
	return LS_DPI_R_FOUND;
}

#endif
