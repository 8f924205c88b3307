/* dataplane_bench.c - ns/packet of the data plane through BPF_PROG_TEST_RUN,
 * in one run and against a baseline measured alongside:
 *   baseline    bpf/baseline.bpf.c ls_baseline: the same parsers, then pass
 *   floor       ls_floor: the same parse plus one lookup in a flow table
 *               like ours -- the least any per-flow design pays
 *   fast path   a known flow, no DPI (payload-less ACK)
 *   DPI http/tls/dns   a known flow whose every payload packet is inspected
 *               (config dpi_max_pkts = LS_DPI_ALWAYS) incl. the event
 *   DPI, no match      a 1400-byte HTTP response inside the DPI window
 *   DPI dns off-port   the same query on UDP port 4053: recognised by content
 *               (the strict header and whole-message checks, docs/dataplane.md)
 *   DPI dns, 3 q / http, 3 pipelined   one packet, three results and events
 *   UDP, not DNS       200 bytes on a port that is not DNS's: the 16-byte
 *               head check that decides not to copy it
 *   fast path inside VXLAN   the same ACK in VXLAN VNI 4242: the outer
 *               headers parsed, the inner flow keyed with the VNI
 *   first pkt   a new flow's first packet: flow insert, FLOW_NEW, DPI, events
 *               (repeat 1 over distinct flows; median). One run per syscall
 *               runs with cold caches; "known flow, one run per call" shows
 *               how much of that is cold caches rather than the flow insert.
 * The repeated rows are measured in interleaved rounds (each round runs every
 * row once), so that load from other processes weighs on all of them alike;
 * each row prints the median over rounds, the 10th percentile, and the
 * median's ratio to the baseline's. Times are noted, never asserted. Needs
 * root. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.skel.h"
#include "dataplane/dataplane.h"
#include "dataplane/testrun.h"
#include "../tests/unit/frame4.h"

#define REPEAT 2000 /* per round: the ring buffer holds ~6000 events */
#define ROUNDS 101
#define FIRSTS 2000

/* Ethernet + IPv4 + TCP (proto 6, ACK|PSH) or UDP (17) + payload,
 * 198.18.0.2 -> 198.18.0.1. */
static size_t frame(uint8_t *o, int proto, uint16_t sport, uint16_t dport, const void *pay,
		    size_t plen)
{
	return frame4(o, &(struct frame4){.proto = (uint8_t)proto,
					  .src = {198, 18, 0, 2},
					  .dst = {198, 18, 0, 1},
					  .sport = sport,
					  .dport = dport,
					  .pay = pay,
					  .plen = plen});
}

static const char HTTP[] = "GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n"
			   "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

static size_t tls_hello(uint8_t *o)
{
	/* a 517-byte ClientHello like curl's, with SNI early and padding last */
	static const char name[] = "www.example.org";
	uint8_t b[1024];
	size_t n = 0, nl = sizeof(name) - 1;
	b[n++] = 3, b[n++] = 3;
	memset(b + n, 0x42, 32), n += 32;
	b[n++] = 32, memset(b + n, 0x17, 32), n += 32;
	frame4_put16(b + n, 62), n += 2;
	for (int i = 0; i < 31; i++)
		frame4_put16(b + n, 0xc000 + i), n += 2;
	b[n++] = 1, b[n++] = 0;
	size_t ext_len_at = n;
	n += 2;
	size_t e0 = n;
	b[n++] = 0, b[n++] = 0, frame4_put16(b + n, nl + 5), n += 2, frame4_put16(b + n, nl + 3),
	n += 2;
	b[n++] = 0, frame4_put16(b + n, nl), n += 2, memcpy(b + n, name, nl), n += nl;
	b[n++] = 0, b[n++] = 0x0b, b[n++] = 0, b[n++] = 4, b[n++] = 3, b[n++] = 0, b[n++] = 1,
	b[n++] = 2;
	b[n++] = 0, b[n++] = 0x2b, b[n++] = 0, b[n++] = 3, b[n++] = 2, b[n++] = 3, b[n++] = 4;
	b[n++] = 0, b[n++] = 0x33, frame4_put16(b + n, 38), n += 2, frame4_put16(b + n, 36), n += 2;
	frame4_put16(b + n, 29), n += 2, frame4_put16(b + n, 32), n += 2, memset(b + n, 9, 32),
	    n += 32;
	size_t pad = 512 - 4 - (n + 4);
	b[n++] = 0, b[n++] = 0x15, frame4_put16(b + n, pad), n += 2, memset(b + n, 0, pad),
	n += pad;
	frame4_put16(b + ext_len_at, n - e0);
	o[0] = 0x16, o[1] = 3, o[2] = 1, frame4_put16(o + 3, n + 4);
	o[5] = 1, o[6] = 0, frame4_put16(o + 7, n);
	memcpy(o + 9, b, n);
	return n + 9;
}

