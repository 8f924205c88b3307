/* test.h - a tiny TAP test harness for C unit tests.
 *
 * Each test binary prints TAP lines ("ok N - name", "not ok N - name") that
 * tests/run.sh counts; a failing CHECK prints where and why and marks the
 * current test failed but keeps going, so one run shows every failure.
 *
 *   TEST(parse_ipv4) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *   int main(void) { RUN(parse_ipv4); return test_done(); }
 */
#ifndef LS_TEST_H
#define LS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_num, t_failed_total, t_cur_failed;
static const char *t_skip;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                              \
	do {                                                                   \
		t_cur_failed = 0;                                              \
		t_skip = NULL;                                                 \
		test_##name();                                                 \
		t_num++;                                                       \
		if (t_cur_failed)                                              \
			t_failed_total++;                                      \
		printf("%sok %d - %s%s%s\n", t_cur_failed ? "not " : "", t_num, \
		       #name, t_skip ? " # SKIP " : "", t_skip ? t_skip : ""); \
		fflush(stdout);                                                \
	} while (0)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			t_cur_failed = 1;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			printf("# %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
			       __LINE__, #a, _a, #b, _b);                      \
			t_cur_failed = 1;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                     \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b)) {                            \
			printf("# %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
			       __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
			t_cur_failed = 1;                                      \
		}                                                              \
	} while (0)

/* Skip the rest of a test with a reason (counted as skipped by run.sh). */
#define SKIP(why)                                                              \
	do {                                                                   \
		t_skip = (why);                                                \
		return;                                                        \
	} while (0)

static inline int test_done(void)
{
	printf("1..%d\n", t_num);
	return t_failed_total ? 1 : 0;
}

#endif
