/* h2_hpack.h - HPACK (RFC 7541) header block decoding for HTTP/2 requests,
 * in user space (docs/dataplane.md, "What the kernel decodes, what user
 * space decodes, and why"): integers (5.1), string literals raw or Huffman
 * coded (5.2, Appendix B), the static table (Appendix A) and one dynamic
 * table per direction with its size updates and evictions (2.3, 4, 6.3).
 * Pure: no I/O, no global state but constant tables; bounded by the table
 * size and the block. */
#ifndef LS_DATAPLANE_H2_HPACK_H
#define LS_DATAPLANE_H2_HPACK_H

#include <stddef.h>
#include <stdint.h>

#define LS_HPACK_TABLE_MAX                                                                         \
	4096		      /* SETTINGS_HEADER_TABLE_SIZE default; the                           \
			       * most a decoder here accepts */
#define LS_HPACK_STR_MAX 8192 /* a decoded string longer is refused */

struct ls_hpack_entry {
	uint16_t off, nlen, vlen; /* name then value at arena[off] */
};

struct ls_hpack {
	uint8_t arena[LS_HPACK_TABLE_MAX];		  /* entries' bytes, oldest first */
	struct ls_hpack_entry e[LS_HPACK_TABLE_MAX / 32]; /* oldest first */
	uint32_t n;					  /* entries */
	uint32_t used;					  /* arena bytes */
	uint32_t size;	  /* RFC 7541 4.1 size: sum of nlen + vlen + 32 */
	uint32_t max;	  /* current maximum (a size update sets it) */
	uint32_t max_cap; /* the limit updates may not exceed (SETTINGS) */
};

void ls_hpack_init(struct ls_hpack *h, uint32_t max_cap);

/* One decoded field; return non-zero to stop. */
typedef int (*ls_hpack_field_fn)(void *ctx, const char *name, size_t nlen, const char *value,
				 size_t vlen);

/* Decodes one whole header block (HEADERS + CONTINUATION fragments joined).
 * 0, or -1 when it is malformed (a bad index, integer, Huffman code,
 * padding, a size update over max_cap) -- a COMPRESSION_ERROR, after which
 * the table cannot be trusted. */
int ls_hpack_decode(struct ls_hpack *h, const uint8_t *p, size_t n, ls_hpack_field_fn fn,
		    void *ctx);

/* Huffman-decodes n bytes into out (room for cap); the length or -1. */
long ls_hpack_huffman(const uint8_t *p, size_t n, char *out, size_t cap);

/* The canonical code of a symbol (0..256), derived from the code lengths
 * of RFC 7541 Appendix B (for the tests to compare with the table's codes). */
uint32_t ls_hpack_huffman_code(unsigned sym, unsigned *len);

#endif
