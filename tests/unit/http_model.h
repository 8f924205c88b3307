/* http_model.h - a reference model of the HTTP request inspector for the
 * kernel tests, written from the grammar of RFC 9112 and RFC 9110 and the
 * reporting rules of docs/dataplane.md, not from the kernel's code
 * (bpf/dpi_http.h). test_bpf_parse.c runs boundary-placed and random
 * requests through the real program and through this model and requires the
 * same answer.
 *
 * The grammar (RFC 9112 2.1, 2.2, 3, 5; RFC 9110 5.6.2, 7.2):
 *   HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ body ]
 *   request-line = method SP request-target SP HTTP-version
 *   method       = token  (1*tchar)
 *   HTTP-version = "HTTP" "/" DIGIT "." DIGIT
 *   field-line   = field-name ":" OWS field-value OWS
 *   OWS          = *( SP / HTAB )
 * and the recipient leniencies it allows: a line may end in a bare LF, any
 * CR before it ignored (2.2); a bare CR elsewhere makes the element invalid
 * (2.2).
 *
 * What the inspector reports (docs/dataplane.md, DPI):
 *   - the method, if it is a token of at most LS_METHOD_MAX - 1 bytes
 *     (otherwise: not HTTP), with at least 4 bytes from its start to the end
 *     of the payload (fewer are not looked at);
 *   - nothing but "partial" until the whole header block (up to the empty
 *     line) is in the first 2048 bytes (the copy);
 *   - "malformed" when the request line does not end in SP ...
 *     "HTTP/1." DIGIT after the target (a CR or LF inside the target:
 *     HTTP/0.9, malformed at once, even without the rest of the block).
 *     What lies between the target's SP and the version is skipped, the
 *     leniency RFC 9112 3 allows (parse on whitespace-delimited words) made
 *     simple: "GET    /x HTTP/1.1" reports an empty target, as tshark does;
 *     an empty target (two spaces) reports no path;
 *   - the first 128 bytes of the target, "truncated" if longer; a target
 *     with a byte that is not visible ASCII (VCHAR) reports no path;
 *   - the value of the first field-line named Host (any case), OWS trimmed,
 *     if it is 1..LS_NAME_MAX-1 visible ASCII bytes: no inner blanks, no
 *     control or high bytes (a bare CR is a control byte). A line that is
 *     not a field-line (no colon, blank before the colon) is ignored;
 *   - pipelining (RFC 9112 9.3.2): a request without a body is followed by
 *     the next one right after its empty line, if a method and SP are
 *     there (else nothing more is reported). A request has a body when a
 *     line of its header block starts with "content-length" or "transfer-"
 *     (any case; RFC 9112 6.3: otherwise a request's body is empty): then
 *     what follows is not looked at. At most 8 requests are reported. */
#ifndef LS_TEST_HTTP_MODEL_H
#define LS_TEST_HTTP_MODEL_H

#include <stdint.h>
#include <string.h>

#include "lockstep/wire.h"

enum { HM_NONE, HM_FOUND, HM_PARTIAL, HM_MALFORMED };

struct http_model {
	int rc;
	char method[LS_METHOD_MAX];
	char path[LS_PATH_MAX];
	char name[LS_NAME_MAX];
	unsigned method_len, path_len, name_len, truncated;
};

