/* quic_initial.h - the ClientHello inside QUIC Initial packets (RFC 9000
 * 17.2.2, RFC 9001 5, RFC 9369 for v2), read in user space: the Initial
 * keys are public (derived from the client's Destination Connection ID
 * with HKDF-SHA256 and a per-version salt), but deriving them and removing
 * the protection (AES-128-ECB for the header, AES-128-GCM for the payload)
 * is beyond what a BPF program can do, so the kernel hands the datagram
 * over (bpf/dpi_handoff.h) and this decodes it.
 *
 * One ls_quic_flow per flow: CRYPTO frames are placed by offset into a
 * bounded buffer, whatever the order of the frames, packets and datagrams
 * (a ClientHello with a post-quantum key share spans two datagrams; some
 * clients shuffle their CRYPTO frames on purpose), and the ClientHello is
 * parsed once its bytes from offset 0 are all in. Pure: no I/O, no global
 * state; libcrypto for the primitives. */
#ifndef LS_DATAPLANE_QUIC_INITIAL_H
#define LS_DATAPLANE_QUIC_INITIAL_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/tls_hello.h"

#define LS_QUIC_V1 0x00000001u
#define LS_QUIC_V2 0x6b3343cfu
/* the provisional number of QUIC v2's drafts (draft-ietf-quic-v2-01..09):
 * RFC 9369's packet types and "quicv2" labels, another Initial salt. Debian
 * 12's ngtcp2 (0.12) speaks v2 only as this draft. */
#define LS_QUIC_V2_DRAFT 0x709a50c4u
#define LS_QUIC_CRYPTO_MAX 8192 /* CRYPTO stream bytes kept per flow */

struct ls_quic_keys {
	uint8_t key[16], iv[12], hp[16];
};

struct ls_quic_flow {
	uint8_t crypto[LS_QUIC_CRYPTO_MAX];
	uint8_t have[LS_QUIC_CRYPTO_MAX / 8]; /* bit per byte received */
	uint32_t contig;		      /* bytes from offset 0 all received */
	uint32_t packets;		      /* Initial packets decrypted */
	uint32_t bad;			      /* Initial packets that failed (header, tag) */
	uint8_t dcid[20];		      /* the keys below were derived for this DCID */
	uint8_t dcid_len;
	uint8_t have_keys; /* keys holds the keys for dcid */
	uint8_t done;	   /* the ClientHello was parsed (or is malformed) */
	uint32_t version;
	struct ls_quic_keys keys;
};

enum ls_quic_rc {
	LS_QUIC_NOT = 0,       /* no client Initial of v1/v2 in the datagram */
	LS_QUIC_MORE = 1,      /* Initial data taken; the ClientHello is not whole */
	LS_QUIC_HELLO = 2,     /* the ClientHello is whole: *out is filled */
	LS_QUIC_MALFORMED = 3, /* an Initial that lies, or a ClientHello that does */
};

/* The client's Initial keys for a DCID (RFC 9001 5.2; RFC 9369 3.3). */
int ls_quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
			 struct ls_quic_keys *out);

/* Removes header and packet protection from the one long-header packet at
 * pkt (n bytes: the datagram from there): on success the plaintext payload
 * goes to plain (room for n bytes), its length to *plain_len, the packet's
 * full length to *pkt_len, and the packet number to *pn. 0, or -1 when the
 * packet is not a v1/v2 Initial, its lengths lie or its tag is wrong. */
int ls_quic_unprotect(const struct ls_quic_keys *k, uint8_t *pkt, size_t n, uint8_t *plain,
		      size_t *plain_len, size_t *pkt_len, uint64_t *pn);

/* Takes one UDP payload (possibly coalesced packets) of the flow. The
 * result is LS_QUIC_HELLO once, after which the flow is done and further
 * datagrams return LS_QUIC_NOT. */
int ls_quic_datagram(struct ls_quic_flow *f, const uint8_t *dg, size_t n, struct ls_hello *out);

/* The version of a datagram that starts like a client Initial (first byte
 * 0b11xx_xxxx with the Initial type of v1 or v2), else 0: the kernel's
 * test, for the tests and the fuzzer to compare with. */
uint32_t ls_quic_initial_version(const uint8_t *dg, size_t n);

#endif
