/* err.h - the one error type of lockstep's parts (every ls_* function that
 * can fail; the Wasm engine keeps its own lw_error).
 *
 * Convention: a function that can fail returns int, 0 on success or a
 * negative errno on failure, and fills *err with a message a user can act
 * on. err may be NULL when the caller does not want the text.
 *
 * Why this shape and not the alternatives it replaces:
 * - `char *err, size_t errlen` is two arguments that can disagree (a caller
 *   passing the wrong size), and each caller picks its own buffer, so the
 *   same message was cut at different lengths in different places.
 * - A bare -1 says "failed" but not how: a caller that wants to treat a
 *   missing pin (-ENOENT) differently from a refused one (-EPERM) had to
 *   parse text. The errno is returned AND kept in err->code so that it
 *   survives being passed up a layer with only the struct.
 * - A fixed-size message inside the struct needs no allocation, so an error
 *   can be reported on the out-of-memory path too. 1024 bytes: the longest
 *   messages name a path (PATH_MAX is larger, but no real pin dir or policy
 *   path comes near) plus an engine error; none was cut at this size before.
 */
#ifndef LS_BASE_ERR_H
#define LS_BASE_ERR_H

#define LS_ERR_MSG_MAX 1024

struct ls_err {
	int code;		  /* the negative errno returned with it, 0 if none */
	char msg[LS_ERR_MSG_MAX]; /* what went wrong and what to do, no trailing newline */
};

/* Sets err (printf-style) and returns code, so that a failure reads
 * `return ls_errf(err, -ENOENT, "pin dir %s: not found", dir);`. */
int ls_errf(struct ls_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts context in front of a message set further down ("policy x.wasm: " +
 * msg), keeping err->code; returns err->code (or -EINVAL if err is NULL). */
int ls_err_prefix(struct ls_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
