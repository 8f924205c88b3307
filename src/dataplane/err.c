/* err.c - error values for the dataplane: a message a user can act on and
 * a negative errno, returned together. */
#include "dataplane/dataplane.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int ls_dp_errf(struct ls_dp_err *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

uint64_t ls_now_k(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
