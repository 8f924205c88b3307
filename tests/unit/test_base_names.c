/* test_base_names.c - enum names (src/base/names.c), the clock reads
 * (src/base/time.c) and the error type (src/base/err.c). Expected names are
 * docs/events.md's; expected values include/lockstep/wire.h's numbers as
 * written there (1 pass, 2 drop; protocols by IANA number). */
#include "test.h"

#include <errno.h>
#include <time.h>

#include "base/err.h"
#include "base/names.h"
#include "base/time.h"

TEST(verdicts)
{
	uint32_t v = 0;
	CHECK_EQ_STR(ls_verdict_name(0), "undecided");
	CHECK_EQ_STR(ls_verdict_name(1), "pass");
	CHECK_EQ_STR(ls_verdict_name(2), "drop");
	CHECK_EQ_STR(ls_verdict_name(3), "hold");
	CHECK_EQ_STR(ls_verdict_name(4), "reject");
	CHECK_EQ_STR(ls_verdict_name(0x104), "reject-nxdomain");
	CHECK_EQ_STR(ls_verdict_name(5), "unknown");
	CHECK_EQ_STR(ls_verdict_name(0x102), "unknown");
	CHECK(!ls_verdict_parse("pass", &v) && v == 1);
	CHECK(!ls_verdict_parse("drop", &v) && v == 2);
	CHECK_EQ_INT(ls_verdict_parse("undecided", &v), -1); /* a state, not a choice */
	CHECK_EQ_INT(ls_verdict_parse("PASS", &v), -1);
	CHECK_EQ_INT(ls_verdict_parse("", &v), -1);
}

TEST(events_protocols_reasons_levels)
{
	uint32_t v = 0;
	int l = -1;
	CHECK_EQ_STR(ls_event_kind_name(1), "flow_new");
	CHECK_EQ_STR(ls_event_kind_name(2), "dpi");
	CHECK_EQ_STR(ls_event_kind_name(4), "verdict_expired");
	CHECK_EQ_STR(ls_event_kind_name(7), "trace");
	CHECK_EQ_STR(ls_event_kind_name(0), "unknown");
	CHECK_EQ_STR(ls_proto_name(6), "tcp");
	CHECK_EQ_STR(ls_proto_name(17), "udp");
	CHECK_EQ_STR(ls_proto_name(58), "icmpv6");
	CHECK_EQ_STR(ls_proto_name(132), "unknown");
	CHECK(!ls_proto_parse("TCP", &v) && v == 6);
	CHECK(!ls_proto_parse("ipv6-icmp", &v) && v == 58);
	CHECK(!ls_proto_parse("132", &v) && v == 132);
	CHECK_EQ_INT(ls_proto_parse("256", &v), -1);
	CHECK_EQ_INT(ls_proto_parse("sctp", &v), -1);
	CHECK_EQ_INT(ls_proto_parse("", &v), -1);
	CHECK_EQ_STR(ls_end_reason_name(1), "fin");
	CHECK_EQ_STR(ls_end_reason_name(3), "idle");
	CHECK_EQ_STR(ls_log_level_name(0), "debug");
	CHECK_EQ_STR(ls_log_level_name(3), "error");
	CHECK_EQ_STR(ls_log_level_name(9), "info");
	CHECK(!ls_log_level_parse("warn", &l) && l == 2);
	CHECK_EQ_INT(ls_log_level_parse("verbose", &l), -1);
}

/* K against a direct clock_gettime and /proc/uptime (the kernel's own view
 * of time since boot, suspend included as in CLOCK_BOOTTIME). */
TEST(k_is_boottime)
{
	struct timespec a, b;
	clock_gettime(CLOCK_BOOTTIME, &a);
	uint64_t k = ls_now_k();
	clock_gettime(CLOCK_BOOTTIME, &b);
	CHECK(k >= (uint64_t)a.tv_sec * 1000000000ull + (uint64_t)a.tv_nsec);
	CHECK(k <= (uint64_t)b.tv_sec * 1000000000ull + (uint64_t)b.tv_nsec);
	FILE *f = fopen("/proc/uptime", "r");
	double up = 0;
	CHECK(f && fscanf(f, "%lf", &up) == 1);
	if (f)
		fclose(f);
	CHECK(up > 0 && (double)k / 1e9 - up < 1.0 && up - (double)k / 1e9 < 1.0);
	CHECK_EQ_INT(ls_clock_ns((clockid_t)12345), -1);
	int64_t r = ls_clock_ns(CLOCK_REALTIME);
	CHECK(r > 1700000000ll * 1000000000ll); /* after 2023 */
}

TEST(error_value)
{
	struct ls_err e = {0};
	CHECK_EQ_INT(ls_errf(&e, -ENOENT, "pin %s: %s", "/sys/fs/bpf/x", "missing"), -ENOENT);
	CHECK_EQ_STR(e.msg, "pin /sys/fs/bpf/x: missing");
	CHECK_EQ_INT(e.code, -ENOENT);
	CHECK_EQ_INT(ls_err_prefix(&e, "open %d: ", 3), -ENOENT);
	CHECK_EQ_STR(e.msg, "open 3: pin /sys/fs/bpf/x: missing");
	CHECK_EQ_INT(ls_errf(NULL, -EINVAL, "nobody reads %s", "this"), -EINVAL);
	CHECK_EQ_INT(ls_err_prefix(NULL, "x"), -EINVAL);
	char big[2000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ls_errf(&e, -E2BIG, "%s", big);
	CHECK_EQ_INT(strlen(e.msg), LS_ERR_MSG_MAX - 1);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(verdicts);
	RUN(events_protocols_reasons_levels);
	RUN(k_is_boottime);
	RUN(error_value);
	return test_done();
}
