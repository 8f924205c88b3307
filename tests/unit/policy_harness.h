/* policy_harness.h - shared by the test_policy_* unit tests: a verdict sink
 * that records what the policy writes, injectable G and K clocks, captured
 * log lines, and builders for kernel events (struct ls_event) as the data
 * plane produces them. Header-only on purpose: helper .c files in tests/unit are
 * linked into every test binary, and this one pulls in the engine. */
#ifndef LS_POLICY_HARNESS_H
#define LS_POLICY_HARNESS_H

#include "base/json.h"
#include "policy/policy.h"
#include "policy/timemap.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct rec_verdict {
	uint64_t flow_id;
	uint32_t verdict;
	uint64_t deadline_k;
};

/* What the data plane would say of a flow (h_counters), by server port. */
struct rec_seen {
	uint16_t port;
	uint64_t flow_id;
	uint64_t last_seen_k;
};

struct harness {
	struct rec_verdict v[4096];
	struct rec_seen seen[16];
	int nseen;
	int nv;
	int flushes;
	uint64_t now_g, now_k;
	char last_log[4096];
	int nlogs;
	struct ls_policy *p;
	struct ls_err err;
};

static inline int h_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id,
			  uint32_t verdict, uint64_t deadline_k)
{
	struct harness *h = ctx;
	(void)key;
	if (h->nv < (int)(sizeof(h->v) / sizeof(h->v[0])))
		h->v[h->nv++] = (struct rec_verdict){flow_id, verdict, deadline_k};
	return 0;
}

/* The data plane's flow table, as far as a test filled h->seen. */
static inline int h_counters(void *ctx, const struct ls_flow_key *key, struct ls_flow *out)
{
	struct harness *h = ctx;
	for (int i = 0; i < h->nseen; i++)
		if (key->lo_port == h->seen[i].port || key->hi_port == h->seen[i].port) {
			memset(out, 0, sizeof(*out));
			out->flow_id = h->seen[i].flow_id;
			out->last_seen_k = h->seen[i].last_seen_k;
			out->pkts[0] = out->pkts[1] = 1;
			return 0;
		}
	return -1;
}

static inline void h_flush(void *ctx)
{
	((struct harness *)ctx)->flushes++;
}

static inline uint64_t h_now_g(void *ctx)
{
	return ((struct harness *)ctx)->now_g;
}

static inline uint64_t h_now_k(void *ctx)
{
	return ((struct harness *)ctx)->now_k;
}

/* Keeps the last line as the agent's logger would write its members
 * (kind, msg, then the fields), so a check reads it as JSON text. */
static inline void h_log(void *ctx, int level, const char *kind, const char *msg,
			 size_t msg_len, const char *fields)
{
	struct harness *h = ctx;
	char esc[2048];
	(void)level;
	h->nlogs++;
	ls_json_escape(esc, sizeof(esc), msg, msg_len);
	snprintf(h->last_log, sizeof(h->last_log), "{\"kind\":\"%s\",\"msg\":\"%s\",%s}", kind,
		 esc, fields);
	if (getenv("LS_TEST_VERBOSE"))
		printf("# log: %s\n", h->last_log);
}

/* The repository root: tests/run.sh runs from it and exports LS_ROOT. */
static inline const char *guest_path(const char *name, char *buf, size_t len)
{
	const char *root = getenv("LS_ROOT");
	snprintf(buf, len, "%s/build/guests/%s", root ? root : ".", name);
	return buf;
}

static inline int guest_exists(const char *name)
{
	char path[4096];
	struct stat st;
	return stat(guest_path(name, path, sizeof(path)), &st) == 0;
}

/* Fresh harness and policy; G and K start apart (G = K - 1 h would be a
 * guest clock with another epoch) so that a test mixing them up shows. */
static inline struct harness *harness_new(const char *guest_config, uint64_t fuel,
					  uint32_t default_verdict)
{
	struct harness *h = calloc(1, sizeof(*h));
	h->now_k = 1000ull * 1000000000ull;
	h->now_g = 50ull * 1000000000ull;
	struct ls_policy_config cfg = {
	    .fuel = fuel,
	    .default_verdict = default_verdict ? default_verdict : LS_VERDICT_DROP,
	    .guest_config = guest_config,
	    .guest_config_len = guest_config ? strlen(guest_config) : 0,
	    .clock = {.ctx = h, .now_g = h_now_g, .now_k = h_now_k},
	    .log = h_log,
	    .log_ctx = h,
	};
	struct ls_verdict_sink sink = {
		.ctx = h, .write = h_write, .counters = h_counters, .flush = h_flush};
	if (ls_policy_new(&cfg, &sink, &h->p, &h->err)) {
		printf("# ls_policy_new: %s\n", h->err.msg);
		free(h);
		return NULL;
	}
	return h;
}

static inline int harness_load(struct harness *h, const char *guest)
{
	char path[4096];
	int rc = ls_policy_load_file(h->p, guest_path(guest, path, sizeof(path)), &h->err);
	if (rc && getenv("LS_TEST_VERBOSE"))
		printf("# load %s: %s\n", guest, h->err.msg);
	return rc;
}

static inline void harness_free(struct harness *h)
{
	if (!h)
		return;
	ls_policy_free(h->p);
	free(h);
}

static inline void advance(struct harness *h, uint64_t ns)
{
	h->now_g += ns;
	h->now_k += ns;
}

/* The last verdict written for a flow, or NULL. */
static inline const struct rec_verdict *last_verdict(const struct harness *h, uint64_t flow_id)
{
	for (int i = h->nv - 1; i >= 0; i--)
		if (h->v[i].flow_id == flow_id)
			return &h->v[i];
	return NULL;
}

