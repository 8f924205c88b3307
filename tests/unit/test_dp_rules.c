/* test_dp_rules.c - kernel rules (bpf/rules.h) against the real program
 * (BPF_PROG_TEST_RUN, private maps): a rule decides a flow on its first
 * packet with no DPI event (no round trip); exact vs suffix vs catch-all
 * names (the most specific wins), case and a Host's :port ignored; client
 * and server prefixes (LPM, IPv4 and IPv6); a rule past its deadline no
 * longer decides. Expected actions follow from the rule semantics of
 * docs/dataplane.md. Needs root. */
#include "test.h"
#include "frame4.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "dataplane/dataplane.h"
#include "dataplane/testrun.h"
#include "lockstep.skel.h"

static int ndpi;
static void on_ev(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	if (ev->kind == LS_EV_DPI)
		ndpi++;
}

/* a DNS query for name from 198.18.0.1:sport to 198.18.0.2:53; names
 * separated by spaces are that many questions */
static uint32_t dnsq(uint8_t *o, uint16_t sport, const char *name)
{
	uint8_t q[300] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
	size_t n = 12;
	for (const char *l = name; *l;) {
		const char *dot = strpbrk(l, ". ");
		size_t len = dot ? (size_t)(dot - l) : strlen(l);
		q[n++] = (uint8_t)len;
		memcpy(q + n, l, len);
		n += len;
		l += len;
		if (*l == '.')
			l++;
		if (*l == ' ' || !*l) {
			q[n++] = 0;
			q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;
		}
		if (*l == ' ')
			l++, q[5]++;
	}
	return (uint32_t)frame4(o, &(struct frame4){.proto = 17,
						    .src = {198, 18, 0, 1},
						    .dst = {198, 18, 0, 2},
						    .sport = sport,
						    .dport = 53,
						    .pay = q,
						    .plen = n});
}

static uint32_t act_of(struct ls_testrun *t, const uint8_t *f, uint32_t n)
{
	uint32_t act = 99;
	if (ls_testrun_packet(t, LS_TR_XDP, f, n, &act))
		return 98;
	return act;
}

static uint32_t ask(struct ls_testrun *t, uint16_t sport, const char *name)
{
	uint8_t f[400];
	return act_of(t, f, dnsq(f, sport, name));
}

/* The data plane over a test run of the program (cfg may be NULL), events
 * to on_ev: 0, or -1 (the reason printed) when it cannot load. */
static int open_rig(struct ls_testrun **t, struct ls_dp **dp, const struct ls_config *cfg)
{
	struct ls_err err;
	*dp = NULL;
	if (ls_testrun_open(t, cfg, on_ev, NULL, &err)) {
		printf("# %s\n", err.msg);
		return -1;
	}
	CHECK_EQ_INT(ls_dp_open_testrun(dp, *t, &err), 0);
	return 0;
}

