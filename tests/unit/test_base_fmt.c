/* test_base_fmt.c - the printf-free formatters of the per-event lines
 * (base/fmt.h, ls_fmt_rfc3339 in base/time.h, ls_event_json and
 * ls_verdict_json) against other implementations: snprintf, gmtime_r,
 * glibc's inet_ntop, and an snprintf-built line of the documented schema
 * (docs/events.md). They must be byte-identical to what printf wrote. */
#include "test.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "base/fmt.h"
#include "base/names.h"
#include "base/time.h"
#include "dataplane/event_json.h"

/* xorshift64*: reproducible inputs; the seed is printed */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* the old ls_fmt_rfc3339, as it was before the cache: gmtime_r and
 * snprintf for every call */
static char *ref_rfc3339(char *buf, size_t len, int64_t wall_ns)
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

static int rfc_bad;
static void rfc_check(int64_t ns)
{
	char got[LS_RFC3339_LEN], want[LS_RFC3339_LEN];
	ls_fmt_rfc3339(got, sizeof(got), ns);
	ref_rfc3339(want, sizeof(want), ns);
	if (strcmp(got, want) && rfc_bad++ < 5)
		printf("# %" PRId64 " ns: \"%s\", expected \"%s\"\n", ns, got, want);
}

/* a few by hand (python's datetime agrees), so that the reference itself
 * is checked too */
TEST(rfc3339_known_values)
{
	char b[LS_RFC3339_LEN];
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), 0), "1970-01-01T00:00:00.000000Z");
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), 951782400ll * 1000000000 + 999999999),
		     "2000-02-29T00:00:00.999999Z");
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), 1709164800ll * 1000000000 + 1000),
		     "2024-02-29T00:00:00.000001Z");
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), 4107456000ll * 1000000000 + 86400ll * 1000000000),
		     "2100-03-01T00:00:00.000000Z"); /* 2100 is no leap year */
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), -58060800ll * 1000000000 + 123456000),
		     "1968-02-29T00:00:00.123456Z");
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), -5364662400ll * 1000000000),
		     "1800-01-01T00:00:00.000000Z");
	/* before the epoch, as it always was: -1500 ns borrows a second,
	 * -500 ns (0 us toward zero) does not */
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), -1500), "1969-12-31T23:59:59.999999Z");
	CHECK_EQ_STR(ls_fmt_rfc3339(b, sizeof(b), -500), "1970-01-01T00:00:00.000000Z");
}

TEST(rfc3339_matches_gmtime_snprintf)
{
	rfc_bad = 0;
	printf("# seed %" PRIx64 "\n", rng);
	/* the edges of the type and of the epoch */
	static const int64_t edge[] = {0,
				       1,
				       -1,
				       999,
				       1000,
				       -999,
				       -1000,
				       -1001,
				       -1500,
				       999999999,
				       1000000000,
				       -999999999,
				       -1000000000,
				       -1000000001,
				       INT64_MAX,
				       INT64_MIN,
				       INT64_MAX - 999,
				       INT64_MIN + 1};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		rfc_check(edge[i]);
	/* random over the whole range (years 1677 to 2262), then over
	 * 1970-2100 at random ns */
	for (int i = 0; i < 200000; i++)
		rfc_check((int64_t)rnd());
	for (int i = 0; i < 200000; i++)
		rfc_check((int64_t)(rnd() % (4102444800ull * 1000000000ull)));
	/* walks through second, minute, day, month and year boundaries one
	 * second (and one ns either side) at a time: a cached second that
	 * stays when it should not shows here; and back and forth between two
	 * seconds */
	static const int64_t start[] = {0,
					-86400,
					68169600 - 5,
					951782400 - 5,
					1709164800 - 5,
					4107542400 - 5,
					946684800 - 5,
					1767225600 - 5,
					1700000000,
					-58060800 - 5,
					1735689599 - 3};
	for (size_t s = 0; s < sizeof(start) / sizeof(start[0]); s++)
		for (int64_t t = start[s] - 70; t < start[s] + 70; t++) {
			int64_t ns = t * 1000000000ll;
			rfc_check(ns - 1);
			rfc_check(ns);
			rfc_check(ns + 1);
			rfc_check(ns + 999999);
			rfc_check(ns + 999999999);
			rfc_check(ns - 1000000000ll);
			rfc_check(ns);
		}
	/* every day of 400 years (a whole Gregorian cycle) at a random time */
	for (int64_t d = -146097 / 2; d < 146097 / 2; d++)
		rfc_check(d * 86400000000000ll + (int64_t)(rnd() % 86400000000000ull));
	CHECK_EQ_INT(rfc_bad, 0);
}

