/* json.c - the JSON string escaper (rules and their reasons: json.h). */
#include "base/json.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at p (RFC 3629 table 3-7: no
 * overlongs, no surrogates, at most U+10FFFF), or 0 if the byte at p does not
 * start one that is complete within n bytes. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* below: overlong */
		if (c == 0xed)
			hi = 0x9f; /* above: a surrogate */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* below: overlong */
		if (c == 0xf4)
			hi = 0x8f; /* above: beyond U+10FFFF */
	} else {
		return 0;
	}
	if (len > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* One unit of output for the input at p: *out points at the input itself
 * (plain bytes, a whole UTF-8 sequence), at a short escape, or at tmp (a
 * \u00XX escape). Returns the output length; *used is the input consumed. */
static size_t unit(const unsigned char *p, size_t n, char tmp[8], const char **out, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	static const char *const short_form[128] = {
	    ['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
	};
	unsigned char c = p[0];
	*used = 1;
	*out = tmp;
	if (c < 128 && short_form[c]) {
		*out = short_form[c];
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		*out = (const char *)p;
		return 1;
	}
	if (c >= 0x80) {
		size_t l = utf8_seq(p, n);
		if (l) {
			*out = (const char *)p;
			*used = l;
			return l;
		}
	}
	memcpy(tmp, "\\u00", 4);
	tmp[4] = hex[c >> 4];
	tmp[5] = hex[c & 15];
	return 6;
}

int ls_json_escape(char *buf, size_t cap, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t o = 0;
	if (!cap)
		return -1;
	for (size_t i = 0; i < n;) {
		char tmp[8];
		const char *u;
		size_t used, l = unit(p + i, n - i, tmp, &u, &used);
		if (o + l + 1 > cap) {
			buf[o] = 0;
			return -1;
		}
		memcpy(buf + o, u, l);
		o += l;
		i += used;
	}
	buf[o] = 0;
	return (int)o;
}

const char *ls_json_str(char *buf, size_t cap, const char *s)
{
	if (!s)
		s = "";
	ls_json_escape(buf, cap, s, strlen(s));
	return buf;
}

int ls_json_fput(FILE *f, const void *s, size_t n)
{
	const unsigned char *p = s;
	for (size_t i = 0; i < n;) {
		char tmp[8];
		const char *u;
		size_t used, l = unit(p + i, n - i, tmp, &u, &used);
		if (fwrite(u, 1, l, f) != l)
			return -1;
		i += used;
	}
	return 0;
}
