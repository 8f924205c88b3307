/* err.c - setting the one error type (see err.h for the convention). */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ls_errf(struct ls_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

int ls_err_prefix(struct ls_err *err, const char *fmt, ...)
{
	if (!err)
		return -EINVAL;
	char head[LS_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* the message moves right to make room; its end is cut if need be */
	size_t max = sizeof(err->msg) - 1, hl = strlen(head);
	size_t ml = strnlen(err->msg, max);
	if (hl + ml > max)
		ml = max - hl;
	memmove(err->msg + hl, err->msg, ml);
	memcpy(err->msg, head, hl);
	err->msg[hl + ml] = 0;
	return err->code;
}