/* snprintf's contract for a short buffer: at most len - 1 bytes, a NUL */
TEST(rfc3339_short_buffers)
{
	for (size_t len = 0; len <= LS_RFC3339_LEN; len++) {
		char got[LS_RFC3339_LEN + 1], want[LS_RFC3339_LEN + 1];
		memset(got, '#', sizeof(got));
		memset(want, '#', sizeof(want));
		ls_fmt_rfc3339(got, len, 1700000000123456789ll);
		ref_rfc3339(want, len, 1700000000123456789ll);
		CHECK(!memcmp(got, want, sizeof(got)));
	}
}

static int int_bad;
static void u64_check(uint64_t v)
{
	char got[LS_FMT_U64_MAX + 1], want[32];
	got[ls_fmt_u64(got, v)] = 0;
	snprintf(want, sizeof(want), "%" PRIu64, v);
	if (strcmp(got, want) && int_bad++ < 5)
		printf("# u64: \"%s\", expected \"%s\"\n", got, want);
	if (v <= UINT32_MAX) {
		got[ls_fmt_u32(got, (uint32_t)v)] = 0;
		snprintf(want, sizeof(want), "%u", (uint32_t)v);
		if (strcmp(got, want) && int_bad++ < 5)
			printf("# u32: \"%s\", expected \"%s\"\n", got, want);
	}
}

TEST(integers_match_snprintf)
{
	int_bad = 0;
	static const uint64_t edge[] = {0,
					9,
					10,
					11,
					99,
					100,
					UINT32_MAX,
					(uint64_t)UINT32_MAX + 1,
					(uint64_t)UINT32_MAX - 1,
					UINT64_MAX,
					UINT64_MAX - 1};
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		u64_check(edge[i]);
	/* every power of ten and its neighbours */
	for (uint64_t p = 1;; p *= 10) {
		u64_check(p - 1);
		u64_check(p);
		u64_check(p + 1);
		if (p > UINT64_MAX / 10)
			break;
	}
	/* random, of every length */
	for (int i = 0; i < 200000; i++)
		u64_check(rnd() >> (rnd() % 64));
	CHECK_EQ_INT(int_bad, 0);
}

static int ip_bad;
static void ip6_check(const uint8_t *a)
{
	char got[LS_FMT_IP_MAX + 1], want[INET6_ADDRSTRLEN];
	got[ls_fmt_ip6(got, a)] = 0;
	inet_ntop(AF_INET6, a, want, sizeof(want));
	if (strcmp(got, want) && ip_bad++ < 5)
		printf("# ip6: \"%s\", expected \"%s\"\n", got, want);
	got[ls_fmt_ip4(got, a + 12)] = 0;
	inet_ntop(AF_INET, a + 12, want, sizeof(want));
	if (strcmp(got, want) && ip_bad++ < 5)
		printf("# ip4: \"%s\", expected \"%s\"\n", got, want);
}

