/* test_bpf_parse.c - the real data plane program, loaded into this kernel,
 * fed crafted frames through BPF_PROG_TEST_RUN: every parser path, malformed
 * and truncated input (always passed, counted by reason, never a wrong
 * name), DPI for HTTP / TLS / DNS, flow events, verdicts, expiry and
 * fail-safe. Needs root. */
#include "test.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "base/time.h"
#include "dataplane/testrun.h"
#include "http_model.h"
#include "lockstep.skel.h"

/* ---- event log ------------------------------------------------------------ */

#define EV_MAX 256
static struct ls_event evs[EV_MAX];
static int nev;
static struct ls_testrun *T;

static void collect(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	if (nev < EV_MAX)
		evs[nev++] = *ev;
}

static int count_kind(unsigned kind)
{
	int n = 0;
	for (int i = 0; i < nev; i++)
		n += evs[i].kind == kind;
	return n;
}

static const struct ls_event *find_kind(unsigned kind)
{
	for (int i = 0; i < nev; i++)
		if (evs[i].kind == kind)
			return &evs[i];
	return NULL;
}

/* the only DPI event of the last run (NULL if none or several) */
static const struct ls_event *dpi1(void)
{
	return count_kind(LS_EV_DPI) == 1 ? find_kind(LS_EV_DPI) : NULL;
}

static uint64_t cnt(unsigned idx)
{
	return ls_testrun_counter(T, idx);
}

/* ---- frame builder ---------------------------------------------------------- */

struct spec {
	int v6;
	int tags;      /* VLAN tags (802.1ad outer, 802.1Q inner) */
	uint8_t proto; /* 6, 17, 1, 58, or anything */
	uint16_t sport, dport;
	uint8_t tcp_flags; /* default ACK|PSH */
	const void *pay;
	size_t plen;
	int opt_words;	      /* IPv4 options, 4-byte words */
	int ihl;	      /* override IHL (IPv4) */
	int tot_delta;	      /* added to the IPv4 total / IPv6 payload length */
	uint16_t frag;	      /* IPv4 frag_off field (flags | offset) */
	int v6_frag;	      /* add an IPv6 fragment header ... */
	uint16_t v6_frag_off; /* ... with this offset<<3 | M */
	int v6_exts;	      /* destination-options headers before L4 */
	int doff;	      /* override TCP data offset (words) */
	int udp_len_delta;    /* added to the UDP length */
	int swap;	      /* reply direction: swap addresses and ports */
	uint8_t host;	      /* last address byte of the client (flow variety) */
	int icmp_type;	      /* ICMP/ICMPv6 type override (default: echo) */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8, p[1] = v & 0xff;
}

static size_t build(const struct spec *s, uint8_t *o)
{
	size_t n = 0;
	uint8_t cli4[4] = {198, 18, 0, s->host ? s->host : 2}, srv4[4] = {198, 18, 0, 1};
	uint8_t cli6[16] = {0x20, 0x01, 0x0d, 0xb8}, srv6[16] = {0x20, 0x01, 0x0d, 0xb8};
	cli6[15] = s->host ? s->host : 2, srv6[15] = 1;
	memset(o, 0, 14);
	o[0] = 0x02, o[6] = 0x02, o[11] = 1;
	n = 12;
	for (int i = 0; i < s->tags; i++) {
		put16(o + n, i == 0 && s->tags > 1 ? 0x88a8 : 0x8100);
		put16(o + n + 2, 100 + i);
		n += 4;
	}
	put16(o + n, s->v6 ? 0x86dd : 0x0800);
	n += 2;
	size_t l3 = n;

	/* L4 first, into a side buffer */
	uint8_t l4[4096];
	size_t l4n = 0;
	uint16_t sp = s->swap ? s->dport : s->sport, dp = s->swap ? s->sport : s->dport;
	if (s->proto == 6) {
		int doff = s->doff ? s->doff : 5;
		memset(l4, 0, 20);
		put16(l4, sp), put16(l4 + 2, dp);
		l4[12] = doff << 4;
		l4[13] = s->tcp_flags ? s->tcp_flags : 0x18;
		l4n = doff >= 5 ? doff * 4 : 20;
	} else if (s->proto == 17) {
		put16(l4, sp), put16(l4 + 2, dp);
		put16(l4 + 4, 8 + s->plen + s->udp_len_delta);
		put16(l4 + 6, 0);
		l4n = 8;
	} else if (s->proto == 1 || s->proto == 58) {
		memset(l4, 0, 8);
		l4[0] = s->proto == 1 ? (s->swap ? 0 : 8) : (s->swap ? 129 : 128);
		if (s->icmp_type)
			l4[0] = (uint8_t)s->icmp_type;
		put16(l4 + 4, s->sport);
		l4n = 8;
	} else {
		memset(l4, 0, 8);
		l4n = 8;
	}
	if (s->plen)
		memcpy(l4 + l4n, s->pay, s->plen);
	l4n += s->plen;

	if (!s->v6) {
		int ihl = s->ihl ? s->ihl : 5 + s->opt_words;
		size_t hl = (5 + s->opt_words) * 4;
		memset(o + n, 0, hl);
		o[n] = 0x40 | (ihl & 0xf);
		put16(o + n + 2, hl + l4n + s->tot_delta);
		put16(o + n + 6, s->frag);
		o[n + 8] = 64;
		o[n + 9] = s->proto;
		memcpy(o + n + 12, s->swap ? srv4 : cli4, 4);
		memcpy(o + n + 16, s->swap ? cli4 : srv4, 4);
		for (int i = 0; i < s->opt_words * 4; i++)
			o[n + 20 + i] = 1; /* NOP options */
		n += hl;
	} else {
		size_t ext = 8 * s->v6_exts + (s->v6_frag ? 8 : 0);
		memset(o + n, 0, 40);
		o[n] = 0x60;
		put16(o + n + 4, ext + l4n + s->tot_delta);
		o[n + 6] = s->v6_exts ? 60 : s->v6_frag ? 44 : s->proto;
		o[n + 7] = 64;
		memcpy(o + n + 8, s->swap ? srv6 : cli6, 16);
		memcpy(o + n + 24, s->swap ? cli6 : srv6, 16);
		n += 40;
		for (int i = 0; i < s->v6_exts; i++) {
			memset(o + n, 0, 8);
			o[n] = i + 1 < s->v6_exts ? 60 : s->v6_frag ? 44 : s->proto;
			o[n + 2] = 1, o[n + 3] = 4; /* PadN */
			n += 8;
		}
		if (s->v6_frag) {
			memset(o + n, 0, 8);
			o[n] = s->proto;
			put16(o + n + 2, s->v6_frag_off);
			o[n + 7] = 9;
			n += 8;
		}
	}
	(void)l3;
	memcpy(o + n, l4, l4n);
	return n + l4n;
}

/* Runs a frame through XDP; returns the action, or -1 if refused. */
static int run_frame(const uint8_t *f, size_t n)
{
	uint32_t act = 0;
	nev = 0;
	if (ls_testrun_packet(T, LS_TR_XDP, f, (uint32_t)n, &act))
		return -1;
	return (int)act;
}

static int run(const struct spec *s)
{
	uint8_t f[8192];
	return run_frame(f, build(s, f));
}

static uint16_t next_port(void)
{
	static uint16_t p = 20000;
	return p++;
}

/* ---- payloads ------------------------------------------------------------------ */

static const char HTTP_GET[] =
    "GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: t\r\nhOsT:  example.org \r\n"
    "Accept: */*\r\n\r\n";

/* A TLS 1.2/1.3 ClientHello with the given extensions block. */
static size_t client_hello(uint8_t *o, const uint8_t *exts, size_t elen, int rec_extra)
{
	size_t n = 0;
	uint8_t body[2048];
	size_t b = 0;
	body[b++] = 3, body[b++] = 3;
	memset(body + b, 0x11, 32), b += 32;
	body[b++] = 0;		      /* session id */
	body[b++] = 0, body[b++] = 2; /* cipher suites */
	body[b++] = 0x13, body[b++] = 0x01;
	body[b++] = 1, body[b++] = 0; /* compression */
	put16(body + b, elen), b += 2;
	memcpy(body + b, exts, elen), b += elen;
	o[n++] = 0x16, o[n++] = 3, o[n++] = 1;
	put16(o + n, 4 + b + rec_extra), n += 2;
	o[n++] = 1;
	o[n++] = 0, o[n++] = (b >> 8) & 0xff, o[n++] = b & 0xff;
	memcpy(o + n, body, b);
	return n + b;
}

static size_t sni_ext(uint8_t *o, const char *name, int ext_delta, int list_delta, int name_delta)
{
	size_t nl = strlen(name), n = 0;
	/* an unrelated extension first: supported_versions */
	o[n++] = 0, o[n++] = 0x2b, o[n++] = 0, o[n++] = 3, o[n++] = 2, o[n++] = 3, o[n++] = 4;
	o[n++] = 0, o[n++] = 0;
	put16(o + n, nl + 5 + ext_delta), n += 2;
	put16(o + n, nl + 3 + list_delta), n += 2;
	o[n++] = 0;
	put16(o + n, nl + name_delta), n += 2;
	memcpy(o + n, name, nl);
	return n + nl;
}

static size_t dns_query(uint8_t *o, const char *wire_name, size_t wn, int response)
{
	size_t n = 0;
	put16(o, 0x1234), n = 2;
	o[n++] = response ? 0x81 : 0x01, o[n++] = 0;
	put16(o + n, 1), n += 2; /* QDCOUNT */
	memset(o + n, 0, 6), n += 6;
	memcpy(o + n, wire_name, wn), n += wn;
	put16(o + n, 1), put16(o + n + 2, 1);
	return n + 4;
}

#define WN(s) s, sizeof(s) - 1

/* ---- parser paths ------------------------------------------------------------ */

TEST(http_ipv4_request)
{
	struct spec s = {.proto = 6,
			 .sport = next_port(),
			 .dport = 8080,
			 .pay = HTTP_GET,
			 .plen = sizeof(HTTP_GET) - 1};
	uint64_t h0 = cnt(LS_CNT_DPI_HTTP);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 1);
	const struct ls_event *e = dpi1();
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_EQ_INT(e->u.dpi.kind, LS_DPI_HTTP);
	CHECK_EQ_STR(e->u.dpi.method, "GET");
	CHECK_EQ_STR(e->u.dpi.path, "/index.html?q=1");
	CHECK_EQ_STR(e->u.dpi.name, "example.org");
	CHECK_EQ_INT(e->u.dpi.name_len, 11);
	CHECK_EQ_INT(e->sport, s.sport);
	CHECK_EQ_INT(e->dport, 8080);
	CHECK_EQ_INT(cnt(LS_CNT_DPI_HTTP), h0 + 1);
}

TEST(http_over_ipv6_vlan_qinq_and_a_third_tag)
{
	for (int tags = 0; tags <= 3; tags++) { /* LS_VLAN_MAX: QinQ and a third */
		struct spec s = {.v6 = 1,
				 .tags = tags,
				 .proto = 6,
				 .sport = next_port(),
				 .dport = 80,
				 .pay = HTTP_GET,
				 .plen = sizeof(HTTP_GET) - 1};
		CHECK_EQ_INT(run(&s), XDP_PASS);
		const struct ls_event *e = dpi1();
		CHECK(e && !strcmp(e->u.dpi.name, "example.org"));
		CHECK(e && e->key.family == 6);
	}
	/* a fourth tag is more than we parse: passed, counted, silent */
	struct spec s = {.tags = 4,
			 .proto = 6,
			 .sport = next_port(),
			 .dport = 80,
			 .pay = HTTP_GET,
			 .plen = sizeof(HTTP_GET) - 1};
	uint8_t f[4096];
	size_t n = build(&s, f);
	uint64_t c0 = cnt(LS_CNT_UNPARSED_ETH);
	CHECK_EQ_INT(run_frame(f, n), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_ETH), c0 + 1);
}

