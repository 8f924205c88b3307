/* dpi_tls.h - TLS ClientHello server_name (RFC 8446 4.1.2, RFC 6066 3).
 *
 * Reports a name only from a ClientHello that is complete in this packet:
 * one handshake record holding the whole ClientHello. A ClientHello split
 * across segments or records is LS_DPI_R_PARTIAL and yields no name, because
 * without reassembly its name could be cut or belong to a message we never
 * see whole. Every length field is checked against the one enclosing it. */
#ifndef LS_DPI_TLS_H
#define LS_DPI_TLS_H

#include "dpi_common.h"

#define LS_TLS_EXT_MAX 64 /* extensions walked before giving up */

/* SNI host_name bytes we accept: visible ASCII (RFC 6066: a DNS hostname). */
static __always_inline int ls_sni_byte_ok(__u8 c)
{
	return c > 0x20 && c < 0x7f;
}

/* 1 when the first len bytes of s->buf start a handshake record holding a
 * ClientHello. Reads the first 6 bytes only: inspect() runs it on a prefix
 * before copying the rest of the payload. */
static __always_inline int ls_tls_client_hello(const struct ls_scratch *s, __u32 len)
{
	if (len < 6 || ls_b(s, 0) != 0x16 || ls_b(s, 1) != 3 || ls_b(s, 2) > 4)
		return 0;
	return ls_b(s, 5) == 1; /* ClientHello */
}

/* The server name (RFC 6066 3: server_name_list: len(2) { type(1) len(2)
 * name }) into d->name. 0, or -1 when the extension lies or the name has a
 * byte no host name has. A global function, like ls_tls_alpn: the
 * extension walk in ls_dpi_tls goes on past it (ALPN may come later), and
 * its loop inline there would be verified again for every extension. */
__noinline int ls_tls_sni(struct ls_scratch *s, __u32 body, __u32 elen, struct ls_event_dpi *d)
{
	if (!s || !d || body > LS_BUF_SZ || elen > LS_BUF_SZ)
		return -1;
	if (elen < 5 || ls_be16(s, body) + 2 != elen || ls_b(s, body + 2) != 0)
		return -1;
	__u32 nlen = ls_be16(s, body + 3);
	if (nlen == 0 || nlen + 3 > elen - 2 || nlen > LS_NAME_MAX - 1)
		return -1;
	__u32 n0 = body + 5;
	for (__u32 j = 0; j < LS_NAME_MAX - 1; j++) {
		if (j >= nlen)
			break;
		__u8 c = ls_b(s, n0 + j);
		if (!ls_sni_byte_ok(c))
			return -1;
		d->name[j] = c;
	}
	d->name_len = nlen;
	return 0;
}

/* The client's most preferred ALPN protocol (RFC 7301 3.1: a list of
 * length-prefixed ids, in preference order) into d->alpn: the first id
 * among the first LS_TLS_ALPN_IDS whose reported bytes hold no NUL (the
 * ids in use are printable; these are C strings, as in user space's
 * tls_hello.c, which looks at the whole id); one longer than LS_ALPN_MAX
 * is cut and flagged. Only the reported bytes are read: a loop over all
 * 255 bytes an id may have cost the verifier ~90k more instructions.
 * 0, or -1 when the list lies. A global function: verified once. */
#define LS_TLS_ALPN_IDS 4
__noinline int ls_tls_alpn(struct ls_scratch *s, __u32 body, __u32 elen, struct ls_event_dpi *d)
{
	if (!s || !d || body > LS_BUF_SZ || elen > LS_BUF_SZ)
		return -1;
	if (elen < 2 || ls_be16(s, body) + 2 != elen)
		return -1;
	__u32 q = body + 2, end = body + elen;
	for (int i = 0; i < LS_TLS_ALPN_IDS; i++) {
		if (q >= end)
			return 0;
		__u32 n = ls_b(s, q);
		if (n == 0 || q + 1 + n > end)
			return -1;
		__u32 nul = 0;
		for (__u32 j = 0; j < LS_ALPN_MAX; j++) {
			if (j >= n)
				break;
			__u8 c = ls_b(s, q + 1 + j);
			nul |= c == 0;
			d->alpn[j] = c;
		}
		if (!nul) {
			d->alpn_len = n > LS_ALPN_MAX ? LS_ALPN_MAX : n;
			if (n > LS_ALPN_MAX)
				d->flags |= LS_DPI_F_TRUNCATED;
			return 0;
		}
		__builtin_memset(d->alpn, 0, sizeof(d->alpn));
		q += 1 + n;
	}
	return 0;
}

__noinline int ls_dpi_tls(struct ls_scratch *s)
{
	if (!s)
		return LS_DPI_R_NONE;
	__u32 len = s->len;
	if (len > LS_BUF_SZ)
		return LS_DPI_R_NONE;
	if (!ls_tls_client_hello(s, len))
		return LS_DPI_R_NONE;
	__u32 rec_len = ls_be16(s, 3);
	if (len < 9 || 5 + rec_len > len || s->more)
		return LS_DPI_R_PARTIAL;
	__u32 hs_len = ls_be24(s, 6);
	if (4 + hs_len > rec_len)
		return LS_DPI_R_PARTIAL; /* ClientHello continues in a later record */
	__u32 end = 9 + hs_len;
	/* version(2) random(32) */
	__u32 p = 9 + 34;
	if (p + 1 > end)
		return LS_DPI_R_MALFORMED;
	__u32 sid = ls_b(s, p);
	if (sid > 32)
		return LS_DPI_R_MALFORMED;
	p += 1 + sid;
	if (p + 2 > end)
		return LS_DPI_R_MALFORMED;
	p += 2 + ls_be16(s, p); /* cipher suites */
	if (p + 1 > end)
		return LS_DPI_R_MALFORMED;
	p += 1 + ls_b(s, p); /* compression methods */
	if (p > end)
		return LS_DPI_R_MALFORMED;
	if (p + 2 > end)
		return LS_DPI_R_NONE; /* no extensions at all: TLS without SNI */
	__u32 ext_end = p + 2 + ls_be16(s, p);
	if (ext_end > end)
		return LS_DPI_R_MALFORMED;
	p += 2;

	struct ls_event_dpi *d = &s->ev.u.dpi;
	d->kind = LS_DPI_TLS;
	for (int i = 0; i < LS_TLS_EXT_MAX; i++) {
		if (p + 4 > ext_end)
			return LS_DPI_R_FOUND; /* walked them all: SNI or ALPN absent */
		__u32 type = ls_be16(s, p), elen = ls_be16(s, p + 2);
		__u32 body = p + 4;
		if (body + elen > ext_end)
			return LS_DPI_R_MALFORMED;
		if (type == 0 && !d->name_len) {
			if (ls_tls_sni(s, body, elen, d))
				return LS_DPI_R_MALFORMED;
			if (d->alpn_len)
				return LS_DPI_R_FOUND;
		} else if (type == 16 && !d->alpn_len) {
			if (ls_tls_alpn(s, body, elen, d))
				return LS_DPI_R_MALFORMED;
			if (d->name_len)
				return LS_DPI_R_FOUND;
		}
		p = body + elen;
	}
	return LS_DPI_R_MALFORMED; /* more extensions than any real client sends */
}

#endif
