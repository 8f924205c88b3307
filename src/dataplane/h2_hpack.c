/* h2_hpack.c - HPACK decoding (see h2_hpack.h). */
#include "dataplane/h2_hpack.h"

#include <string.h>

/* RFC 7541 Appendix A */
static const char *const static_name[62] = {NULL,
					    ":authority",
					    ":method",
					    ":method",
					    ":path",
					    ":path",
					    ":scheme",
					    ":scheme",
					    ":status",
					    ":status",
					    ":status",
					    ":status",
					    ":status",
					    ":status",
					    ":status",
					    "accept-charset",
					    "accept-encoding",
					    "accept-language",
					    "accept-ranges",
					    "accept",
					    "access-control-allow-origin",
					    "age",
					    "allow",
					    "authorization",
					    "cache-control",
					    "content-disposition",
					    "content-encoding",
					    "content-language",
					    "content-length",
					    "content-location",
					    "content-range",
					    "content-type",
					    "cookie",
					    "date",
					    "etag",
					    "expect",
					    "expires",
					    "from",
					    "host",
					    "if-match",
					    "if-modified-since",
					    "if-none-match",
					    "if-range",
					    "if-unmodified-since",
					    "last-modified",
					    "link",
					    "location",
					    "max-forwards",
					    "proxy-authenticate",
					    "proxy-authorization",
					    "range",
					    "referer",
					    "refresh",
					    "retry-after",
					    "server",
					    "set-cookie",
					    "strict-transport-security",
					    "transfer-encoding",
					    "user-agent",
					    "vary",
					    "via",
					    "www-authenticate"};
static const char *const static_value[62] = {
    [2] = "GET",   [3] = "POST", [4] = "/",    [5] = "/index.html",   [6] = "http",
    [7] = "https", [8] = "200",	 [9] = "204",  [10] = "206",	      [11] = "304",
    [12] = "400",  [13] = "404", [14] = "500", [16] = "gzip, deflate"};

/* RFC 7541 Appendix B: the code length of each symbol (256: EOS). The
 * code is canonical -- codes assigned in order of (length, symbol) -- so
 * the lengths alone determine it; test_dp_hpack.c checks the derived codes
 * against the Appendix's. */
static const uint8_t huff_len[257] = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6,	10, 10, 12, 13, 6,  8,	11, 10, 10, 8,	11, 8,	6,  6,	6,
    5,	5,  5,	6,  6,	6,  6,	6,  6,	6,  7,	8,  15, 6,  12, 10, 13, 6,  7,	7,  7,	7,  7,	7,
    7,	7,  7,	7,  7,	7,  7,	7,  7,	7,  7,	7,  7,	7,  7,	7,  8,	7,  8,	13, 19, 13, 14, 6,
    15, 5,  6,	5,  6,	5,  6,	6,  6,	5,  7,	7,  6,	6,  6,	5,  6,	7,  6,	5,  5,	6,  7,	7,
    7,	7,  7,	15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21,
    23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24,
    21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
};

/* Canonical decoding tables, built once: per length, the first code, the
 * number of codes and where their symbols start in `sorted`. */
static struct {
	int built;
	uint32_t first[31];
	uint16_t count[31], start[31];
	uint16_t sorted[257];
	uint32_t code[257];
} hc;

static void huff_build(void)
{
	if (hc.built)
		return;
	uint16_t k = 0;
	uint32_t code = 0;
	for (unsigned len = 1; len <= 30; len++) {
		hc.first[len] = code;
		hc.start[len] = k;
		for (unsigned s = 0; s < 257; s++)
			if (huff_len[s] == len) {
				hc.sorted[k++] = (uint16_t)s;
				hc.code[s] = code++;
				hc.count[len]++;
			}
		code <<= 1;
	}
	hc.built = 1;
}

uint32_t ls_hpack_huffman_code(unsigned sym, unsigned *len)
{
	huff_build();
	if (sym > 256)
		return *len = 0, 0;
	*len = huff_len[sym];
	return hc.code[sym];
}

long ls_hpack_huffman(const uint8_t *p, size_t n, char *out, size_t cap)
{
	huff_build();
	size_t o = 0;
	uint32_t code = 0;
	unsigned len = 0;
	for (size_t i = 0; i < n; i++)
		for (int b = 7; b >= 0; b--) {
			code = code << 1 | ((p[i] >> b) & 1);
			len++;
			if (len > 30)
				return -1;
			if (code - hc.first[len] < hc.count[len]) {
				unsigned sym = hc.sorted[hc.start[len] + code - hc.first[len]];
				if (sym == 256 || o >= cap)
					return -1; /* EOS in the string (5.2) */
				out[o++] = (char)sym;
				code = 0;
				len = 0;
			}
		}
	/* padding: fewer than 8 bits, the most significant bits of EOS (all
	 * ones), 5.2 */
	if (len > 7 || code != (1u << len) - 1)
		return -1;
	return (long)o;
}

void ls_hpack_init(struct ls_hpack *h, uint32_t max_cap)
{
	memset(h, 0, sizeof(*h));
	h->max_cap = max_cap && max_cap < LS_HPACK_TABLE_MAX ? max_cap : LS_HPACK_TABLE_MAX;
	h->max = h->max_cap;
}

