/* args.c - the duration, size and whole-number grammars (see args.h).
 * Durations are computed in exact integer arithmetic: a value read through a
 * double ("0.1s") could land one ns off, and the guest clock's fault model is
 * specified to the nanosecond. */
#include "base/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int ls_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	uint64_t mul;
};

static const struct unit *find_unit(const struct unit *u, const char *s, size_t len)
{
	for (; u->name; u++)
		if (strlen(u->name) == len && !memcmp(u->name, s, len))
			return u;
	return NULL;
}

/* Magnitude of the duration s[0..len) (no sign) in ns, at most limit. */
static int duration_abs(const char *s, size_t len, uint64_t limit, uint64_t *out)
{
	static const struct unit units[] = {
	    {"ns", 1},
	    {"us", 1000},
	    {"ms", 1000000},
	    {"s", 1000000000ull},
	    {"m", 60000000000ull},
	    {"h", 3600000000000ull},
	    {"", 1000000000ull},
	    {NULL, 0},
	};
	size_t i = 0;
	unsigned __int128 ip = 0, frac = 0, scale = 1;
	if (!len || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		ip = ip * 10 + (unsigned)(s[i] - '0');
		if (ip > UINT64_MAX)
			return -1;
	}
	if (i < len && s[i] == '.') {
		size_t d0 = ++i;
		for (; i < len && isdigit((unsigned char)s[i]); i++) {
			/* digits past 1e-18 of a unit are far below 1 ns */
			if (scale < 1000000000000000000ull) {
				frac = frac * 10 + (unsigned)(s[i] - '0');
				scale *= 10;
			}
		}
		if (i == d0)
			return -1; /* "1." or "1.s" */
	}
	const struct unit *u = find_unit(units, s + i, len - i);
	if (!u)
		return -1;
	unsigned __int128 ns = ip * u->mul + (frac * u->mul + scale / 2) / scale;
	if (ns > limit)
		return -1;
	*out = (uint64_t)ns;
	return 0;
}

int ls_parse_duration_ns(const char *s, uint64_t *out)
{
	return s ? duration_abs(s, strlen(s), UINT64_MAX, out) : -1;
}

int ls_parse_offset_ns(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	uint64_t v;
	if (!s || !len)
		return -1;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		len--;
	}
	if (duration_abs(s, len, INT64_MAX, &v))
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int ls_parse_bytes(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
	    {"", 1},
	    {"K", 1ull << 10},
	    {"KiB", 1ull << 10},
	    {"M", 1ull << 20},
	    {"MiB", 1ull << 20},
	    {"G", 1ull << 30},
	    {"GiB", 1ull << 30},
	    {NULL, 0},
	};
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	const struct unit *u = find_unit(units, end, strlen(end));
	if (!u || v > UINT64_MAX / u->mul)
		return -1;
	*out = v * u->mul;
	return 0;
}
