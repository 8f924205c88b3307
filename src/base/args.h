/* args.h - parsers for the numbers people type: durations, sizes, bounded
 * whole numbers. One grammar each, used by every command-line option and by
 * the guest clock's fault spec, so that a value accepted in one place is
 * accepted everywhere. Strict: signs where none belong, trailing junk,
 * spaces and overflow are refused, never clamped. Each returns 0 and sets
 * *out, or -1; callers say what was expected (they know the option). */
#ifndef LS_BASE_ARGS_H
#define LS_BASE_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* The duration grammar: a decimal number, optionally with a fraction, then
 * one unit: ns, us, ms, s, m (minutes), h; no unit means seconds.
 *   "250ms", "1.5s", "2" (= 2s), "0.5us", "100ns", "5m", "1h"
 * Fractions finer than 1 ns round to the nearest ns ("1.5ns" = 2ns). */
int ls_parse_duration_ns(const char *s, uint64_t *out);
/* The same grammar with an optional sign ("+5ms", "-1.5s"), for offsets and
 * steps; reads s[0..len) (s need not be NUL-terminated). */
int ls_parse_offset_ns(const char *s, size_t len, int64_t *out);
/* A whole decimal number in [min, max]. */
int ls_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Bytes: "65536", "64K" / "64KiB", "4M" / "4MiB", "1G" / "1GiB" (binary
 * multiples; no fractions). */
int ls_parse_bytes(const char *s, uint64_t *out);

#endif
