/* tls_hello.c - SNI and ALPN from a ClientHello (see tls_hello.h). Every
 * length is checked against what is left of its enclosing vector before it
 * is used, so a lying length is MALFORMED, never an overread. */
#include "dataplane/tls_hello.h"

#include <string.h>

struct rd {
	const uint8_t *p;
	size_t n; /* bytes left */
};

static int take(struct rd *r, size_t k, struct rd *sub)
{
	if (k > r->n)
		return -1;
	if (sub)
		*sub = (struct rd){r->p, k};
	r->p += k;
	r->n -= k;
	return 0;
}

static int u8(struct rd *r, uint32_t *v)
{
	if (r->n < 1)
		return -1;
	*v = r->p[0];
	return take(r, 1, NULL);
}

static int u16(struct rd *r, uint32_t *v)
{
	if (r->n < 2)
		return -1;
	*v = (uint32_t)r->p[0] << 8 | r->p[1];
	return take(r, 2, NULL);
}

/* A vector with a 1- or 2-byte length prefix. */
static int vec(struct rd *r, int lenbytes, struct rd *sub)
{
	uint32_t k;
	if ((lenbytes == 1 ? u8(r, &k) : u16(r, &k)))
		return -1;
	return take(r, k, sub);
}

static void copy_str(char *dst, size_t cap, uint16_t *len, const uint8_t *src, size_t n,
		     uint8_t *trunc)
{
	if (n >= cap) {
		n = cap - 1;
		*trunc = 1;
	}
	memcpy(dst, src, n);
	dst[n] = 0;
	*len = (uint16_t)n;
}

static int sni_ext(struct rd e, struct ls_hello *h)
{
	struct rd list, name;
	uint32_t type;
	if (vec(&e, 2, &list))
		return -1;
	while (list.n) {
		if (u8(&list, &type) || vec(&list, 2, &name))
			return -1;
		if (type == 0 && !h->sni_len && name.n) {
			copy_str(h->sni, sizeof(h->sni), &h->sni_len, name.p, name.n,
				 &h->truncated);
			/* a host name is printable and has no NUL: cut at the first
			 * byte that is not (the kernel's reading: dpi_tls.h) */
			for (uint16_t i = 0; i < h->sni_len; i++)
				if (h->sni[i] <= ' ' || h->sni[i] == 0x7f) {
					h->sni[i] = 0;
					h->sni_len = i;
					break;
				}
		}
	}
	return 0;
}

static int alpn_ext(struct rd e, struct ls_hello *h)
{
	struct rd list, proto;
	if (vec(&e, 2, &list))
		return -1;
	while (list.n) {
		if (vec(&list, 1, &proto) || !proto.n)
			return -1;
		/* a protocol id is opaque bytes (RFC 7301 3.1), but the ids in
		 * use are printable and these are C strings: one holding a NUL
		 * is skipped, not reported cut short (fuzz_quic found it) */
		if (memchr(proto.p, 0, proto.n))
			continue;
		if (!h->alpn1_len)
			copy_str(h->alpn1, sizeof(h->alpn1), &h->alpn1_len, proto.p, proto.n,
				 &h->truncated);
		size_t need = (h->alpn_len ? 1 : 0) + proto.n;
		if (h->alpn_len + need >= sizeof(h->alpn)) {
			h->truncated = 1;
			continue;
		}
		if (h->alpn_len)
			h->alpn[h->alpn_len++] = ',';
		memcpy(h->alpn + h->alpn_len, proto.p, proto.n);
		h->alpn_len += (uint16_t)proto.n;
		h->alpn[h->alpn_len] = 0;
	}
	return 0;
}

static int hello_body(struct rd *bp, struct ls_hello *out);

int ls_hello_parse(const uint8_t *m, size_t n, struct ls_hello *out)
{
	memset(out, 0, sizeof(*out));
	struct rd r = {m, n}, body;
	uint32_t type, len;
	if (u8(&r, &type) || type != 1)
		return LS_HELLO_NOT;
	if (r.n < 3)
		return LS_HELLO_MALFORMED;
	len = (uint32_t)r.p[0] << 16 | (uint32_t)r.p[1] << 8 | r.p[2];
	take(&r, 3, NULL);
	int clipped = len > r.n; /* the caller kept only the message's start */
	if (take(&r, clipped ? r.n : len, &body))
		return LS_HELLO_MALFORMED;
	if (clipped)
		out->truncated = 1;
	int rc = hello_body(&body, out);
	return rc == LS_HELLO_MALFORMED && clipped ? LS_HELLO_OK : rc;
}

static int hello_body(struct rd *bp, struct ls_hello *out)
{
	struct rd body = *bp, exts, e, skip;
	uint32_t etype;
	/* legacy_version, random, session id, cipher suites, compression */
	if (take(&body, 2 + 32, NULL) || vec(&body, 1, &skip) || vec(&body, 2, &skip) ||
	    vec(&body, 1, &skip))
		return LS_HELLO_MALFORMED;
	if (!body.n)
		return LS_HELLO_OK; /* no extensions: nothing to report */
	if (vec(&body, 2, &exts))
		return LS_HELLO_MALFORMED;
	while (exts.n) {
		if (u16(&exts, &etype) || vec(&exts, 2, &e))
			return LS_HELLO_MALFORMED;
		if ((etype == 0 && sni_ext(e, out)) || (etype == 16 && alpn_ext(e, out)))
			return LS_HELLO_MALFORMED;
	}
	return LS_HELLO_OK;
}