TEST(name_rules_decide_the_first_packet)
{
	struct ls_err derr;
	struct ls_testrun *t;
	struct ls_dp *dp;
	if (open_rig(&t, &dp, NULL))
		SKIP("cannot load the data plane (root and BPF needed)");
#define RULE(k, p, v) CHECK_EQ_INT(ls_dp_rule_set(dp, k, p, strlen(p), v, 0, &derr), 0)
	RULE(LS_RULE_DNS, "*.blocked.test", LS_VERDICT_REJECT);
	RULE(LS_RULE_DNS, "exact.test", LS_VERDICT_DROP);
	RULE(LS_RULE_DNS, "*.test", LS_VERDICT_PASS);
	RULE(LS_RULE_DNS, "*.ok.blocked.test", LS_VERDICT_PASS);

	ndpi = 0;
	CHECK_EQ_INT(ask(t, 40000, "www.blocked.test"), XDP_TX); /* rejected: answered */
	CHECK_EQ_INT(ask(t, 40001, "a.b.c.blocked.test"), XDP_TX);
	CHECK_EQ_INT(ask(t, 40002, "WWW.Blocked.TEST"), XDP_TX); /* case */
	CHECK_EQ_INT(ndpi, 0);					 /* no round trip */
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_DNS), 3);
	/* the verdict is the flow's now: its next packet takes the fast path */
	struct ls_flow_key k;
	static const uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
	ls_flow_key_make(&k, 17, 4, a, 40000, b, 53);
	struct ls_verdict_rec rec;
	CHECK_EQ_INT(ls_dp_verdict_get(dp, &k, &rec, &derr), 0);
	CHECK_EQ_INT(rec.verdict, LS_VERDICT_REJECT);
	CHECK_EQ_INT(rec.deadline_k, 0);

	/* the most specific rule wins; a suffix is not its bare domain */
	CHECK_EQ_INT(ask(t, 40010, "x.ok.blocked.test"), XDP_PASS);
	CHECK_EQ_INT(ask(t, 40011, "exact.test"), XDP_DROP);
	CHECK_EQ_INT(ask(t, 40012, "a.exact.test"), XDP_PASS); /* *.test */
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_DNS), 6);
	CHECK_EQ_INT(ndpi, 0);
	/* blocked.test itself: only "*.test" covers it (pass, by rule) */
	CHECK_EQ_INT(ask(t, 40013, "blocked.test"), XDP_PASS);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_DNS), 7);
	/* no rule at all: DPI reports the name, the default applies */
	CHECK_EQ_INT(ask(t, 40014, "example.org"), XDP_PASS);
	CHECK_EQ_INT(ndpi, 1);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_DNS), 7);
	/* several questions: the first rule that is not a pass decides,
	 * whichever question it is for; a question without a rule is reported */
	CHECK_EQ_INT(ask(t, 40015, "a.test exact.test"), XDP_DROP);
	CHECK_EQ_INT(ask(t, 40016, "exact.test a.test"), XDP_DROP);
	CHECK_EQ_INT(ndpi, 1);
	CHECK_EQ_INT(ask(t, 40017, "example.org a.test"), XDP_PASS);
	CHECK_EQ_INT(ndpi, 2);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_DNS), 10);

	/* a rule of another kind does not apply to DNS; HTTP Host with a port */
	RULE(LS_RULE_HTTP, "api.example.test", LS_VERDICT_DROP);
	CHECK_EQ_INT(ask(t, 40020, "api.example.test"), XDP_PASS);
	const char *req = "GET / HTTP/1.1\r\nHost: Api.Example.test:8080\r\n\r\n";
	uint8_t f[400];
	uint32_t n = (uint32_t)frame4(f, &(struct frame4){.proto = 6,
							  .src = {198, 18, 0, 1},
							  .dst = {198, 18, 0, 2},
							  .sport = 40021,
							  .dport = 8080,
							  .pay = req,
							  .plen = strlen(req)});
	CHECK_EQ_INT(act_of(t, f, n), XDP_DROP);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_HTTP), 1);

	/* bad patterns are refused with a message */
	CHECK(ls_dp_rule_set(dp, LS_RULE_DNS, "a*.test", 7, LS_VERDICT_DROP, 0, &derr) < 0);
	CHECK(strstr(derr.msg, "'*'"));
	CHECK(ls_dp_rule_set(dp, 3, "a.test", 6, LS_VERDICT_DROP, 0, &derr) < 0);
	CHECK(ls_dp_rule_set(dp, LS_RULE_SERVER, "198.18.0.0/33", 13, LS_VERDICT_DROP, 0, &derr) <
	      0);
	ls_dp_close(dp);
	ls_testrun_close(t);
}

/* Ethernet + IPv6 + TCP SYN, src:sport -> dst:80 */
static uint32_t syn6(uint8_t *o, const uint8_t src[16], const uint8_t dst[16], uint16_t sport)
{
	memset(o, 0, 74);
	o[0] = 2, o[6] = 2, o[11] = 1, o[12] = 0x86, o[13] = 0xdd;
	uint8_t *ip = o + 14;
	ip[0] = 0x60, ip[5] = 20, ip[6] = 6, ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	uint8_t *t = ip + 40;
	frame4_put16(t, sport), frame4_put16(t + 2, 80);
	t[12] = 5 << 4, t[13] = 0x02;
	return 74;
}