TEST(ipv4_options_and_bad_ihl_and_lengths)
{
	struct spec s = {.proto = 6,
			 .sport = next_port(),
			 .dport = 80,
			 .opt_words = 10,
			 .pay = HTTP_GET,
			 .plen = sizeof(HTTP_GET) - 1};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "example.org"));

	uint64_t c0 = cnt(LS_CNT_UNPARSED_IPV4);
	for (int ihl = 1; ihl < 5; ihl++) {
		struct spec b = s;
		b.sport = next_port();
		b.ihl = ihl;
		CHECK_EQ_INT(run(&b), XDP_PASS);
		CHECK_EQ_INT(nev, 0);
	}
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_IPV4), c0 + 4);
	/* total length beyond the frame, and shorter than the header */
	struct spec b = s;
	b.sport = next_port();
	b.tot_delta = 1;
	CHECK_EQ_INT(run(&b), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	b.tot_delta = -(int)(b.plen + 20 + 40 + 1);
	CHECK_EQ_INT(run(&b), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_IPV4), c0 + 6);
	/* a shorter total length than the frame (Ethernet padding): the
	 * payload ends where IP says, so the header block is incomplete */
	b.tot_delta = -10;
	CHECK_EQ_INT(run(&b), XDP_PASS);
	CHECK(count_kind(LS_EV_DPI) == 0 ||
	      (dpi1() && (dpi1()->u.dpi.flags & LS_DPI_F_PARTIAL) && !dpi1()->u.dpi.name[0]));
}

/* Every prefix of valid frames: always passed, never a name. */
TEST(truncated_at_every_boundary)
{
	uint8_t tls[600], ext[300];
	size_t el = sni_ext(ext, "truncated.example", 0, 0, 0);
	size_t tl = client_hello(tls, ext, el, 0);
	struct spec specs[] = {
	    {.proto = 6, .dport = 80, .pay = HTTP_GET, .plen = sizeof(HTTP_GET) - 1},
	    {.v6 = 1, .tags = 2, .v6_exts = 2, .proto = 6, .dport = 443, .pay = tls, .plen = tl},
	    {.tags = 1,
	     .opt_words = 3,
	     .proto = 17,
	     .dport = 53,
	     .pay = "\x12\x34\x01\x00\x00\x01\0\0\0\0\0\0\x03www\x07"
		    "example\x00\x00\x01\x00\x01",
	     .plen = 29},
	    {.v6 = 1, .proto = 58, .sport = 7},
	};
	int wrong = 0, dropped = 0, refused = 0;
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		uint8_t f[4096];
		specs[k].sport = specs[k].sport ? specs[k].sport : next_port();
		size_t n = build(&specs[k], f);
		for (size_t cut = 14; cut < n; cut++) {
			int a = run_frame(f, cut);
			if (a < 0) {
				refused++;
				continue;
			}
			if (a != XDP_PASS)
				dropped++;
			for (int i = 0; i < nev; i++)
				if (evs[i].kind == LS_EV_DPI && evs[i].u.dpi.name[0])
					wrong++;
		}
	}
	CHECK_EQ_INT(dropped, 0);
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(refused, 0);
}

TEST(ipv6_extension_chains)
{
	struct spec s = {.v6 = 1,
			 .v6_exts = 3,
			 .proto = 6,
			 .sport = next_port(),
			 .dport = 80,
			 .pay = HTTP_GET,
			 .plen = sizeof(HTTP_GET) - 1};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "example.org"));
	uint64_t c0 = cnt(LS_CNT_UNPARSED_IPV6_EXT);
	s.sport = next_port();
	s.v6_exts = 7; /* longer than the chain we walk */
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_IPV6_EXT), c0 + 1);
	/* an extension header claiming more than the payload */
	uint8_t f[4096];
	s.v6_exts = 1;
	size_t n = build(&s, f);
	f[14 + 40 + 1] = 200;
	CHECK_EQ_INT(run_frame(f, n), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_IPV6_EXT), c0 + 2);
	/* payload length beyond the frame: the fixed header lies */
	uint64_t c1 = cnt(LS_CNT_UNPARSED_IPV6);
	s.v6_exts = 0;
	s.tot_delta = 100;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_IPV6), c1 + 1);
}

TEST(fragments_only_first_carries_l4)
{
	uint8_t q[128];
	size_t ql = dns_query(q,
			      WN("\x04"
				 "frag\x07"
				 "example\x00"),
			      0);
	uint64_t f0 = cnt(LS_CNT_FRAGMENT);
	/* IPv4 first fragment (MF, offset 0): UDP length covers the datagram */
	struct spec s = {.proto = 17,
			 .sport = next_port(),
			 .dport = 53,
			 .pay = q,
			 .plen = ql,
			 .frag = 0x2000,
			 .udp_len_delta = 400};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "frag.example"));
	/* a later fragment: no L4 header, counted */
	s.frag = 0x2000 | 100;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	/* the same over IPv6 with a fragment header */
	struct spec v = {.v6 = 1,
			 .proto = 17,
			 .sport = next_port(),
			 .dport = 53,
			 .pay = q,
			 .plen = ql,
			 .v6_frag = 1,
			 .v6_frag_off = 1,
			 .udp_len_delta = 400};
	CHECK_EQ_INT(run(&v), XDP_PASS);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "frag.example"));
	v.v6_frag_off = (185 << 3) | 0;
	CHECK_EQ_INT(run(&v), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(cnt(LS_CNT_FRAGMENT), f0 + 2);
	/* an unfragmented UDP datagram whose length lies is malformed */
	uint64_t l0 = cnt(LS_CNT_UNPARSED_L4);
	struct spec u = {.proto = 17,
			 .sport = next_port(),
			 .dport = 53,
			 .pay = q,
			 .plen = ql,
			 .udp_len_delta = 1};
	CHECK_EQ_INT(run(&u), XDP_PASS);
	u.udp_len_delta = -(int)ql - 1; /* < 8 */
	CHECK_EQ_INT(run(&u), XDP_PASS);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_L4), l0 + 2);
}

TEST(l4_and_ethertype_reasons)
{
	uint64_t l0 = cnt(LS_CNT_UNPARSED_L4), p0 = cnt(LS_CNT_UNPARSED_PROTO);
	uint64_t e0 = cnt(LS_CNT_UNPARSED_ETHERTYPE);
	for (int doff = 1; doff < 5; doff++) {
		struct spec s = {.proto = 6, .sport = next_port(), .dport = 80, .doff = doff};
		CHECK_EQ_INT(run(&s), XDP_PASS);
	}
	struct spec s = {.proto = 6, .sport = next_port(), .dport = 80};
	uint8_t f[256];
	size_t n = build(&s, f);
	f[14 + 20 + 12] = 15 << 4; /* data offset past the packet */
	CHECK_EQ_INT(run_frame(f, n), XDP_PASS);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_L4), l0 + 5);
	struct spec g = {.proto = 47, .sport = 1};
	CHECK_EQ_INT(run(&g), XDP_PASS);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_PROTO), p0 + 1);
	uint8_t arp[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
	CHECK_EQ_INT(run_frame(arp, sizeof(arp)), XDP_PASS);
	CHECK_EQ_INT(cnt(LS_CNT_UNPARSED_ETHERTYPE), e0 + 1);
	CHECK_EQ_INT(nev, 0);
}

TEST(icmp_echo_flows)
{
	struct spec s = {.proto = 1, .sport = 4242};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	const struct ls_event *e = find_kind(LS_EV_FLOW_NEW);
	CHECK(e && e->key.proto == 1 && e->key.lo_port == 4242 && e->key.hi_port == 4242);
	s.swap = 1; /* the reply hits the same flow */
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 0);
	struct spec v = {.v6 = 1, .proto = 58, .sport = 4243};
	CHECK_EQ_INT(run(&v), XDP_PASS);
	e = find_kind(LS_EV_FLOW_NEW);
	CHECK(e && e->key.proto == 58 && e->key.family == 6);
}

/* Flow ids are (CPU << 40) | n (wire.h): the run is pinned to each CPU in
 * turn, so the id's CPU part is known here, not taken from the code; and an
 * id stays below 2^53, which JSON readers hold exactly. */
TEST(flow_ids_name_their_cpu_and_stay_json_exact)
{
	cpu_set_t old;
	CHECK_EQ_INT(sched_getaffinity(0, sizeof(old), &old), 0);
	int ncpu = CPU_COUNT(&old), tested = 0;
	for (int c = 0; c < CPU_SETSIZE && tested < ncpu; c++) {
		if (!CPU_ISSET(c, &old))
			continue;
		tested++;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		CHECK_EQ_INT(sched_setaffinity(0, sizeof(one), &one), 0);
		uint64_t id[2] = {0, 0};
		for (int i = 0; i < 2; i++) {
			struct spec s = {.proto = 17, .sport = next_port()};
			CHECK_EQ_INT(run(&s), XDP_PASS);
			const struct ls_event *e = find_kind(LS_EV_FLOW_NEW);
			CHECK(e != NULL);
			if (e)
				id[i] = e->flow_id;
		}
		CHECK(id[0] >> 40 == (uint64_t)c);
		CHECK(id[1] == id[0] + 1); /* the CPU's next new flow */
		CHECK(id[1] < (1ull << 53));
	}
	CHECK_EQ_INT(sched_setaffinity(0, sizeof(old), &old), 0);
	CHECK(tested >= 1);
}

/* ---- DPI ---------------------------------------------------------------------- */