static size_t dns_query(uint8_t *o)
{
	static const uint8_t q[] = {0x12, 0x34, 1,   0,	  0,   1,   0,	 0,   0,   0,	0,
				    0,	  3,	'w', 'w', 'w', 7,   'e', 'x', 'a', 'm', 'p',
				    'l',  'e',	3,   'o', 'r', 'g', 0,	 0,   1,   0,	1};
	memcpy(o, q, sizeof(q));
	return sizeof(q);
}

/* A DNS query for www.rule.test (a kernel rule's name). */
static size_t dns_query_rule(uint8_t *o)
{
	static const uint8_t q[] = {0x12, 0x34, 1,   0,	  0,   1, 0,   0,   0,	 0,   0,
				    0,	  3,	'w', 'w', 'w', 4, 'r', 'u', 'l', 'e', 3,
				    't',  'e',	's', 't', 0,   0, 1,   0,   1};
	memcpy(o, q, sizeof(q));
	return sizeof(q);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* One repeated row: a frame through one program, ROUNDS results. */
struct row {
	const char *name;
	int fd;		  /* a program of the baseline object, or -1 */
	const uint8_t *f; /* the frame */
	size_t n;
	int repeat;	    /* runs per round (0: REPEAT); rows of several events
			     * run fewer, so that the ring never fills */
	uint64_t r[ROUNDS]; /* kernel-measured mean ns per run, per round */
	double med, p10;
};

static int run_round(struct ls_testrun *t, struct row *w, int round)
{
	if (w->fd < 0) {
		int rc = ls_testrun_repeat(t, LS_TR_XDP, w->f, (uint32_t)w->n,
					   w->repeat ? w->repeat : REPEAT, &w->r[round]);
		ls_testrun_drain(t);
		return rc;
	}
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = w->f, .data_size_in = (uint32_t)w->n,
		    .repeat = REPEAT);
	if (bpf_prog_test_run_opts(w->fd, &o))
		return -1;
	w->r[round] = o.duration;
	return 0;
}

static void settle(struct row *w)
{
	qsort(w->r, ROUNDS, sizeof(w->r[0]), cmp_u64);
	w->med = (double)w->r[ROUNDS / 2];
	w->p10 = (double)w->r[ROUNDS / 10];
}

/* A new flow per run: repeat 1, median of FIRSTS. The ring buffer is
 * drained every `drain` runs: drained after each (an idle consumer), the
 * first event of every run wakes the consumer (irq_work, an IPI: costly in
 * a VM), as it does for a lone new flow in production; drained rarely (a
 * busy consumer), no run pays that, as under load. */
static double measure_first(struct ls_testrun *t, int proto, uint16_t dport, const void *pay,
			    size_t plen, uint16_t *port, int drain)
{
	static uint64_t r[FIRSTS];
	uint8_t f[2048];
	ls_testrun_drain(t);
	for (int i = 0; i < FIRSTS; i++) {
		size_t n = frame(f, proto, (*port)++, dport, pay, plen);
		if (ls_testrun_repeat(t, LS_TR_XDP, f, (uint32_t)n, 1, &r[i]))
			return -1;
		if ((i + 1) % drain == 0)
			ls_testrun_drain(t);
	}
	ls_testrun_drain(t);
	qsort(r, FIRSTS, sizeof(r[0]), cmp_u64);
	return (double)r[FIRSTS / 2];
}

/* inner (n bytes) behind the 8-byte tunnel header th, over IPv4/UDP sport
 * -> dport, 198.18.1.1 -> 198.18.1.2: the overlay frame an underlay device
 * sees. Outer UDP checksum 0, as Linux sends it. Returns the length. */
