/* test_bpf_quic.c - QUIC end to end through the real data plane program
 * (BPF_PROG_TEST_RUN, needs root): the kernel recognises a client Initial
 * and hands the datagram over (LS_EV_PAYLOAD, counted dpi_handoff), the
 * ring consumer decodes it in user space (udpi.c) and what comes out is
 * one LS_EV_DPI -- kind TLS, flag QUIC, the SNI and ALPN the RFCs' test
 * ClientHello carries -- with the flow's header, as a kernel inspector's
 * would be. Also: a ClientHello split over two datagrams, the TC program,
 * and what must not be handed over. */
#include "test.h"
#include "frame4.h"
#include "quic_protect.h"
#include "quic_vectors.h"

#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "dataplane/testrun.h"

#define EV_MAX 64
static struct ls_event evs[EV_MAX];
static int nev;
static struct ls_testrun *T;
static uint16_t next_port = 40000;

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

/* one UDP datagram from a fresh client port (sport) to 443 */
static uint32_t send_udp(enum ls_testrun_prog prog, uint16_t sport, const uint8_t *pay, size_t n)
{
	static uint8_t frame[2200];
	struct frame4 f = {.proto = 17,
			   .src = {198, 18, 0, 1},
			   .dst = {198, 18, 0, 2},
			   .sport = sport,
			   .dport = 443,
			   .pay = pay,
			   .plen = n};
	size_t len = frame4(frame, &f);
	uint32_t act = 0;
	CHECK(ls_testrun_packet(T, prog, frame, (uint32_t)len, &act) == 0);
	return act;
}

static void one_hello(enum ls_testrun_prog prog, const uint8_t *vec)
{
	nev = 0;
	uint64_t h0 = ls_testrun_counter(T, LS_CNT_DPI_HANDOFF);
	uint16_t sport = next_port++;
	uint32_t act = send_udp(prog, sport, vec, 1200);
	CHECK_EQ_INT(act, prog == LS_TR_TC ? (uint32_t)TC_ACT_UNSPEC : XDP_PASS); /* passes on */
	CHECK_EQ_INT(ls_testrun_counter(T, LS_CNT_DPI_HANDOFF) - h0, 1);
	CHECK_EQ_INT(count_kind(LS_EV_PAYLOAD), 0); /* consumed, never delivered */
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 1);
	const struct ls_event *e = find_kind(LS_EV_DPI);
	const struct ls_event *fn = find_kind(LS_EV_FLOW_NEW);
	if (!e || !fn)
		return;
	CHECK_EQ_INT(e->version, LS_WIRE_VERSION);
	CHECK_EQ_INT(e->u.dpi.kind, LS_DPI_TLS);
	CHECK(e->u.dpi.flags & LS_DPI_F_QUIC);
	CHECK(!(e->u.dpi.flags & (LS_DPI_F_PARTIAL | LS_DPI_F_TRUNCATED)));
	CHECK_EQ_INT(e->u.dpi.name_len, 11);
	CHECK(!memcmp(e->u.dpi.name, "example.com", 12));
	CHECK_EQ_INT(e->u.dpi.alpn_len, 4);
	CHECK(!memcmp(e->u.dpi.alpn, "alpn", 4));
	/* the header is the flow's, as the kernel would have written it */
	CHECK(e->flow_id == fn->flow_id);
	CHECK(!memcmp(&e->key, &fn->key, sizeof(e->key)));
	CHECK_EQ_INT(e->sport, sport);
	CHECK_EQ_INT(e->dport, 443);
	CHECK(e->ts_k >= fn->ts_k);
}

TEST(rfc9001_initial_xdp)
{
	one_hello(LS_TR_XDP, rfc9001_a2_client_initial);
}

TEST(rfc9369_v2_initial_xdp)
{
	one_hello(LS_TR_XDP, rfc9369_a2_client_initial);
}

TEST(v2draft_initial_xdp)
{
	one_hello(LS_TR_XDP, v2draft_a2_client_initial);
}

TEST(rfc9001_initial_tc)
{
	one_hello(LS_TR_TC, rfc9001_a2_client_initial);
}

TEST(hello_split_over_two_datagrams)
{
	uint8_t hello[241], fr[400], dg1[1400], dg2[1400];
	unhex(rfc_hello_hex, hello);
	size_t fl = crypto_frame(fr, hello, 120, 121);
	size_t n1 = protect_v1(dg1, 0, fr, fl, 1200);
	fl = crypto_frame(fr, hello, 0, 120);
	size_t n2 = protect_v1(dg2, 1, fr, fl, 1200);
	uint16_t sport = next_port++;
	nev = 0;
	send_udp(LS_TR_XDP, sport, dg1, n1);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0); /* nothing until it is whole */
	send_udp(LS_TR_XDP, sport, dg2, n2);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 1);
	const struct ls_event *e = find_kind(LS_EV_DPI);
	if (e)
		CHECK(!memcmp(e->u.dpi.name, "example.com", 12));
}

TEST(not_handed_over)
{
	uint8_t pay[1300];
	uint64_t h0 = ls_testrun_counter(T, LS_CNT_DPI_HANDOFF);
	nev = 0;
	/* a short header (1-RTT) packet */
	memset(pay, 0x5a, sizeof(pay));
	pay[0] = 0x40;
	send_udp(LS_TR_XDP, next_port++, pay, 1200);
	/* a v1 Handshake packet (type 2) */
	memcpy(pay, rfc9001_a2_client_initial, 1200);
	pay[0] = 0xe0;
	send_udp(LS_TR_XDP, next_port++, pay, 1200);
	/* an Initial under 1200 bytes: not a client's first flight */
	send_udp(LS_TR_XDP, next_port++, rfc9001_a2_client_initial, 1100);
	/* an unknown version */
	memcpy(pay, rfc9001_a2_client_initial, 1200);
	pay[4] = 0x02;
	send_udp(LS_TR_XDP, next_port++, pay, 1200);
	CHECK_EQ_INT(ls_testrun_counter(T, LS_CNT_DPI_HANDOFF) - h0, 0);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
	/* handed over but failing its tag: no event, nothing wrong reported */
	memcpy(pay, rfc9001_a2_client_initial, 1200);
	pay[700] ^= 0x80;
	send_udp(LS_TR_XDP, next_port++, pay, 1200);
	CHECK_EQ_INT(ls_testrun_counter(T, LS_CNT_DPI_HANDOFF) - h0, 1);
	CHECK_EQ_INT(count_kind(LS_EV_DPI), 0);
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
	RUN(rfc9001_initial_xdp);
	RUN(rfc9369_v2_initial_xdp);
	RUN(v2draft_initial_xdp);
	RUN(rfc9001_initial_tc);
	RUN(hello_split_over_two_datagrams);
	RUN(not_handed_over);
	ls_testrun_close(T);
	return test_done();
}
