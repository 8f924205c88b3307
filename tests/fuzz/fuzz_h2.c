/* fuzz_h2.c - libFuzzer target for user-space HTTP/2 request decoding
 * (src/dataplane/h2_request.c, h2_hpack.c). The first byte picks the way
 * in: even, the rest is a header block for ls_hpack_decode on a table
 * that lives across inputs (as a connection's does); odd, the rest is a
 * client stream after the connection preface, fed in chunks whose sizes
 * come from the first byte. Invariants: no crash or sanitizer report; a
 * reported request's strings are NUL-terminated in their buffers; the
 * table's accounting stays within its limit. Built by `make fuzz`; run by
 * tests/dataplane/fuzz_quic_short.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/h2_hpack.h"
#include "dataplane/h2_request.h"

static int field(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
	(void)ctx, (void)name, (void)v;
	if (nl > LS_HPACK_STR_MAX || vl > LS_HPACK_STR_MAX)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct ls_hpack table;
	static struct ls_h2_conn c;
	static uint8_t buf[LS_H2_PREFACE_LEN + 65536];
	static int init;
	struct ls_h2_req r;
	if (!init++)
		ls_hpack_init(&table, 4096);
	if (n < 1)
		return 0;
	uint8_t sel = data[0];
	data++, n--;
	if (!(sel & 1)) {
		if (ls_hpack_decode(&table, data, n, field, NULL))
			ls_hpack_init(&table, 4096); /* a COMPRESSION_ERROR ends the table */
		if (table.size > table.max || table.used > sizeof(table.arena))
			abort();
		return 0;
	}
	if (n > sizeof(buf) - LS_H2_PREFACE_LEN)
		n = sizeof(buf) - LS_H2_PREFACE_LEN;
	memcpy(buf, LS_H2_PREFACE, LS_H2_PREFACE_LEN);
	memcpy(buf + LS_H2_PREFACE_LEN, data, n);
	n += LS_H2_PREFACE_LEN;
	size_t chunk = (sel >> 1) + 1;
	ls_h2_init(&c);
	for (size_t at = 0; at < n; at += chunk) {
		size_t k = n - at < chunk ? n - at : chunk;
		if (ls_h2_feed(&c, buf + at, k, &r) == LS_H2_REQUEST) {
			if (strnlen(r.method, sizeof(r.method)) == sizeof(r.method) ||
			    strnlen(r.path, sizeof(r.path)) == sizeof(r.path) ||
			    strnlen(r.authority, sizeof(r.authority)) == sizeof(r.authority))
				abort();
			break;
		}
	}
	return 0;
}