TEST(tls_sni_complete_partial_and_lying)
{
	uint8_t ext[512], ch[1024];
	size_t el = sni_ext(ext, "www.example.com", 0, 0, 0);
	size_t n = client_hello(ch, ext, el, 0);
	struct spec s = {.proto = 6, .sport = next_port(), .dport = 443, .pay = ch, .plen = n};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	const struct ls_event *e = dpi1();
	CHECK(e && e->u.dpi.kind == LS_DPI_TLS && !strcmp(e->u.dpi.name, "www.example.com"));

	/* the record continues in a later segment: partial, no name */
	uint64_t p0 = cnt(LS_CNT_DPI_PARTIAL);
	n = client_hello(ch, ext, el, 100);
	s.sport = next_port(), s.plen = n;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	e = dpi1();
	CHECK(e && (e->u.dpi.flags & LS_DPI_F_PARTIAL) && e->u.dpi.name[0] == 0 &&
	      e->u.dpi.kind == LS_DPI_TLS);
	CHECK_EQ_INT(cnt(LS_CNT_DPI_PARTIAL), p0 + 1);
	/* the segment ends inside the name (first segment of a split hello) */
	n = client_hello(ch, ext, el, 0);
	s.sport = next_port(), s.plen = n - 5;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	e = dpi1();
	CHECK(e && (e->u.dpi.flags & LS_DPI_F_PARTIAL) && e->u.dpi.name[0] == 0);

	/* SNI extensions lying about their lengths (the SNI last here;
	 * tls_lengths_one_byte_past_their_enclosure has one after it): each
	 * is exactly one malformed result, by hand -- ext +1/+40 past the
	 * block; list +1 past the ext; list -1 and name +1/+30 put the name
	 * past the list; name -20 wraps to 65532; ext -3 puts the list past
	 * the ext -- and never a name */
	int deltas[][3] = {{1, 0, 0}, {40, 0, 0}, {0, 1, 0},   {0, -1, 0},
			   {0, 0, 1}, {0, 0, 30}, {0, 0, -20}, {-3, 0, 0}};
	int bad_names = 0, wrong_count = 0;
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		uint64_t m0 = cnt(LS_CNT_DPI_MALFORMED), t0 = cnt(LS_CNT_DPI_TLS);
		uint64_t p0 = cnt(LS_CNT_DPI_PARTIAL);
		el = sni_ext(ext, "liar.example.com", deltas[i][0], deltas[i][1], deltas[i][2]);
		n = client_hello(ch, ext, el, 0);
		s.sport = next_port(), s.plen = n;
		CHECK_EQ_INT(run(&s), XDP_PASS);
		for (int k = 0; k < nev; k++)
			if (evs[k].kind == LS_EV_DPI && evs[k].u.dpi.name[0])
				bad_names++;
		if (cnt(LS_CNT_DPI_MALFORMED) != m0 + 1 || cnt(LS_CNT_DPI_TLS) != t0 ||
		    cnt(LS_CNT_DPI_PARTIAL) != p0) {
			printf("# SNI lie {%d,%d,%d}: malformed %+lld tls %+lld partial %+lld\n",
			       deltas[i][0], deltas[i][1], deltas[i][2],
			       (long long)(cnt(LS_CNT_DPI_MALFORMED) - m0),
			       (long long)(cnt(LS_CNT_DPI_TLS) - t0),
			       (long long)(cnt(LS_CNT_DPI_PARTIAL) - p0));
			wrong_count++;
		}
	}
	CHECK_EQ_INT(bad_names, 0);
	CHECK_EQ_INT(wrong_count, 0);

	/* no SNI at all: TLS seen, no name */
	n = client_hello(ch, (const uint8_t *)"\x00\x2b\x00\x03\x02\x03\x04", 7, 0);
	s.sport = next_port(), s.plen = n;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	e = dpi1();
	CHECK(e && e->u.dpi.kind == LS_DPI_TLS && e->u.dpi.name_len == 0);
	/* control bytes in the name: refused */
	el = sni_ext(ext, "bad\x01name", 0, 0, 0);
	n = client_hello(ch, ext, el, 0);
	s.sport = next_port(), s.plen = n;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
}

/* A ClientHello whose SNI is followed by another extension (GREASE 0x5a5a,
 * "ZZ", empty: RFC 8701), every length of the SNI's enclosure shifted by
 * its delta: d[0] record, d[1] handshake, d[2] extensions block, d[3] SNI
 * extension, d[4] server-name list, d[5] name. Laid out by hand from
 * RFC 8446 4.1.2 and RFC 6066 3. */
static size_t tls_lie(uint8_t *o, const char *name, const int d[6])
{
	size_t nl = strlen(name), n = 0, b = 0, e = 0;
	uint8_t ext[600], body[1024];
	ext[e++] = 0, ext[e++] = 0x2b, ext[e++] = 0, ext[e++] = 3; /* supported_versions */
	ext[e++] = 2, ext[e++] = 3, ext[e++] = 4;
	ext[e++] = 0, ext[e++] = 0; /* server_name */
	put16(ext + e, nl + 5 + d[3]), e += 2;
	put16(ext + e, nl + 3 + d[4]), e += 2;
	ext[e++] = 0; /* host_name */
	put16(ext + e, nl + d[5]), e += 2;
	memcpy(ext + e, name, nl), e += nl;
	ext[e++] = 0x5a, ext[e++] = 0x5a, ext[e++] = 0, ext[e++] = 0; /* GREASE, empty */
	body[b++] = 3, body[b++] = 3;
	memset(body + b, 0x11, 32), b += 32;
	body[b++] = 0;
	body[b++] = 0, body[b++] = 2, body[b++] = 0x13, body[b++] = 0x01;
	body[b++] = 1, body[b++] = 0;
	put16(body + b, e + d[2]), b += 2;
	memcpy(body + b, ext, e), b += e;
	o[n++] = 0x16, o[n++] = 3, o[n++] = 1;
	put16(o + n, 4 + b + d[0]), n += 2;
	o[n++] = 1, o[n++] = 0;
	put16(o + n, b + d[1]), n += 2;
	memcpy(o + n, body, b);
	return n + b;
}

/* Each length one byte past the length enclosing it, with an extension
 * after the SNI (so a byte past the name is a visible 'Z', not the end of
 * the packet), and exact counts: one result per ClientHello, by hand from
 * the structure and docs/dataplane.md (TLS): a record or handshake longer
 * than what is here may continue in the next segment or record: partial;
 * any length past its enclosure inside the message: malformed; never a
 * name. The honest one reports exactly the name. */
TEST(tls_lengths_one_byte_past_their_enclosure)
{
	static const struct {
		int d[6];
		const char *what;
		unsigned want; /* the counter that must move by exactly 1 */
	} t[] = {
	    {{0, 0, 0, 0, 0, 0}, "honest", LS_CNT_DPI_TLS},
	    {{1, 0, 0, 0, 0, 0}, "record past the packet", LS_CNT_DPI_PARTIAL},
	    {{0, 1, 0, 0, 0, 0}, "handshake past its record", LS_CNT_DPI_PARTIAL},
	    {{0, 0, 1, 0, 0, 0}, "extensions block past the handshake", LS_CNT_DPI_MALFORMED},
	    {{0, 0, 0, 5, 0, 0}, "SNI extension past the block", LS_CNT_DPI_MALFORMED},
	    {{0, 0, 0, 1, 0, 0}, "SNI extension into the next one", LS_CNT_DPI_MALFORMED},
	    {{0, 0, 0, 0, 1, 0}, "server-name list past its extension", LS_CNT_DPI_MALFORMED},
	    {{0, 0, 0, 0, 0, 1}, "name past its list", LS_CNT_DPI_MALFORMED},
	};
	static const unsigned all[] = {LS_CNT_DPI_TLS, LS_CNT_DPI_PARTIAL, LS_CNT_DPI_MALFORMED,
				       LS_CNT_DPI_NONE};
	uint8_t ch[1200];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = tls_lie(ch, "liar.example.com", t[i].d);
		struct spec s = {
		    .proto = 6, .sport = next_port(), .dport = 443, .pay = ch, .plen = n};
		uint64_t c0[4];
		for (int k = 0; k < 4; k++)
			c0[k] = cnt(all[k]);
		CHECK_EQ_INT(run(&s), XDP_PASS);
		const struct ls_event *e = dpi1();
		int moved_right = 1;
		for (int k = 0; k < 4; k++)
			moved_right &= cnt(all[k]) - c0[k] == (all[k] == t[i].want);
		if (!moved_right)
			printf("# %s: tls %+lld partial %+lld malformed %+lld none %+lld\n",
			       t[i].what, (long long)(cnt(all[0]) - c0[0]),
			       (long long)(cnt(all[1]) - c0[1]), (long long)(cnt(all[2]) - c0[2]),
			       (long long)(cnt(all[3]) - c0[3]));
		CHECK(moved_right);
		if (t[i].want == LS_CNT_DPI_TLS) {
			CHECK(e && e->u.dpi.kind == LS_DPI_TLS && e->u.dpi.flags == 0);
			CHECK(e && e->u.dpi.name_len == 16 &&
			      !strcmp(e->u.dpi.name, "liar.example.com"));
		} else if (e && e->u.dpi.name[0]) {
			printf("# %s: reported name \"%s\"\n", t[i].what, e->u.dpi.name);
			CHECK(!e->u.dpi.name[0]);
		}
	}
}

TEST(dns_names_pointers_and_loops)
{
	uint8_t q[600];
	size_t n = dns_query(q,
			     WN("\x03www\x07"
				"example\x03org\x00"),
			     0);
	struct spec s = {.proto = 17, .sport = next_port(), .dport = 53, .pay = q, .plen = n};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "www.example.org"));
	/* binary label bytes are names too (DNS labels are octets) */
	n = dns_query(q,
		      WN("\x05"
			 "a\x04\x05\x06z\x02"
			 "cn\x00"),
		      0);
	s.sport = next_port(), s.plen = n;
	run(&s);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "a\x04\x05\x06z.cn"));

	struct {
		const char *w;
		size_t n;
	} bad[] = {
	    {WN("\xc0\x0c")},	     /* pointer to itself */
	    {WN("\x03www\xc0\x0c")}, /* pointer back to the name: a loop */
	    {WN("\x03www\xc0\x20")}, /* forward pointer */
	    {WN("\xc0\x02")},	     /* pointer into the header */
	    {WN("\x03w.w\x00")},     /* a dot inside a label */
	    {WN("\x03w\x00w\x00")},  /* NUL inside a label */
	    {WN("\x40"
		"abc\x00")}, /* reserved label type */
	    {WN("\x3f"
		"abc")}, /* label running off the message */
	};
	uint64_t m0 = cnt(LS_CNT_DPI_MALFORMED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t m[600];
		size_t mn = dns_query(m, bad[i].w, bad[i].n, 0);
		if (i == 7)
			mn -= 4; /* no QTYPE/QCLASS: the label is cut by the end */
		s.sport = next_port(), s.pay = m, s.plen = mn;
		CHECK_EQ_INT(run(&s), XDP_PASS);
		CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	}
	CHECK_EQ_INT(cnt(LS_CNT_DPI_MALFORMED), m0 + 8);

	/* a name longer than 255 bytes */
	uint8_t w[400];
	size_t wn = 0;
	for (int i = 0; i < 5; i++) {
		w[wn++] = 63;
		memset(w + wn, 'a' + i, 63), wn += 63;
	}
	w[wn++] = 0;
	n = dns_query(q, (const char *)w, wn, 0);
	s.sport = next_port(), s.pay = q, s.plen = n;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	/* responses are not reported; the root name is, as "." */
	n = dns_query(q,
		      WN("\x03www\x07"
			 "example\x03org\x00"),
		      1);
	s.sport = next_port(), s.plen = n;
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	n = dns_query(q, WN("\x00"), 0);
	s.sport = next_port(), s.plen = n;
	run(&s);
	CHECK(dpi1() && dpi1()->u.dpi.name_len == 1 && !strcmp(dpi1()->u.dpi.name, "."));
	/* zero-length payload on the DNS port */
	s.sport = next_port(), s.plen = 0;
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
}

TEST(dns_over_tcp)
{
	uint8_t q[300], t[302];
	size_t n = dns_query(q,
			     WN("\x03tcp\x07"
				"example\x00"),
			     0);
	put16(t, n);
	memcpy(t + 2, q, n);
	struct spec s = {
	    .v6 = 1, .proto = 6, .sport = next_port(), .dport = 53, .pay = t, .plen = n + 2};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "tcp.example"));
	/* a length prefix shorter than a DNS header */
	put16(t, 5);
	s.sport = next_port();
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
}

static uint32_t hm_rnd(uint32_t n); /* the tests' PRNG (below) */

/* A DNS message: the header's two flag bytes and four counts, then the
 * rest as given. */
static size_t dns_msg(uint8_t *o, uint8_t f1, uint8_t f2, uint16_t qd, uint16_t an, uint16_t ns,
		      uint16_t ar, const void *rest, size_t rn)
{
	put16(o, 0xbeef);
	o[2] = f1, o[3] = f2;
	put16(o + 4, qd), put16(o + 6, an), put16(o + 8, ns), put16(o + 10, ar);
	memcpy(o + 12, rest, rn);
	return 12 + rn;
}

