/* test_base_args.c - the one duration grammar and the size and whole-number
 * parsers (src/base/args.c). Expected values are computed by hand from the
 * units (1 s = 10^9 ns, 1 K = 2^10); the limits are UINT64_MAX =
 * 18446744073709551615 and INT64_MAX = 9223372036854775807. */
#include "test.h"

#include <errno.h>
#include <stdint.h>

#include "base/args.h"
#include "clock/options.h"

static int dur(const char *s, uint64_t want)
{
	uint64_t v = 0;
	int ok = !ls_parse_duration_ns(s, &v) && v == want;
	if (!ok)
		printf("# duration '%s' -> %llu, expected %llu\n", s, (unsigned long long)v,
		       (unsigned long long)want);
	return ok;
}

static int dur_refused(const char *s)
{
	uint64_t v;
	return ls_parse_duration_ns(s, &v) == -1;
}

TEST(durations)
{
	CHECK(dur("250ms", 250000000ull));
	CHECK(dur("1.5s", 1500000000ull));
	CHECK(dur("2", 2000000000ull)); /* no unit: seconds */
	CHECK(dur("0.25", 250000000ull));
	CHECK(dur("0.5us", 500));
	CHECK(dur("100ns", 100));
	CHECK(dur("5m", 300000000000ull));
	CHECK(dur("1h", 3600000000000ull));
	CHECK(dur("1.5h", 5400000000000ull));
	CHECK(dur("0", 0));
	CHECK(dur("0.1s", 100000000ull)); /* exact: no binary-float error */
	CHECK(dur("1.5ns", 2));		  /* rounds to the nearest ns */
	CHECK(dur("1.4ns", 1));
	CHECK(dur("0.000000001s", 1));
	CHECK(dur("007ms", 7000000ull));
	CHECK(dur("18446744073709551615ns", UINT64_MAX));
	CHECK(dur("18446744073s", 18446744073000000000ull));
	CHECK(dur("5124095h", 18446742000000000000ull));
}

TEST(durations_refused)
{
	const char *bad[] = {
	    "",
	    "s",
	    "-1s",
	    "+1s",
	    " 1s",
	    "1s ",
	    "1 s",
	    "1d",
	    "1S",
	    "1Ms",
	    "1.",
	    "1.s",
	    ".5s",
	    "1..5s",
	    "1.5.5s",
	    "1e3ms",
	    "0x10s",
	    "inf",
	    "nan",
	    "1,5s",
	    "1s1",
	    "18446744073709551616ns", /* UINT64_MAX + 1 */
	    "18446744074s",
	    "5124096h",
	    "99999999999999999999999s",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!dur_refused(bad[i])) {
			printf("# '%s' was accepted\n", bad[i]);
			CHECK(0);
		}
	}
	uint64_t v;
	CHECK_EQ_INT(ls_parse_duration_ns(NULL, &v), -1);
}

TEST(offsets_are_the_same_grammar_signed)
{
	int64_t v = 0;
	CHECK(!ls_parse_offset_ns("+5ms", 4, &v) && v == 5000000);
	CHECK(!ls_parse_offset_ns("-1.5s", 5, &v) && v == -1500000000);
	CHECK(!ls_parse_offset_ns("-0.5us", 6, &v) && v == -500);
	CHECK(!ls_parse_offset_ns("30", 2, &v) && v == 30000000000ll);
	CHECK(!ls_parse_offset_ns("5ms,delay=1ms", 3, &v) && v == 5000000); /* reads len only */
	CHECK(!ls_parse_offset_ns("9223372036854775807ns", 21, &v) && v == INT64_MAX);
	CHECK(!ls_parse_offset_ns("-9223372036854775807ns", 22, &v) && v == -INT64_MAX);
	CHECK_EQ_INT(ls_parse_offset_ns("9223372036854775808ns", 21, &v), -1);
	CHECK_EQ_INT(ls_parse_offset_ns("+", 1, &v), -1);
	CHECK_EQ_INT(ls_parse_offset_ns("--1s", 4, &v), -1);
	CHECK_EQ_INT(ls_parse_offset_ns("+-1s", 4, &v), -1);
	CHECK_EQ_INT(ls_parse_offset_ns("5ms", 0, &v), -1);
	CHECK(!ls_parse_offset_ns("5ms", 2, &v) && v == 300000000000ll); /* "5m": minutes */
}

/* Issue 15: --beat-interval took 1.5s but not 2, --tick-interval the
 * reverse. Both now read the one grammar (--tick-interval is parsed with
 * ls_parse_duration_ns in cmd_run.c; the clock options here). */
TEST(beat_interval_takes_both_forms)
{
	struct ls_clock_opts o;
	struct ls_err err;
	ls_clock_opts_default(&o);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "1.5s", &err), 1);
	CHECK_EQ_INT(o.beat_interval_ns, 1500000000ll);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "2", &err), 1);
	CHECK_EQ_INT(o.beat_interval_ns, 2000000000ll);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-check-interval", "250ms", &err), 1);
	CHECK_EQ_INT(o.check_interval_ns, 250000000ll);
	/* range 1ms..60s stays the clock's */
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "0.5ms", &err), -EINVAL);
	CHECK(strstr(err.msg, "from 1ms to 60s"));
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "61", &err), -EINVAL);
	CHECK_EQ_INT(ls_clock_opt(&o, "--beat-interval", "+100ms", &err), -EINVAL);
}

TEST(bytes)
{
	uint64_t v = 0;
	CHECK(!ls_parse_bytes("65536", &v) && v == 65536);
	CHECK(!ls_parse_bytes("64K", &v) && v == 65536);
	CHECK(!ls_parse_bytes("64KiB", &v) && v == 65536);
	CHECK(!ls_parse_bytes("4M", &v) && v == 4194304);
	CHECK(!ls_parse_bytes("4MiB", &v) && v == 4194304);
	CHECK(!ls_parse_bytes("1G", &v) && v == 1073741824);
	CHECK(!ls_parse_bytes("17179869183G", &v) && v == 18446744072635809792ull);
	CHECK(!ls_parse_bytes("18446744073709551615", &v) && v == UINT64_MAX);
	const char *bad[] = {"",    "K",    "-1",  "+1",	   "1k",
			     "1KB", "1.5M", "1 K", "17179869184G", "18446744073709551616",
			     "1T"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ls_parse_bytes(bad[i], &v) != -1) {
			printf("# bytes '%s' was accepted\n", bad[i]);
			CHECK(0);
		}
	}
}

TEST(whole_numbers)
{
	uint64_t v = 0;
	CHECK(!ls_parse_uint("0", 0, 10, &v) && v == 0);
	CHECK(!ls_parse_uint("10", 0, 10, &v) && v == 10);
	CHECK(!ls_parse_uint("18446744073709551615", 0, UINT64_MAX, &v) && v == UINT64_MAX);
	CHECK_EQ_INT(ls_parse_uint("11", 0, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint("0", 1, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -1);
	CHECK_EQ_INT(ls_parse_uint("+1", 0, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint("-1", 0, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint(" 1", 0, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint("1x", 0, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint("", 0, 10, &v), -1);
	CHECK_EQ_INT(ls_parse_uint(NULL, 0, 10, &v), -1);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(durations);
	RUN(durations_refused);
	RUN(offsets_are_the_same_grammar_signed);
	RUN(beat_interval_takes_both_forms);
	RUN(bytes);
	RUN(whole_numbers);
	return test_done();
}
