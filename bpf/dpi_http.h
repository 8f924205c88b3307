/* dpi_http.h - HTTP/1.x request line (method, first 128 bytes of the target)
 * and Host header (RFC 9112 3, RFC 9110 7.2), for every request of a
 * pipelined segment (RFC 9112 9.3.2): the next request starts where the
 * header block of one without a body ends.
 *
 * The method is any token (RFC 9110 9.1) of at most LS_METHOD_MAX - 1
 * tchars; what makes the payload HTTP is the rest of the request line.
 *
 * Names are reported only when the whole header block (up to the empty line)
 * is in this packet; otherwise the result is LS_DPI_R_PARTIAL with no names,
 * since a header cut by a segment boundary (or a segment we never see) could
 * give a wrong name. The request line is METHOD SP target SP ... "HTTP/1."
 * DIGIT CRLF (what lies between is skipped, as a parser on whitespace-
 * delimited words would: RFC 9112 3); an empty target (two spaces) reports the method and Host
 * without a path. Lines may end in CRLF or a bare LF (RFC 9112 2.2); a bare CR in the Host value
 * makes it a name we do not report.
 *
 * The scan reads the payload eight bytes at a time (ls_swar.h): each step of
 * the loop either finds the next interesting byte of its state in one word --
 * a LF in a line we skip, the end of the target, the end of the Host value --
 * or consumes the whole word. A header block costs about one step per eight
 * bytes instead of one per byte. */
#ifndef LS_DPI_HTTP_H
#define LS_DPI_HTTP_H

#include "dpi_common.h"
#include "bpf_loops.h"
#include "ls_swar.h"

#define LS_HTTP_PATH 128 /* bytes of the request target reported */

enum {
	H_TARGET,  /* in the request target */
	H_VERSION, /* after the target: find the LF ending the request line */
	H_LSTART,  /* at the first byte of a header line */
	H_HOST_WS, /* after "Host:", skipping blanks */
	H_HOST,	   /* in the Host value */
	H_SKIP,	   /* rest of an uninteresting line: find its LF */
};

enum {
	HF_DONE = 1,	  /* the empty line ending the header block was seen */
	HF_PATH_BAD = 2,  /* a byte in the target we do not report */
	HF_TRUNC = 4,	  /* target longer than LS_HTTP_PATH */
	HF_HAVE_HOST = 8, /* the first Host header was read */
	HF_WS = 16,	  /* whitespace after the Host value */
	HF_HOST_BAD = 32, /* the Host value is not a name we report */
	HF_BODY = 64,	  /* a Content-Length or Transfer-Encoding line: a
			   * body may follow the header block */
};

/* tchar (RFC 9110 5.6.2): "!#$%&'*+-.^_`|~", digits, letters, as a bitmap of
 * the 128 ASCII codes (bits 0-63, 64-127) */
#define LS_TCHAR_LO 0x03ff6cfa00000000ull
#define LS_TCHAR_HI 0x57ffffffc7fffffeull

static __always_inline int ls_tchar(__u8 c)
{
	__u64 m = c < 64 ? LS_TCHAR_LO : LS_TCHAR_HI;
	return c < 128 && ((m >> (c & 63)) & 1);
}

/* "host:" at the start of a line, the name in any case (w: its first bytes) */
#define LS_HTTP_HOST_LO 0x74736f68ull /* "host", little-endian */

/* "content-length" and "transfer-" at the start of a line, any case (w, w2:
 * its first 16 bytes): the request may have a body (RFC 9112 6.3), so what
 * follows its header block is not taken for the next request. A name that
 * merely starts so ("Content-Lengthy") counts too: the cost of a wrong guess
 * is a pipelined request not reported, never a body reported as one. */
#define LS_HTTP_CONTENT_ 0x2d746e65746e6f63ull /* "content-" */
#define LS_HTTP_LENGTH 0x6874676e656cull	/* "length" */
#define LS_HTTP_TRANSFER 0x726566736e617274ull /* "transfer" */

static __always_inline int ls_http_body_line(__u64 w, __u64 w2)
{
	const __u64 lc = 0x2020202020202020ull;
	if ((w | lc) == LS_HTTP_CONTENT_)
		return ((w2 | lc) & 0xffffffffffffull) == LS_HTTP_LENGTH;
	return (w | lc) == LS_HTTP_TRANSFER && (__u8)w2 == '-';
}