/* Under --default-verdict hold a packet a name rule decides is not held:
 * a rule pass lets the HTTP request through at once and leaves no hold
 * open behind it (the flow's next packets pass too: a hold opened and
 * never sent would queue them behind a record that never comes); a rule
 * reject answers the request with a RST. And ls_reject_held, the program
 * user space runs on a held packet the policy rejected, builds the DNS
 * answer (REFUSED, RFC 1035 4.1.1 RCODE 5) from the verdict in the map. */
TEST(rules_decide_held_packets_and_held_rejects_are_answered)
{
	struct ls_err derr;
	struct ls_config hc = {.default_verdict = LS_VERDICT_HOLD};
	struct ls_testrun *t;
	struct ls_dp *dp;
	if (open_rig(&t, &dp, &hc))
		SKIP("cannot load the data plane (root and BPF needed)");
	RULE(LS_RULE_HTTP, "ok.test", LS_VERDICT_PASS);
	RULE(LS_RULE_HTTP, "*", LS_VERDICT_REJECT);
	static const char req_ok[] = "GET / HTTP/1.1\r\nHost: ok.test\r\n\r\n";
	static const char req_bad[] = "GET / HTTP/1.1\r\nHost: bad.test\r\n\r\n";
	uint8_t f[256];
	struct frame4 syn = {.proto = 6,
			     .src = {198, 18, 0, 1},
			     .dst = {198, 18, 0, 2},
			     .sport = 41000,
			     .dport = 80,
			     .tcp_flags = 0x02};
	uint32_t n = (uint32_t)frame4(f, &syn);
	uint64_t h0 = ls_testrun_counter(t, LS_CNT_HELD);
	CHECK_EQ_INT(act_of(t, f, n), XDP_PASS); /* the handshake passes under hold */
	struct frame4 d = syn;
	d.tcp_flags = 0;
	d.pay = (const uint8_t *)req_ok, d.plen = sizeof(req_ok) - 1;
	n = (uint32_t)frame4(f, &d);
	CHECK_EQ_INT(act_of(t, f, n), XDP_PASS); /* decided by the rule, not held */
	d.pay = (const uint8_t *)"more", d.plen = 4;
	n = (uint32_t)frame4(f, &d);
	CHECK_EQ_INT(act_of(t, f, n), XDP_PASS); /* no hold left open behind it */
	CHECK_EQ_INT(act_of(t, f, n), XDP_PASS);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_HELD), h0);
	d.sport = 41001, d.pay = (const uint8_t *)req_bad, d.plen = sizeof(req_bad) - 1;
	n = (uint32_t)frame4(f, &d);
	uint64_t rt = ls_testrun_counter(t, LS_CNT_REJECT_TCP);
	CHECK_EQ_INT(act_of(t, f, n), XDP_TX); /* rejected: the RST goes back */
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_REJECT_TCP), rt + 1);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_HELD), h0);

	/* a held DNS query the policy rejected: the kernel answers it */
	n = dnsq(f, 41002, "x.held.test");
	CHECK_EQ_INT(act_of(t, f, n), XDP_DROP); /* held */
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_HELD), h0 + 1);
	struct ls_flow_key k;
	static const uint8_t a[4] = {198, 18, 0, 1}, b[4] = {198, 18, 0, 2};
	ls_flow_key_make(&k, 17, 4, a, 41002, b, 53);
	uint8_t out[512];
	struct xdp_md md = {.data = 0, .data_end = n};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = n, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &md, .ctx_size_in = sizeof(md),
		    .repeat = 1);
	int prog = bpf_program__fd(ls_testrun_skel(t)->progs.ls_reject_held);
	/* no reject verdict (undecided): no answer */
	CHECK_EQ_INT(bpf_prog_test_run_opts(prog, &o), 0);
	CHECK_EQ_INT(o.retval, XDP_DROP);
	struct ls_verdict_rec rj = {.verdict = LS_VERDICT_REJECT};
	CHECK_EQ_INT(ls_testrun_verdict_set(t, &k, &rj), 0);
	o.data_size_out = sizeof(out);
	uint64_t rd = ls_testrun_counter(t, LS_CNT_REJECT_DNS);
	CHECK_EQ_INT(bpf_prog_test_run_opts(prog, &o), 0);
	CHECK_EQ_INT(o.retval, XDP_TX);
	CHECK_EQ_INT(o.data_size_out, n); /* question echoed, nothing added */
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_REJECT_DNS), rd + 1);
	/* addresses and ports swapped; QR set, RCODE 5 */
	CHECK(!memcmp(out + 26, b, 4) && !memcmp(out + 30, a, 4));
	CHECK_EQ_INT(out[34] << 8 | out[35], 53);
	CHECK_EQ_INT(out[36] << 8 | out[37], 41002);
	CHECK_EQ_INT(out[42] << 8 | out[43], 0x1234); /* same ID */
	CHECK_EQ_INT(out[44] & 0x80, 0x80);
	CHECK_EQ_INT(out[45] & 0x0f, 5);
	ls_dp_close(dp);
	ls_testrun_close(t);
}

