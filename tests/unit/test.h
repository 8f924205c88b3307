/* test.h - a tiny TAP test harness for C unit tests.
 *
 * Each test binary prints TAP lines ("ok N - name", "not ok N - name") that
 * tests/run.sh counts; a failing CHECK prints where and why and marks the
 * current test failed but keeps going, so one run shows every failure.
 *
 *   TEST(parse_ipv4) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *   int main(int argc, char **argv)
 *   {
 *           test_args(argc, argv);
 *           RUN(parse_ipv4);
 *           return test_done();
 *   }
 *
 * One test case runs alone by name, several by several names, and --list
 * prints the names (docs/testing.md):
 *   build/asan/tests/test_dp_wire counter_indices_are_stable
 *   build/asan/tests/test_dp_wire --list
 * A skip (SKIP in a test, test_skip_all for the whole binary) is a missing
 * prerequisite -- root, a tool, a built module -- that CI has, so under CI
 * (CI=true) it is a failure instead.
 */
#ifndef LS_TEST_H
#define LS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_num, t_failed_total, t_cur_failed;
static const char *t_skip, *t_skip_rest;
/* the command line: --list, or the names of the tests to run (all when none) */
static int t_list, t_nnames;
static char **t_names;
static unsigned char t_seen[64];

static inline int test_on_ci(void)
{
	const char *ci = getenv("CI");
	return ci && !strcmp(ci, "true");
}

static inline void test_args(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		t_list = 1;
		return;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [--list | TEST_NAME...]\n", argv[0]);
		exit(0);
	}
	t_names = argv + 1;
	t_nnames = argc - 1 < 64 ? argc - 1 : 64;
}

/* whether RUN(name) runs this test (and, under --list, print its name) */
static inline int test_selected(const char *name)
{
	if (t_list) {
		printf("%s\n", name);
		return 0;
	}
	if (!t_nnames)
		return 1;
	for (int i = 0; i < t_nnames; i++)
		if (!strcmp(t_names[i], name)) {
			t_seen[i] = 1;
			return 1;
		}
	return 0;
}

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
	do {                                                                                       \
		if (!test_selected(#name))                                                         \
			break;                                                                     \
		t_cur_failed = 0;                                                                  \
		t_skip = NULL;                                                                     \
		if (t_skip_rest)                                                                   \
			t_skip = t_skip_rest;                                                      \
		else                                                                               \
			test_##name();                                                             \
		t_num++;                                                                           \
		if (t_skip && test_on_ci()) {                                                      \
			printf("# skipped under CI, which has every "                              \
			       "prerequisite: %s\n",                                               \
			       t_skip);                                                            \
			t_skip = NULL;                                                             \
			t_cur_failed = 1;                                                          \
		}                                                                                  \
		if (t_cur_failed)                                                                  \
			t_failed_total++;                                                          \
		printf("%sok %d - %s%s%s\n", t_cur_failed ? "not " : "", t_num, #name,             \
		       t_skip ? " # SKIP " : "", t_skip ? t_skip : "");                            \
		fflush(stdout);                                                                    \
	} while (0)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);          \
			t_cur_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b) {                                                                    \
			printf("# %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__,   \
			       #a, _a, #b, _b);                                                    \
			t_cur_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b)) {                                                \
			printf("# %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
			       _a ? _a : "(null)", _b ? _b : "(null)");                            \
			t_cur_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

/* Skip the rest of a test with a reason (counted as skipped by run.sh). */
#define SKIP(why)                                                                                  \
	do {                                                                                       \
		t_skip = (why);                                                                    \
		return;                                                                            \
	} while (0)

static inline int test_done(void)
{
	int unknown = 0;
	if (t_list)
		return 0;
	for (int i = 0; i < t_nnames; i++)
		if (!t_seen[i]) {
			printf("# no test named '%s' (--list lists them)\n", t_names[i]);
			unknown = 1;
		}
	printf("1..%d\n", t_num);
	return t_failed_total || unknown ? 1 : 0;
}

/* The tests RUN after this cannot run (e.g. the kernel part, not root):
 * each is reported skipped with why (a failure under CI). */
static inline void test_skip_rest(const char *why)
{
	t_skip_rest = why;
}

/* The whole binary cannot run (before any RUN): "1..0 # SKIP why", or under
 * CI a failure. Use as `return test_skip_all("needs root for BPF");`. */
static inline int test_skip_all(const char *why)
{
	if (t_list)
		return 0;
	if (test_on_ci()) {
		printf("Bail out! %s (and CI, CI=true, has every prerequisite)\n", why);
		return 1;
	}
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

#endif
