/* quic_initial.c - QUIC Initial decryption and CRYPTO reassembly (see
 * quic_initial.h). The steps follow RFC 9001 5 in order: keys from the
 * DCID (5.2), header protection off (5.4), AEAD open (5.3), frames. */
#include "dataplane/quic_initial.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* RFC 9001 5.2, RFC 9369 3.3.1, and draft-ietf-quic-v2-01..09 3.3.1 */
static const uint8_t salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
static const uint8_t salt_v2_draft[20] = {0xa7, 0x07, 0xc2, 0x03, 0xa5, 0x9b, 0x47,
					  0x18, 0x4a, 0x1d, 0x62, 0xca, 0x57, 0x04,
					  0x06, 0xea, 0x7a, 0xe3, 0xe5, 0xd3};

/* v2 and its draft share the packet types and the labels (RFC 9369 3.2,
 * 3.3.2); only the salt and the version number differ. */
static int is_v2(uint32_t version)
{
	return version == LS_QUIC_V2 || version == LS_QUIC_V2_DRAFT;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of
 * at most one SHA-256 block: T(1) = HMAC(secret, HkdfLabel || 0x01). */
static int expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1 + 1], t[32];
	size_t ll = strlen(label), k = 0;
	if (len > 32 || ll > 32)
		return -1;
	info[k++] = (uint8_t)(len >> 8);
	info[k++] = (uint8_t)len;
	info[k++] = (uint8_t)(6 + ll);
	memcpy(info + k, "tls13 ", 6);
	k += 6;
	memcpy(info + k, label, ll);
	k += ll;
	info[k++] = 0; /* context */
	info[k++] = 1; /* the counter of T(1) */
	unsigned int tl = 0;
	if (!HMAC(EVP_sha256(), secret, 32, info, k, t, &tl) || tl != 32)
		return -1;
	memcpy(out, t, len);
	return 0;
}

int ls_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			 struct ls_quic_keys *out)
{
	const uint8_t *salt = version == LS_QUIC_V1	    ? salt_v1
			      : version == LS_QUIC_V2	    ? salt_v2
			      : version == LS_QUIC_V2_DRAFT ? salt_v2_draft
							    : 0;
	const char *pfx = is_v2(version) ? "quicv2 " : "quic ";
	uint8_t initial[32], client[32];
	unsigned int il = 0;
	char label[16];
	if (!salt || dcid_len > 20)
		return -1;
	/* HKDF-Extract(salt, DCID) is HMAC(salt, DCID) */
	if (!HMAC(EVP_sha256(), salt, 20, dcid, dcid_len, initial, &il) || il != 32)
		return -1;
	if (expand_label(initial, "client in", client, 32))
		return -1;
	snprintf(label, sizeof(label), "%skey", pfx);
	if (expand_label(client, label, out->key, 16))
		return -1;
	snprintf(label, sizeof(label), "%siv", pfx);
	if (expand_label(client, label, out->iv, 12))
		return -1;
	snprintf(label, sizeof(label), "%shp", pfx);
	return expand_label(client, label, out->hp, 16);
}