/* Words a step of the scan reads at most (unrolled): a typical header line
 * fits, so a step usually ends at the line's LF. */
#define LS_HTTP_WORDS 4

/* Looks for the LF ending the current line from h->i, up to
 * LS_HTTP_WORDS words; returns 1 with h->i just past it, or 0 with h->i
 * past the bytes read. */
static __always_inline int ls_http_find_lf(const struct ls_scratch *s, __u32 len,
					   struct ls_http_scan *h)
{
#pragma unroll
	for (int j = 0; j < LS_HTTP_WORDS; j++) {
		__u32 i = h->i;
		if (i >= len)
			return 0;
		__u32 avail = len - i;
		__u64 lf = ls_swar_eq(ls_w64(s, i), '\n') & ls_swar_valid(avail);
		if (lf) {
			__u32 k = ls_swar_first(lf);
			if (h->state == H_VERSION)
				h->vpos = i + k;
			h->i = i + k + 1;
			return 1;
		}
		h->i = i + (avail < 8 ? avail : 8);
	}
	return 0;
}

/* At the first byte of a header line: the empty line ends the block, the
 * first "Host:" line is read, any other line is skipped. */
static __always_inline void ls_http_line_start(const struct ls_scratch *s, __u32 len,
					       struct ls_http_scan *h)
{
	__u32 i = h->i;
	if (i >= len) {
		h->state = H_LSTART;
		return;
	}
	__u32 avail = len - i;
	__u64 w = ls_w64(s, i);
	__u8 c = (__u8)w;
	if (c == '\n') {
		h->fl |= HF_DONE; /* empty line: end of the header block */
		h->i = i + 1;	  /* where a pipelined request would start */
	} else if (c == '\r') {
		if (avail < 2) {
			h->i = len; /* the LF that may follow is not here */
			return;
		}
		if ((__u8)(w >> 8) == '\n')
			h->fl |= HF_DONE;
		h->state = H_SKIP; /* CR then anything else: not the end */
		h->i = i + 2;
	} else if (!(h->fl & HF_HAVE_HOST) && avail >= 5 &&
		   ((w | 0x20202020ull) & 0xffffffffull) == LS_HTTP_HOST_LO &&
		   (__u8)(w >> 32) == ':') {
		h->state = H_HOST_WS;
		h->i = i + 5;
	} else if (avail >= 16 && ls_http_body_line(w, ls_w64(s, i + 8))) {
		h->fl |= HF_BODY;
		h->state = H_SKIP;
		h->i = i + 1;
	} else {
		h->state = H_SKIP;
		h->i = i + 1;
	}
}

/* The request target: visible bytes up to the SP before the version, the
 * first LS_HTTP_PATH of them copied. Returns -1 on a CR or LF in it. */
static __always_inline int ls_http_target(struct ls_scratch *s, __u32 len, struct ls_http_scan *h)
{
	struct ls_event_dpi *d = &s->ev.u.dpi;
#pragma unroll
	for (int j = 0; j < LS_HTTP_WORDS; j++) {
		__u32 i = h->i, plen = h->plen;
		if (i >= len)
			return 0;
		__u32 avail = len - i, nv = avail < 8 ? avail : 8;
		__u64 w = ls_w64(s, i);
		__u64 bad = ~ls_swar_visible(w) & ls_swar_valid(avail);
		__u32 k = bad ? ls_swar_first(bad) : nv;
		if (k && plen < LS_HTTP_PATH) {
			__u32 room = LS_HTTP_PATH - plen, take = k < room ? k : room;
			ls_swar_put(d->path, LS_PATH_MAX, LS_HTTP_PATH - 1, plen, w, take);
			plen += take;
			if (take < k)
				h->fl |= HF_TRUNC;
		} else if (k) {
			h->fl |= HF_TRUNC;
		}
		h->i = i + k;
		h->plen = plen;
		if (k == nv)
			continue;
		/* the first byte that is not visible ASCII */
		__u8 c = (__u8)(w >> (8 * (k & 7)));
		h->i = i + k + 1;
		if (c == ' ') {
			h->state = H_VERSION;
			return 0;
		}
		if (c == '\r' || c == '\n')
			return -1;
		/* a byte past the 128 reported makes the target one we do
		 * not report as well: the rule is for the whole target */
		h->fl |= HF_PATH_BAD;
		if (plen < LS_HTTP_PATH) {
			d->path[plen & (LS_HTTP_PATH - 1)] = c;
			h->plen = plen + 1;
		}
	}
	return 0;
}

