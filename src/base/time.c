/* time.c - clock reads (see time.h). */
#include "base/time.h"

#include <stdio.h>

int64_t ls_clock_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts))
		return -1;
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

uint64_t ls_now_k(void)
{
	/* CLOCK_BOOTTIME cannot fail on the kernels lockstep runs on (it
	 * needs eBPF with bpf_ktime_get_boot_ns, 5.8+) */
	return (uint64_t)ls_clock_ns(CLOCK_BOOTTIME);
}

int64_t ls_wall_of_k(uint64_t k)
{
	uint64_t now_k = ls_now_k();
	return ls_clock_ns(CLOCK_REALTIME) - (int64_t)(now_k - k);
}

char *ls_fmt_rfc3339(char *buf, size_t len, int64_t wall_ns)
{
	time_t sec = (time_t)(wall_ns / 1000000000ll);
	long us = (long)((wall_ns % 1000000000ll) / 1000);
	if (us < 0) {
		us += 1000000;
		sec--;
	}
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	return buf;
}
