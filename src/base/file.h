/* file.h - reading a whole file into memory, with a limit.
 *
 * Every file lockstep reads whole (a policy module, a policy config, a trace
 * for the report, a module for `lockstep wasm`) goes through here, so each is
 * refused the same way: what is not a regular file (a directory, a FIFO that
 * would block forever, /dev/zero that never ends) and what is larger than the
 * caller's limit get a message naming the path and the reason; nothing is
 * silently cut short. */
#ifndef LS_BASE_FILE_H
#define LS_BASE_FILE_H

#include <stddef.h>

#include "base/err.h"

/* Reads the regular file at path, at most max bytes, into a new buffer with
 * a NUL after the last byte (not counted in *len; free() it). 0 or -errno:
 * -EINVAL not a regular file, -EFBIG larger than max, or open/read's errno.
 * err->msg starts with the path. */
int ls_read_file(const char *path, size_t max, char **out, size_t *len, struct ls_err *err);

/* A value given on the command line either literally or as @FILE: the text
 * itself (copied), or the contents of FILE read as above. arg NULL is "". */
int ls_read_arg(const char *arg, size_t max, char **out, size_t *len, struct ls_err *err);

#endif