/* The Host value after "Host:": leading blanks skipped, visible bytes
 * copied, trailing blanks trimmed; anything else makes it a name we do not
 * report. Ends at the line's CR (then H_SKIP) or LF (then H_LSTART). */
static __always_inline void ls_http_host(struct ls_scratch *s, __u32 len, struct ls_http_scan *h)
{
	struct ls_event_dpi *d = &s->ev.u.dpi;
#pragma unroll
	for (int j = 0; j < LS_HTTP_WORDS; j++) {
		__u32 i = h->i, nlen = h->nlen;
		if (i >= len)
			return;
		__u32 avail = len - i, nv = avail < 8 ? avail : 8;
		__u64 w = ls_w64(s, i), vm = ls_swar_valid(avail);
		if (h->state == H_HOST_WS) {
			__u64 other = ~(ls_swar_eq(w, ' ') | ls_swar_eq(w, '\t')) & vm;
			if (!other) {
				h->i = i + nv;
				continue;
			}
			__u32 k = ls_swar_first(other);
			/* re-read the word from the first byte of the value */
			i += k;
			h->i = i;
			h->state = H_HOST;
			h->fl |= HF_HAVE_HOST;
			if (i >= len)
				return;
			avail = len - i;
			nv = avail < 8 ? avail : 8;
			w = ls_w64(s, i);
			vm = ls_swar_valid(avail);
		}
		__u64 bad = ~ls_swar_visible(w) & vm;
		__u32 k = bad ? ls_swar_first(bad) : nv;
		if (k) {
			/* visible bytes: part of the name, unless after a blank
			 * (inner whitespace) or past the name's room */
			if ((h->fl & HF_WS) || nlen + k > LS_NAME_MAX - 1)
				h->fl |= HF_HOST_BAD;
			else if (!(h->fl & HF_HOST_BAD))
				ls_swar_put(d->name, LS_NAME_MAX, LS_NAME_MAX - 1, nlen, w, k);
			h->nlen = nlen + k > LS_NAME_MAX ? LS_NAME_MAX : nlen + k;
		}
		h->i = i + k;
		if (k == nv)
			continue;
		__u8 c = (__u8)(w >> (8 * (k & 7)));
		h->i = i + k + 1;
		if (c == '\r') {
			/* CRLF ends the value; a bare CR is a control byte
			 * (RFC 9112 2.2: the element is invalid) */
			if (i + k + 1 < len && ls_b(s, i + k + 1) == '\n') {
				h->state = H_SKIP;
				return;
			}
			h->fl |= HF_HOST_BAD;
			continue;
		}
		if (c == '\n') {
			h->state = H_LSTART;
			return;
		}
		if (c == ' ' || c == '\t')
			h->fl |= HF_WS; /* trailing whitespace is trimmed */
		else
			h->fl |= HF_HOST_BAD; /* control bytes, bytes >= 0x7f */
	}
}

/* One step of the header scan, from and back to s->http. A global (so
 * separately verified) function: the verifier checks it once for any state,
 * and the loop calling it stays trivial. Returns 0 to go on, 1 when the scan
 * is over (header block complete, or no more bytes), -1 for a CR or LF in
 * the request target. */
__noinline int ls_http_step(struct ls_scratch *s)
{
	if (!s)
		return 1;
	__u32 len = s->len;
	if (len > LS_BUF_SZ)
		return 1;
	struct ls_http_scan h = s->http;
	if (h.i >= len || (h.fl & HF_DONE))
		return 1;
	if (h.state == H_TARGET) {
		if (ls_http_target(s, len, &h))
			return -1;
	} else if (h.state == H_HOST_WS || h.state == H_HOST) {
		ls_http_host(s, len, &h);
	} else if (h.state == H_LSTART) {
		ls_http_line_start(s, len, &h);
	} else if (ls_http_find_lf(s, len, &h)) { /* H_VERSION, H_SKIP */
		ls_http_line_start(s, len, &h);
	}
	s->http = h;
	return 0;
}

