/* args.c - parsers for durations, sizes and bounded integers on the command line;
 * strict: trailing junk, signs and overflow are refused, never clamped. */
#include "base/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ls_cli_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
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

/* A decimal number followed by one of the units (exactly), scaled. */
static int uint_with_unit(const char *s, const struct unit *units, size_t n, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].name))
			continue;
		if (v > UINT64_MAX / units[i].mul)
			return -1;
		*out = v * units[i].mul;
		return 0;
	}
	return -1;
}

int ls_cli_duration_ns(const char *s, uint64_t *ns)
{
	static const struct unit units[] = {
		{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000ull},
		{"m", 60000000000ull}, {"h", 3600000000000ull}, {"", 1000000000ull},
	};
	return uint_with_unit(s, units, sizeof(units) / sizeof(units[0]), ns);
}

int ls_cli_bytes(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1}, {"K", 1ull << 10}, {"KiB", 1ull << 10}, {"M", 1ull << 20},
		{"MiB", 1ull << 20}, {"G", 1ull << 30}, {"GiB", 1ull << 30},
	};
	return uint_with_unit(s, units, sizeof(units) / sizeof(units[0]), out);
}
