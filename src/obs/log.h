/* log.h - the agent's structured log: one JSON object per line, for every
 * state change and alarm, with a level, the wall-clock time and the kernel
 * time K it was derived from:
 *
 *   {"ts":"2026-11-25T05:01:02.123456Z","k_ns":123456789,"level":"warn",
 *    "kind":"alarm","msg":"...", ...fields}
 *
 * Each message kind has its own token bucket (rate per second, burst), so a
 * storm of one kind can neither flood the disk nor hide other kinds. Lines a
 * bucket refuses are counted; the next line of that kind that gets through,
 * or ls_log_flush() once the storm is over, first writes a summary:
 *   {"kind":"log_suppressed","of":"<kind>","suppressed":N,...}
 */
#ifndef LS_OBS_LOG_H
#define LS_OBS_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "base/names.h" /* ls_log_level_name */

enum ls_log_level { LS_LOG_DEBUG = 0, LS_LOG_INFO, LS_LOG_WARN, LS_LOG_ERROR };

/* Time sources: K now, and wall-clock ns of a K time (the clock part's
 * bracketed REALTIME/BOOTTIME mapping). NULL: clock_gettime. */
struct ls_log_time {
	void *ctx;
	uint64_t (*now_k)(void *ctx);
	int64_t (*wall_from_k)(void *ctx, uint64_t k);
};

/* clock_gettime(CLOCK_BOOTTIME), and REALTIME - BOOTTIME read now. */
extern const struct ls_log_time ls_log_default_time;

struct ls_log_config {
	FILE *out;            /* NULL: stderr */
	int min_level;        /* lines below are dropped (default INFO = 1) */
	double rate_per_s;    /* bucket refill per kind (default 10/s) */
	double burst;         /* bucket size per kind (default 20) */
	struct ls_log_time time;
	/* Called for every line a write failed for (err: its errno) and once
	 * when writes succeed again after failures (err 0). The log says the
	 * first failure of a run once on stderr (kind log_write_error) and the
	 * recovery once in the file (log_write_recovered, with the lines
	 * lost); a line that cannot be written whole is cut back out, never
	 * left half. May log (a nested failure is only counted). */
	void (*on_write_error)(void *ctx, int err);
	void *on_write_ctx;
};

#define LS_LOG_KINDS_MAX 64 /* kinds tracked; more share one "other" bucket */

struct ls_log;

struct ls_log *ls_log_new(const struct ls_log_config *cfg);
void ls_log_free(struct ls_log *lg); /* flushes summaries; does not close out */

/* Write one line of kind `kind` (a short identifier) with message msg and
 * optional extra JSON members given as printf(fields, ...) producing
 * `"a":1,"b":"x"` (no braces, no leading comma; NULL for none). Returns 1 if
 * written, 0 if rate-limited or below the level. */
int ls_log(struct ls_log *lg, int level, const char *kind, const char *msg,
	   const char *fields, ...) __attribute__((format(printf, 5, 6)));
int ls_logv(struct ls_log *lg, int level, const char *kind, const char *msg,
	    const char *fields, va_list ap);

/* The same with a message of msg_len bytes (any bytes: a NUL, invalid
 * UTF-8 are escaped, nothing is cut), e.g. a guest's log line. */
int ls_logn(struct ls_log *lg, int level, const char *kind, const void *msg, size_t msg_len,
	    const char *fields, ...) __attribute__((format(printf, 6, 7)));

/* One line in this schema to f, stamped now, with no logger (no level, no
 * rate limit): for the few lines written before a logger exists or by a
 * command that has none. */
void ls_log_line(FILE *f, int level, const char *kind, const void *msg, size_t msg_len,
		 const char *fields, ...) __attribute__((format(printf, 6, 7)));

/* Write the pending "suppressed N" summaries of kinds whose storm is over
 * (their bucket has a token again). Call from a periodic timer. */
void ls_log_flush(struct ls_log *lg);

/* Write to out from the next line on (log rotation: the caller opened the
 * new file and closes the old one after). */
void ls_log_set_out(struct ls_log *lg, FILE *out);

/* The level below which lines are dropped (SIGHUP: --log-level changed). */
void ls_log_set_level(struct ls_log *lg, int min_level);
int ls_log_level(const struct ls_log *lg);

uint64_t ls_log_written(const struct ls_log *lg);
uint64_t ls_log_suppressed(const struct ls_log *lg);
/* Lines lost to failed writes (ENOSPC, EIO, EBADF ...). */
uint64_t ls_log_write_errors(const struct ls_log *lg);

/* RFC 3339 (ISO 8601) UTC with microseconds: "2026-11-25T05:01:02.123456Z". */
char *ls_fmt_wall(char *buf, size_t len, int64_t wall_ns);

#endif
