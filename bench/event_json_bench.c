/* event_json_bench.c - what one stdout line costs the agent, before and
 * after printf left the hot path (src/base/fmt.c, src/base/time.c), in one
 * run:
 *   - the baseline is the formatter as it was (vsnprintf per field,
 *     inet_ntop, gmtime_r + snprintf per timestamp; the verdict line one
 *     fprintf), kept below verbatim;
 *   - the new one is the library's ls_event_json / ls_verdict_json;
 * for a flow_new (IPv4 and IPv6), a flow_end and a verdict line, each
 * formatted and written to /dev/null as `lockstep run` does, and for the
 * parts alone (timestamp, addresses). The wall time comes from the default
 * source (REALTIME - BOOTTIME at each line) for both, K advancing 10 us a
 * line (100k lines/s). Every pair is checked byte-identical first. Medians
 * of 7 rounds, old and new alternating; times are printed, never asserted. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/fmt.h"
#include "base/names.h"
#include "base/time.h"
#include "dataplane/event_json.h"

/* ---- the baseline: event_json.c and time.c before this change ---------- */

/* verbatim; gcc sees the 32-byte buffers here and warns that an int's
 * %04d could be 11 digits, which it never is for a year of int64_t ns */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
static char *old_rfc3339(char *buf, size_t len, int64_t wall_ns)
{
	time_t sec = (time_t)(wall_ns / 1000000000ll);
	long us = (long)((wall_ns % 1000000000ll) / 1000);
	if (us < 0) {
		us += 1000000;
		sec--;
	}
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	return buf;
}
#pragma GCC diagnostic pop

static const char *old_event_ts(char *buf, size_t cap, uint64_t k)
{
	return old_rfc3339(buf, cap, ls_wall_of_k(k));
}