static inline int count_verdicts(const struct harness *h, uint64_t flow_id)
{
	int n = 0;
	for (int i = 0; i < h->nv; i++)
		n += h->v[i].flow_id == flow_id;
	return n;
}

/* Events as the data plane sends them: an IPv4 flow src:sport -> dst:dport
 * whose first packet came from src. */
static inline struct ls_event ev_base(uint16_t kind, uint64_t flow_id, const char *src,
				      uint16_t sport, const char *dst, uint16_t dport,
				      uint8_t proto, uint64_t ts_k)
{
	struct ls_event ev;
	uint8_t a[16] = {0}, b[16] = {0};
	memset(&ev, 0, sizeof(ev));
	a[10] = a[11] = b[10] = b[11] = 0xff;
	inet_pton(AF_INET, src, a + 12);
	inet_pton(AF_INET, dst, b + 12);
	ev.version = LS_WIRE_VERSION;
	ev.kind = kind;
	ev.ts_k = ts_k;
	ev.flow_id = flow_id;
	ev.key.proto = proto;
	ev.key.family = 4;
	int src_lo = memcmp(a, b, 16) < 0 || (!memcmp(a, b, 16) && sport < dport);
	memcpy(ev.key.lo_addr, src_lo ? a : b, 16);
	memcpy(ev.key.hi_addr, src_lo ? b : a, 16);
	ev.key.lo_port = src_lo ? sport : dport;
	ev.key.hi_port = src_lo ? dport : sport;
	ev.dir = src_lo ? LS_DIR_LO_TO_HI : LS_DIR_HI_TO_LO;
	ev.sport = sport;
	ev.dport = dport;
	return ev;
}

static inline void send_ev(struct harness *h, struct ls_event ev)
{
	ls_policy_dispatch(h->p, &ev, 1);
}

static inline void flow_new(struct harness *h, uint64_t id, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport, uint8_t proto)
{
	send_ev(h, ev_base(LS_EV_FLOW_NEW, id, src, sport, dst, dport, proto, h->now_k));
}

static inline void dpi(struct harness *h, uint64_t id, const char *src, uint16_t sport,
		       const char *dst, uint16_t dport, uint8_t kind, const char *name,
		       const char *method, const char *path)
{
	struct ls_event ev =
	    ev_base(LS_EV_DPI, id, src, sport, dst, dport, kind == LS_DPI_DNS ? 17 : 6, h->now_k);
	ev.u.dpi.kind = kind;
	ev.u.dpi.name_len = (uint16_t)strlen(name);
	memcpy(ev.u.dpi.name, name, strlen(name));
	if (method) {
		ev.u.dpi.method_len = (uint8_t)strlen(method);
		memcpy(ev.u.dpi.method, method, strlen(method));
	}
	if (path) {
		ev.u.dpi.path_len = (uint16_t)strlen(path);
		memcpy(ev.u.dpi.path, path, strlen(path));
	}
	send_ev(h, ev);
}

static inline void flow_end(struct harness *h, uint64_t id, const char *src, uint16_t sport,
			    const char *dst, uint16_t dport)
{
	struct ls_event ev = ev_base(LS_EV_FLOW_END, id, src, sport, dst, dport, 6, h->now_k);
	ev.u.end.reason = LS_END_FIN;
	send_ev(h, ev);
}

static inline void expired(struct harness *h, uint64_t id, const char *src, uint16_t sport,
			   const char *dst, uint16_t dport, uint32_t verdict)
{
	struct ls_event ev =
	    ev_base(LS_EV_VERDICT_EXPIRED, id, src, sport, dst, dport, 6, h->now_k);
	ev.u.expired.verdict = verdict;
	ev.u.expired.deadline_k = h->now_k;
	send_ev(h, ev);
}

static inline double metric(const struct harness *h, const char *name)
{
	double v = -12345;
	ls_policy_metric_value(h->p, name, &v);
	return v;
}

/* The margin a deadline may carry past now_g + ttl: a deadline is pushed
 * late by the mapping's uncertainty eps (docs/clock.md, "the deadline
 * conversion errs late, by the uncertainty"); the harness runs the policy
 * with the identity mapping (K = G, eps = 0), so the margin is 0. A
 * deadline is never earlier than now_g + ttl (a verdict must not expire
 * early) and with a zero margin never later either. */
#define H_DEADLINE_MARGIN_NS 0ull

/* The deadline a verdict with this TTL (a G duration) must get in K, by
 * hand from the injected clock: now_g + ttl (identity: the same number in
 * K), not from the code under test (timemap.c). */
static inline uint64_t want_deadline(const struct harness *h, uint64_t ttl_ns)
{
	return h->now_g + ttl_ns;
}

/* Checks that a verdict v (NULL: fails) got a right deadline for ttl_ns:
 * never early, at most H_DEADLINE_MARGIN_NS late (test.h CHECK style). */
#define CHECK_DEADLINE(h, v, ttl_ns)                                                               \
	do {                                                                                       \
		const struct rec_verdict *_v = (v);                                                \
		uint64_t _w = want_deadline((h), (ttl_ns));                                        \
		if (!_v || _v->deadline_k < _w || _v->deadline_k - _w > H_DEADLINE_MARGIN_NS) {    \
			printf("# %s:%d: deadline of %s is %lld, want now_g + ttl = %llu "         \
			       "(margin %llu ns)\n",                                               \
			       __FILE__, __LINE__, #v, _v ? (long long)_v->deadline_k : -1LL,      \
			       (unsigned long long)_w, H_DEADLINE_MARGIN_NS);                      \
			t_cur_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#endif