/* the names of the DPI events of the last run, "|"-joined */
static const char *dpi_names(void)
{
	static char out[2048];
	size_t k = 0;
	out[0] = 0;
	for (int i = 0; i < nev && k < sizeof(out) - 300; i++)
		if (evs[i].kind == LS_EV_DPI)
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s", k ? "|" : "",
					      evs[i].u.dpi.name);
	return out;
}

/* three questions: a.example, b + a pointer to "example" (offset 14: the
 * header's 12 bytes, then "\x01a"), the root; IN A, IN A, IN NS */
static const char DNS_Q3[] = "\x01"
			     "a\x07"
			     "example\x00\x00\x01\x00\x01"
			     "\x01"
			     "b\xc0\x0e\x00\x01\x00\x01"
			     "\x00\x00\x02\x00\x01";
#define DNS_Q3_LEN (sizeof(DNS_Q3) - 1)

TEST(dns_every_question)
{
	uint8_t m[1024];
	size_t n = dns_msg(m, 0x01, 0, 3, 0, 0, 0, DNS_Q3, DNS_Q3_LEN);
	struct spec s = {.proto = 17, .sport = next_port(), .dport = 53, .pay = m, .plen = n};
	uint64_t d0 = cnt(LS_CNT_DPI_DNS);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");
	CHECK_EQ_INT(cnt(LS_CNT_DPI_DNS), d0 + 3);
	/* QDCOUNT says 4, the message holds 3: the 3 are reported, no more */
	n = dns_msg(m, 0x01, 0, 4, 0, 0, 0, DNS_Q3, DNS_Q3_LEN);
	s.sport = next_port(), s.plen = n;
	uint64_t mal0 = cnt(LS_CNT_DPI_MALFORMED);
	run(&s);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");
	CHECK_EQ_INT(cnt(LS_CNT_DPI_MALFORMED), mal0);
	/* the second question points forward: the first stands, then malformed */
	static const char fwd[] = "\x01"
				  "a\x00\x00\x01\x00\x01"
				  "\xc0\x20\x00\x01\x00\x01";
	n = dns_msg(m, 0x01, 0, 2, 0, 0, 0, fwd, sizeof(fwd) - 1);
	s.sport = next_port(), s.plen = n;
	run(&s);
	CHECK_EQ_STR(dpi_names(), "a");
	CHECK_EQ_INT(cnt(LS_CNT_DPI_MALFORMED), mal0 + 1);
	/* 17 questions: the first LS_DNS_QMAX = 16 reported, the cut counted */
	uint8_t qs[17 * 7];
	for (int i = 0; i < 17; i++)
		memcpy(qs + 7 * i, "\x01q\x00\x00\x01\x00\x01", 7), qs[7 * i + 1] = 'a' + i;
	n = dns_msg(m, 0x01, 0, 17, 0, 0, 0, qs, sizeof(qs));
	s.sport = next_port(), s.plen = n;
	uint64_t c0 = cnt(LS_CNT_DPI_CUT);
	run(&s);
	CHECK_EQ_STR(dpi_names(), "a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p");
	CHECK_EQ_INT(cnt(LS_CNT_DPI_CUT), c0 + 1);
	/* over TCP: the same three */
	uint8_t t[1100];
	n = dns_msg(t + 2, 0x01, 0, 3, 0, 0, 0, DNS_Q3, DNS_Q3_LEN);
	put16(t, (uint16_t)n);
	struct spec tc = {.proto = 6, .sport = next_port(), .dport = 53, .pay = t, .plen = n + 2};
	run(&tc);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");
}

TEST(dns_by_content_on_any_port)
{
	uint8_t m[1024];
	/* a resolver's query: RD and AD set, three questions, an EDNS OPT
	 * (root, TYPE 41, class 4096, TTL 0, RDLEN 0) */
	uint8_t body[256];
	memcpy(body, DNS_Q3, DNS_Q3_LEN);
	memcpy(body + DNS_Q3_LEN, "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00", 11);
	size_t n = dns_msg(m, 0x01, 0x20, 3, 0, 0, 1, body, DNS_Q3_LEN + 11);
	struct spec s = {.proto = 17, .sport = next_port(), .dport = 4053, .pay = m, .plen = n};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");
	/* without the OPT record */
	n = dns_msg(m, 0x01, 0, 3, 0, 0, 0, DNS_Q3, DNS_Q3_LEN);
	s.sport = next_port(), s.plen = n;
	run(&s);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");

	/* what a query sent by a resolver is not: each is silence and dpi_none
	 * off the DNS ports, the header and questions otherwise as above */
	struct {
		const char *what;
		uint8_t f1, f2;
		uint16_t qd, an, ns, ar;
		int extra; /* bytes added after the questions */
	} no[] = {
	    {"response", 0x81, 0, 3, 0, 0, 0, 0},
	    {"opcode STATUS", 0x11, 0, 3, 0, 0, 0, 0},
	    {"TC set", 0x03, 0, 3, 0, 0, 0, 0},
	    {"RCODE 1", 0x01, 0x01, 3, 0, 0, 0, 0},
	    {"Z set", 0x01, 0x40, 3, 0, 0, 0, 0},
	    {"an answer", 0x01, 0, 3, 1, 0, 0, 0},
	    {"an authority record", 0x01, 0, 3, 0, 1, 0, 0},
	    {"two additional records", 0x01, 0, 3, 0, 0, 2, 11},
	    {"QDCOUNT 0", 0x01, 0, 0, 0, 0, 0, 0},
	    {"QDCOUNT 17", 0x01, 0, 17, 0, 0, 0, 0},
	    {"QDCOUNT 2 of 3", 0x01, 0, 2, 0, 0, 0, 0},
	    {"QDCOUNT 4 of 3", 0x01, 0, 4, 0, 0, 0, 0},
	    {"a byte left over", 0x01, 0, 3, 0, 0, 0, 1},
	    {"ARCOUNT 1, nothing after", 0x01, 0, 3, 0, 0, 1, 0},
	    {"an OPT with RDLEN past the end", 0x01, 0, 3, 0, 0, 1, 11 + 100},
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		memcpy(body, DNS_Q3, DNS_Q3_LEN);
		size_t bn = DNS_Q3_LEN;
		if (no[i].extra == 1)
			body[bn++] = 0;
		if (no[i].extra >= 11) {
			memcpy(body + bn, "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00", 11);
			if (no[i].extra > 11)
				body[bn + 10] = 4; /* RDLEN 4, no RDATA */
			bn += 11;
		}
		n = dns_msg(m, no[i].f1, no[i].f2, no[i].qd, no[i].an, no[i].ns, no[i].ar, body,
			    bn);
		s.sport = next_port(), s.plen = n;
		uint64_t none0 = cnt(LS_CNT_DPI_NONE);
		run(&s);
		if (count_kind(LS_EV_DPI) || cnt(LS_CNT_DPI_NONE) != none0 + 1)
			printf("# off-port %s: reported \"%s\"\n", no[i].what, dpi_names());
		CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
		CHECK_EQ_INT(cnt(LS_CNT_DPI_NONE), none0 + 1);
	}
	/* a class or type a query does not ask, the mDNS unicast bit */
	static const char *const qt[] = {"\x01q\x00\x00\x01\x00\x02", "\x01q\x00\x00\x00\x00\x01",
					 "\x01q\x00\x00\x01\x80\x01", "\x01q\x00\x00\x01\x00\xfe"};
	for (size_t i = 0; i < sizeof(qt) / sizeof(qt[0]); i++) {
		n = dns_msg(m, 0x01, 0, 1, 0, 0, 0, qt[i], 7);
		s.sport = next_port(), s.plen = n;
		run(&s);
		CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	}
	/* class CH, ANY, HS; the root alone */
	static const char *const ok[] = {"\x01q\x00\x00\x10\x00\x03", "\x01q\x00\x00\xff\x00\xff",
					 "\x01q\x00\x00\x01\x00\x04"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = dns_msg(m, 0x00, 0, 1, 0, 0, 0, ok[i], 7);
		s.sport = next_port(), s.plen = n;
		run(&s);
		CHECK_EQ_STR(dpi_names(), "q");
	}
	n = dns_msg(m, 0x01, 0, 1, 0, 0, 0, "\x00\x00\x02\x00\x01", 5);
	s.sport = next_port(), s.plen = n;
	run(&s);
	CHECK_EQ_STR(dpi_names(), ".");
	/* on the DNS port the header is trusted: the left-over byte, the
	 * response code and the answer count do not matter */
	memcpy(body, DNS_Q3, DNS_Q3_LEN);
	body[DNS_Q3_LEN] = 0;
	n = dns_msg(m, 0x01, 0x05, 3, 1, 0, 0, body, DNS_Q3_LEN + 1);
	struct spec p53 = {.proto = 17, .sport = next_port(), .dport = 53, .pay = m, .plen = n};
	run(&p53);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");

	/* over TCP on any port: the length prefix is exactly the rest */
	uint8_t t[1100];
	n = dns_msg(t + 2, 0x01, 0, 3, 0, 0, 0, DNS_Q3, DNS_Q3_LEN);
	put16(t, (uint16_t)n);
	struct spec tc = {.proto = 6, .sport = next_port(), .dport = 8053, .pay = t, .plen = n + 2};
	run(&tc);
	CHECK_EQ_STR(dpi_names(), "a.example|b.example|.");
	put16(t, (uint16_t)(n - 1));
	tc.sport = next_port();
	run(&tc);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	put16(t, (uint16_t)(n + 1));
	tc.sport = next_port();
	run(&tc);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	/* a long TCP query (over the 256 bytes copied at once): decided on its
	 * first 16 bytes, then read whole */
	uint8_t lq[400];
	size_t ln = 0;
	for (int i = 0; i < 4; i++) {
		lq[ln++] = 63;
		memset(lq + ln, 'k' + i, 63), ln += 63;
	}
	memcpy(lq + ln, "\x00\x00\x01\x00\x01", 5), ln += 5;
	n = dns_msg(t + 2, 0x01, 0, 1, 0, 0, 0, lq, ln);
	put16(t, (uint16_t)n);
	tc.sport = next_port(), tc.plen = n + 2;
	run(&tc);
	CHECK(dpi1() && dpi1()->u.dpi.name_len == 255);

	/* random payloads on a port that is not DNS's: none is DNS */
	uint64_t d0 = cnt(LS_CNT_DPI_DNS);
	int evn = 0;
	for (int i = 0; i < 3000; i++) {
		size_t rn = 17 + hm_rnd(300);
		for (size_t k = 0; k < rn; k++)
			m[k] = (uint8_t)hm_rnd(256);
		if (i & 1)
			m[4] = 0, m[5] = 1, m[6] = m[7] = m[8] = m[9] = m[10] = m[11] = 0;
		struct spec r = {.proto = (i & 2) ? 6 : 17,
				 .sport = next_port(),
				 .dport = 9000,
				 .pay = m,
				 .plen = rn};
		run(&r);
		for (int k = 0; k < nev; k++)
			evn += evs[k].kind == LS_EV_DPI && evs[k].u.dpi.kind == LS_DPI_DNS;
	}
	CHECK_EQ_INT(evn, 0);
	CHECK_EQ_INT(cnt(LS_CNT_DPI_DNS), d0);
}

/* the HTTP results of the last run, "METHOD path host" each, "|"-joined
 * ("partial" for a partial one) */
static const char *http_reqs(void)
{
	static char out[4096];
	size_t k = 0;
	out[0] = 0;
	for (int i = 0; i < nev && k < sizeof(out) - 600; i++) {
		const struct ls_event *e = &evs[i];
		if (e->kind != LS_EV_DPI)
			continue;
		if (e->u.dpi.flags & LS_DPI_F_PARTIAL)
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%spartial", k ? "|" : "");
		else
			k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s %s %s", k ? "|" : "",
					      e->u.dpi.method, e->u.dpi.path, e->u.dpi.name);
	}
	return out;
}

