/* h2_request.c - the first HTTP/2 request of a connection (see h2_request.h). */
#include "dataplane/h2_request.h"

#include <string.h>

void ls_h2_init(struct ls_h2_conn *c)
{
	memset(c, 0, offsetof(struct ls_h2_conn, block));
	ls_hpack_init(&c->hpack, LS_HPACK_TABLE_MAX);
}

static void put(char *dst, size_t cap, const char *v, size_t vl, uint8_t *trunc)
{
	if (vl > cap - 1) {
		vl = cap - 1;
		*trunc = 1;
	}
	memcpy(dst, v, vl);
	dst[vl] = 0;
}

static int field(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	struct ls_h2_req *r = ctx;
#define IS(s) (nl == sizeof(s) - 1 && !memcmp(name, s, nl))
	if (IS(":method"))
		put(r->method, sizeof(r->method), v, vl, &r->truncated);
	else if (IS(":authority") || (IS("host") && !r->authority[0]))
		put(r->authority, sizeof(r->authority), v, vl, &r->truncated);
	else if (IS(":path"))
		put(r->path, sizeof(r->path), v, vl, &r->truncated);
	else if (IS("content-type")) {
		put(r->content_type, sizeof(r->content_type), v, vl, &r->truncated);
		/* gRPC: application/grpc, optionally +format or ;params */
		r->grpc = vl >= 16 && !memcmp(v, "application/grpc", 16) &&
			  (vl == 16 || v[16] == '+' || v[16] == ';');
	}
#undef IS
	return 0;
}

static int block_end(struct ls_h2_conn *c, struct ls_h2_req *out)
{
	memset(out, 0, sizeof(*out));
	c->done = 1;
	if (ls_hpack_decode(&c->hpack, c->block, c->block_len, field, out))
		return LS_H2_MALFORMED;
	return out->method[0] ? LS_H2_REQUEST : LS_H2_MALFORMED;
}

/* One whole frame: type, flags, stream, payload. */
static int frame(struct ls_h2_conn *c, uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p,
		 uint32_t len, struct ls_h2_req *out)
{
	if (c->block_stream && (type != 9 || sid != c->block_stream))
		return LS_H2_MALFORMED; /* 6.10: CONTINUATION must follow */
	if (type == 1) {		/* HEADERS: [pad len] [priority 5] block [padding] */
		uint32_t at = 0, pad = 0;
		if (!sid)
			return LS_H2_MALFORMED;
		if (flags & 0x08) { /* PADDED */
			if (len < 1)
				return LS_H2_MALFORMED;
			pad = p[0];
			at = 1;
		}
		if (flags & 0x20) /* PRIORITY */
			at += 5;
		if (at + pad > len)
			return LS_H2_MALFORMED;
		uint32_t bl = len - at - pad;
		if (bl > LS_H2_BLOCK_MAX)
			return LS_H2_MALFORMED;
		memcpy(c->block, p + at, bl);
		c->block_len = bl;
		if (flags & 0x04) /* END_HEADERS */
			return block_end(c, out);
		c->block_stream = sid;
		return LS_H2_MORE;
	}
	if (type == 9) { /* CONTINUATION */
		if (!c->block_stream || len > LS_H2_BLOCK_MAX - c->block_len)
			return LS_H2_MALFORMED;
		memcpy(c->block + c->block_len, p, len);
		c->block_len += len;
		if (flags & 0x04)
			return block_end(c, out);
		return LS_H2_MORE;
	}
	if (type == 4 && sid) /* SETTINGS belongs to stream 0 */
		return LS_H2_MALFORMED;
	return LS_H2_MORE; /* SETTINGS, WINDOW_UPDATE, PRIORITY, PING, ...: nothing to read */
}

int ls_h2_feed(struct ls_h2_conn *c, const uint8_t *p, size_t n, struct ls_h2_req *out)
{
	if (c->done)
		return LS_H2_NOT;
	if (n > sizeof(c->buf) - c->len) {
		c->done = 1;
		return LS_H2_MALFORMED;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += (uint32_t)n;
	uint32_t at = 0;
	if (!c->preface) {
		size_t k = c->len < LS_H2_PREFACE_LEN ? c->len : LS_H2_PREFACE_LEN;
		if (memcmp(c->buf, LS_H2_PREFACE, k)) {
			c->done = 1;
			return LS_H2_NOT;
		}
		if (c->len < LS_H2_PREFACE_LEN)
			return LS_H2_MORE;
		c->preface = 1;
		at = LS_H2_PREFACE_LEN;
	}
	int rc = LS_H2_MORE;
	while (rc == LS_H2_MORE && c->len - at >= 9) {
		const uint8_t *h = c->buf + at;
		uint32_t len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
		uint32_t sid =
		    ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) &
		    0x7fffffff;
		if (len > LS_H2_BLOCK_MAX) {
			rc = LS_H2_MALFORMED;
			break;
		}
		if (c->len - at - 9 < len)
			break; /* the frame continues in a later segment */
		rc = frame(c, h[3], h[4], sid, h + 9, len, out);
		at += 9 + len;
	}
	memmove(c->buf, c->buf + at, c->len - at);
	c->len -= at;
	if (rc == LS_H2_MALFORMED)
		c->done = 1;
	return rc;
}