/* The length of the request method at s->buf[b] (len bytes in the
 * buffer), or 0 when the bytes there do not start like a request: a token
 * (RFC 9110 9.1: method = token) of 1 to LS_METHOD_MAX - 1 tchars, then SP.
 * Reads at most LS_METHOD_MAX bytes: inspect() runs it on a 16-byte prefix
 * before copying the rest of the payload. */
static __always_inline __u32 ls_http_request_method(const struct ls_scratch *s, __u32 b, __u32 len)
{
	if (len > LS_BUF_SZ || b >= len || len - b < 4)
		return 0;
	__u32 m = 0;
	for (; m < LS_METHOD_MAX - 1; m++) {
		__u8 c = ls_b(s, b + m);
		if (c == ' ')
			break;
		if (!ls_tchar(c))
			return 0;
	}
	if (m == 0 || b + m >= len || ls_b(s, b + m) != ' ')
		return 0;
	return m;
}

/* The request starting at s->buf[b] (0, or where the header block of the
 * one before it ended: pipelining, RFC 9112 9.3.2). On FOUND, s->http.i is
 * just past its header block and s->http.fl has HF_BODY if it may have a
 * body. */
__noinline int ls_dpi_http(struct ls_scratch *s, __u32 b)
{
	if (!s)
		return LS_DPI_R_NONE;
	__u32 len = s->len;
	if (len > LS_BUF_SZ || b >= len)
		return LS_DPI_R_NONE;
	__u32 m = ls_http_request_method(s, b, len);
	if (!m)
		return LS_DPI_R_NONE;

	struct ls_event_dpi *d = &s->ev.u.dpi;
	d->kind = LS_DPI_HTTP;
	/* m < LS_METHOD_MAX: a fixed, unrolled copy */
#pragma unroll
	for (__u32 k = 0; k < LS_METHOD_MAX - 1; k++)
		if (k < m)
			d->method[k] = ls_b(s, b + k);
	d->method_len = m;

	/* the scan state lives in s->http between steps (ls_http_step);
	 * every step consumes at least one byte */
	s->http.i = b + m + 1;
	s->http.state = H_TARGET;
	s->http.fl = s->http.plen = s->http.nlen = s->http.vpos = 0;
	int it;
	ls_for(it, 0, LS_BUF_SZ)
	{
		int rc = ls_http_step(s);
		if (rc < 0)
			return LS_DPI_R_MALFORMED; /* no version: HTTP/0.9 */
		if (rc)
			break;
	}
	__u32 fl = s->http.fl, plen = s->http.plen, nlen = s->http.nlen, vpos = s->http.vpos;
	if (!(fl & HF_DONE)) {
		__builtin_memset(d->method, 0, sizeof(d->method));
		__builtin_memset(d->path, 0, sizeof(d->path));
		__builtin_memset(d->name, 0, sizeof(d->name));
		d->method_len = 0;
		return LS_DPI_R_PARTIAL;
	}
	if (fl & HF_TRUNC)
		d->flags |= LS_DPI_F_TRUNCATED;
	/* the request line ends in "HTTP/1." DIGIT, then CRLF or a bare LF
	 * (RFC 9112 2.2); vpos: its LF, e: the end of the version. The
	 * version's 8 bytes hold no SP, so they lie after the target. */
	__u32 e = vpos;
	if (vpos >= 1 && ls_b(s, vpos - 1) == '\r')
		e = vpos - 1;
	__u8 dig = ls_b(s, e - 1);
	if (e < b + m + 10 || ls_b(s, e - 8) != 'H' || ls_b(s, e - 7) != 'T' || ls_b(s, e - 6) != 'T' ||
	    ls_b(s, e - 5) != 'P' || ls_b(s, e - 4) != '/' || ls_b(s, e - 3) != '1' ||
	    ls_b(s, e - 2) != '.' || dig < '0' || dig > '9')
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
