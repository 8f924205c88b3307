/* test_obs_log.c - the JSON-lines log: line format, levels, escaping, and
 * the per-kind token bucket with its "suppressed N" summaries. Time is
 * injected, so the rate limit is tested exactly. */
#include "test.h"

#include <fcntl.h>
#include <unistd.h>
#include "obs/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static uint64_t fake_k;
static uint64_t now_k(void *ctx) { (void)ctx; return fake_k; }
static int64_t wall(void *ctx, uint64_t k) { (void)ctx; return 1764046800000000000ll + (int64_t)k; }

struct cap {
	char *buf;
	size_t len;
	FILE *f;
};

static struct ls_log *open_log(struct cap *c, double rate, double burst)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	struct ls_log_config cfg = {.out = c->f, .min_level = LS_LOG_INFO, .rate_per_s = rate,
				    .burst = burst, .time = {NULL, now_k, wall}};
	return ls_log_new(&cfg);
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(line_format)
{
	struct cap c;
	fake_k = 5000000000ull;
	struct ls_log *lg = open_log(&c, 10, 20);
	CHECK_EQ_INT(ls_log(lg, LS_LOG_WARN, "alarm_offset", "quote \" and\nnewline",
			    "\"offset_ns\":%d,\"who\":\"%s\"", -42, "x"), 1);
	CHECK_EQ_INT(ls_log(lg, LS_LOG_DEBUG, "noise", "below the level", NULL), 0);
	fflush(c.f);
	cJSON *j = cJSON_Parse(c.buf);
	CHECK(j != NULL);
	if (j) {
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "level")->valuestring, "warn");
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "kind")->valuestring, "alarm_offset");
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "msg")->valuestring, "quote \" and\nnewline");
		CHECK_EQ_INT(cJSON_GetObjectItem(j, "offset_ns")->valuedouble, -42);
		CHECK_EQ_INT(cJSON_GetObjectItem(j, "k_ns")->valuedouble, 5000000000.0);
		/* 1764046800 s = 2025-11-25T05:00:00Z, plus K = 5 s */
		CHECK_EQ_STR(cJSON_GetObjectItem(j, "ts")->valuestring, "2025-11-25T05:00:05.000000Z");
		cJSON_Delete(j);
	}
	CHECK(c.buf[strlen(c.buf) - 1] == '\n');
	ls_log_free(lg);
	fclose(c.f);
	free(c.buf);
}

TEST(storm_is_limited_and_summarised)
{
	struct cap c;
	fake_k = 1000000000ull;
	struct ls_log *lg = open_log(&c, 2, 5); /* 2 lines/s, burst 5 */
	int written = 0;
	for (int i = 0; i < 1000; i++)
		written += ls_log(lg, LS_LOG_WARN, "storm", "again", NULL);
	CHECK_EQ_INT(written, 5);
	/* another kind is not starved by the storm */
	CHECK_EQ_INT(ls_log(lg, LS_LOG_INFO, "state", "still heard", NULL), 1);
	CHECK_EQ_INT(ls_log_suppressed(lg), 995);
	/* half a second later one token came back: the summary comes first */
	fake_k += 500000000ull;
	CHECK_EQ_INT(ls_log(lg, LS_LOG_WARN, "storm", "again", NULL), 1);
	fflush(c.f);
	CHECK(strstr(c.buf, "\"kind\":\"log_suppressed\"") != NULL);
	CHECK(strstr(c.buf, "\"of\":\"storm\",\"suppressed\":995") != NULL);
	/* a storm that stops is summarised by ls_log_flush once it can */
	for (int i = 0; i < 10; i++)
		ls_log(lg, LS_LOG_WARN, "storm", "again", NULL);
	ls_log_flush(lg); /* no token yet: nothing */
	fflush(c.f);
	int before = count_lines(c.buf, "log_suppressed");
	fake_k += 1000000000ull;
	ls_log_flush(lg);
	fflush(c.f);
	CHECK_EQ_INT(count_lines(c.buf, "log_suppressed"), before + 1);
	CHECK(strstr(c.buf, "\"suppressed\":10}") != NULL);
	/* every line is one JSON object */
	int lines = 0, ok = 0;
	for (char *p = c.buf, *e; (e = strchr(p, '\n')); p = e + 1) {
		*e = 0;
		cJSON *j = cJSON_Parse(p);
		lines++;
		ok += j != NULL;
		cJSON_Delete(j);
		*e = '\n';
	}
	CHECK(lines > 5);
	CHECK_EQ_INT(ok, lines);
	ls_log_free(lg);
	fclose(c.f);
	free(c.buf);
}

/* A token bucket holds at most its burst: after an hour of quiet (7200
 * tokens' worth at 2 lines/s) a storm still gets exactly 5 lines. */
TEST(a_long_quiet_refills_only_the_burst)
{
	struct cap c;
	fake_k = 1000000000ull;
	struct ls_log *lg = open_log(&c, 2, 5); /* 2 lines/s, burst 5 */
	CHECK_EQ_INT(ls_log(lg, LS_LOG_WARN, "storm", "first", NULL), 1);
	fake_k += 3600ull * 1000000000ull;
	int written = 0;
	for (int i = 0; i < 1000; i++)
		written += ls_log(lg, LS_LOG_WARN, "storm", "again", NULL);
	CHECK_EQ_INT(written, 5);
	ls_log_free(lg);
	fclose(c.f);
	free(c.buf);
}

