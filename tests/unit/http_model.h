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
 *   - the method, if it is one of the nine it knows (otherwise: not HTTP);
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
 *     not a field-line (no colon, blank before the colon) is ignored. */
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

/* RFC 9110 9.3 plus PATCH (RFC 5789): the methods the inspector reports */
static int hm_known_method(const uint8_t *b, unsigned m)
{
	static const char *const known[] = {"GET",   "PUT",    "POST",	  "HEAD",   "TRACE",
					    "PATCH", "DELETE", "OPTIONS", "CONNECT"};
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == m && !memcmp(b, known[i], m))
			return 1;
	return 0;
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

/* buf: the payload; len: its length (bytes past the 2048 the kernel copies
 * are never seen) */
static void http_model_run(const uint8_t *buf, unsigned len, struct http_model *r)
{
	hm_fail(r, HM_NONE);
	if (len > 2048)
		len = 2048;
	/* method = token, then SP; only the known ones are HTTP to us */
	unsigned m = 0;
	while (m < len && hm_tchar(buf[m]))
		m++;
	if (m == 0 || m >= len || buf[m] != ' ' || !hm_known_method(buf, m))
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
	int have_host = 0, host_ok = 0;
	unsigned hs = 0, he = 0;
	for (;;) {
		unsigned s, e;
		if (!hm_line(buf, len, &pos, &s, &e)) {
			hm_fail(r, HM_PARTIAL);
			return;
		}
		if (s == e)
			break; /* the empty line: end of the header block */
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

#endif