static size_t udp_wrap(uint8_t *o, uint16_t sport, uint16_t dport, const uint8_t th[8],
		       const uint8_t *inner, size_t n)
{
	static const uint8_t eth_ip[34] = {
	    2,	  0, 0, 0, 0, 4, 2, 0, 0,  0,  0, 3, 0x08, 0,			     /* Ethernet */
	    0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 198,  18, 1, 1, 198, 18, 1, 2}; /* IPv4 */
	size_t ip = 20 + 8 + 8 + n, udp = 8 + 8 + n;
	memcpy(o, eth_ip, sizeof(eth_ip));
	o[16] = (uint8_t)(ip >> 8), o[17] = (uint8_t)ip;
	uint8_t *u = o + 34;
	u[0] = (uint8_t)(sport >> 8), u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
	u[4] = (uint8_t)(udp >> 8), u[5] = (uint8_t)udp, u[6] = u[7] = 0;
	memcpy(o + 42, th, 8);
	memcpy(o + 50, inner, n);
	uint32_t sum = 0;
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)o[i] << 8 | o[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	o[24] = (uint8_t)(~sum >> 8), o[25] = (uint8_t)~sum;
	return 50 + n;
}

/* f (an Ethernet frame) in VXLAN VNI 4242 (RFC 7348), UDP 50000 -> 4789 */
static size_t vxlan_wrap(uint8_t *o, const uint8_t *f, size_t n)
{
	static const uint8_t th[8] = {0x08, 0, 0, 0, 0, 0x10, 0x92, 0};
	return udp_wrap(o, 50000, 4789, th, f, n);
}

/* f's IP packet (past its Ethernet header) as a GTP-U G-PDU, TEID
 * 0x01020304, UDP 2152 -> 2152 (3GPP TS 29.281): what an N3/S1-U link
 * carries */
static size_t gtpu_wrap(uint8_t *o, const uint8_t *f, size_t n)
{
	n -= 14;
	const uint8_t th[8] = {0x30, 0xff, (uint8_t)(n >> 8), (uint8_t)n, 1, 2, 3, 4};
	return udp_wrap(o, 2152, 2152, th, f + 14, n);
}

/* The first packet of new flows, bare, VXLAN- and GTP-U-wrapped,
 * interleaved (one of each per step, so that load weighs on all alike):
 * medians in *bare, *vx, *gtp. */
static int measure_first_tunnels(struct ls_testrun *t, const void *pay, size_t plen, uint16_t *port,
				 double *bare, double *vx, double *gtp)
{
	static uint64_t r[3][FIRSTS];
	uint8_t f[2048], w[2200], g[2200];
	ls_testrun_drain(t);
	for (int i = 0; i < FIRSTS; i++) {
		size_t n = frame(f, 6, (*port)++, 443, pay, plen);
		size_t m = vxlan_wrap(w, f, n);
		n = frame(f, 6, (*port)++, 443, pay, plen);
		size_t k = gtpu_wrap(g, f, n);
		n = frame(f, 6, (*port)++, 443, pay, plen);
		if (ls_testrun_repeat(t, LS_TR_XDP, f, (uint32_t)n, 1, &r[0][i]) ||
		    ls_testrun_repeat(t, LS_TR_XDP, w, (uint32_t)m, 1, &r[1][i]) ||
		    ls_testrun_repeat(t, LS_TR_XDP, g, (uint32_t)k, 1, &r[2][i]))
			return -1;
		if ((i + 1) % 160 == 0)
			ls_testrun_drain(t);
	}
	ls_testrun_drain(t);
	for (int j = 0; j < 3; j++)
		qsort(r[j], FIRSTS, sizeof(r[j][0]), cmp_u64);
	*bare = (double)r[0][FIRSTS / 2];
	*vx = (double)r[1][FIRSTS / 2];
	*gtp = (double)r[2][FIRSTS / 2];
	return 0;
}

static void row(const char *name, double ns, double base)
{
	printf("%-38s %8.1f ns/pkt  %5.2fx baseline\n", name, ns, base > 0 ? ns / base : 0);
}

static void row2(const struct row *w, double base)
{
	printf("%-38s %8.1f ns/pkt  %5.2fx baseline  (p10 %.0f)\n", w->name, w->med,
	       base > 0 ? w->med / base : 0, w->p10);
}