TEST(http_pipelined_and_token_methods)
{
	struct {
		const char *pay, *want;
		int cut;
	} t[] = {
	    {"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n"
	     "HEAD /3 HTTP/1.0\n\n",
	     "GET /1 a|GET /2 b|HEAD /3 ", 0},
	    /* a body announced: what follows is not a request to us */
	    {"POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 29\r\n\r\n"
	     "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
	     "POST /1 a", 0},
	    {"POST /1 HTTP/1.1\r\ntransfer-encoding: chunked\r\nHost: a\r\n\r\n"
	     "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
	     "POST /1 a", 0},
	    /* the second cut by the segment's end: partial */
	    {"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nHo", "GET /1 |partial", 0},
	    /* bytes after it that are not a request: nothing more */
	    {"GET /1 HTTP/1.1\r\n\r\nxyz", "GET /1 ", 0},
	    {"GET /1 HTTP/1.1\r\n\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", "GET /1 ", 0},
	    /* methods are tokens (RFC 9110 9.1), 1 to 15 bytes */
	    {"PROPFIND /d HTTP/1.1\r\nHost: dav\r\n\r\n", "PROPFIND /d dav", 0},
	    {"M-SEARCH * HTTP/1.1\r\nHost: 239.255.255.250:1900\r\n\r\n",
	     "M-SEARCH * 239.255.255.250:1900", 0},
	    {"get /x HTTP/1.1\r\n\r\n", "get /x ", 0},
	    {"ABCDEFGHIJKLMNO /x HTTP/1.1\r\n\r\n", "ABCDEFGHIJKLMNO /x ", 0},
	    {"ABCDEFGHIJKLMNOP /x HTTP/1.1\r\n\r\n", "", 0},
	    {"G@T /x HTTP/1.1\r\n\r\n", "", 0},
	    {"~1 /x HTTP/1.1\r\n\r\n", "~1 /x ", 0},
	    /* nine requests: eight reported, the cut counted */
	    {"GET /1 HTTP/1.1\n\nGET /2 HTTP/1.1\n\nGET /3 HTTP/1.1\n\nGET /4 HTTP/1.1\n\n"
	     "GET /5 HTTP/1.1\n\nGET /6 HTTP/1.1\n\nGET /7 HTTP/1.1\n\nGET /8 HTTP/1.1\n\n"
	     "GET /9 HTTP/1.1\n\n",
	     "GET /1 |GET /2 |GET /3 |GET /4 |GET /5 |GET /6 |GET /7 |GET /8 ", 1},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spec s = {.proto = 6,
				 .sport = next_port(),
				 .dport = 8080,
				 .pay = t[i].pay,
				 .plen = strlen(t[i].pay)};
		uint64_t c0 = cnt(LS_CNT_DPI_CUT);
		CHECK_EQ_INT(run(&s), XDP_PASS);
		if (strcmp(http_reqs(), t[i].want))
			printf("# case %zu: \"%s\", want \"%s\"\n", i, http_reqs(), t[i].want);
		CHECK_EQ_STR(http_reqs(), t[i].want);
		CHECK_EQ_INT(cnt(LS_CNT_DPI_CUT), c0 + (uint64_t)t[i].cut);
	}
}

TEST(http_partial_truncated_and_hostile)
{
	static const char split[] = "GET /a HTTP/1.1\r\nHost: split.example\r\nUser-Agent: x";
	struct spec s = {
	    .proto = 6, .sport = next_port(), .dport = 80, .pay = split, .plen = sizeof(split) - 1};
	CHECK_EQ_INT(run(&s), XDP_PASS);
	const struct ls_event *e = dpi1();
	CHECK(e && (e->u.dpi.flags & LS_DPI_F_PARTIAL) && !e->u.dpi.name[0] && !e->u.dpi.path[0] &&
	      !e->u.dpi.method[0]);

	char lng[600];
	int k = snprintf(lng, sizeof(lng), "POST /");
	for (int i = 0; i < 200; i++)
		lng[k++] = 'a' + i % 26;
	k += snprintf(lng + k, sizeof(lng) - k, " HTTP/1.0\r\nHost: long.example\r\n\r\n");
	s.sport = next_port(), s.pay = lng, s.plen = k;
	run(&s);
	e = dpi1();
	CHECK(e && (e->u.dpi.flags & LS_DPI_F_TRUNCATED) && e->u.dpi.path_len == 128 &&
	      strlen(e->u.dpi.path) == 128 && !memcmp(e->u.dpi.path, lng + 5, 128));
	CHECK(e && !strcmp(e->u.dpi.method, "POST") && !strcmp(e->u.dpi.name, "long.example"));

	static const char ctl[] = "GET / HTTP/1.1\r\nHost: a\x01"
				  "b\r\n\r\n";
	s.sport = next_port(), s.pay = ctl, s.plen = sizeof(ctl) - 1;
	run(&s);
	CHECK(dpi1() && dpi1()->u.dpi.name_len == 0 && !strcmp(dpi1()->u.dpi.path, "/"));
	static const char inner[] = "GET / HTTP/1.1\r\nHost: a b\r\n\r\n";
	s.sport = next_port(), s.pay = inner, s.plen = sizeof(inner) - 1;
	run(&s);
	CHECK(dpi1() && dpi1()->u.dpi.name_len == 0);
	/* a method is any token (RFC 9110 9.1): GETX is one, GE/T is not */
	static const char tokm[] = "GETX / HTTP/1.1\r\nHost: x\r\n\r\n";
	s.sport = next_port(), s.pay = tokm, s.plen = sizeof(tokm) - 1;
	run(&s);
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.method, "GETX") && dpi1()->u.dpi.method_len == 4);
	static const char notm[] = "GE/T / HTTP/1.1\r\nHost: x\r\n\r\n";
	s.sport = next_port(), s.pay = notm, s.plen = sizeof(notm) - 1;
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	static const char nover[] = "GET / FTP/1.1\r\nHost: x\r\n\r\n";
	s.sport = next_port(), s.pay = nover, s.plen = sizeof(nover) - 1;
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	/* zero-length TCP payload: nothing inspected */
	s.sport = next_port(), s.plen = 0;
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
}

/* ---- HTTP: the word-at-a-time scan against the RFC 9112 model ---------------- */

static uint64_t hm_rs = 0x9e3779b97f4a7c15ull;
static uint32_t hm_rnd(uint32_t n)
{
	hm_rs ^= hm_rs << 13, hm_rs ^= hm_rs >> 7, hm_rs ^= hm_rs << 17;
	return (uint32_t)(hm_rs % n);
}

static size_t hm_put(uint8_t *b, size_t n, const char *s)
{
	size_t l = strlen(s);
	memcpy(b + n, s, l);
	return n + l;
}

/* One request-shaped message at b + n; returns the new end. */
static size_t hm_one(uint8_t *b, size_t n)
{
	static const char *const meth[] = {
	    "GET",    "HEAD",	"POST",	     "PUT",	  "DELETE",	    "CONNECT",
	    "OPTIONS", "TRACE", "PATCH",     "GETX",	  "FOO",	    "G",
	    "get",    "M-SEARCH", "PROPFIND", "x!#$%&'*+.^_`|~", "ABCDEFGHIJKLMNOP", "G@T",
	    "G\"T",  "1"};
	static const char *const ver[] = {"HTTP/1.1",  "HTTP/1.0",  "HTTP/2.0", "HTTP/1.",
					  "xHTTP/1.1", "HTTP/1.1 ", ""};
	static const char *const hname[] = {
	    "Host:", "host:", "HOST:", "hOsT:", "Host :", "Hostx:", "Hos:", "Host"};
	n = hm_put(b, n, meth[hm_rnd(20)]);
	n = hm_put(b, n, hm_rnd(20) ? " " : "  ");
	int tl = hm_rnd(4) ? (int)hm_rnd(30) : 120 + (int)hm_rnd(20);
	for (int i = 0; i < tl; i++) {
		uint32_t r = hm_rnd(100);
		b[n++] = r < 85	  ? 0x21 + hm_rnd(94)
			 : r < 90 ? hm_rnd(0x20)
			 : r < 95 ? 0x7f + hm_rnd(0x81)
				  : '/';
	}
	n = hm_put(b, n, hm_rnd(10) ? " " : "");
	n = hm_put(b, n, ver[hm_rnd(7)]);
	n = hm_put(b, n, hm_rnd(8) ? "\r\n" : "\n");
	if (!hm_rnd(8))
		n = hm_put(b, n,
			   hm_rnd(2) ? "Content-Length: 0\r\n" : "transfer-ENCODING: chunked\r\n");
	for (int h = (int)hm_rnd(6); h > 0; h--) {
		uint32_t r = hm_rnd(10);
		if (r < 4) {
			n = hm_put(b, n, hname[hm_rnd(8)]);
			for (int i = (int)hm_rnd(4); i > 0; i--)
				b[n++] = hm_rnd(3) ? ' ' : '\t';
			int vl = hm_rnd(6) ? (int)hm_rnd(40) : 245 + (int)hm_rnd(20);
			for (int i = 0; i < vl; i++) {
				uint32_t q = hm_rnd(100);
				b[n++] = q < 90	  ? 0x21 + hm_rnd(94)
					 : q < 94 ? ' '
					 : q < 96 ? '\t'
					 : q < 98 ? hm_rnd(0x20)
						  : 0x80 + hm_rnd(0x80);
			}
			for (int i = (int)hm_rnd(3); i > 0; i--)
				b[n++] = hm_rnd(3) ? ' ' : '\t';
		} else if (r < 9) {
			for (int i = (int)hm_rnd(40); i > 0; i--) {
				uint32_t q = hm_rnd(100);
				b[n++] = q < 95 ? 0x20 + hm_rnd(95) : q < 97 ? '\r' : hm_rnd(256);
			}
		} else {
			b[n++] = '\r';
			if (hm_rnd(2))
				b[n++] = 'x';
		}
		uint32_t e = hm_rnd(10);
		n = hm_put(b, n, e < 7 ? "\r\n" : e < 9 ? "\n" : "\r");
	}
	uint32_t e = hm_rnd(10);
	return hm_put(b, n, e < 7 ? "\r\n" : e < 8 ? "\n" : e < 9 ? "\r" : "");
}

/* A request-shaped payload with the mistakes and odd corners the inspector
 * must get right: methods that are tokens or not, around the length bound,
 * control and high bytes, blanks and tabs around and inside Host, names that
 * almost say Host, bare LF and lone CR line ends, targets and values around
 * their size limits, pipelined requests (up to ten, with and without a body
 * announced), truncation, a flipped byte, payloads longer than the 2 KiB
 * copy. */
static size_t hm_request(uint8_t *b)
{
	int k = hm_rnd(3) ? 1 : 2 + (int)hm_rnd(hm_rnd(4) ? 2 : 9);
	size_t n = 0;
	for (int i = 0; i < k && n < 1200; i++)
		n = hm_one(b, n);
	if (!hm_rnd(3))
		for (int i = (int)hm_rnd(100); i > 0; i--)
			b[n++] = hm_rnd(256);
	if (!hm_rnd(4))
		n = 1 + hm_rnd(n); /* truncated anywhere */
	if (!hm_rnd(10) && n > 1)
		b[1 + hm_rnd(n - 1)] = hm_rnd(256); /* one byte flipped (not the first) */
	if (!hm_rnd(50))
		while (n < 2100)
			b[n++] = 'a' + hm_rnd(26);
	return n;
}

