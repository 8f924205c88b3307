/* quic_protect.h - a QUIC v1 client Initial protector for tests (RFC 9001
 * 5.3 and 5.4, keys of A.1 written out in hex, libcrypto for AES): builds
 * Initials carrying chosen CRYPTO frames, to split and reorder a
 * ClientHello over packets and datagrams. test_dp_quic.c first shows it
 * reproduces the RFC 9001 A.2 packet byte for byte from the RFC's
 * plaintext, so what it builds is what a conforming client sends. */
#ifndef LS_TEST_QUIC_PROTECT_H
#define LS_TEST_QUIC_PROTECT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static inline void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

static const char rfc_hello_hex[] =
    "010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c0000"
    "0413011302010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006"
    "001d0017001800100007000504616c706e000500050100000000003300260024001d00209370b2c9"
    "caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b0003020304000d001000"
    "0e0403050306030203080408050806002d00020101001c00024001003900320408ffffffffffffff"
    "ff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ff"
    "ff";

/* A v1 Initial with a 4-byte packet number and the given frames, padded to
 * plen payload bytes; RFC 9001 5.3 and 5.4 with the keys of A.1 (hex). */
static inline size_t protect_v1(uint8_t *out, uint32_t pn, const uint8_t *frames, size_t flen,
				size_t plen)
{
	uint8_t key[16], iv[12], hp[16], pay[1500] = {0}, mask[16];
	unhex("1f369613dd76d5467730efcbe3b1a22d", key);
	unhex("fa044b2f42a3fd3b46fb255c", iv);
	unhex("9f50449e04a0e810283a1e9933adedd2", hp);
	memcpy(pay, frames, flen);
	size_t len = 4 + plen + 16, h = 0;
	out[h++] = 0xc3;
	memcpy(out + h, "\x00\x00\x00\x01\x08", 5), h += 5;
	memcpy(out + h, dcid, 8), h += 8;
	out[h++] = 0; /* SCID */
	out[h++] = 0; /* token */
	out[h++] = 0x40 | (uint8_t)(len >> 8);
	out[h++] = (uint8_t)len;
	size_t pn_off = h;
	for (int i = 0; i < 4; i++)
		out[h++] = (uint8_t)(pn >> (24 - 8 * i));
	iv[8] ^= (uint8_t)(pn >> 24), iv[9] ^= (uint8_t)(pn >> 16);
	iv[10] ^= (uint8_t)(pn >> 8), iv[11] ^= (uint8_t)pn;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(c, NULL, &l, out, (int)h);
	EVP_EncryptUpdate(c, out + h, &l, pay, (int)plen);
	EVP_EncryptFinal_ex(c, out + h + plen, &l);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + h + plen);
	EVP_CIPHER_CTX_free(c);
	c = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL);
	EVP_EncryptUpdate(c, mask, &l, out + pn_off + 4, 16);
	EVP_CIPHER_CTX_free(c);
	out[0] ^= mask[0] & 0x0f;
	for (int i = 0; i < 4; i++)
		out[pn_off + i] ^= mask[1 + i];
	return h + plen + 16;
}

static inline size_t crypto_frame(uint8_t *o, const uint8_t *hello, size_t off, size_t len)
{
	size_t k = 0;
	o[k++] = 0x06;
	o[k++] = 0x40 | (uint8_t)(off >> 8), o[k++] = (uint8_t)off;
	o[k++] = 0x40 | (uint8_t)(len >> 8), o[k++] = (uint8_t)len;
	memcpy(o + k, hello + off, len);
	return k + len;
}

#endif