TEST(prefix_rules_and_expiry)
{
	struct ls_err derr;
	struct ls_testrun *t;
	struct ls_dp *dp;
	if (open_rig(&t, &dp, NULL))
		SKIP("cannot load the data plane (root and BPF needed)");
	RULE(LS_RULE_SERVER, "198.18.7.0/24", LS_VERDICT_DROP);
	RULE(LS_RULE_SERVER, "198.18.7.128/25", LS_VERDICT_PASS); /* longest prefix wins */
	RULE(LS_RULE_CLIENT, "2001:db8:9::/48", LS_VERDICT_REJECT);
	uint8_t f[128];
	uint32_t n;
#define SYN4(dst3, dst4, sp)                                                                       \
	(n = (uint32_t)frame4(f, &(struct frame4){.proto = 6,                                      \
						  .src = {198, 18, 0, 1},                          \
						  .dst = {198, 18, dst3, dst4},                    \
						  .sport = sp,                                     \
						  .dport = 80,                                     \
						  .tcp_flags = 0x02}),                             \
	 act_of(t, f, n))
	CHECK_EQ_INT(SYN4(7, 9, 41000), XDP_DROP);
	CHECK_EQ_INT(SYN4(7, 200, 41001), XDP_PASS);
	CHECK_EQ_INT(SYN4(8, 1, 41002), XDP_PASS);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_PREFIX), 2);
	/* the client side: 2001:db8:9:1::5 is inside /48, 2001:db8:a::5 not */
	uint8_t c_in[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 1, [15] = 5};
	uint8_t c_out[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, [15] = 5};
	uint8_t srv[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2};
	CHECK_EQ_INT(act_of(t, f, syn6(f, c_in, srv, 41010)), XDP_TX); /* RST */
	CHECK_EQ_INT(act_of(t, f, syn6(f, c_out, srv, 41011)), XDP_PASS);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RULE_PREFIX), 3);
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_REJECT_TCP), 1);

	/* a rule with a deadline 150 ms ahead: it decides until then only */
	uint64_t now = ls_now_k();
	CHECK_EQ_INT(ls_dp_rule_set(dp, LS_RULE_SERVER, "198.18.9.0/24", 13, LS_VERDICT_DROP,
				    now + 150000000ull, &derr),
		     0);
	CHECK_EQ_INT(SYN4(9, 1, 41020), XDP_DROP);
	struct timespec ts = {0, 300000000};
	nanosleep(&ts, NULL);
	CHECK_EQ_INT(SYN4(9, 1, 41021), XDP_PASS);
	CHECK(ls_testrun_counter(t, LS_CNT_RULE_EXPIRED) >= 1);
	/* deleted: gone */
	CHECK_EQ_INT(ls_dp_rule_del(dp, LS_RULE_SERVER, "198.18.7.0/24", 13, &derr), 0);
	CHECK_EQ_INT(SYN4(7, 9, 41030), XDP_PASS);
	CHECK(ls_dp_rule_del(dp, LS_RULE_SERVER, "198.18.7.0/24", 13, &derr) < 0);
	ls_dp_close(dp);
	ls_testrun_close(t);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(name_rules_decide_the_first_packet);
	RUN(prefix_rules_and_expiry);
	RUN(rules_decide_held_packets_and_held_rejects_are_answered);
	return test_done();
}
