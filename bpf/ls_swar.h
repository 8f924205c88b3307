/* ls_swar.h - word-at-a-time (SWAR) byte tests for the payload inspectors.
 *
 * A 64-bit word holds eight payload bytes, the first in the low byte (the
 * BPF target is little-endian here, like the hosts it runs on). Each test
 * yields a mask with the high bit of every byte that matches, exact for every
 * byte (no borrow or carry crosses a byte: each byte is tested on its low
 * seven bits plus its high bit), so masks can be combined and negated freely.
 * ls_swar_first() turns a mask into the index of the first matching byte
 * without a count-trailing-zeros instruction, which BPF lacks. */
#ifndef LS_SWAR_H
#define LS_SWAR_H

#include "dpi_common.h"

#define LS_SWAR_LO 0x0101010101010101ull
#define LS_SWAR_HI 0x8080808080808080ull
#define LS_SWAR_7F 0x7f7f7f7f7f7f7f7full

/* Eight bytes of s->buf from i (< LS_BUF_SZ; the buffer has eight bytes of
 * slack after its end, so the read stays inside whatever i is). */
static __always_inline __u64 ls_w64(const struct ls_scratch *s, __u32 i)
{
	const __u8 *p = &s->buf[ls_idx(i, LS_BUF_MASK)];
	__u64 w;
	/* one unaligned 8-byte load: clang would split a C access it cannot
	 * prove aligned into eight byte loads */
	asm volatile("%0 = *(u64 *)(%1 + 0)" : "=r"(w) : "r"(p));
	return w;
}

/* High bits of the first `avail` bytes (all eight when avail >= 8). */
static __always_inline __u64 ls_swar_valid(__u32 avail)
{
	return avail >= 8 ? LS_SWAR_HI : LS_SWAR_HI & ((1ull << (8 * (avail & 7))) - 1);
}

/* bytes equal to zero */
static __always_inline __u64 ls_swar_zero(__u64 x)
{
	return ~(((x & LS_SWAR_7F) + LS_SWAR_7F) | x) & LS_SWAR_HI;
}

/* bytes equal to c */
static __always_inline __u64 ls_swar_eq(__u64 w, __u8 c)
{
	return ls_swar_zero(w ^ (LS_SWAR_LO * c));
}

/* visible ASCII bytes: 0x21 <= b <= 0x7e */
static __always_inline __u64 ls_swar_visible(__u64 w)
{
	__u64 v7 = w & LS_SWAR_7F;
	return (v7 + LS_SWAR_LO * 0x5f) & ~(v7 + LS_SWAR_LO) & ~w & LS_SWAR_HI;
}

/* index (0-7) of the first byte flagged in a non-zero mask */
static __always_inline __u32 ls_swar_first(__u64 mask)
{
	return (__u32)((((mask & -mask) >> 7) * 0x0001020304050607ull) >> 56);
}

/* Writes the first k (1-8) bytes of w to dst[off..off+k), off + k <= lim,
 * lim <= mask + 1 (a power of two), cap the size of dst. dst must be zero
 * from off on (a cleared event, filled in order): one word store may write
 * the zero bytes past k. */
static __always_inline void ls_swar_put(char *dst, __u32 cap, __u32 mask, __u32 off, __u64 w,
					__u32 k)
{
	off = ls_idx(off, mask);
	if (off + 8 <= cap) {
		*(__u64 *)(dst + off) = k >= 8 ? w : w & ((1ull << (8 * (k & 7))) - 1);
		return;
	}
#pragma unroll
	for (__u32 j = 0; j < 8; j++)
		if (j < k)
			dst[ls_idx(off + j, mask)] = (char)(w >> (8 * j));
}

#endif