TEST(addresses_match_inet_ntop)
{
	ip_bad = 0;
	uint8_t a[16];
	/* every pattern of zero and non-zero words, with each word's value
	 * drawn from small/large/0xffff so that :: runs, their ties, the
	 * v4-compatible and v4-mapped forms all occur */
	for (int mask = 0; mask < 256; mask++)
		for (int rep = 0; rep < 64; rep++) {
			for (int w = 0; w < 8; w++) {
				unsigned v = 0;
				if (mask & (1 << w)) {
					switch (rnd() % 4) {
					case 0:
						v = 1 + rnd() % 15;
						break;
					case 1:
						v = 0xffff;
						break;
					default:
						v = 1 + rnd() % 0xffff;
					}
				}
				a[2 * w] = (uint8_t)(v >> 8);
				a[2 * w + 1] = (uint8_t)v;
			}
			ip6_check(a);
		}
	/* ::ffff:a.b.c.d and ::a.b.c.d with every kind of byte */
	for (int i = 0; i < 20000; i++) {
		memset(a, 0, 16);
		if (i & 1)
			a[10] = a[11] = 0xff;
		for (int b = 12; b < 16; b++)
			a[b] = (uint8_t)(rnd() % 4 == 0 ? 0 : rnd());
		ip6_check(a);
	}
	for (int i = 0; i < 100000; i++) {
		for (int b = 0; b < 16; b++)
			a[b] = (uint8_t)rnd();
		ip6_check(a);
	}
	CHECK_EQ_INT(ip_bad, 0);
}

/* A fixed wall clock: the lines' "ts" is then K + 1700000000 s (modulo
 * 2^64: random K reach every wall time, before the epoch too) */
static int64_t fixed_wall(void *ctx, uint64_t k)
{
	(void)ctx;
	return (int64_t)(1700000000000000000ull + k);
}

/* the documented line (docs/events.md) built with snprintf and inet_ntop */
static void ref_flow(char *o, size_t cap, const struct ls_event *ev)
{
	const struct ls_flow_key *k = &ev->key;
	const __u8 *sa = ev->dir == LS_DIR_LO_TO_HI ? k->lo_addr : k->hi_addr;
	const __u8 *da = ev->dir == LS_DIR_LO_TO_HI ? k->hi_addr : k->lo_addr;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], ip[32] = "";
	int af = k->family == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, k->family == 4 ? sa + 12 : sa, s, sizeof(s));
	inet_ntop(af, k->family == 4 ? da + 12 : da, d, sizeof(d));
	if (!strcmp(ls_proto_name(k->proto), "unknown"))
		snprintf(ip, sizeof(ip), ",\"ipproto\":%u", k->proto);
	snprintf(o, cap,
		 ",\"proto\":\"%s\"%s,\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,"
		 "\"flow_id\":%" PRIu64,
		 ls_proto_name(k->proto), ip, s, ev->sport, d, ev->dport, (uint64_t)ev->flow_id);
}

/* "encap" and "tunnel" as docs/events.md lists them (LS_LAYER_* bit i is
 * the list's i-th name) */
static void ref_tunnel(char *o, size_t cap, const struct ls_event *ev)
{
	static const char *const layer[] = {"vlan",   "mpls", "pppoe", "vxlan",
					    "geneve", "gre",  "ipip",  "gtp-u"};
	const struct ls_tunnel *t = &ev->tun;
	size_t n = 0;
	o[0] = 0;
	if (!t->layers)
		return;
	n += (size_t)snprintf(o + n, cap - n, ",\"encap\":[");
	for (int i = 0, first = 1; i < 8; i++)
		if (t->layers & (1 << i)) {
			n += (size_t)snprintf(o + n, cap - n, "%s\"%s\"", first ? "" : ",",
					      layer[i]);
			first = 0;
		}
	n += (size_t)snprintf(o + n, cap - n, "]");
	if (!t->depth)
		return;
	n += (size_t)snprintf(o + n, cap - n, ",\"tunnel\":{\"type\":\"%s\",\"id\":%u,\"depth\":%u",
			      ls_tun_name(t->type), t->id, t->depth);
	if (t->outer_family == 4 || t->outer_family == 6) {
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		int v4 = t->outer_family == 4;
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? t->outer_src + 12 : t->outer_src, s,
			  sizeof(s));
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? t->outer_dst + 12 : t->outer_dst, d,
			  sizeof(d));
		n += (size_t)snprintf(o + n, cap - n, ",\"outer_src\":\"%s\",\"outer_dst\":\"%s\"",
				      s, d);
	}
	snprintf(o + n, cap - n, "}");
}

