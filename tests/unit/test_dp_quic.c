/* test_dp_quic.c - QUIC Initial decoding in user space (quic_initial.h,
 * tls_hello.h) against the RFCs' own test vectors: the keys of RFC 9001
 * A.1 and RFC 9369 A.1, the protected client Initials of A.2 in each (and in
 * draft-ietf-quic-v2, the version Debian 12's ngtcp2 sends), and
 * the ClientHello they carry (SNI "example.com", ALPN "alpn", readable in
 * the RFCs' plaintext hex). Reassembly across packets and datagrams is
 * tested with Initials this test protects itself, with a protector that is
 * first shown to reproduce the RFC 9001 packet byte for byte. */
#include "test.h"
#include "quic_protect.h"
#include "quic_vectors.h"

#include <openssl/evp.h>

#include "dataplane/quic_initial.h"
#include "dataplane/tls_hello.h"

static int eq_hex(const uint8_t *b, const char *h)
{
	uint8_t w[64];
	size_t n = strlen(h) / 2;
	unhex(h, w);
	return !memcmp(b, w, n);
}

TEST(initial_keys_match_rfc)
{
	struct ls_quic_keys k;
	CHECK(ls_quic_initial_keys(LS_QUIC_V1, dcid, 8, &k) == 0);
	CHECK(eq_hex(k.key, "1f369613dd76d5467730efcbe3b1a22d")); /* RFC 9001 A.1 */
	CHECK(eq_hex(k.iv, "fa044b2f42a3fd3b46fb255c"));
	CHECK(eq_hex(k.hp, "9f50449e04a0e810283a1e9933adedd2"));
	CHECK(ls_quic_initial_keys(LS_QUIC_V2, dcid, 8, &k) == 0);
	CHECK(eq_hex(k.key, "8b1a0bc121284290a29e0971b5cd045d")); /* RFC 9369 A.1 */
	CHECK(eq_hex(k.iv, "91f73e2351d8fa91660e909f"));
	CHECK(eq_hex(k.hp, "45b95e15235d6f45a6b19cbcb0294ba9"));
	/* draft-ietf-quic-v2's salt (values from Python's cryptography) */
	CHECK(ls_quic_initial_keys(LS_QUIC_V2_DRAFT, dcid, 8, &k) == 0);
	CHECK(eq_hex(k.key, "95df2be2e8d549c82e996fc9339f4563"));
	CHECK(eq_hex(k.iv, "ea5e3c95f933db14b7020ad8"));
	CHECK(eq_hex(k.hp, "091efb735702447d07908f6501845794"));
	CHECK(ls_quic_initial_keys(0xff00001d, dcid, 8, &k) != 0); /* a v1 draft: not ours */
}

static void unprotect_case(uint32_t ver, const uint8_t *vec, const char *plain_hdr)
{
	struct ls_quic_keys k;
	uint8_t pkt[1200], plain[1200];
	size_t plen = 0, whole = 0;
	uint64_t pn = 0;
	memcpy(pkt, vec, sizeof(pkt));
	CHECK(ls_quic_initial_version(pkt, sizeof(pkt)) == ver);
	CHECK(ls_quic_initial_keys(ver, dcid, 8, &k) == 0);
	CHECK(ls_quic_unprotect(&k, pkt, sizeof(pkt), plain, &plen, &whole, &pn) == 0);
	CHECK_EQ_INT(pn, 2);
	CHECK_EQ_INT(whole, 1200);
	CHECK_EQ_INT(plen, 1162); /* RFC: 1162-byte payload incl. PADDING */
	CHECK(eq_hex(pkt, plain_hdr));
	CHECK(eq_hex(plain, "060040f1010000ed0303ebf8fa56f12939b9584a3896472e"));
}

TEST(unprotect_rfc9001_a2)
{
	unprotect_case(LS_QUIC_V1, rfc9001_a2_client_initial,
		       "c300000001088394c8f03e5157080000449e00000002");
}

TEST(unprotect_rfc9369_a2)
{
	unprotect_case(LS_QUIC_V2, rfc9369_a2_client_initial,
		       "d36b3343cf088394c8f03e5157080000449e00000002");
}

TEST(unprotect_v2draft_a2)
{
	unprotect_case(LS_QUIC_V2_DRAFT, v2draft_a2_client_initial,
		       "d3709a50c4088394c8f03e5157080000449e00000002");
}

static void hello_case(const uint8_t *vec)
{
	static struct ls_quic_flow f;
	struct ls_hello h;
	memset(&f, 0, sizeof(f));
	CHECK_EQ_INT(ls_quic_datagram(&f, vec, 1200, &h), LS_QUIC_HELLO);
	CHECK_EQ_STR(h.sni, "example.com");
	CHECK_EQ_STR(h.alpn, "alpn");
	CHECK_EQ_STR(h.alpn1, "alpn");
	CHECK(!h.truncated);
	/* once reported, the flow is done */
	CHECK_EQ_INT(ls_quic_datagram(&f, vec, 1200, &h), LS_QUIC_NOT);
}

TEST(client_hello_v1)
{
	hello_case(rfc9001_a2_client_initial);
}

TEST(client_hello_v2)
{
	hello_case(rfc9369_a2_client_initial);
}

TEST(client_hello_v2draft)
{
	hello_case(v2draft_a2_client_initial);
}

