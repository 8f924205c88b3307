/* log.c - rate-limited JSON-lines log (log.h). */
#include "obs/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
};

static uint64_t default_now_k(void *ctx)
{
	(void)ctx;
	return ls_now_k();
}

static int64_t default_wall(void *ctx, uint64_t k)
{
	uint64_t now_k = ls_now_k();
	(void)ctx;
	return ls_clock_ns(CLOCK_REALTIME) - (int64_t)(now_k - k);
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
	time_t sec = (time_t)(wall_ns / 1000000000ll);
	long us = (long)((wall_ns % 1000000000ll) / 1000);
	if (us < 0) {
		us += 1000000;
		sec--;
	}
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	return buf;
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

static void summary(struct ls_log *lg, struct bucket *b, uint64_t now_k)
{
	FILE *f = lg->cfg.out ? lg->cfg.out : stderr;
	head(lg, f, LS_LOG_WARN, "log_suppressed", now_k);
	fprintf(f, ",\"msg\":\"%llu lines of kind %s were suppressed by the rate limit\","
		   "\"of\":\"%s\",\"suppressed\":%llu}\n",
		(unsigned long long)b->suppressed, b->kind, b->kind,
		(unsigned long long)b->suppressed);
	fflush(f);
	lg->written++;
	b->suppressed = 0;
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

static int emit(struct ls_log *lg, int level, const char *kind, const void *msg,
		size_t msg_len, const char *fields, va_list ap)
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
	FILE *f = lg->cfg.out ? lg->cfg.out : stderr;
	head(lg, f, level, kind, now_k);
	body(f, msg, msg_len, fields, ap);
	lg->written++;
	return 1;
}

int ls_logv(struct ls_log *lg, int level, const char *kind, const char *msg,
	    const char *fields, va_list ap)
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

int ls_log(struct ls_log *lg, int level, const char *kind, const char *msg,
	   const char *fields, ...)
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
