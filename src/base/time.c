/* time.c - clock reads (see time.h). */
#include "base/time.h"

#include <string.h>

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

/* Consecutive lines fall in the same second: the calendar part
 * "YYYY-MM-DDTHH:MM:SS" is kept per thread for the last second formatted, so
 * gmtime_r runs once a second and a thread rather than once a line (it and
 * snprintf were 8% of the agent's CPU at 100k new flows/s). Per thread so
 * that workers printing at once need no lock. */
static __thread struct {
	int valid;
	time_t sec;
	char cal[19];
} rfc_cache;

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

static void calendar(char cal[19], time_t sec)
{
	struct tm tm = {0};
	gmtime_r(&sec, &tm);
	/* four digits, as %04d wrote them: an int64_t of ns spans the years
	 * 1677 to 2262 only */
	int year = tm.tm_year + 1900;
	put2(cal, year / 100);
	put2(cal + 2, year % 100);
	cal[4] = '-';
	put2(cal + 5, tm.tm_mon + 1);
	cal[7] = '-';
	put2(cal + 8, tm.tm_mday);
	cal[10] = 'T';
	put2(cal + 11, tm.tm_hour);
	cal[13] = ':';
	put2(cal + 14, tm.tm_min);
	cal[16] = ':';
	put2(cal + 17, tm.tm_sec);
}

char *ls_fmt_rfc3339(char *buf, size_t len, int64_t wall_ns)
{
	/* the second and microseconds as they always were: truncated toward
	 * zero, then a negative remainder borrowed from the second (so -1500
	 * ns is .999999 of second -1, and -500 ns is .000000 of second 0) */
	time_t sec = (time_t)(wall_ns / 1000000000ll);
	long us = (long)((wall_ns % 1000000000ll) / 1000);
	if (us < 0) {
		us += 1000000;
		sec--;
	}
	if (!rfc_cache.valid || rfc_cache.sec != sec) {
		calendar(rfc_cache.cal, sec);
		rfc_cache.sec = sec;
		rfc_cache.valid = 1;
	}
	char out[LS_RFC3339_LEN];
	memcpy(out, rfc_cache.cal, 19);
	out[19] = '.';
	for (int i = 25; i >= 20; i--) {
		out[i] = (char)('0' + us % 10);
		us /= 10;
	}
	out[26] = 'Z';
	out[27] = 0;
	/* snprintf's contract: at most len - 1 bytes and a NUL, none if 0 */
	if (len) {
		size_t n = len - 1 < 27 ? len - 1 : 27;
		memcpy(buf, out, n);
		buf[n] = 0;
	}
	return buf;
}