/* A variable-length integer (RFC 9000 16); -1 when it runs past the end. */
static int varint(const uint8_t *p, size_t n, size_t *at, uint64_t *v)
{
	if (*at >= n)
		return -1;
	size_t len = (size_t)1 << (p[*at] >> 6);
	if (len > n - *at)
		return -1;
	uint64_t x = p[*at] & 0x3f;
	for (size_t i = 1; i < len; i++)
		x = x << 8 | p[*at + i];
	*at += len;
	*v = x;
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The Initial type: 0b00 in v1, 0b01 in v2 (RFC 9369 3.2). */
static int is_initial(uint8_t b0, uint32_t version)
{
	uint8_t type = (b0 >> 4) & 3;
	return version == LS_QUIC_V1 ? type == 0 : is_v2(version) ? type == 1 : 0;
}

uint32_t ls_quic_initial_version(const uint8_t *dg, size_t n)
{
	if (n < 7 || (dg[0] & 0xc0) != 0xc0)
		return 0;
	uint32_t v = be32(dg + 1);
	return is_initial(dg[0], v) ? v : 0;
}

/* The long header's fields up to the packet number: *pn_off, and the
 * Length field's value (packet number + payload) in *len. -1 if they lie. */
static int long_header(const uint8_t *p, size_t n, size_t *pn_off, uint64_t *len, int initial)
{
	size_t at = 5;
	uint64_t tok;
	if (n < 7 || p[at] > 20)
		return -1;
	at += 1 + p[at]; /* DCID */
	if (at >= n || p[at] > 20)
		return -1;
	at += 1 + p[at]; /* SCID */
	if (initial) {
		if (varint(p, n, &at, &tok) || tok > n - at)
			return -1;
		at += tok;
	}
	if (varint(p, n, &at, len) || *len > n - at)
		return -1;
	*pn_off = at;
	return 0;
}

static int aes_ecb_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ol = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) &&
			 EVP_CIPHER_CTX_set_padding(c, 0) &&
			 EVP_EncryptUpdate(c, out, &ol, in, 16) && ol == 16;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int aes_gcm_open(const struct ls_quic_keys *k, const uint8_t nonce[12], const uint8_t *aad,
			size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t tag[16],
			uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0, l2 = 0;
	int ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) &&
		 EVP_DecryptUpdate(c, NULL, &l, aad, (int)aad_len) &&
		 EVP_DecryptUpdate(c, out, &l, ct, (int)ct_len) &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) &&
		 EVP_DecryptFinal_ex(c, out + l, &l2) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int ls_quic_unprotect(const struct ls_quic_keys *k, uint8_t *pkt, size_t n, uint8_t *plain,
		      size_t *plain_len, size_t *pkt_len, uint64_t *pn)
{
	size_t pn_off;
	uint64_t len;
	uint8_t mask[16];
	if (!ls_quic_initial_version(pkt, n) || long_header(pkt, n, &pn_off, &len, 1))
		return -1;
	/* the sample starts 4 bytes after the packet number's start, whatever
	 * its length (RFC 9001 5.4.2); the tag follows the payload */
	if (len < 4 + 16 || pn_off + len > n || aes_ecb_block(k->hp, pkt + pn_off + 4, mask))
		return -1;
	pkt[0] ^= mask[0] & 0x0f;
	size_t pnl = (pkt[0] & 3) + 1;
	uint64_t x = 0;
	for (size_t i = 0; i < pnl; i++) {
		pkt[pn_off + i] ^= mask[1 + i];
		x = x << 8 | pkt[pn_off + i];
	}
	/* an Initial's packet number is short in practice: its truncated
	 * value is the full one while it is below 2^(8*pnl-1) */
	uint8_t nonce[12];
	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(x >> (56 - 8 * i));
	size_t hdr = pn_off + pnl, ct_len = pn_off + len - hdr - 16;
	if (aes_gcm_open(k, nonce, pkt, hdr, pkt + hdr, ct_len, pkt + hdr + ct_len, plain))
		return -1;
	*plain_len = ct_len;
	*pkt_len = pn_off + len;
	*pn = x;
	return 0;
}

/* Places CRYPTO data at its offset; what lies past the buffer is dropped. */
static void crypto_put(struct ls_quic_flow *f, uint64_t off, const uint8_t *d, uint64_t len)
{
	if (off >= LS_QUIC_CRYPTO_MAX)
		return;
	if (len > LS_QUIC_CRYPTO_MAX - off)
		len = LS_QUIC_CRYPTO_MAX - off;
	memcpy(f->crypto + off, d, len);
	for (uint64_t i = off; i < off + len; i++)
		f->have[i >> 3] |= (uint8_t)(1u << (i & 7));
	while (f->contig < LS_QUIC_CRYPTO_MAX && (f->have[f->contig >> 3] >> (f->contig & 7)) & 1)
		f->contig++;
}

/* The frames of one decrypted Initial: PADDING, PING, ACK, CRYPTO and
 * CONNECTION_CLOSE are all an Initial may carry (RFC 9000 17.2.2). */
