/* fuzz_quic.c - libFuzzer target for user-space QUIC decoding
 * (src/dataplane/quic_initial.c, tls_hello.c). The first input byte picks
 * the way in:
 *   0: the rest is datagrams (2-byte length prefix each) of one flow, fed
 *      to ls_quic_datagram as they come -- header parsing, coalescing,
 *      lying lengths, failed tags;
 *   1: the rest is the plaintext of v1 client Initials (2-byte length
 *      prefix each, up to 1150 bytes), protected here with the RFC 9001
 *      A.1 keys (tests/unit/quic_protect.h) and fed to one flow -- so the
 *      frame walker, CRYPTO placement and the ClientHello parser see
 *      arbitrary plaintext behind a valid tag;
 *   2: the rest is a handshake message for ls_hello_parse.
 * Invariants: no crash or sanitizer report; every reported string is
 * NUL-terminated inside its buffer with the length it claims; a flow
 * reports once. Built by `make fuzz`; run by tests/dataplane/fuzz_quic_short.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/quic_protect.h"
#include "dataplane/quic_initial.h"
#include "dataplane/tls_hello.h"

static void check(const struct ls_hello *h)
{
	if (h->sni_len >= sizeof(h->sni) || strlen(h->sni) != h->sni_len ||
	    h->alpn_len >= sizeof(h->alpn) || strlen(h->alpn) != h->alpn_len ||
	    h->alpn1_len >= sizeof(h->alpn1) || strlen(h->alpn1) != h->alpn1_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct ls_quic_flow f;
	static uint8_t pkt[1400];
	struct ls_hello h;
	int reported = 0;
	if (n < 1)
		return 0;
	uint8_t mode = data[0] % 3;
	data++, n--;
	if (mode == 2) {
		if (ls_hello_parse(data, n, &h) == LS_HELLO_OK)
			check(&h);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	for (uint32_t pn = 0; n >= 2; pn++) {
		size_t l = (size_t)data[0] << 8 | data[1];
		data += 2, n -= 2;
		if (l > n)
			l = n;
		const uint8_t *dg = data;
		size_t dl = l;
		if (mode == 1) {
			if (l > 1150)
				l = 1150;
			dl = protect_v1(pkt, pn, data, l, 1150);
			dg = pkt;
		}
		if (ls_quic_datagram(&f, dg, dl, &h) == LS_QUIC_HELLO) {
			check(&h);
			if (reported++)
				abort(); /* once per flow */
		}
		data += l, n -= l;
	}
	return 0;
}