static void evict_oldest(struct ls_hpack *h)
{
	struct ls_hpack_entry *e = &h->e[0];
	uint32_t bytes = (uint32_t)e->nlen + e->vlen;
	h->size -= bytes + 32;
	memmove(h->arena, h->arena + bytes, h->used - bytes);
	h->used -= bytes;
	memmove(h->e, h->e + 1, (h->n - 1) * sizeof(h->e[0]));
	h->n--;
	for (uint32_t i = 0; i < h->n; i++)
		h->e[i].off = (uint16_t)(h->e[i].off - bytes);
}

static void shrink_to(struct ls_hpack *h, uint32_t room)
{
	while (h->n && h->size + room > h->max)
		evict_oldest(h);
}

/* 4.4: evict until the new entry fits; one larger than the table empties it. */
static void insert(struct ls_hpack *h, const char *name, size_t nl, const char *val, size_t vl)
{
	uint32_t sz = (uint32_t)(nl + vl + 32);
	if (nl + vl + 32 > h->max) {
		while (h->n)
			evict_oldest(h);
		return;
	}
	shrink_to(h, sz);
	memmove(h->arena + h->used, name, nl); /* name may lie in the arena */
	memmove(h->arena + h->used + nl, val, vl);
	h->e[h->n++] = (struct ls_hpack_entry){(uint16_t)h->used, (uint16_t)nl, (uint16_t)vl};
	h->used += (uint32_t)(nl + vl);
	h->size += sz;
}

/* 5.1: an integer with an N-bit prefix; -1 past the end or over 2^28. */
static int integer(const uint8_t *p, size_t n, size_t *at, unsigned bits, uint32_t *v)
{
	if (*at >= n)
		return -1;
	uint32_t mask = (1u << bits) - 1, x = p[(*at)++] & mask;
	if (x < mask)
		return *v = x, 0;
	for (unsigned m = 0;; m += 7) {
		if (*at >= n || m > 21)
			return -1;
		uint8_t b = p[(*at)++];
		x += (uint32_t)(b & 0x7f) << m;
		if (!(b & 0x80))
			break;
	}
	*v = x;
	return 0;
}

/* 5.2: a string literal into buf (cap bytes); its length or -1. */
static long string(const uint8_t *p, size_t n, size_t *at, char *buf, size_t cap)
{
	if (*at >= n)
		return -1;
	int huff = p[*at] & 0x80;
	uint32_t len;
	if (integer(p, n, at, 7, &len) || len > n - *at)
		return -1;
	const uint8_t *s = p + *at;
	*at += len;
	if (huff)
		return ls_hpack_huffman(s, len, buf, cap);
	if (len > cap)
		return -1;
	memcpy(buf, s, len);
	return (long)len;
}

/* An index into the static then the dynamic table (2.3.3). */
static int lookup(const struct ls_hpack *h, uint32_t idx, const char **name, size_t *nl,
		  const char **val, size_t *vl)
{
	if (idx == 0)
		return -1;
	if (idx < 62) {
		*name = static_name[idx], *nl = strlen(*name);
		*val = static_value[idx] ? static_value[idx] : "", *vl = strlen(*val);
		return 0;
	}
	idx -= 62;
	if (idx >= h->n)
		return -1;
	const struct ls_hpack_entry *e = &h->e[h->n - 1 - idx]; /* newest first */
	*name = (const char *)h->arena + e->off, *nl = e->nlen;
	*val = *name + e->nlen, *vl = e->vlen;
	return 0;
}

int ls_hpack_decode(struct ls_hpack *h, const uint8_t *p, size_t n, ls_hpack_field_fn fn, void *ctx)
{
	static char nbuf[LS_HPACK_STR_MAX], vbuf[LS_HPACK_STR_MAX];
	size_t at = 0;
	int fields = 0;
	while (at < n) {
		uint8_t b = p[at];
		uint32_t idx;
		const char *name, *val;
		size_t nl, vl;
		if (b & 0x80) { /* 6.1 indexed */
			if (integer(p, n, &at, 7, &idx) || lookup(h, idx, &name, &nl, &val, &vl))
				return -1;
		} else if ((b & 0xe0) == 0x20) { /* 6.3 size update, before any field */
			if (integer(p, n, &at, 5, &idx) || idx > h->max_cap || fields)
				return -1;
			h->max = idx;
			shrink_to(h, 0);
			continue;
		} else { /* 6.2 literals: incremental (01), without (0000), never (0001) */
			int incr = (b & 0xc0) == 0x40;
			if (integer(p, n, &at, incr ? 6 : 4, &idx))
				return -1;
			long l;
			if (idx) {
				const char *v0;
				size_t v0l;
				if (lookup(h, idx, &name, &nl, &v0, &v0l))
					return -1;
				memcpy(nbuf, name, nl); /* an insert may move the arena */
			} else if ((l = string(p, n, &at, nbuf, sizeof(nbuf))) < 0) {
				return -1;
			} else {
				nl = (size_t)l;
			}
			name = nbuf;
			if ((l = string(p, n, &at, vbuf, sizeof(vbuf))) < 0)
				return -1;
			val = vbuf, vl = (size_t)l;
			if (incr)
				insert(h, name, nl, val, vl);
		}
		fields++;
		if (fn && fn(ctx, name, nl, val, vl))
			return 0;
	}
	return 0;
}