TEST(protector_reproduces_rfc9001_a2)
{
	uint8_t hello[241], fr[300], pkt[1300];
	unhex(rfc_hello_hex, hello);
	size_t fl = crypto_frame(fr, hello, 0, sizeof(hello));
	fr[1] = 0x00, memmove(fr + 2, fr + 3, fl - 3), fl--; /* the RFC's 1-byte offset */
	CHECK_EQ_INT(protect_v1(pkt, 2, fr, fl, 1162), 1200);
	CHECK(!memcmp(pkt, rfc9001_a2_client_initial, 1200));
}

TEST(crypto_split_across_datagrams_out_of_order)
{
	static struct ls_quic_flow f;
	uint8_t hello[241], fr[400], dg1[1300], dg2[1300];
	struct ls_hello h;
	unhex(rfc_hello_hex, hello);
	memset(&f, 0, sizeof(f));
	/* datagram 1: the tail, then a middle piece, in one packet */
	size_t fl = crypto_frame(fr, hello, 150, 91);
	fl += crypto_frame(fr + fl, hello, 60, 40);
	size_t n1 = protect_v1(dg1, 0, fr, fl, 1100);
	/* datagram 2: two coalesced Initials carrying the rest */
	fl = crypto_frame(fr, hello, 0, 60);
	size_t n2 = protect_v1(dg2, 1, fr, fl, 500);
	fl = crypto_frame(fr, hello, 100, 50);
	n2 += protect_v1(dg2 + n2, 2, fr, fl, 500);
	CHECK_EQ_INT(ls_quic_datagram(&f, dg1, n1, &h), LS_QUIC_MORE);
	CHECK_EQ_INT(ls_quic_datagram(&f, dg2, n2, &h), LS_QUIC_HELLO);
	CHECK_EQ_STR(h.sni, "example.com");
	CHECK_EQ_STR(h.alpn, "alpn");
	CHECK_EQ_INT(f.packets, 3);
}

TEST(malformed_inputs)
{
	static struct ls_quic_flow f;
	struct ls_hello h;
	uint8_t pkt[1200];
	/* a flipped ciphertext bit: the tag fails, nothing is reported */
	memcpy(pkt, rfc9001_a2_client_initial, 1200);
	pkt[600] ^= 1;
	memset(&f, 0, sizeof(f));
	CHECK_EQ_INT(ls_quic_datagram(&f, pkt, 1200, &h), LS_QUIC_MALFORMED);
	/* truncated: the Length field runs past the datagram */
	memset(&f, 0, sizeof(f));
	CHECK_EQ_INT(ls_quic_datagram(&f, rfc9001_a2_client_initial, 900, &h), LS_QUIC_NOT);
	/* a DCID length over 20 */
	memcpy(pkt, rfc9001_a2_client_initial, 1200);
	pkt[5] = 21;
	memset(&f, 0, sizeof(f));
	CHECK_EQ_INT(ls_quic_datagram(&f, pkt, 1200, &h), LS_QUIC_NOT);
	/* not QUIC: a short header, another version, too short */
	CHECK_EQ_INT(ls_quic_initial_version((const uint8_t *)"\x40\0\0\0\1\0\0", 7), 0);
	CHECK_EQ_INT(ls_quic_initial_version((const uint8_t *)"\xc0\xff\0\0\x1d\0\0", 7), 0);
	CHECK_EQ_INT(ls_quic_initial_version((const uint8_t *)"\xc0\0\0\0\1", 5), 0);
	/* a v1 Handshake packet (type 2) is not an Initial */
	CHECK_EQ_INT(ls_quic_initial_version((const uint8_t *)"\xe0\0\0\0\1\0\0", 7), 0);
	/* a ClientHello whose extension length lies */
	uint8_t hello[241];
	unhex(rfc_hello_hex, hello);
	hello[4 + 2 + 32 + 1 + 2 + 4 + 2] = 0xff; /* extensions length high byte */
	CHECK_EQ_INT(ls_hello_parse(hello, sizeof(hello), &h), LS_HELLO_MALFORMED);
	CHECK_EQ_INT(ls_hello_parse((const uint8_t *)"\x02\0\0\0", 4, &h), LS_HELLO_NOT);
	/* an ALPN protocol holding a NUL ("a\0pn", what fuzz_quic found) is
	 * skipped: the SNI is still read, no ALPN is reported cut short */
	unhex(rfc_hello_hex, hello);
	uint8_t *alpn = memmem(hello, sizeof(hello), "\x04" "alpn", 5);
	CHECK(alpn != NULL);
	if (alpn) {
		alpn[2] = 0;
		CHECK_EQ_INT(ls_hello_parse(hello, sizeof(hello), &h), LS_HELLO_OK);
		CHECK_EQ_STR(h.sni, "example.com");
		CHECK_EQ_INT(h.alpn_len, 0);
		CHECK_EQ_INT(h.alpn1_len, 0);
	}
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(initial_keys_match_rfc);
	RUN(unprotect_rfc9001_a2);
	RUN(unprotect_rfc9369_a2);
	RUN(unprotect_v2draft_a2);
	RUN(client_hello_v1);
	RUN(client_hello_v2);
	RUN(client_hello_v2draft);
	RUN(protector_reproduces_rfc9001_a2);
	RUN(crypto_split_across_datagrams_out_of_order);
	RUN(malformed_inputs);
	return test_done();
}