/* One reported request against the model's: every byte of the reported
 * fields, the zeros after them too. */
static int hm_same(const struct ls_event *e, const struct http_model *m)
{
	if (m->rc == HM_PARTIAL)
		return e->u.dpi.kind == LS_DPI_HTTP && e->u.dpi.flags == LS_DPI_F_PARTIAL &&
		       !e->u.dpi.method_len && !e->u.dpi.path_len && !e->u.dpi.name_len &&
		       !e->u.dpi.method[0] && !e->u.dpi.path[0] && !e->u.dpi.name[0];
	return e->u.dpi.kind == LS_DPI_HTTP &&
	       e->u.dpi.flags == (m->truncated ? LS_DPI_F_TRUNCATED : 0) &&
	       e->u.dpi.method_len == m->method_len && e->u.dpi.path_len == m->path_len &&
	       e->u.dpi.name_len == m->name_len &&
	       !memcmp(e->u.dpi.method, m->method, sizeof(m->method)) &&
	       !memcmp(e->u.dpi.path, m->path, sizeof(m->path)) &&
	       !memcmp(e->u.dpi.name, m->name, sizeof(m->name));
}

/* Runs pay through the program on a flow inspected at every packet and
 * checks the outcome against http_model_all (RFC 9112 grammar): the same
 * requests in the same order, the counters moved as the model says. Returns
 * 1 if they agree. */
static int hm_check(const uint8_t *pay, size_t len, uint16_t sport)
{
	struct http_model m[HM_REQS];
	int cut;
	unsigned nm = http_model_all(pay, (unsigned)len, m, &cut);
	struct spec s = {.proto = 6, .sport = sport, .dport = 80, .pay = pay, .plen = len};
	uint64_t mal0 = cnt(LS_CNT_DPI_MALFORMED), none0 = cnt(LS_CNT_DPI_NONE),
		 cut0 = cnt(LS_CNT_DPI_CUT);
	if (run(&s) != XDP_PASS)
		return 0;
	if (m[0].rc == HM_NONE)
		return count_kind(LS_EV_DPI) == 0 && cnt(LS_CNT_DPI_NONE) == none0 + 1;
	unsigned mal = 0, k = 0;
	for (unsigned i = 0; i < nm; i++) {
		if (m[i].rc == HM_MALFORMED) {
			mal++;
			continue;
		}
		while (k < (unsigned)nev && evs[k].kind != LS_EV_DPI)
			k++;
		if (k >= (unsigned)nev || !hm_same(&evs[k], &m[i]))
			return 0;
		k++;
	}
	while (k < (unsigned)nev && evs[k].kind != LS_EV_DPI)
		k++;
	return k == (unsigned)nev && cnt(LS_CNT_DPI_MALFORMED) == mal0 + mal &&
	       cnt(LS_CNT_DPI_CUT) == cut0 + (uint64_t)cut;
}

static void hm_report(const uint8_t *pay, size_t len)
{
	printf("# HTTP scan and model disagree on %zu bytes: \"", len);
	for (size_t i = 0; i < len && i < 160; i++)
		printf(pay[i] >= 0x20 && pay[i] < 0x7f && pay[i] != '"' ? "%c" : "\\x%02x", pay[i]);
	printf("%s\"\n", len > 160 ? "..." : "");
}

TEST(http_scan_matches_the_rfc_model)
{
	struct ls_config c = {.dpi_max_pkts = LS_DPI_ALWAYS};
	ls_testrun_set_config(T, &c);
	uint16_t sport = next_port();
	static uint8_t pay[4096];
	int bad = 0, found = 0, runs = 0;

	/* word boundaries: Host values of every length around the name's
	 * room and targets around 128 bytes, shifted through all eight
	 * alignments, with a blank or a control byte at every position */
	for (int shift = 0; shift < 8; shift++) {
		for (int vl = 0; vl < 262; vl = vl == 20 ? 236 : vl + 1) {
			for (int odd = -1; odd < vl && odd < 12; odd += odd < 0 ? 1 : 5) {
				size_t n = hm_put(pay, 0, "GET /");
				for (int i = 0; i < shift; i++)
					pay[n++] = 'p';
				n = hm_put(pay, n, " HTTP/1.1\r\nHost:");
				for (int i = 0; i <= shift % 3; i++)
					pay[n++] = ' ';
				for (int i = 0; i < vl; i++)
					pay[n++] =
					    i == odd ? (shift & 1 ? ' ' : 0x01) : 'a' + i % 26;
				n = hm_put(pay, n, shift & 2 ? " \r\n\r\n" : "\r\n\r\n");
				runs++;
				if (!hm_check(pay, n, sport) && bad++ < 3)
					hm_report(pay, n);
			}
		}
		for (int tl = 118; tl < 140; tl++) {
			for (int odd = -1; odd < tl; odd += odd < 0 ? 1 : 9) {
				size_t n = hm_put(pay, 0, shift & 1 ? "PATCH " : "GET ");
				for (int i = 0; i < shift; i++)
					pay[n++] = ' ' + 1 + i;
				for (int i = 0; i < tl; i++)
					pay[n++] = i == odd ? 0x7f : '/' + i % 60;
				n = hm_put(pay, n, " HTTP/1.0\nhost: h.example\n\n");
				runs++;
				if (!hm_check(pay, n, sport) && bad++ < 3)
					hm_report(pay, n);
			}
		}
	}
	/* every truncation of a request */
	static const char full[] =
	    "GET /a/b?c=d HTTP/1.1\r\nUser-Agent: t\r\nHost:\t trunc.example \r\n"
	    "X: y\r\n\r\n";
	for (size_t n = 1; n <= sizeof(full) - 1; n++) {
		runs++;
		if (!hm_check((const uint8_t *)full, n, sport) && bad++ < 3)
			hm_report((const uint8_t *)full, n);
	}
	/* random requests */
	for (int i = 0; i < 20000; i++) {
		size_t n = hm_request(pay);
		struct http_model m;
		http_model_run(pay, (unsigned)n, &m);
		found += m.rc == HM_FOUND;
		runs++;
		if (!hm_check(pay, n, sport) && bad++ < 3)
			hm_report(pay, n);
	}
	printf("# %d requests, %d with names, %d disagreements\n", runs, found, bad);
	CHECK_EQ_INT(bad, 0);
	CHECK(found > 1000); /* the generator reaches the interesting cases */
	ls_testrun_set_config(T, NULL);
}

TEST(dpi_window_and_tc_program)
{
	struct spec s = {.proto = 6,
			 .sport = next_port(),
			 .dport = 80,
			 .pay = HTTP_GET,
			 .plen = sizeof(HTTP_GET) - 1};
	int found = 0;
	for (int i = 0; i < 6; i++) {
		run(&s);
		found += count_kind(LS_EV_DPI);
	}
	CHECK_EQ_INT(found, LS_DPI_MAX_PKTS_DEFAULT);
	/* the TC program runs the same logic */
	uint8_t f[4096];
	s.sport = next_port();
	size_t n = build(&s, f);
	uint32_t act = 99;
	nev = 0;
	CHECK_EQ_INT(ls_testrun_packet(T, LS_TR_TC, f, (uint32_t)n, &act), 0);
	CHECK_EQ_INT(act, (uint32_t)TC_ACT_UNSPEC); /* passes on to the next program */
	CHECK(dpi1() && !strcmp(dpi1()->u.dpi.name, "example.org"));
}

/* ---- flow events -------------------------------------------------------------- */

TEST(flow_end_fin_and_rst)
{
	struct spec s = {.proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 1);
	s.tcp_flags = 0x11, run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_END), 0);
	s.swap = 1, s.tcp_flags = 0x11, run(&s);
	const struct ls_event *e = find_kind(LS_EV_FLOW_END);
	CHECK(e && e->u.end.reason == LS_END_FIN);
	CHECK(e && e->u.end.pkts[0] + e->u.end.pkts[1] == 3);
	s.swap = 0, s.tcp_flags = 0x10, run(&s); /* last ACK: no new flow */
	CHECK_EQ_INT(nev, 0);

	struct spec r = {.v6 = 1, .proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	run(&r);
	r.swap = 1, r.tcp_flags = 0x14, run(&r);
	e = find_kind(LS_EV_FLOW_END);
	CHECK(e && e->u.end.reason == LS_END_RST && e->sport == 80); /* as the RST travelled */
	/* a new SYN on the closed 5-tuple is a new flow */
	r.swap = 0, r.tcp_flags = 0x02, run(&r);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 1);
}

/* ---- verdicts, expiry, fail-safe ------------------------------------------------ */

static int verdicts_fd(void)
{
	return bpf_map__fd(ls_testrun_skel(T)->maps.ls_verdicts);
}

static void set_verdict(const struct ls_flow_key *k, uint32_t v, uint64_t deadline_k)
{
	struct ls_verdict_rec r = {.deadline_k = deadline_k, .set_k = ls_now_k(), .verdict = v};
	CHECK_EQ_INT(ls_testrun_verdict_set(T, k, &r), 0);
}

static void set_liveness(uint32_t mode, uint64_t last_beat_k, uint64_t timeout)
{
	struct ls_liveness l = {
	    .last_beat_k = last_beat_k, .detect_timeout_ns = timeout, .mode = mode};
	__u32 zero = 0;
	struct ls_liveness cur;
	/* keep the kernel-maintained state so transitions are observed */
	if (!bpf_map_lookup_elem(bpf_map__fd(ls_testrun_skel(T)->maps.ls_liveness), &zero, &cur))
		l.in_failsafe = cur.in_failsafe;
	bpf_map_update_elem(bpf_map__fd(ls_testrun_skel(T)->maps.ls_liveness), &zero, &l, BPF_ANY);
}

/* Opens a UDP flow and returns its key (from FLOW_NEW). */
static struct spec open_flow(struct ls_flow_key *k)
{
	struct spec s = {.proto = 17, .sport = next_port(), .dport = 9999, .pay = "x", .plen = 1};
	run(&s);
	const struct ls_event *e = find_kind(LS_EV_FLOW_NEW);
	if (e)
		*k = e->key;
	return s;
}

TEST(trace_level_emits_filtered_packet_events)
{
	struct spec s = {.proto = 17, .sport = next_port(), .dport = 9999, .pay = "x", .plen = 1};
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_TRACE), 0); /* off by default */
	struct ls_config c = {.trace_level = 1, .trace_port = 9999};
	ls_testrun_set_config(T, &c);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_TRACE), 1);
	const struct ls_event *e = find_kind(LS_EV_TRACE);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_INT(e->u.trace.verdict, LS_VERDICT_PASS);
		CHECK(e->u.trace.frame_len > 0);
		CHECK_EQ_INT(e->dport, 9999);
		CHECK(e->flow_id != 0);
	}
	struct spec other = {
	    .proto = 17, .sport = next_port(), .dport = 7777, .pay = "x", .plen = 1};
	run(&other);
	CHECK_EQ_INT(count_kind(LS_EV_TRACE), 0); /* another port: filtered out */
	c.trace_proto = 6;
	ls_testrun_set_config(T, &c);
	run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_TRACE), 0); /* UDP, the filter wants TCP */
	c.trace_port = 0;
	c.trace_proto = 0;
	ls_testrun_set_config(T, &c);
	run(&other);
	CHECK_EQ_INT(count_kind(LS_EV_TRACE), 1); /* no filter: every flow */
	ls_testrun_set_config(T, NULL);
}