int main(void)
{
	struct ls_err err;
	struct ls_testrun *t;
	ls_testrun_open(&t, NULL, NULL, NULL, &err);
	if (!t) {
		fprintf(stderr, "dataplane_bench: %s\n", err.msg);
		return 1;
	}
	struct baseline_bpf *b = baseline_bpf__open_and_load();
	if (!b) {
		fprintf(stderr, "dataplane_bench: cannot load the baseline program\n");
		return 1;
	}
	uint8_t ack[128], http[512], tls[1024], dns[256], pay[1024], resp[1500], rpay[1400];
	size_t ack_n = frame(ack, 6, 40000, 80, "", 0);
	size_t http_n = frame(http, 6, 40001, 80, HTTP, sizeof(HTTP) - 1);
	size_t tls_len = tls_hello(pay);
	size_t tls_n = frame(tls, 6, 40002, 443, pay, tls_len);
	size_t dl = dns_query(pay + 600);
	size_t dns_n = frame(dns, 17, 40003, 53, pay + 600, dl);
	memset(rpay, 'x', sizeof(rpay));
	static const char rhead[] = "HTTP/1.1 200 OK\r\nContent-Length: 1359\r\n\r\n";
	memcpy(rpay, rhead, sizeof(rhead) - 1);
	size_t resp_n = frame(resp, 6, 80, 40004, rpay, sizeof(rpay));
	uint32_t act;

	printf("# lockstep data plane, BPF_PROG_TEST_RUN (XDP), %d interleaved rounds x %d runs\n",
	       ROUNDS, REPEAT);
	/* every payload packet inspected: the DPI rows measure inspection on a
	 * known flow; the fast-path frame has no payload, so no DPI either way */
	struct ls_config c = {.dpi_max_pkts = LS_DPI_ALWAYS};
	ls_testrun_set_config(t, &c);
	/* kernel rules (bpf/rules.h): "*.rule.test" passes DNS names under it;
	 * the HTTP Host of the rule-decided flow below passes too */
	struct ls_dp *dp = NULL;
	struct ls_err derr;
	if (ls_dp_open_testrun(&dp, t, &derr) ||
	    ls_dp_rule_set(dp, LS_RULE_DNS, "*.rule.test", 11, LS_VERDICT_PASS, 0, &derr) ||
	    ls_dp_rule_set(dp, LS_RULE_HTTP, "www.example.org", 15, LS_VERDICT_PASS, 0, &derr)) {
		fprintf(stderr, "dataplane_bench: cannot install the rules\n");
		return 1;
	}
	/* three questions (the second compressed, the root), three requests */
	static const uint8_t q3[] = "\x12\x34\x01\x00\x00\x03\x00\x00\x00\x00\x00\x00"
				    "\x01"
				    "a\x07"
				    "example\x00\x00\x01\x00\x01\x01"
				    "b\xc0\x0e\x00\x01\x00\x01\x00\x00\x02\x00\x01";
	static const char http3[] = "GET /1 HTTP/1.1\r\nHost: www.example.org\r\n\r\n"
				    "GET /2 HTTP/1.1\r\nHost: www.example.org\r\n\r\n"
				    "GET /3 HTTP/1.1\r\nHost: www.example.org\r\n\r\n";
	uint8_t dnsoff[256], dns3[256], h3[512], udpx[300], junk[200];
	size_t dnsoff_n = frame(dnsoff, 17, 40007, 4053, pay + 600, dl);
	size_t dns3_n = frame(dns3, 17, 40008, 53, q3, sizeof(q3) - 1);
	size_t h3_n = frame(h3, 6, 40009, 80, http3, sizeof(http3) - 1);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	size_t udpx_n = frame(udpx, 17, 40010, 9999, junk, sizeof(junk));
	uint8_t rdns[256], rack[128];
	size_t rdl = dns_query_rule(pay + 800);
	size_t rdns_n = frame(rdns, 17, 40005, 53, pay + 800, rdl);
	/* a flow a rule decided: its request hit the HTTP rule (below, at
	 * warm-up), its later packets meet the verdict the rule wrote */
	uint8_t rreq[512];
	size_t rreq_n = frame(rreq, 6, 40006, 80, HTTP, sizeof(HTTP) - 1);
	size_t rack_n = frame(rack, 6, 40006, 80, "", 0);
	/* issue 16: the fast path's ACK inside VXLAN (a known inner flow) */
	uint8_t vack[256];
	size_t vack_n = vxlan_wrap(vack, ack, ack_n);
	struct row rows[] = {
	    {.name = "baseline (parse and pass)",
	     .fd = bpf_program__fd(b->progs.ls_baseline),
	     .f = ack,
	     .n = ack_n},
	    {.name = "floor (parse + one flow lookup)",
	     .fd = bpf_program__fd(b->progs.ls_floor),
	     .f = ack,
	     .n = ack_n},
	    {.name = "fast path (known flow, no DPI)", .fd = -1, .f = ack, .n = ack_n},
	    {.name = "DPI http (request line + Host)", .fd = -1, .f = http, .n = http_n},
	    {.name = "DPI tls (ClientHello SNI, 517 B)", .fd = -1, .f = tls, .n = tls_n},
	    {.name = "DPI dns (query name)", .fd = -1, .f = dns, .n = dns_n},
	    {.name = "DPI, no match (1400 B HTTP response)", .fd = -1, .f = resp, .n = resp_n},
	    {.name = "rule hit: dns name (no event)", .fd = -1, .f = rdns, .n = rdns_n},
	    {.name = "rule-decided flow, later packet", .fd = -1, .f = rack, .n = rack_n},
	    {.name = "DPI dns off-port (by content)", .fd = -1, .f = dnsoff, .n = dnsoff_n},
	    {.name = "DPI dns, 3 questions (3 events)",
	     .fd = -1,
	     .f = dns3,
	     .n = dns3_n,
	     .repeat = REPEAT / 4},
	    {.name = "DPI http, 3 pipelined (3 events)",
	     .fd = -1,
	     .f = h3,
	     .n = h3_n,
	     .repeat = REPEAT / 4},
	    {.name = "UDP 200 B off the DNS ports, not DNS", .fd = -1, .f = udpx, .n = udpx_n},
	    {.name = "fast path inside VXLAN (known flow)", .fd = -1, .f = vack, .n = vack_n},
	};
	enum { NROWS = sizeof(rows) / sizeof(rows[0]) };
	ls_testrun_packet(t, LS_TR_XDP, rreq, (uint32_t)rreq_n, &act); /* the rule decides it */
	for (int i = 0; i < NROWS; i++) { /* make the flows known, warm up */
		if (rows[i].fd < 0)
			ls_testrun_packet(t, LS_TR_XDP, rows[i].f, (uint32_t)rows[i].n, &act);
		else if (run_round(t, &rows[i], 0))
			return 1;
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < NROWS; i++)
			if (run_round(t, &rows[i], r)) {
				fprintf(stderr, "dataplane_bench: test run of %s failed\n",
					rows[i].name);
				return 1;
			}
	for (int i = 0; i < NROWS; i++)
		settle(&rows[i]);
	double base = rows[0].med;
	for (int i = 0; i < NROWS; i++)
		row2(&rows[i], base);
	double fast = rows[2].med, h = rows[3].med, s = rows[4].med, d = rows[5].med;
	double rh = rows[7].med, rl = rows[8].med;
	printf("# several results per packet: dns 3 questions %.2fx one (%.0f vs %.0f ns), http 3 "
	       "pipelined %.2fx one (%.0f vs %.0f ns); dns by content off port 53 %.2fx on it; "
	       "a UDP payload off the DNS ports that is not DNS %.2fx the fast path (%.0f vs %.0f "
	       "ns)\n",
	       rows[10].med / d, rows[10].med, d, rows[11].med / h, rows[11].med, h,
	       rows[9].med / d, rows[12].med / fast, rows[12].med, fast);
	printf("# kernel rules: a name rule hit costs %.2fx the DPI of the same query without a "
	       "rule (%.0f vs %.0f ns: the lookup, and no event); a rule-decided flow's later "
	       "packets cost %.2fx the fast path (%.0f vs %.0f ns; target <= 1.3x)\n",
	       rh / d, rh, d, rl / fast, rl, fast);
	printf("# a known flow inside VXLAN: %.2fx the bare fast path (%.0f vs %.0f ns: the outer "
	       "headers parsed, the VNI in the key)\n",
	       rows[13].med / fast, rows[13].med, fast);

	ls_testrun_set_config(t, NULL);
	/* repeat-1 runs carry the test-run set-up in their time: measure it
	 * with the baseline program the same way and report the difference */
	uint64_t r1[FIRSTS];
	for (int i = 0; i < FIRSTS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = ack, .data_size_in = (uint32_t)ack_n,
			    .repeat = 1);
		bpf_prog_test_run_opts(bpf_program__fd(b->progs.ls_baseline), &o);
		r1[i] = o.duration;
	}
	qsort(r1, FIRSTS, sizeof(r1[0]), cmp_u64);
	double base1 = (double)r1[FIRSTS / 2];
	row("baseline, one run per call", base1, base);
	uint16_t port = 1024;
	/* a few hundred runs between drains: two events each, well within
	 * the ring buffer, and the consumer never caught up */
	double fh = measure_first(t, 6, 80, HTTP, sizeof(HTTP) - 1, &port, 500);
	double fs = measure_first(t, 6, 443, pay, tls_len, &port, 500);
	double fd = measure_first(t, 17, 53, pay + 600, dl, &port, 500);
	double fsi = measure_first(t, 6, 443, pay, tls_len, &port, 1);
	/* issue 16: the same ClientHello's first packet inside VXLAN and GTP-U */
	double fsb = 0, fsv = 0, fsg = 0;
	if (measure_first_tunnels(t, pay, tls_len, &port, &fsb, &fsv, &fsg))
		return 1;
	/* a new flow's first packet (UDP, no DPI) undecided, then decided by a
	 * server prefix rule (two LPM lookups, the verdict written) */
	double fu = measure_first(t, 17, 9, "x", 1, &port, 500);
	if (ls_dp_rule_set(dp, LS_RULE_SERVER, "198.18.0.1/32", 13, LS_VERDICT_PASS, 0, &derr))
		return 1;
	double fp = measure_first(t, 17, 9, "x", 1, &port, 500);
	/* the same packet on a known flow, one run per call, consumer busy:
	 * what is running cold and what is creating the flow */
	{
		struct ls_config c2 = {.dpi_max_pkts = LS_DPI_ALWAYS};
		ls_testrun_set_config(t, &c2);
		uint8_t fk[2048];
		size_t n = frame(fk, 6, 777, 443, pay, tls_len);
		uint32_t a;
		ls_testrun_packet(t, LS_TR_XDP, fk, (uint32_t)n, &a);
		for (int i = 0; i < FIRSTS; i++) {
			ls_testrun_repeat(t, LS_TR_XDP, fk, (uint32_t)n, 1, &r1[i]);
			if ((i + 1) % 500 == 0)
				ls_testrun_drain(t);
		}
		ls_testrun_drain(t);
		qsort(r1, FIRSTS, sizeof(r1[0]), cmp_u64);
		ls_testrun_set_config(t, NULL);
	}
	double kfi = (double)r1[FIRSTS / 2];
	row("first packet of a flow: http", fh, base1);
	row("first packet of a flow: tls", fs, base1);
	row("first packet of a flow: dns", fd, base1);
	row("first packet, tls, consumer idle", fsi, base1);
	row("first packet, tls (interleaved: bare)", fsb, base1);
	row("first packet, tls inside VXLAN", fsv, base1);
	row("first packet, tls inside GTP-U", fsg, base1);
	printf("# a VXLAN-wrapped TLS ClientHello's first packet costs %.2fx a bare one "
	       "(%.0f vs %.0f ns, interleaved, same run): the outer Ethernet/IPv4/UDP/VXLAN "
	       "headers parsed, the inner flow keyed with its VNI\n",
	       fsb > 0 ? fsv / fsb : 0, fsv, fsb);
	printf("# inside GTP-U (a G-PDU, TEID in the key): %.2fx a bare one (%.0f vs %.0f ns)\n",
	       fsb > 0 ? fsg / fsb : 0, fsg, fsb);
	row("known flow, tls DPI, one run per call", kfi, base1);
	row("first packet, udp, undecided", fu, base1);
	row("first packet, udp, prefix rule hit", fp, base1);
	printf("# a prefix rule hit on a new flow's first packet: %.2fx the same packet "
	       "undecided (%.0f vs %.0f ns)\n",
	       fp / fu, fp, fu);
	printf("# first-packet rows: one run per call (cold), ratio to the one-run baseline; cost "
	       "over it: http %.0f, tls %.0f, dns %.0f ns; waking an idle consumer adds %.0f ns\n",
	       fh - base1, fs - base1, fd - base1, fsi - fs);
	printf("# targets: fast path <= 1.5x baseline: %.2fx (the floor alone is %.2fx); "
	       "first-packet DPI <= 500 ns: http %.0f, tls %.0f, dns %.0f ns on a known flow, "
	       "%.0f, %.0f, %.0f on a new one\n",
	       fast / base, rows[1].med / base, h, s, d, fh - base1, fs - base1, fd - base1);
	if (ls_testrun_counter(t, LS_CNT_RINGBUF_FULL))
		printf("# note: %llu events lost to a full ring buffer during the runs\n",
		       (unsigned long long)ls_testrun_counter(t, LS_CNT_RINGBUF_FULL));
	baseline_bpf__destroy(b);
	ls_dp_close(dp);
	ls_testrun_close(t);
	return 0;
}