static int frames(struct ls_quic_flow *f, const uint8_t *p, size_t n)
{
	size_t at = 0;
	uint64_t type, a, b, c, d;
	while (at < n) {
		if (varint(p, n, &at, &type))
			return -1;
		switch (type) {
		case 0x00: /* PADDING */
		case 0x01: /* PING */
			break;
		case 0x02:
		case 0x03: /* ACK: largest, delay, range count, first range, ranges */
			if (varint(p, n, &at, &a) || varint(p, n, &at, &b) ||
			    varint(p, n, &at, &c) || varint(p, n, &at, &d))
				return -1;
			for (uint64_t i = 0; i < c; i++)
				if (varint(p, n, &at, &a) || varint(p, n, &at, &b))
					return -1;
			if (type == 0x03 && (varint(p, n, &at, &a) || varint(p, n, &at, &b) ||
					     varint(p, n, &at, &c)))
				return -1;
			break;
		case 0x06: /* CRYPTO: offset, length, data */
			if (varint(p, n, &at, &a) || varint(p, n, &at, &b) || b > n - at)
				return -1;
			crypto_put(f, a, p + at, b);
			at += b;
			break;
		case 0x1c: /* CONNECTION_CLOSE: nothing after it matters */
			return 0;
		default:
			return -1;
		}
	}
	return 0;
}

int ls_quic_datagram(struct ls_quic_flow *f, const uint8_t *dg, size_t n, struct ls_hello *out)
{
	uint8_t pkt[2048], plain[2048];
	int took = 0;
	if (f->done)
		return LS_QUIC_NOT;
	/* coalesced packets (RFC 9000 12.2): each long header says its length */
	while (n >= 7 && (dg[0] & 0x80)) {
		uint32_t v = be32(dg + 1);
		size_t pn_off, plen, clen;
		uint64_t len, pn;
		int init = is_initial(dg[0], v) && (dg[0] & 0x40);
		if ((v != LS_QUIC_V1 && !is_v2(v)) || long_header(dg, n, &pn_off, &len, init))
			break; /* another version, a Retry, or lying lengths */
		size_t whole = pn_off + len;
		if (init) {
			/* the keys come from the DCID of the client's first
			 * Initial and stay (RFC 9001 5.2), even once the client
			 * has switched to the server's connection ID; a Retry
			 * makes a new DCID: derived again when the old keys fail */
			size_t dl = dg[5];
			int fresh = !f->have_keys || f->version != v;
			if (fresh && ls_quic_initial_keys(v, dg + 6, dl, &f->keys))
				break;
			if (fresh) {
				memcpy(f->dcid, dg + 6, dl);
				f->dcid_len = (uint8_t)dl;
				f->version = v;
				f->have_keys = 1;
			}
			if (whole > sizeof(pkt))
				break;
			memcpy(pkt, dg, whole);
			int rc = ls_quic_unprotect(&f->keys, pkt, whole, plain, &clen, &plen, &pn);
			if (rc && (f->dcid_len != dl || memcmp(f->dcid, dg + 6, dl))) {
				struct ls_quic_keys k2;
				memcpy(pkt, dg, whole);
				if (!ls_quic_initial_keys(v, dg + 6, dl, &k2) &&
				    !(rc = ls_quic_unprotect(&k2, pkt, whole, plain, &clen, &plen,
							     &pn))) {
					f->keys = k2;
					memcpy(f->dcid, dg + 6, dl);
					f->dcid_len = (uint8_t)dl;
				}
			}
			if (rc || frames(f, plain, clen)) {
				f->bad++;
			} else {
				f->packets++;
				took = 1;
			}
		}
		dg += whole;
		n -= whole;
	}
	if (!took)
		return f->bad ? LS_QUIC_MALFORMED : LS_QUIC_NOT;
	/* the ClientHello: a handshake header, then its length */
	if (f->contig < 4)
		return LS_QUIC_MORE;
	uint32_t hl =
	    4 + ((uint32_t)f->crypto[1] << 16 | (uint32_t)f->crypto[2] << 8 | f->crypto[3]);
	if (f->crypto[0] != 1) {
		f->done = 1;
		return LS_QUIC_MALFORMED;
	}
	if (f->contig < hl && f->contig < LS_QUIC_CRYPTO_MAX)
		return LS_QUIC_MORE;
	/* whole, or longer than kept: the parser reads what there is */
	f->done = 1;
	int rc = ls_hello_parse(f->crypto, hl < f->contig ? hl : f->contig, out);
	return rc == LS_HELLO_OK ? LS_QUIC_HELLO : LS_QUIC_MALFORMED;
}
