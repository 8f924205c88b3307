/* json.h - the one JSON string escaper, for every output lockstep writes
 * (event lines, logs, status, traces, inspect).
 *
 * Any byte sequence yields valid JSON (RFC 8259) that is also valid UTF-8:
 *  - `"` and `\` are escaped; \n, \r and \t as such; every other control byte
 *    (0x00-0x1f) and DEL (0x7f) as \u00XX;
 *  - valid UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF)
 *    passes through unchanged, so names in any script stay readable;
 *  - every byte that is not part of a valid UTF-8 sequence (a stray
 *    continuation byte, an overlong form, an encoded surrogate, a sequence cut
 *    short) is written as \u00XX, XX its value.
 * Why \u00XX and not \uFFFD: the byte's value stays visible (a DNS label of
 * 0xff bytes differs from one of 0xfe), which is what one debugging a hostile
 * packet needs; docs/events.md promised it before. The cost: a reader sees
 * U+00XX, the same character as a valid two-byte Latin-1 letter; a consumer
 * that needs the exact bytes of a name cannot get them from JSON either way.
 * Nothing is ever cut inside an escape or a UTF-8 sequence. */
#ifndef LS_BASE_JSON_H
#define LS_BASE_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Escapes n bytes of s (no quotes added) into buf, NUL-terminated. Returns the
 * length written, or -1 when the escaped text did not fit whole: buf then
 * holds the longest escaped prefix that fit (cap 0: nothing written). */
int ls_json_escape(char *buf, size_t cap, const void *s, size_t n);

/* For printf arguments: the NUL-terminated s (NULL as "") escaped into buf,
 * cut to fit; returns buf. */
const char *ls_json_str(char *buf, size_t cap, const char *s);

/* Writes n bytes of s escaped (no quotes added) to f. 0, or -1 if f failed. */
int ls_json_fput(FILE *f, const void *s, size_t n);

#endif
