/* log.c - rate-limited JSON-lines log (log.h). */
#include "obs/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/names.h"
#include "base/time.h"

struct bucket {
	char kind[32];
	double tokens;
	uint64_t last_k;
	uint64_t suppressed;
};

struct ls_log {
	struct ls_log_config cfg;
	struct bucket b[LS_LOG_KINDS_MAX];
	int n;
	uint64_t written, suppressed;
	uint64_t write_errors; /* lines lost to failed writes */
	uint64_t lost_since;   /* write_errors when the failure began */
	int failing;	       /* errno of the failure going on, 0: none */
};

static uint64_t default_now_k(void *ctx)
{
	(void)ctx;
	return ls_now_k();
}

static int64_t default_wall(void *ctx, uint64_t k)
{
	(void)ctx;
	return ls_wall_of_k(k);
}

const struct ls_log_time ls_log_default_time = {NULL, default_now_k, default_wall};

struct ls_log *ls_log_new(const struct ls_log_config *cfg)
{
	struct ls_log *lg = calloc(1, sizeof(*lg));
	if (!lg)
		return NULL;
	if (cfg)
		lg->cfg = *cfg;
	else
		lg->cfg.min_level = LS_LOG_INFO;
	if (!lg->cfg.rate_per_s)
		lg->cfg.rate_per_s = 10;
	if (!lg->cfg.burst)
		lg->cfg.burst = 20;
	if (!lg->cfg.time.now_k)
		lg->cfg.time.now_k = default_now_k;
	if (!lg->cfg.time.wall_from_k)
		lg->cfg.time.wall_from_k = default_wall;
	return lg;
}

void ls_log_free(struct ls_log *lg)
{
	if (!lg)
		return;
	/* the storm may still be going: say how much was left out */
	for (int i = 0; i < lg->n; i++)
		lg->b[i].tokens = 1;
	ls_log_flush(lg);
	free(lg);
}

char *ls_fmt_wall(char *buf, size_t len, int64_t wall_ns)
{
	return ls_fmt_rfc3339(buf, len, wall_ns);
}

static struct bucket *bucket(struct ls_log *lg, const char *kind, uint64_t now_k)
{
	for (int i = 0; i < lg->n; i++)
		if (!strcmp(lg->b[i].kind, kind))
			return &lg->b[i];
	/* kinds are fixed by code; past the table they share one last slot */
	struct bucket *b;
	if (lg->n < LS_LOG_KINDS_MAX - 1)
		b = &lg->b[lg->n++];
	else
		b = &lg->b[LS_LOG_KINDS_MAX - 1];
	if (!b->kind[0]) {
		snprintf(b->kind, sizeof(b->kind), "%s",
			 b == &lg->b[LS_LOG_KINDS_MAX - 1] ? "other" : kind);
		b->tokens = lg->cfg.burst;
		b->last_k = now_k;
		if (b == &lg->b[LS_LOG_KINDS_MAX - 1])
			lg->n = LS_LOG_KINDS_MAX;
	}
	return b;
}

static void refill(struct ls_log *lg, struct bucket *b, uint64_t now_k)
{
	if (now_k > b->last_k) {
		b->tokens += lg->cfg.rate_per_s * (double)(now_k - b->last_k) / 1e9;
		if (b->tokens > lg->cfg.burst)
			b->tokens = lg->cfg.burst;
	}
	b->last_k = now_k;
}

static void head(struct ls_log *lg, FILE *f, int level, const char *kind, uint64_t now_k)
{
	char ts[40];
	ls_fmt_wall(ts, sizeof(ts), lg->cfg.time.wall_from_k(lg->cfg.time.ctx, now_k));
	fprintf(f, "{\"ts\":\"%s\",\"k_ns\":%llu,\"level\":\"%s\",\"kind\":\"%s\"", ts,
		(unsigned long long)now_k, ls_log_level_name(level), kind);
}

/* Writes one whole line with one write(2) (a file opened O_APPEND gets it
 * in one piece or, on a full disk, not at all: a short write is cut back so
 * that no half line stays). -errno when it could not. */
