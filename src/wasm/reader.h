/* reader.h - the byte reader shared by decode.c and validate.c.
 *
 * Errors unwind with longjmp to the entry point of the pass (lw_decode,
 * lw_validate), which owns every allocation through the module or its own
 * context, so nothing leaks. Reads are bounded by the end of the whole module
 * (not of the section), exactly like the spec's reference decoder: a section
 * or function body that overruns its declared size is caught by the size
 * check after it ("section size mismatch"), which is what the spec tests
 * expect.
 */
#ifndef LW_READER_H
#define LW_READER_H

#include "wasm/module.h"

#include <setjmp.h>
#include <stdint.h>

typedef struct lw_rd {
	const uint8_t *b;
	size_t pos, len;
	lw_error *err;
	jmp_buf jb;
	int section;  /* section id being read, -1 outside */
	int64_t func; /* function index being read, -1 outside */
	lw_error_kind kind; /* LW_ERR_MALFORMED while decoding */
} lw_rd;

_Noreturn void lw_rd_fail(lw_rd *r, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LW_EOS "unexpected end of section or function"

static inline uint8_t lw_u8(lw_rd *r)
{
	if (r->pos >= r->len)
		lw_rd_fail(r, r->len, LW_EOS);
	return r->b[r->pos++];
}

static inline int lw_peek(lw_rd *r)
{
	return r->pos < r->len ? r->b[r->pos] : -1;
}

/* Unsigned LEB128 of at most n bits (the spec's vuN). */
static inline uint64_t lw_vu(lw_rd *r, int n)
{
	uint64_t x = 0;
	for (int shift = 0;; shift += 7, n -= 7) {
		if (n <= 0)
			lw_rd_fail(r, r->pos, "integer representation too long");
		uint8_t b = lw_u8(r);
		if (n < 7 && (b & 0x7f) >= (1u << n))
			lw_rd_fail(r, r->pos - 1, "integer too large");
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return x;
	}
}

/* Signed LEB128 of at most n bits (the spec's vsN). */
static inline int64_t lw_vs(lw_rd *r, int n)
{
	uint64_t x = 0;
	for (int shift = 0;; shift += 7, n -= 7) {
		if (n <= 0)
			lw_rd_fail(r, r->pos, "integer representation too long");
		uint8_t b = lw_u8(r);
		if (n < 7) {
			unsigned mask = (0xffu << (n - 1)) & 0x7f;
			if ((b & mask) != 0 && (b & mask) != mask)
				lw_rd_fail(r, r->pos - 1, "integer too large");
		}
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			shift += 7;
			if (shift < 64 && (b & 0x40))
				x |= ~(uint64_t)0 << shift;
			return (int64_t)x;
		}
	}
}

static inline uint32_t lw_u32(lw_rd *r) { return (uint32_t)lw_vu(r, 32); }

#endif /* LW_READER_H */