static void ref_event(char *o, size_t cap, const struct ls_event *ev)
{
	char ts[LS_RFC3339_LEN], flow[512], tun[512], tail[512] = "";
	ref_rfc3339(ts, sizeof(ts), fixed_wall(NULL, ev->ts_k));
	ref_flow(flow, sizeof(flow), ev);
	ref_tunnel(tun, sizeof(tun), ev);
	switch (ev->kind) {
	case LS_EV_FLOW_END:
		snprintf(tail, sizeof(tail),
			 ",\"reason\":\"%s\",\"pkts\":[%" PRIu64 ",%" PRIu64 "],\"bytes\":[%" PRIu64
			 ",%" PRIu64 "]",
			 ls_end_reason_name(ev->u.end.reason), (uint64_t)ev->u.end.pkts[0],
			 (uint64_t)ev->u.end.pkts[1], (uint64_t)ev->u.end.bytes[0],
			 (uint64_t)ev->u.end.bytes[1]);
		break;
	case LS_EV_VERDICT_EXPIRED:
		snprintf(tail, sizeof(tail), ",\"verdict\":\"%s\",\"deadline_k\":%" PRIu64,
			 ls_verdict_name(ev->u.expired.verdict),
			 (uint64_t)ev->u.expired.deadline_k);
		break;
	case LS_EV_DPI:
		snprintf(tail, sizeof(tail), ",\"dpi\":\"tls\",\"tls_sni\":\"%s\"", ev->u.dpi.name);
		break;
	case LS_EV_HELD:
		snprintf(
		    tail, sizeof(tail),
		    ",\"hook\":\"%s\",\"ifindex\":%u,\"seq\":%u,\"frame_len\":%u,\"pay_len\":%u",
		    ev->u.held.hook == LS_HOLD_TC ? "tc" : "xdp", ev->u.held.ifindex,
		    ev->u.held.seq, ev->u.held.frame_len, ev->u.held.pay_len);
		break;
	}
	snprintf(o, cap, "{\"event\":\"%s\",\"v\":%u,\"ts_k\":%" PRIu64 ",\"ts\":\"%s\"%s%s%s}\n",
		 ls_event_kind_name(ev->kind), ev->version, (uint64_t)ev->ts_k, ts, flow, tun,
		 tail);
}