static int put_line(FILE *f, const char *line, size_t len)
{
	int fd = fileno(f);
	if (fd < 0) { /* a memory stream (the tests): no descriptor to write */
		errno = 0;
		if (fwrite(line, 1, len, f) != len || fflush(f))
			return -(errno ? errno : EIO);
		return 0;
	}
	if (fflush(f)) {
		/* nothing of ours is buffered there; an earlier error is */
	}
	off_t at = lseek(fd, 0, SEEK_END); /* -1 for a pipe or a tty: fine */
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, line + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			if (done && at >= 0 && ftruncate(fd, at)) {
				/* the half line stays: nothing more to do */
			}
			return -e;
		}
		done += (size_t)w;
	}
	return 0;
}

/* A line for stderr (the journal under systemd) about the log file itself,
 * when the log file is not stderr. */
static void to_stderr(struct ls_log *lg, FILE *f, int level, const char *kind, const char *msg,
		      const char *more)
{
	char ts[40], line[768];
	if (f == stderr)
		return;
	uint64_t now_k = lg->cfg.time.now_k(lg->cfg.time.ctx);
	ls_fmt_wall(ts, sizeof(ts), lg->cfg.time.wall_from_k(lg->cfg.time.ctx, now_k));
	int n = snprintf(line, sizeof(line),
			 "{\"ts\":\"%s\",\"k_ns\":%llu,\"level\":\"%s\",\"kind\":\"%s\","
			 "\"msg\":\"%s\"%s}\n",
			 ts, (unsigned long long)now_k, ls_log_level_name(level), kind, msg, more);
	if (n > 0)
		put_line(stderr, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Writes a formatted line and keeps the books: the first failed write of a
 * run of failures is said once (on stderr) and reported through
 * cfg.on_write_error; every failed line is counted; the first line that
 * goes through again comes after one saying how many were lost (both in
 * one write). Frees line. */
static int write_line(struct ls_log *lg, char *line, size_t len)
{
	FILE *f = lg->cfg.out ? lg->cfg.out : stderr;
	uint64_t lost = lg->write_errors - lg->lost_since;
	if (lg->failing) {
		uint64_t now_k = lg->cfg.time.now_k(lg->cfg.time.ctx);
		char ts[40], *both = NULL;
		ls_fmt_wall(ts, sizeof(ts), lg->cfg.time.wall_from_k(lg->cfg.time.ctx, now_k));
		int n =
		    asprintf(&both,
			     "{\"ts\":\"%s\",\"k_ns\":%llu,\"level\":\"warn\","
			     "\"kind\":\"log_write_recovered\",\"msg\":\"log writes work again; "
			     "%llu lines were lost\",\"lost\":%llu}\n%.*s",
			     ts, (unsigned long long)now_k, (unsigned long long)lost,
			     (unsigned long long)lost, (int)len, line);
		if (n > 0) {
			free(line);
			line = both;
			len = (size_t)n;
		}
	}
	int rc = put_line(f, line, len);
	free(line);
	if (rc) {
		lg->write_errors++;
		if (!lg->failing) {
			char more[160];
			lg->failing = -rc;
			lg->lost_since = lg->write_errors - 1;
			snprintf(more, sizeof(more), ",\"error\":\"%s\",\"errno\":%d",
				 strerror(-rc), -rc);
			to_stderr(lg, f, LS_LOG_ERROR, "log_write_error",
				  "cannot write the log file: lines are lost until writes succeed "
				  "again",
				  more);
		}
		if (lg->cfg.on_write_error)
			lg->cfg.on_write_error(lg->cfg.on_write_ctx, -rc);
		return rc;
	}
	lg->written++;
	if (lg->failing) {
		char more[64];
		lg->failing = 0;
		lg->written++;
		snprintf(more, sizeof(more), ",\"lost\":%llu", (unsigned long long)lost);
		to_stderr(lg, f, LS_LOG_WARN, "log_write_recovered", "log writes work again", more);
		if (lg->cfg.on_write_error)
			lg->cfg.on_write_error(lg->cfg.on_write_ctx, 0);
	}
	return 0;
}

static void summary(struct ls_log *lg, struct bucket *b, uint64_t now_k)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return;
	head(lg, f, LS_LOG_WARN, "log_suppressed", now_k);
	fprintf(f,
		",\"msg\":\"%llu lines of kind %s were suppressed by the rate limit\","
		"\"of\":\"%s\",\"suppressed\":%llu}\n",
		(unsigned long long)b->suppressed, b->kind, b->kind,
		(unsigned long long)b->suppressed);
	fclose(f);
	b->suppressed = 0;
	write_line(lg, line, len);
}

/* The line after the head: the message (n bytes, escaped whatever they
 * are) and the extra members. */
static void body(FILE *f, const void *msg, size_t msg_len, const char *fields, va_list ap)
{
	fputs(",\"msg\":\"", f);
	ls_json_fput(f, msg, msg_len);
	fputc('"', f);
	if (fields && *fields) {
		fputc(',', f);
		vfprintf(f, fields, ap);
	}
	fputs("}\n", f);
	fflush(f);
}

static int emit(struct ls_log *lg, int level, const char *kind, const void *msg, size_t msg_len,
		const char *fields, va_list ap)
{
	if (!lg || level < lg->cfg.min_level)
		return 0;
	uint64_t now_k = lg->cfg.time.now_k(lg->cfg.time.ctx);
	struct bucket *b = bucket(lg, kind, now_k);
	refill(lg, b, now_k);
	if (b->tokens < 1) {
		b->suppressed++;
		lg->suppressed++;
		return 0;
	}
	b->tokens -= 1;
	if (b->suppressed)
		summary(lg, b, now_k);
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return 0;
	head(lg, f, level, kind, now_k);
	body(f, msg, msg_len, fields, ap);
	fclose(f);
	return write_line(lg, line, len) ? 0 : 1;
}

int ls_logv(struct ls_log *lg, int level, const char *kind, const char *msg, const char *fields,
	    va_list ap)
{
	return emit(lg, level, kind, msg, msg ? strlen(msg) : 0, fields, ap);
}

int ls_logn(struct ls_log *lg, int level, const char *kind, const void *msg, size_t msg_len,
	    const char *fields, ...)
{
	va_list ap;
	va_start(ap, fields);
	int rc = emit(lg, level, kind, msg, msg_len, fields, ap);
	va_end(ap);
	return rc;
}

void ls_log_line(FILE *f, int level, const char *kind, const void *msg, size_t msg_len,
		 const char *fields, ...)
{
	struct ls_log lg = {.cfg.time = ls_log_default_time};
	va_list ap;
	va_start(ap, fields);
	flockfile(f);
	head(&lg, f, level, kind, ls_now_k());
	body(f, msg, msg_len, fields, ap);
	funlockfile(f);
	va_end(ap);
}

void ls_log_set_out(struct ls_log *lg, FILE *out)
{
	if (lg)
		lg->cfg.out = out;
}

void ls_log_set_level(struct ls_log *lg, int min_level)
{
	if (lg)
		lg->cfg.min_level = min_level;
}

int ls_log_level(const struct ls_log *lg)
{
	return lg ? lg->cfg.min_level : LS_LOG_INFO;
}

int ls_log(struct ls_log *lg, int level, const char *kind, const char *msg, const char *fields, ...)
{
	va_list ap;
	va_start(ap, fields);
	int rc = ls_logv(lg, level, kind, msg, fields, ap);
	va_end(ap);
	return rc;
}

void ls_log_flush(struct ls_log *lg)
{
	if (!lg)
		return;
	uint64_t now_k = lg->cfg.time.now_k(lg->cfg.time.ctx);
	for (int i = 0; i < lg->n; i++) {
		struct bucket *b = &lg->b[i];
		if (!b->suppressed)
			continue;
		refill(lg, b, now_k);
		if (b->tokens >= 1)
			summary(lg, b, now_k);
	}
}

uint64_t ls_log_written(const struct ls_log *lg)
{
	return lg->written;
}

uint64_t ls_log_suppressed(const struct ls_log *lg)
{
	return lg->suppressed;
}

uint64_t ls_log_write_errors(const struct ls_log *lg)
{
	return lg->write_errors;
}