TEST(drop_verdict_drops_pass_passes)
{
	struct ls_flow_key k = {0};
	struct spec s = open_flow(&k);
	uint64_t d0 = cnt(LS_CNT_DROP_VERDICT);
	set_verdict(&k, LS_VERDICT_DROP, 0);
	CHECK_EQ_INT(run(&s), XDP_DROP);
	s.swap = 1;
	CHECK_EQ_INT(run(&s), XDP_DROP); /* both directions: one flow */
	CHECK_EQ_INT(cnt(LS_CNT_DROP_VERDICT), d0 + 2);
	set_verdict(&k, LS_VERDICT_PASS, ls_now_k() + 60000000000ull);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	ls_testrun_verdict_del(T, &k);
}

TEST(default_drop_applies_to_new_flows_only)
{
	struct ls_flow_key k = {0};
	struct spec live = open_flow(&k); /* passed under default pass */
	struct ls_config c = {.default_verdict = LS_VERDICT_DROP};
	ls_testrun_set_config(T, &c);
	struct spec fresh = {
	    .proto = 17, .sport = next_port(), .dport = 9999, .pay = "x", .plen = 1};
	uint64_t d0 = cnt(LS_CNT_DROP_DEFAULT);
	CHECK_EQ_INT(run(&fresh), XDP_DROP);
	CHECK_EQ_INT(cnt(LS_CNT_DROP_DEFAULT), d0 + 1);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 1); /* announced even though dropped */
	CHECK_EQ_INT(run(&live), XDP_PASS);	     /* it has passed before */
	ls_testrun_set_config(T, NULL);
}

TEST(expired_verdict_reannounces_and_never_drops)
{
	struct ls_flow_key k = {0};
	struct spec s = open_flow(&k);
	/* a pass verdict whose deadline has passed, under a drop default:
	 * the connection keeps passing, the flow is undecided and re-announced */
	set_verdict(&k, LS_VERDICT_PASS, ls_now_k() - 1000);
	struct ls_config c = {.default_verdict = LS_VERDICT_DROP};
	ls_testrun_set_config(T, &c);
	uint64_t x0 = cnt(LS_CNT_VERDICT_EXPIRED);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	const struct ls_event *e = find_kind(LS_EV_VERDICT_EXPIRED);
	CHECK(e && e->u.expired.verdict == LS_VERDICT_PASS && !memcmp(&e->key, &k, sizeof(k)));
	CHECK_EQ_INT(cnt(LS_CNT_VERDICT_EXPIRED), x0 + 1);
	struct ls_verdict_rec r;
	CHECK(bpf_map_lookup_elem(verdicts_fd(), &k, &r) != 0); /* deleted */
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 0); /* once */
	ls_testrun_set_config(T, NULL);

	/* an expired drop verdict under default pass: undecided, passes */
	struct ls_flow_key k2 = {0};
	struct spec s2 = open_flow(&k2);
	set_verdict(&k2, LS_VERDICT_DROP, 0);
	CHECK_EQ_INT(run(&s2), XDP_DROP);
	set_verdict(&k2, LS_VERDICT_DROP, ls_now_k() - 1);
	CHECK_EQ_INT(run(&s2), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 1);
}

TEST(strict_expiry_gives_the_default_to_a_flow_that_passed)
{
	/* a deployment where a TTL is a lease: an expired pass verdict under a
	 * drop default drops the flow until the policy decides again */
	struct ls_flow_key k = {0};
	struct spec s = open_flow(&k);
	set_verdict(&k, LS_VERDICT_PASS, ls_now_k() - 1000);
	struct ls_config c = {.default_verdict = LS_VERDICT_DROP, .expiry_mode = LS_EXPIRY_STRICT};
	ls_testrun_set_config(T, &c);
	uint64_t x0 = cnt(LS_CNT_VERDICT_EXPIRED), d0 = cnt(LS_CNT_DROP_DEFAULT);
	uint64_t st0 = cnt(LS_CNT_STICKY_PASS);
	CHECK_EQ_INT(run(&s), XDP_DROP);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 1); /* re-announced all the same */
	CHECK_EQ_INT(cnt(LS_CNT_VERDICT_EXPIRED), x0 + 1);
	CHECK_EQ_INT(run(&s), XDP_DROP);
	CHECK_EQ_INT(cnt(LS_CNT_DROP_DEFAULT), d0 + 2);
	CHECK_EQ_INT(cnt(LS_CNT_STICKY_PASS), st0);
	/* the policy decides again: the flow passes */
	set_verdict(&k, LS_VERDICT_PASS, ls_now_k() + 60000000000ull);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	ls_testrun_verdict_del(T, &k);
	/* under a pass default strict expiry passes too */
	c.default_verdict = LS_VERDICT_PASS;
	ls_testrun_set_config(T, &c);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	ls_testrun_set_config(T, NULL);
}

/* one packet of a TCP connection: direction and flags */
static int step(struct spec *s, int swap, uint8_t flags)
{
	s->swap = swap;
	s->tcp_flags = flags;
	return run(s);
}

TEST(strict_expiry_passes_the_teardown_of_a_connection_that_passed)
{
	/* strict + drop default: the FIN that ends an allowed connection
	 * deletes its verdict; the closing FIN and the last ACK still pass,
	 * a new SYN on the same 5-tuple is a new, undecided flow */
	struct ls_config c = {.default_verdict = LS_VERDICT_DROP, .expiry_mode = LS_EXPIRY_STRICT};
	ls_testrun_set_config(T, &c);
	struct spec s = {.proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	CHECK_EQ_INT(run(&s), XDP_DROP); /* undecided SYN under a drop default */
	const struct ls_event *e = find_kind(LS_EV_FLOW_NEW);
	CHECK(e != NULL);
	if (!e) {
		ls_testrun_set_config(T, NULL);
		return;
	}
	struct ls_flow_key k = e->key;
	set_verdict(&k, LS_VERDICT_PASS, 0);
	CHECK_EQ_INT(step(&s, s.swap, 0x02), XDP_PASS);
	CHECK_EQ_INT(step(&s, 1, 0x12), XDP_PASS);
	CHECK_EQ_INT(step(&s, 0, 0x11), XDP_PASS); /* FIN */
	CHECK_EQ_INT(step(&s, 1, 0x11), XDP_PASS); /* FIN: ends it */
	CHECK(find_kind(LS_EV_FLOW_END) != NULL);
	struct ls_verdict_rec r;
	CHECK(bpf_map_lookup_elem(verdicts_fd(), &k, &r) != 0);
	CHECK_EQ_INT(step(&s, 0, 0x10), XDP_PASS); /* last ACK */
	CHECK_EQ_INT(step(&s, 1, 0x11), XDP_PASS); /* FIN resent */
	CHECK_EQ_INT(step(&s, 0, 0x02), XDP_DROP); /* a new connection */
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 1);

	/* a connection that was being dropped is not let through by its end */
	struct spec d = {.proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	run(&d);
	e = find_kind(LS_EV_FLOW_NEW);
	CHECK(e != NULL);
	if (e) {
		set_verdict(&e->key, LS_VERDICT_DROP, 0);
		CHECK_EQ_INT(step(&d, d.swap, 0x14), XDP_DROP); /* RST ends it */
		CHECK_EQ_INT(step(&d, d.swap, 0x10), XDP_DROP);
	}
	ls_testrun_set_config(T, NULL);
}

TEST(failsafe_honours_expired_verdicts)
{
	struct ls_flow_key k = {0};
	struct spec s = open_flow(&k);
	set_verdict(&k, LS_VERDICT_DROP, ls_now_k() - 1000);
	/* the policy side went silent: the last beat is 10 s old, timeout 1 s */
	uint64_t e0 = cnt(LS_CNT_FAILSAFE_ENTER), h0 = cnt(LS_CNT_FAILSAFE_HONOURED);
	set_liveness(LS_FAILSAFE_DROP, ls_now_k() - 10000000000ull, 1000000000ull);
	CHECK_EQ_INT(run(&s), XDP_DROP); /* honoured past its deadline */
	const struct ls_event *e = find_kind(LS_EV_FAILSAFE);
	CHECK(e && e->u.failsafe.entered == 1);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 0);
	CHECK_EQ_INT(cnt(LS_CNT_FAILSAFE_ENTER), e0 + 1);
	CHECK_EQ_INT(cnt(LS_CNT_FAILSAFE_HONOURED), h0 + 1);
	struct ls_verdict_rec r;
	CHECK_EQ_INT(bpf_map_lookup_elem(verdicts_fd(), &k, &r), 0); /* kept */
	/* a new, undecided flow gets the fail-safe verdict (fail closed) */
	struct spec fresh = {
	    .proto = 17, .sport = next_port(), .dport = 9999, .pay = "x", .plen = 1};
	uint64_t f0 = cnt(LS_CNT_DROP_FAILSAFE);
	CHECK_EQ_INT(run(&fresh), XDP_DROP);
	CHECK_EQ_INT(cnt(LS_CNT_DROP_FAILSAFE), f0 + 1);
	CHECK_EQ_INT(count_kind(LS_EV_FAILSAFE), 0); /* the transition is reported once */
	/* fail open */
	set_liveness(LS_FAILSAFE_PASS, ls_now_k() - 10000000000ull, 1000000000ull);
	fresh.sport = next_port();
	CHECK_EQ_INT(run(&fresh), XDP_PASS);
	/* beats resume: leave fail-safe, the expired verdict now expires */
	uint64_t l0 = cnt(LS_CNT_FAILSAFE_LEAVE);
	set_liveness(LS_FAILSAFE_DROP, ls_now_k(), 1000000000ull);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	e = find_kind(LS_EV_FAILSAFE);
	CHECK(e && e->u.failsafe.entered == 0);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 1);
	CHECK_EQ_INT(cnt(LS_CNT_FAILSAFE_LEAVE), l0 + 1);
	set_liveness(LS_FAILSAFE_OFF, 0, 0);
}

/* Stale when the last beat is older than the detect timeout (DESIGN.md,
 * Liveness): 200 ms past a 1 s timeout is fail-safe, 200 ms before is not
 * (either side of the boundary by far more than the cached clock's slack). */
TEST(failsafe_starts_just_past_the_detect_timeout)
{
	struct spec fresh = {
	    .proto = 17, .sport = next_port(), .dport = 9999, .pay = "x", .plen = 1};
	uint64_t f0 = cnt(LS_CNT_DROP_FAILSAFE);
	set_liveness(LS_FAILSAFE_DROP, ls_now_k() - 1200000000ull, 1000000000ull);
	CHECK_EQ_INT(run(&fresh), XDP_DROP);
	CHECK_EQ_INT(cnt(LS_CNT_DROP_FAILSAFE), f0 + 1);
	set_liveness(LS_FAILSAFE_DROP, ls_now_k() - 800000000ull, 1000000000ull);
	fresh.sport = next_port();
	CHECK_EQ_INT(run(&fresh), XDP_PASS);
	CHECK_EQ_INT(cnt(LS_CNT_DROP_FAILSAFE), f0 + 1);
	set_liveness(LS_FAILSAFE_OFF, 0, 0);
}

