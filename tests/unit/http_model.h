/* http_model.h - a reference model of the HTTP request inspector for the
 * kernel tests: the byte-at-a-time state machine the data plane used before
 * its word-at-a-time scan (bpf/dpi_http.h), in plain C. test_bpf_parse.c runs
 * random and boundary-placed requests through the real program and through
 * this model and requires the same answer, so the fast scan keeps exactly
 * the documented semantics (docs/dataplane.md, DPI). */
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

static int hm_visible(uint8_t c)
{
	return c > 0x20 && c < 0x7f;
}

static int hm_method(const uint8_t *b, unsigned m)
{
	static const char *const known[] = {"GET",   "PUT",    "POST",	  "HEAD",   "TRACE",
					    "PATCH", "DELETE", "OPTIONS", "CONNECT"};
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == m && !memcmp(b, known[i], m))
			return 1;
	return 0;
}

/* buf: the payload; len: its length (at most 2048: what the kernel copies;
 * more: the payload continued past the copy, which HTTP ignores) */
static void http_model_run(const uint8_t *buf, unsigned len, struct http_model *r)
{
	enum { T, V, LS, NM, HWS, H, SK, EOH };
	memset(r, 0, sizeof(*r));
	if (len > 2048)
		len = 2048;
	r->rc = HM_NONE;
	if (len < 4)
		return;
	unsigned m = 0;
	for (; m < LS_METHOD_MAX - 1; m++) {
		if (buf[m] == ' ')
			break;
		if (buf[m] < 'A' || buf[m] > 'Z')
			return;
	}
	if (m >= len || buf[m] != ' ' || !hm_method(buf, m))
		return;
	int st = T, done = 0, pbad = 0, trunc = 0, have = 0, ws = 0, hbad = 0, hmatch = 0;
	unsigned plen = 0, nlen = 0, hpos = 0, vpos = 0;
	for (unsigned i = m + 1; i < len && !done; i++) {
		uint8_t c = buf[i];
		switch (st) {
		case T:
			if (c == ' ')
				st = V;
			else if (c == '\r' || c == '\n') {
				r->rc = HM_MALFORMED;
				return;
			} else if (plen < 128) {
				pbad |= !hm_visible(c);
				r->path[plen++] = (char)c;
			} else
				trunc = 1;
			break;
		case V:
			if (c == '\n')
				st = LS, vpos = i;
			break;
		case LS:
			if (c == '\r')
				st = EOH;
			else if (c == '\n')
				done = 1;
			else
				st = NM, hpos = 1, hmatch = (c | 0x20) == 'h';
			break;
		case NM:
			if (c == ':')
				st = hmatch && hpos == 4 && !have ? HWS : SK;
			else if (c == '\n')
				st = LS;
			else {
				if (hpos >= 1 && hpos <= 3)
					hmatch = hmatch && (c | 0x20) == "ost"[hpos - 1];
				if (hpos < 8)
					hpos++;
			}
			break;
		case HWS:
			if (c == ' ' || c == '\t')
				break;
			/* the first byte of the value */
			__attribute__((fallthrough));
		case H:
			st = H, have = 1;
			if (c == '\r' || c == '\n')
				st = c == '\n' ? LS : SK;
			else if (c == ' ' || c == '\t')
				ws = 1;
			else if (!hm_visible(c) || ws || nlen >= LS_NAME_MAX - 1)
				hbad = 1;
			else
				r->name[nlen++] = (char)c;
			break;
		case SK:
			if (c == '\n')
				st = LS;
			break;
		default: /* EOH */
			if (c == '\n')
				done = 1;
			else
				st = SK;
		}
	}
	if (!done) {
		memset(r, 0, sizeof(*r));
		r->rc = HM_PARTIAL;
		return;
	}
	if (vpos < m + 10 || buf[vpos - 1] != '\r' || memcmp(buf + vpos - 9, "HTTP/1.", 7)) {
		memset(r, 0, sizeof(*r));
		r->rc = HM_MALFORMED;
		return;
	}
	r->rc = HM_FOUND;
	memcpy(r->method, buf, m);
	r->method_len = m;
	r->truncated = trunc && !pbad;
	if (pbad) {
		memset(r->path, 0, sizeof(r->path));
		plen = 0;
	}
	r->path_len = plen;
	if (hbad) {
		memset(r->name, 0, sizeof(r->name));
		nlen = 0;
	}
	r->name_len = nlen;
}

#endif
