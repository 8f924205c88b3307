/* quic_alpn_shim.c - an LD_PRELOAD library for ngtcp2's packaged QUIC client
 * (gtlsclient), used by tests/dataplane/quic_live.sh. That client offers one
 * ALPN, "h3", fixed in its source (examples/tls_client_session_gnutls.cc
 * calls gnutls_alpn_set_protocols with H3_ALPN_V1); to see other ALPN lists
 * from the same real client and TLS stack, this wraps that one GnuTLS call
 * and hands GnuTLS the comma-separated ids of $LS_ALPN instead (at most 16,
 * each 1-255 bytes). Without LS_ALPN the client's own list goes through.
 * GnuTLS still builds the ClientHello and ngtcp2 still encrypts it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* GnuTLS's public types, declared here so no -dev package is needed:
 * gnutls_datum_t is { unsigned char *data; unsigned int size; } and a
 * session is an opaque pointer (gnutls/gnutls.h). */
typedef struct {
	unsigned char *data;
	unsigned int size;
} ls_datum;
typedef int (*alpn_fn)(void *session, const ls_datum *protocols, unsigned n, unsigned flags);

int gnutls_alpn_set_protocols(void *session, const ls_datum *protocols, unsigned n, unsigned flags)
{
	alpn_fn real = (alpn_fn)dlsym(RTLD_NEXT, "gnutls_alpn_set_protocols");
	const char *env = getenv("LS_ALPN");
	static char buf[4096];
	ls_datum ids[16];
	unsigned k = 0;
	if (!real)
		return -1;
	if (!env || !*env || strlen(env) >= sizeof(buf))
		return real(session, protocols, n, flags);
	strcpy(buf, env);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && k < 16;
	     t = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(t);
		if (len == 0 || len > 255)
			continue;
		ids[k].data = (unsigned char *)t;
		ids[k].size = (unsigned int)len;
		k++;
	}
	return real(session, ids, k, flags);
}