TEST(default_drop_spares_neighbour_discovery_and_icmp_errors)
{
	/* Under a drop default IPv6 must keep working: neighbour discovery and
	 * ICMP errors are the network's signalling, not policy flows. */
	struct ls_config c = {.default_verdict = LS_VERDICT_DROP};
	ls_testrun_set_config(T, &c);
	/* ND 133-137 (RFC 4861), MLD 130-132 (RFC 2710), MLDv2 report 143 */
	static const int signalling[] = {130, 131, 132, 133, 134, 135, 136, 137, 143};
	for (unsigned i = 0; i < sizeof(signalling) / sizeof(signalling[0]); i++) {
		struct spec nd = {.v6 = 1, .proto = 58, .icmp_type = signalling[i], .host = 40};
		CHECK_EQ_INT(run(&nd), XDP_PASS);
	}
	/* a type next to them is not signalling: 144 (home agent discovery) */
	struct spec other = {.v6 = 1, .proto = 58, .icmp_type = 144, .sport = next_port(),
			     .host = 45};
	CHECK_EQ_INT(run(&other), XDP_DROP);
	struct spec too_big = {.v6 = 1, .proto = 58, .icmp_type = 2, .host = 41};
	CHECK_EQ_INT(run(&too_big), XDP_PASS);
	struct spec unreach = {.proto = 1, .icmp_type = 3, .host = 42};
	CHECK_EQ_INT(run(&unreach), XDP_PASS);
	/* an echo request is an ordinary flow and gets the default */
	struct spec echo6 = {.v6 = 1, .proto = 58, .sport = next_port(), .host = 43};
	CHECK_EQ_INT(run(&echo6), XDP_DROP);
	struct spec echo4 = {.proto = 1, .sport = next_port(), .host = 44};
	CHECK_EQ_INT(run(&echo4), XDP_DROP);
	ls_testrun_set_config(T, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

TEST(verdict_cache_follows_every_write)
{
	/* The data plane caches a flow's verdict per CPU (decide()); every
	 * write through lockstep bumps verdict_gen, so it applies at the
	 * very next packet, however recently the flow was seen. */
	struct ls_flow_key k = {0};
	struct spec s = open_flow(&k);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(run(&s), XDP_PASS); /* undecided, cached as such */
	set_verdict(&k, LS_VERDICT_DROP, 0);
	CHECK_EQ_INT(run(&s), XDP_DROP);
	CHECK_EQ_INT(run(&s), XDP_DROP); /* the cached drop */
	set_verdict(&k, LS_VERDICT_PASS, ls_now_k() + 60000000000ull);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	set_verdict(&k, LS_VERDICT_DROP, ls_now_k() + 60000000000ull);
	CHECK_EQ_INT(run(&s), XDP_DROP);
	ls_testrun_verdict_del(T, &k);
	struct ls_config c = {.default_verdict = LS_VERDICT_DROP};
	ls_testrun_set_config(T, &c);
	CHECK_EQ_INT(run(&s), XDP_DROP); /* undecided, never passed: the default */
	ls_testrun_set_config(T, NULL);
	CHECK_EQ_INT(run(&s), XDP_PASS);

	/* a write into the map that does not bump verdict_gen (bpftool, an
	 * older lockstep) is seen within a scheduler tick */
	struct ls_verdict_rec r = {.set_k = ls_now_k(), .verdict = LS_VERDICT_DROP};
	CHECK_EQ_INT(bpf_map_update_elem(verdicts_fd(), &k, &r, BPF_ANY), 0);
	sleep_ms(50); /* more than a tick at HZ >= 100 */
	CHECK_EQ_INT(run(&s), XDP_DROP);
	ls_testrun_verdict_del(T, &k);
	CHECK_EQ_INT(run(&s), XDP_PASS); /* undecided: the (pass) default */
}

TEST(cached_verdict_expires_on_time)
{
	/* A verdict read at its first packet, with a deadline ahead: served
	 * from the cache while the deadline is far, then expired on the first
	 * packet after it (K read exactly near a deadline, ls_clock.h). */
	struct ls_flow_key k = {0};
	struct spec s = open_flow(&k);
	set_verdict(&k, LS_VERDICT_DROP, ls_now_k() + 300000000ull); /* 300 ms */
	uint64_t x0 = cnt(LS_CNT_VERDICT_EXPIRED);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(run(&s), XDP_DROP);
	CHECK_EQ_INT(cnt(LS_CNT_VERDICT_EXPIRED), x0);
	sleep_ms(350);
	CHECK_EQ_INT(run(&s), XDP_PASS); /* expired: undecided under a pass default */
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 1);
	CHECK_EQ_INT(cnt(LS_CNT_VERDICT_EXPIRED), x0 + 1);
	CHECK_EQ_INT(run(&s), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 0); /* once */

	/* a deadline a millisecond ahead -- closer than a tick -- is judged
	 * against K read exactly: on time, not up to a tick late */
	struct ls_flow_key k2 = {0};
	struct spec s2 = open_flow(&k2);
	uint64_t deadline = ls_now_k() + 1000000ull;
	set_verdict(&k2, LS_VERDICT_DROP, deadline);
	CHECK_EQ_INT(run(&s2), XDP_DROP);
	while (ls_now_k() < deadline + 300000ull)
		; /* spin just past it, often within the same tick */
	CHECK_EQ_INT(run(&s2), XDP_PASS);
	CHECK_EQ_INT(count_kind(LS_EV_VERDICT_EXPIRED), 1);
}

/* The kernel's "never early, never late" on a deadline, swept from 10 to
 * 900 us ahead: a drop verdict with deadline now + d, then one packet. The
 * packet ran between tA and tB (K read around run()); the truth is by hand:
 * deadline > tB -> the verdict still holds (drop); deadline < tA -> expired
 * (pass, under the pass default). Samples with tA <= deadline <= tB say
 * nothing and are counted apart. Then, spun until 10 us past the deadline,
 * the next packet must find it expired. A comparison made early by up to
 * 900 us (or late) fails here; the test also requires enough samples that
 * could tell, so that a slow machine cannot pass it by saying nothing. */
TEST(verdict_deadline_swept_10_to_900_us)
{
	static const unsigned us[] = {10,  20,	30,  50,  75,  100, 150, 200,
				      300, 400, 500, 600, 700, 800, 900};
	int early = 0, late = 0, told = 0, told_near = 0, vague = 0;
	for (unsigned r = 0; r < 20; r++) {
		for (unsigned i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
			struct ls_flow_key k = {0};
			struct spec s = open_flow(&k);
			uint64_t deadline = ls_now_k() + us[i] * 1000ull;
			set_verdict(&k, LS_VERDICT_DROP, deadline);
			uint64_t ta = ls_now_k();
			int act = run(&s);
			uint64_t tb = ls_now_k();
			if (deadline > tb) {
				told++;
				told_near += us[i] <= 500;
				if (act != XDP_DROP && early++ < 3)
					printf("# early: deadline %u us ahead, %lld us after the "
					       "packet, verdict gone\n",
					       us[i], (long long)(deadline - tb) / 1000);
			} else if (deadline < ta) {
				if (act != XDP_PASS && late++ < 3)
					printf("# late: deadline %u us ahead passed before the "
					       "packet, verdict held\n",
					       us[i]);
			} else {
				vague++;
			}
			while (ls_now_k() < deadline + 10000ull)
				;
			act = run(&s);
			if (act != XDP_PASS && late++ < 3)
				printf("# late: 10 us past a deadline %u us ahead, verdict held\n",
				       us[i]);
			ls_testrun_verdict_del(T, &k);
		}
	}
	printf("# %d samples could tell (%d within 500 us), %d could not; %d early, %d late\n",
	       told, told_near, vague, early, late);
	CHECK_EQ_INT(early, 0);
	CHECK_EQ_INT(late, 0);
	CHECK(told_near >= 50); /* of 160 within 500 us */
}

TEST(flow_end_forgets_the_verdict_of_that_connection)
{
	/* A drop verdict on a connection that ended must not cling to a new
	 * connection reusing the 5-tuple: it is announced and decided afresh. */
	struct spec s = {.proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	run(&s);
	const struct ls_event *e = find_kind(LS_EV_FLOW_NEW);
	CHECK(e != NULL);
	if (!e)
		return;
	struct ls_flow_key k = e->key;
	set_verdict(&k, LS_VERDICT_PASS, 0);
	s.swap = 1, s.tcp_flags = 0x14, run(&s); /* RST ends it */
	CHECK(find_kind(LS_EV_FLOW_END) != NULL);
	struct ls_verdict_rec r;
	CHECK(bpf_map_lookup_elem(verdicts_fd(), &k, &r) != 0); /* gone */
	s.swap = 0, s.tcp_flags = 0x02, run(&s);
	CHECK_EQ_INT(count_kind(LS_EV_FLOW_NEW), 1);

	/* a drop verdict ends with its connection: the RST that ends it is
	 * not dropped by it, on this CPU's verdict cache or any other's */
	struct spec d = {.proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	run(&d);
	e = find_kind(LS_EV_FLOW_NEW);
	CHECK(e != NULL);
	if (!e)
		return;
	k = e->key;
	set_verdict(&k, LS_VERDICT_DROP, 0);
	d.tcp_flags = 0x10;
	CHECK_EQ_INT(run(&d), XDP_DROP);
	CHECK_EQ_INT(run(&d), XDP_DROP);
	d.tcp_flags = 0x14;
	CHECK_EQ_INT(run(&d), XDP_PASS);
	CHECK(find_kind(LS_EV_FLOW_END) != NULL);

	/* a verdict set before a flow's first packet is kept for it */
	struct spec pre = {.proto = 6, .sport = next_port(), .dport = 80, .tcp_flags = 0x02};
	run(&pre);
	e = find_kind(LS_EV_FLOW_NEW);
	if (!e)
		return;
	k = e->key;
	pre.tcp_flags = 0x14, run(&pre);
	set_verdict(&k, LS_VERDICT_DROP, 0);
	pre.tcp_flags = 0x02;
	CHECK_EQ_INT(run(&pre), XDP_DROP);
	ls_testrun_verdict_del(T, &k);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	struct ls_err err;
	ls_testrun_open(&T, NULL, collect, NULL, &err);
	if (!T) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	RUN(http_ipv4_request);
	RUN(http_over_ipv6_vlan_qinq_and_a_third_tag);
	RUN(ipv4_options_and_bad_ihl_and_lengths);
	RUN(truncated_at_every_boundary);
	RUN(ipv6_extension_chains);
	RUN(fragments_only_first_carries_l4);
	RUN(l4_and_ethertype_reasons);
	RUN(icmp_echo_flows);
	RUN(flow_ids_name_their_cpu_and_stay_json_exact);
	RUN(tls_sni_complete_partial_and_lying);
	RUN(tls_lengths_one_byte_past_their_enclosure);
	RUN(dns_names_pointers_and_loops);
	RUN(dns_over_tcp);
	RUN(dns_every_question);
	RUN(dns_by_content_on_any_port);
	RUN(http_pipelined_and_token_methods);
	RUN(http_partial_truncated_and_hostile);
	RUN(http_scan_matches_the_rfc_model);
	RUN(dpi_window_and_tc_program);
	RUN(flow_end_fin_and_rst);
	RUN(drop_verdict_drops_pass_passes);
	RUN(default_drop_applies_to_new_flows_only);
	RUN(trace_level_emits_filtered_packet_events);
	RUN(expired_verdict_reannounces_and_never_drops);
	RUN(strict_expiry_gives_the_default_to_a_flow_that_passed);
	RUN(strict_expiry_passes_the_teardown_of_a_connection_that_passed);
	RUN(failsafe_honours_expired_verdicts);
	RUN(failsafe_starts_just_past_the_detect_timeout);
	RUN(default_drop_spares_neighbour_discovery_and_icmp_errors);
	RUN(verdict_cache_follows_every_write);
	RUN(cached_verdict_expires_on_time);
	RUN(verdict_deadline_swept_10_to_900_us);
	RUN(flow_end_forgets_the_verdict_of_that_connection);
	ls_testrun_close(T);
	return test_done();
}
