/* tls_hello.h - the TLS ClientHello fields lockstep reports (SNI, ALPN),
 * read from a whole handshake message in user space (RFC 8446 4.1.2, RFC
 * 6066 3, RFC 7301 3.1). The kernel reads SNI from TCP itself (bpf/
 * dpi_tls.h); this one serves what only user space can see: the ClientHello
 * a QUIC Initial carries once decrypted (quic_initial.h). Pure function, no
 * state, bounded by its input. */
#ifndef LS_DATAPLANE_TLS_HELLO_H
#define LS_DATAPLANE_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define LS_HELLO_SNI_MAX 256  /* incl. NUL, as LS_NAME_MAX */
#define LS_HELLO_ALPN_MAX 128 /* the offered list, comma-separated, incl. NUL */

struct ls_hello {
	char sni[LS_HELLO_SNI_MAX];    /* first host_name, "" when none */
	char alpn[LS_HELLO_ALPN_MAX];  /* offered protocols in order, "a,b" */
	char alpn1[LS_HELLO_ALPN_MAX]; /* the first (most preferred) one */
	uint16_t sni_len;
	uint16_t alpn_len;
	uint16_t alpn1_len;
	uint8_t truncated; /* a field was longer than its buffer */
};

enum ls_hello_rc {
	LS_HELLO_OK = 0,
	LS_HELLO_NOT = 1,	/* not a ClientHello */
	LS_HELLO_MALFORMED = 2, /* a ClientHello whose lengths lie */
};

/* m: a handshake message (type, 24-bit length, body), n bytes of it. */
int ls_hello_parse(const uint8_t *m, size_t n, struct ls_hello *out);

#endif