TEST(event_lines_match_snprintf)
{
	static const unsigned kinds[] = {LS_EV_FLOW_NEW, LS_EV_FLOW_END, LS_EV_VERDICT_EXPIRED,
					 LS_EV_DPI, LS_EV_HELD};
	int bad = 0;
	ls_event_wall_source(fixed_wall, NULL);
	for (int i = 0; i < 20000; i++) {
		struct ls_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.version = (__u16)(rnd() % 3 ? LS_WIRE_VERSION : rnd());
		ev.kind = (__u16)kinds[rnd() % 5];
		ev.dir = (__u8)(rnd() % 2 ? LS_DIR_LO_TO_HI : LS_DIR_HI_TO_LO);
		ev.ts_k = rnd() >> (rnd() % 64);
		ev.flow_id = rnd() >> (rnd() % 64);
		ev.key.family = (__u8)(rnd() % 2 ? 4 : 6);
		ev.key.proto = (__u8)(rnd() % 3 ? (rnd() % 2 ? 6 : 17) : rnd());
		for (int b = 0; b < 16; b++) {
			ev.key.lo_addr[b] = (__u8)(rnd() % 3 ? 0 : rnd());
			ev.key.hi_addr[b] = (__u8)rnd();
		}
		ev.sport = (__u16)rnd();
		ev.dport = (__u16)(rnd() % 2 ? rnd() : 443);
		if (rnd() % 3 == 0) { /* in a tunnel, or only tagged */
			ev.tun.layers = (__u8)rnd();
			ev.tun.depth = (__u8)(rnd() % 4);
			ev.tun.type = (__u8)(rnd() % 12);
			ev.tun.id = (__u32)(rnd() >> (rnd() % 64));
			ev.tun.outer_family = (__u8)(rnd() % 3 == 0 ? 0 : rnd() % 2 ? 4 : 6);
			for (int b = 0; b < 16; b++) {
				ev.tun.outer_src[b] = (__u8)(rnd() % 2 ? 0 : rnd());
				ev.tun.outer_dst[b] = (__u8)rnd();
			}
		}
		switch (ev.kind) {
		case LS_EV_FLOW_END:
			ev.u.end.reason = (__u8)(rnd() % 8);
			ev.u.end.pkts[0] = rnd() >> (rnd() % 64);
			ev.u.end.pkts[1] = rnd() % 10;
			ev.u.end.bytes[0] = rnd();
			ev.u.end.bytes[1] = rnd() >> (rnd() % 64);
			break;
		case LS_EV_VERDICT_EXPIRED:
			ev.u.expired.verdict = (__u32)(rnd() % 6);
			ev.u.expired.deadline_k = rnd() >> (rnd() % 64);
			break;
		case LS_EV_HELD:
			ev.u.held.hook = (__u8)(rnd() % 2 ? LS_HOLD_TC : 0);
			ev.u.held.ifindex = (__u32)(rnd() >> (rnd() % 64));
			ev.u.held.seq = (__u32)(rnd() % 5);
			ev.u.held.frame_len = (__u32)(rnd() % 9000);
			ev.u.held.pay_len = (__u16)rnd();
			break;
		case LS_EV_DPI:
			ev.u.dpi.kind = LS_DPI_TLS;
			ev.u.dpi.name_len = (__u16)(1 + rnd() % 20);
			for (int c = 0; c < ev.u.dpi.name_len; c++)
				ev.u.dpi.name[c] = (char)('a' + rnd() % 26);
			break;
		}
		char got[LS_EVENT_JSON_MAX], want[LS_EVENT_JSON_MAX];
		int n = ls_event_json(&ev, got, sizeof(got));
		ref_event(want, sizeof(want), &ev);
		if ((n != (int)strlen(want) || strcmp(got, want)) && bad++ < 3)
			printf("# got  %s# want %s", got, want);
	}
	CHECK_EQ_INT(bad, 0);
	ls_event_wall_source(NULL, NULL);
}

TEST(verdict_lines_match_snprintf)
{
	int bad = 0;
	ls_event_wall_source(fixed_wall, NULL);
	for (int i = 0; i < 20000; i++) {
		uint64_t k = rnd() >> (rnd() % 64), flow = rnd() >> (rnd() % 64);
		uint64_t dl = rnd() % 2 ? 0 : rnd() >> (rnd() % 64);
		uint32_t v = (uint32_t)(rnd() % 6);
		char got[LS_VERDICT_JSON_MAX], want[LS_VERDICT_JSON_MAX], ts[LS_RFC3339_LEN];
		int n = ls_verdict_json(got, sizeof(got), k, flow, v, dl);
		/* the printf that policy_link.c used before */
		snprintf(want, sizeof(want),
			 "{\"event\":\"verdict\",\"ts_k\":%llu,\"ts\":\"%s\",\"flow_id\":%llu,"
			 "\"verdict\":\"%s\",\"deadline_k\":%llu}\n",
			 (unsigned long long)k, ref_rfc3339(ts, sizeof(ts), fixed_wall(NULL, k)),
			 (unsigned long long)flow, ls_verdict_name(v), (unsigned long long)dl);
		if ((n != (int)strlen(want) || strcmp(got, want)) && bad++ < 3)
			printf("# got  %s# want %s", got, want);
	}
	CHECK_EQ_INT(bad, 0);
	/* too small a buffer is an error, never a cut line */
	char small[40];
	CHECK_EQ_INT(ls_verdict_json(small, sizeof(small), 1, 2, 1, 3), -1);
	ls_event_wall_source(NULL, NULL);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(rfc3339_known_values);
	RUN(rfc3339_matches_gmtime_snprintf);
	RUN(rfc3339_short_buffers);
	RUN(integers_match_snprintf);
	RUN(addresses_match_inet_ntop);
	RUN(event_lines_match_snprintf);
	RUN(verdict_lines_match_snprintf);
	return test_done();
}