struct jw {
	char *buf;
	size_t cap, len;
	int ok;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (!w->ok || w->len + n + 1 > w->cap) {
		w->ok = 0;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

static void jw_fmt(struct jw *w, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->ok = 0;
		return;
	}
	jw_raw(w, tmp, (size_t)n);
}

static void addr_str(const struct ls_flow_key *k, const __u8 *a, char *out, size_t cap)
{
	if (k->family == 4)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

static void jw_flow(struct jw *w, const struct ls_event *ev)
{
	const struct ls_flow_key *k = &ev->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const __u8 *sa = ev->dir == LS_DIR_LO_TO_HI ? k->lo_addr : k->hi_addr;
	const __u8 *da = ev->dir == LS_DIR_LO_TO_HI ? k->hi_addr : k->lo_addr;
	addr_str(k, sa, src, sizeof(src));
	addr_str(k, da, dst, sizeof(dst));
	jw_fmt(w, ",\"proto\":\"%s\"", ls_proto_name(k->proto));
	if (!strcmp(ls_proto_name(k->proto), "unknown"))
		jw_fmt(w, ",\"ipproto\":%u", k->proto);
	jw_fmt(w, ",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u", src, ev->sport, dst,
	       ev->dport);
	jw_fmt(w, ",\"flow_id\":%" PRIu64, (uint64_t)ev->flow_id);
}

/* the kinds measured here (no tunnel): the rest did not change */
static int old_event_json(const struct ls_event *ev, char *buf, size_t cap)
{
	char ts[LS_RFC3339_LEN];
	struct jw w = {buf, cap, 0, 1};
	if (cap)
		buf[0] = 0;
	jw_fmt(&w, "{\"event\":\"%s\"", ls_event_kind_name(ev->kind));
	if (!strcmp(ls_event_kind_name(ev->kind), "unknown"))
		jw_fmt(&w, ",\"kind\":%u", ev->kind);
	jw_fmt(&w, ",\"v\":%u,\"ts_k\":%" PRIu64 ",\"ts\":\"%s\"", ev->version, (uint64_t)ev->ts_k,
	       old_event_ts(ts, sizeof(ts), ev->ts_k));
	if (ev->key.family == 4 || ev->key.family == 6)
		jw_flow(&w, ev);
	if (ev->kind == LS_EV_FLOW_END) {
		jw_fmt(&w, ",\"reason\":\"%s\"", ls_end_reason_name(ev->u.end.reason));
		jw_fmt(&w, ",\"pkts\":[%" PRIu64 ",%" PRIu64 "]", (uint64_t)ev->u.end.pkts[0],
		       (uint64_t)ev->u.end.pkts[1]);
		jw_fmt(&w, ",\"bytes\":[%" PRIu64 ",%" PRIu64 "]", (uint64_t)ev->u.end.bytes[0],
		       (uint64_t)ev->u.end.bytes[1]);
	}
	jw_raw(&w, "}\n", 2);
	return w.ok ? (int)w.len : -1;
}

/* policy_link.c's verdict line as it was: one printf (to /dev/null here) */
static void old_verdict(FILE *f, uint64_t k, uint64_t flow, uint32_t v, uint64_t dl)
{
	char ts[LS_RFC3339_LEN];
	fprintf(f,
		"{\"event\":\"verdict\",\"ts_k\":%llu,\"ts\":\"%s\",\"flow_id\":%llu,"
		"\"verdict\":\"%s\",\"deadline_k\":%llu}\n",
		(unsigned long long)k, old_event_ts(ts, sizeof(ts), k), (unsigned long long)flow,
		ls_verdict_name(v), (unsigned long long)dl);
}

/* ---- the measurement ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define ROUNDS 7
#define N 200000
#define STEP_K 10000 /* 10 us: 100k lines/s */

static FILE *devnull;
static struct ls_event evs[3];
static uint64_t k0;
static volatile size_t sink;

static struct ls_event mk(unsigned kind, int family)
{
	struct ls_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.version = LS_WIRE_VERSION;
	ev.kind = (__u16)kind;
	ev.dir = LS_DIR_HI_TO_LO;
	ev.flow_id = 123456789012ull;
	ev.key.family = (__u8)family;
	ev.key.proto = 6;
	if (family == 4) {
		ev.key.lo_addr[10] = ev.key.lo_addr[11] = 0xff;
		ev.key.hi_addr[10] = ev.key.hi_addr[11] = 0xff;
		memcpy(ev.key.lo_addr + 12, "\xc6\x12\x00\x01", 4);
		memcpy(ev.key.hi_addr + 12, "\xc6\x12\x2a\xfe", 4);
	} else {
		memcpy(ev.key.lo_addr,
		       "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
		memcpy(ev.key.hi_addr,
		       "\x20\x01\x0d\xb8\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02\xab\xcd", 16);
	}
	ev.key.lo_port = 443;
	ev.key.hi_port = 51234;
	ev.sport = 51234;
	ev.dport = 443;
	if (kind == LS_EV_FLOW_END) {
		ev.u.end.reason = 1;
		ev.u.end.pkts[0] = 12;
		ev.u.end.pkts[1] = 10;
		ev.u.end.bytes[0] = 1834;
		ev.u.end.bytes[1] = 52311;
	}
	return ev;
}

/* one line of each case, i the line's number: returns bytes made */
static size_t line(int which, int old, uint64_t i)
{
	char buf[LS_EVENT_JSON_MAX];
	uint64_t k = k0 + i * STEP_K;
	if (which < 3) {
		struct ls_event *ev = &evs[which];
		ev->ts_k = k;
		ev->flow_id++;
		int n = old ? old_event_json(ev, buf, sizeof(buf))
			    : ls_event_json(ev, buf, sizeof(buf));
		fwrite(buf, 1, (size_t)n, devnull);
		return (size_t)n;
	}
	if (which == 3) {
		if (old) {
			old_verdict(devnull, k, 1000000 + i, 1, k + 30000000000ull);
			return 1;
		}
		int n = ls_verdict_json(buf, sizeof(buf), k, 1000000 + i, 1, k + 30000000000ull);
		fwrite(buf, 1, (size_t)n, devnull);
		return (size_t)n;
	}
	if (which == 4) { /* the timestamp alone */
		int64_t wall = 1765000000000000000ll + (int64_t)(i * STEP_K);
		return strlen(old ? old_rfc3339(buf, LS_RFC3339_LEN, wall)
				  : ls_fmt_rfc3339(buf, LS_RFC3339_LEN, wall));
	}
	if (which == 7) /* what both pay: REALTIME - BOOTTIME for the line */
		return (size_t)ls_wall_of_k(k) & 1;
	/* 5, 6: both addresses of the IPv4 / IPv6 event */
	const struct ls_flow_key *key = &evs[which == 5 ? 0 : 1].key;
	int v4 = which == 5;
	if (old) {
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? key->lo_addr + 12 : key->lo_addr, buf, 64);
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? key->hi_addr + 12 : key->hi_addr, buf + 64,
			  64);
		return strlen(buf);
	}
	size_t n = v4 ? ls_fmt_ip4(buf, key->lo_addr + 12) : ls_fmt_ip6(buf, key->lo_addr);
	n += v4 ? ls_fmt_ip4(buf + 64, key->hi_addr + 12) : ls_fmt_ip6(buf + 64, key->hi_addr);
	return n;
}

static double round_ns(int which, int old, int r)
{
	size_t s = 0;
	double t0 = now_s();
	for (uint64_t i = 0; i < N; i++)
		s += line(which, old, (uint64_t)r * N + i);
	sink += s;
	return (now_s() - t0) / N * 1e9;
}

/* old and new alternate round by round, so that the machine's load (2
 * shared CPUs) falls on both alike */
static void run(int which, double *old, double *new)
{
	double o[ROUNDS], n[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		o[r] = round_ns(which, 1, r);
		n[r] = round_ns(which, 0, r);
	}
	qsort(o, ROUNDS, sizeof(o[0]), cmp);
	qsort(n, ROUNDS, sizeof(n[0]), cmp);
	*old = o[ROUNDS / 2];
	*new = n[ROUNDS / 2];
}

/* the same bytes from both, checked before anything is timed; the wall
 * source is fixed for it, since REALTIME - BOOTTIME moves between reads */
static int64_t fixed_wall(void *ctx, uint64_t k)
{
	(void)ctx;
	return (int64_t)(1765000000000000000ull + k);
}

static int same_bytes(void)
{
	char a[LS_EVENT_JSON_MAX], b[LS_EVENT_JSON_MAX], ts[LS_RFC3339_LEN];
	int ok = 1;
	ls_event_wall_source(fixed_wall, NULL);
	for (int w = 0; w < 3; w++) {
		ls_event_json(&evs[w], a, sizeof(a));
		/* the baseline reads REALTIME - BOOTTIME: give it the new
		 * line's timestamp to compare the rest byte for byte */
		old_event_json(&evs[w], b, sizeof(b));
		char *ta = strstr(a, "\"ts\":\""), *tb = strstr(b, "\"ts\":\"");
		if (ta && tb)
			memcpy(tb, ta, 6 + 27);
		ok &= !strcmp(a, b);
	}
	for (uint64_t i = 0; i < 100000; i++) {
		int64_t wall = 1765000000000000000ll + (int64_t)(i * 7777777);
		ok &= !strcmp(ls_fmt_rfc3339(a, LS_RFC3339_LEN, wall),
			      old_rfc3339(ts, sizeof(ts), wall));
	}
	ls_event_wall_source(NULL, NULL);
	return ok;
}

int main(void)
{
	static const char *const name[] = {
	    "flow_new IPv4 line + fwrite", "flow_new IPv6 line + fwrite",
	    "flow_end IPv4 line + fwrite", "verdict line (printf / fwrite)",
	    "RFC 3339 timestamp alone",	   "two IPv4 addresses",
	    "two IPv6 addresses",	   "ls_wall_of_k (both: 2 clock reads)"};
	devnull = fopen("/dev/null", "w");
	if (!devnull) {
		perror("/dev/null");
		return 1;
	}
	evs[0] = mk(LS_EV_FLOW_NEW, 4);
	evs[1] = mk(LS_EV_FLOW_NEW, 6);
	evs[2] = mk(LS_EV_FLOW_END, 4);
	k0 = ls_now_k();
	int same = same_bytes();
	printf("event_json_bench: ns per line, median of %d rounds of %d (lines to /dev/null)\n",
	       ROUNDS, N);
	printf("  identical bytes, old and new: %s\n", same ? "yes" : "NO");
	printf("  %-34s %10s %10s %8s\n", "case", "old ns", "new ns", "old/new");
	for (int w = 0; w < 8; w++) {
		double o, n;
		run(w, &o, &n);
		printf("  %-34s %10.1f %10.1f %7.2fx\n", name[w], o, n, o / n);
	}
	fclose(devnull);
	return same ? 0 : 1;
}