/* VCHAR (RFC 5234 B.1) */
static int hm_vchar(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* tchar (RFC 9110 5.6.2) */
static int hm_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* method = token (RFC 9110 9.1), bounded by the event's field */
static int hm_method_ok(unsigned m)
{
	return m >= 1 && m <= LS_METHOD_MAX - 1;
}

/* The next line from *pos: its content [*s, *e) without the LF and without
 * one CR before the LF (RFC 9112 2.2). Returns 0 when no LF is left. */
static int hm_line(const uint8_t *b, unsigned len, unsigned *pos, unsigned *s, unsigned *e)
{
	const uint8_t *lf = *pos < len ? memchr(b + *pos, '\n', len - *pos) : NULL;
	if (!lf)
		return 0;
	*s = *pos;
	*e = (unsigned)(lf - b);
	if (*e > *s && b[*e - 1] == '\r')
		(*e)--;
	*pos = (unsigned)(lf - b) + 1;
	return 1;
}

static void hm_fail(struct http_model *r, int rc)
{
	memset(r, 0, sizeof(*r));
	r->rc = rc;
}

/* The request at buf + at (the first, or the next of a pipelined
 * segment): into *r; *next: where the one after it would start (0: none may
 * follow). buf: the payload; len: its length (bytes past the 2048 the kernel
 * copies are never seen) */
static void http_model_at(const uint8_t *buf0, unsigned len0, unsigned at, struct http_model *r,
			  unsigned *next)
{
	hm_fail(r, HM_NONE);
	*next = 0;
	if (len0 > 2048)
		len0 = 2048;
	if (at >= len0 || len0 - at < 4)
		return;
	const uint8_t *buf = buf0 + at;
	unsigned len = len0 - at;
	/* method = token, then SP */
	unsigned m = 0;
	while (m < len && hm_tchar(buf[m]))
		m++;
	if (m >= len || buf[m] != ' ' || !hm_method_ok(m))
		return;
	/* request-target: up to the next SP; a CR or LF first means no
	 * HTTP-version follows (HTTP/0.9), whatever comes after */
	unsigned t0 = m + 1, t1 = t0;
	while (t1 < len && buf[t1] != ' ') {
		if (buf[t1] == '\r' || buf[t1] == '\n') {
			hm_fail(r, HM_MALFORMED);
			return;
		}
		t1++;
	}
	/* the request line and every field line, up to the empty line */
	unsigned pos = 0, ls, le;
	if (!hm_line(buf, len, &pos, &ls, &le)) {
		hm_fail(r, HM_PARTIAL);
		return;
	}
	int have_host = 0, host_ok = 0, body = 0;
	unsigned hs = 0, he = 0;
	for (;;) {
		unsigned s, e;
		if (!hm_line(buf, len, &pos, &s, &e)) {
			hm_fail(r, HM_PARTIAL);
			return;
		}
		if (s == e)
			break; /* the empty line: end of the header block */
		if ((e - s >= 14 && !strncasecmp((const char *)buf + s, "content-length", 14)) ||
		    (e - s >= 9 && !strncasecmp((const char *)buf + s, "transfer-", 9)))
			body = 1;
		/* field-name ":" -- a token directly followed by the colon */
		unsigned c = s;
		while (c < e && hm_tchar(buf[c]))
			c++;
		if (have_host || c == s || c >= e || buf[c] != ':' || c - s != 4 ||
		    strncasecmp((const char *)buf + s, "host", 4))
			continue;
		have_host = 1;
		hs = c + 1, he = e;
		while (hs < he && (buf[hs] == ' ' || buf[hs] == '\t'))
			hs++;
		while (he > hs && (buf[he - 1] == ' ' || buf[he - 1] == '\t'))
			he--;
		host_ok = he - hs <= LS_NAME_MAX - 1;
		for (unsigned i = hs; i < he; i++)
			host_ok &= hm_vchar(buf[i]);
	}
	/* the request line ends in SP ... "HTTP/1." DIGIT after the target
	 * (t1: the SP after it, inside the line) */
	if (t1 >= le || le - (t1 + 1) < 8 || memcmp(buf + le - 8, "HTTP/1.", 7) ||
	    buf[le - 1] < '0' || buf[le - 1] > '9') {
		hm_fail(r, HM_MALFORMED);
		return;
	}
	r->rc = HM_FOUND;
	*next = body ? 0 : at + pos;
	memcpy(r->method, buf, m);
	r->method_len = m;
	int path_ok = 1;
	for (unsigned i = t0; i < t1; i++)
		path_ok &= hm_vchar(buf[i]);
	if (path_ok) {
		unsigned pl = t1 - t0 < 128 ? t1 - t0 : 128;
		memcpy(r->path, buf + t0, pl);
		r->path_len = pl;
		r->truncated = t1 - t0 > 128;
	}
	if (have_host && host_ok) {
		memcpy(r->name, buf + hs, he - hs);
		r->name_len = he - hs;
	}
}

/* The first request only (what a segment holding one request gives). */
static void http_model_run(const uint8_t *buf, unsigned len, struct http_model *r)
{
	unsigned next;
	http_model_at(buf, len, 0, r, &next);
}

#define HM_REQS 8 /* requests reported per segment */

/* Every request of the segment, in order, into r[0..]: the count (at most
 * HM_REQS); *cut: 1 when a ninth request was there to report. A request
 * that is not HTTP ends the list without an entry; a partial or malformed
 * one ends it with its entry. */
static unsigned http_model_all(const uint8_t *buf, unsigned len, struct http_model r[HM_REQS],
			       int *cut)
{
	unsigned at = 0, n = 0;
	*cut = 0;
	for (;;) {
		struct http_model t;
		unsigned next;
		http_model_at(buf, len, at, &t, &next);
		if (t.rc == HM_NONE && n)
			return n;
		if (n == HM_REQS) {
			*cut = 1;
			return n;
		}
		r[n++] = t;
		if (t.rc != HM_FOUND || !next)
			return n;
		at = next;
	}
}

#endif