TEST(many_kinds_share_a_bucket)
{
	struct cap c;
	fake_k = 1;
	struct ls_log *lg = open_log(&c, 1, 1);
	char kind[16];
	int written = 0;
	for (int i = 0; i < 200; i++) {
		snprintf(kind, sizeof(kind), "k%d", i);
		written += ls_log(lg, LS_LOG_INFO, kind, "m", NULL);
	}
	/* 63 own buckets and one shared one: bounded whatever the kinds */
	CHECK_EQ_INT(written, LS_LOG_KINDS_MAX);
	ls_log_free(lg);
	fclose(c.f);
	free(c.buf);
}

static int write_errs, recovered, last_err;
static void on_write_error(void *ctx, int err)
{
	(void)ctx;
	if (err)
		write_errs++, last_err = err;
	else
		recovered++;
}

/* A log file that cannot be written (/dev/full: every write is ENOSPC):
 * each lost line is counted and reported to the callback, the failure is
 * said once on stderr (not once per line), and the first line that goes
 * through again (the file replaced by a good one) says how many were lost. */
TEST(write_errors_said_once_and_counted)
{
	FILE *full = fopen("/dev/full", "w");
	CHECK(full != NULL);
	if (!full)
		return;
	char errpath[] = "/tmp/test_obs_log.XXXXXX";
	int efd = mkstemp(errpath);
	int saved = dup(2);
	dup2(efd, 2); /* capture what the log says on stderr */
	fake_k = 1000000000ull;
	struct ls_log_config cfg = {.out = full,
				    .min_level = LS_LOG_INFO,
				    .rate_per_s = 100,
				    .burst = 100,
				    .time = {NULL, now_k, wall},
				    .on_write_error = on_write_error};
	struct ls_log *lg = ls_log_new(&cfg);
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(ls_log(lg, LS_LOG_INFO, "state", "lost", NULL), 0);
	CHECK_EQ_INT((int)ls_log_write_errors(lg), 5);
	CHECK_EQ_INT(write_errs, 5);
	CHECK_EQ_INT(last_err, ENOSPC);
	CHECK_EQ_INT(recovered, 0);
	struct cap c;
	c.buf = NULL;
	c.f = open_memstream(&c.buf, &c.len);
	ls_log_set_out(lg, c.f);
	CHECK_EQ_INT(ls_log(lg, LS_LOG_INFO, "state", "back", NULL), 1);
	CHECK_EQ_INT(ls_log(lg, LS_LOG_INFO, "state", "and on", NULL), 1);
	CHECK_EQ_INT(recovered, 1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fflush(c.f);
	CHECK_EQ_INT(count_lines(c.buf, "\"kind\":\"log_write_recovered\""), 1);
	CHECK(strstr(c.buf, "\"lost\":5") != NULL);
	char said[4096] = "";
	ssize_t n = pread(efd, said, sizeof(said) - 1, 0);
	said[n > 0 ? n : 0] = 0;
	CHECK_EQ_INT(count_lines(said, "\"kind\":\"log_write_error\""), 1);
	CHECK(strstr(said, "No space left on device") != NULL);
	CHECK_EQ_INT(count_lines(said, "\"kind\":\"log_write_recovered\""), 1);
	close(efd);
	unlink(errpath);
	ls_log_free(lg);
	fclose(c.f);
	free(c.buf);
	fclose(full);
}

/* On a disk that fills up mid-line, no half line is left in the file: a
 * short write is cut back (the log stays one JSON object per line). */
TEST(short_write_leaves_no_half_line)
{
	char path[] = "/tmp/test_obs_log_short.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	/* RLIMIT_FSIZE makes the kernel cut a write short at the limit */
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 300;
	signal(SIGXFSZ, SIG_IGN);
	/* the limit is the process's: this test's own output (a file under
	 * tests/run.sh, longer than 300 bytes by now) must not be written
	 * while it holds, or it is cut and leaves a hole in the TAP log */
	fflush(stdout);
	fflush(stderr);
	int saved_err = dup(2), devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	setrlimit(RLIMIT_FSIZE, &lim);
	FILE *f = fdopen(fd, "a");
	fake_k = 2000000000ull;
	struct ls_log_config cfg = {.out = f,
				    .min_level = LS_LOG_INFO,
				    .rate_per_s = 100,
				    .burst = 100,
				    .time = {NULL, now_k, wall}};
	struct ls_log *lg = ls_log_new(&cfg);
	int ok = 0;
	for (int i = 0; i < 10; i++)
		ok += ls_log(lg, LS_LOG_INFO, "state", "a line of about a hundred bytes", NULL);
	setrlimit(RLIMIT_FSIZE, &old);
	dup2(saved_err, 2);
	close(saved_err);
	close(devnull);
	CHECK(ok >= 1 && ok < 10);
	CHECK_EQ_INT((int)ls_log_write_errors(lg), 10 - ok);
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = 0;
	CHECK(n > 0 && buf[n - 1] == '\n');
	CHECK_EQ_INT(count_lines(buf, "\n"), ok);
	ls_log_free(lg);
	fclose(f);
	unlink(path);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(line_format);
	RUN(storm_is_limited_and_summarised);
	RUN(a_long_quiet_refills_only_the_burst);
	RUN(many_kinds_share_a_bucket);
	RUN(write_errors_said_once_and_counted);
	RUN(short_write_leaves_no_half_line);
	return test_done();
}
