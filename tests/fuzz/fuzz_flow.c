/* fuzz_flow.c - multi-packet libFuzzer target for the data plane: the input
 * describes one flow (IPv4 or IPv6, TCP or UDP, a server port) and up to 24
 * segments of it, each with a direction, TCP flags, a sequence step (in
 * order, retransmitted, overlapping, a gap, a wild jump) and a payload;
 * the frames are built here and run one after another through the real
 * XDP program in the kernel (BPF_PROG_TEST_RUN), so that the per-flow state
 * is exercised: the flow table, DPI over the first packets of a flow and
 * requests cut across segments, the hand-off to user-space decoders
 * (src/dataplane/udpi.c: HTTP/2, QUIC) that reassemble across frames, flow
 * end on FIN and RST. Each input uses a fresh client port (and address), so
 * the state an input meets is its own. Invariants: those of dpi_check.h
 * with the names' bytes taken from every frame of the flow so far (names
 * decoded from HPACK or QUIC are exempt from the verbatim check); no drop
 * without a verdict (pass default, no verdicts); at most one FLOW_NEW per
 * flow until it ends. Built by `make fuzz`; run by tests/fuzz/fuzz_ci.sh
 * (seeds tests/fuzz/corpus/flow/). Needs root. */
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/testrun.h"
#include "dpi_check.h"

static struct ls_testrun *T;
static uint8_t sent[24 * 1600];
static int flow_news, ends;

static void on_event(void *ctx, const struct ls_event *ev)
{
	if (ev->kind == LS_EV_FLOW_NEW && ++flow_news > ends + 1)
		die("a second FLOW_NEW for a flow that did not end", ev);
	if (ev->kind == LS_EV_FLOW_END)
		ends++;
	check_event(ctx, ev);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct ls_err err;
	ls_testrun_open(&T, NULL, on_event, NULL, &err);
	if (!T) {
		fprintf(stderr, "fuzz_flow: %s\n", err.msg);
		exit(1);
	}
	decoded_ok = 1;
	return 0;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16), put16(p + 2, v);
}

struct flow {
	int v6, udp;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t seq[2]; /* next sequence number, per direction */
};

/* One frame: Ethernet, IPv4 or IPv6, TCP or UDP, payload. Returns its
 * length. */
static size_t frame(uint8_t *o, const struct flow *f, int dir, uint8_t flags, uint32_t seq,
		    uint32_t ack, const uint8_t *pay, size_t plen)
{
	size_t l3 = f->v6 ? 40 : 20, l4 = f->udp ? 8 : 20;
	memset(o, 0, 14 + l3 + l4);
	o[0] = 2, o[6] = 2, o[11] = 1;
	put16(o + 12, f->v6 ? 0x86dd : 0x0800);
	uint8_t *ip = o + 14, *t = ip + l3;
	const uint8_t *src = dir ? f->srv : f->cli, *dst = dir ? f->cli : f->srv;
	uint8_t proto = f->udp ? 17 : 6;
	if (f->v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint32_t)(l4 + plen));
		ip[6] = proto, ip[7] = 64;
		memcpy(ip + 8, src, 16), memcpy(ip + 24, dst, 16);
	} else {
		ip[0] = 0x45, ip[8] = 64, ip[9] = proto;
		put16(ip + 2, (uint32_t)(20 + l4 + plen));
		memcpy(ip + 12, src + 12, 4), memcpy(ip + 16, dst + 12, 4);
		uint32_t sum = 0;
		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, ~sum & 0xffff);
	}
	put16(t, dir ? f->sport : f->cport), put16(t + 2, dir ? f->cport : f->sport);
	if (f->udp) {
		put16(t + 4, (uint32_t)(8 + plen));
	} else {
		put32(t + 4, seq), put32(t + 8, ack);
		t[12] = 5 << 4, t[13] = flags;
		put16(t + 14, 65535);
	}
	memcpy(t + l4, pay, plen);
	return 14 + l3 + l4 + plen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static const uint16_t ports[] = {80, 443, 53, 8080, 8443, 5353, 50051, 0};
	static const uint8_t tcp_flags[] = {0x18, 0x18, 0x18, 0x10, 0x02, 0x12,
					    0x11, 0x04, 0x19, 0x14, 0x00, 0x3f};
	static uint32_t run;
	uint8_t fr[1600];
	size_t at = 0;
	if (n < 3)
		return 0;
	struct flow f;
	memset(&f, 0, sizeof(f));
	uint8_t h = data[at++];
	f.v6 = h & 1;
	f.udp = (h >> 1 & 3) == 3; /* a quarter UDP */
	f.sport = ports[(h >> 3) & 7];
	if (!f.sport)
		f.sport = (uint16_t)(data[at] << 8 | data[at + 1]), at += 2;
	/* a fresh client for every input: 198.18.x.y / 2001:db8::x:y, port */
	run++;
	f.cli[10] = f.cli[11] = f.srv[10] = f.srv[11] = 0xff;
	if (f.v6) {
		f.cli[0] = f.srv[0] = 0x20, f.cli[1] = f.srv[1] = 0x01;
		f.cli[2] = f.srv[2] = 0x0d, f.cli[3] = f.srv[3] = 0xb8;
		f.cli[10] = f.cli[11] = f.srv[10] = f.srv[11] = 0;
	}
	f.cli[12] = 198, f.cli[13] = 18 + (run >> 24 & 1), f.cli[14] = (uint8_t)(run >> 16);
	f.cli[15] = (uint8_t)(run >> 8);
	f.srv[12] = 198, f.srv[13] = 19, f.srv[15] = 1;
	f.cport = (uint16_t)(1024 + (run & 0xff) * 251 % 64000);
	f.seq[0] = 1000, f.seq[1] = 5000000;
	size_t sn = 0;
	flow_news = ends = 0;
	for (int k = 0; k < 24 && at + 2 <= n; k++) {
		uint8_t c = data[at++];
		size_t plen = data[at++];
		if (c & 0x80)
			plen = plen * 8; /* up to 2040 bytes: a full segment */
		if (plen > n - at)
			plen = n - at;
		if (plen > 1400)
			plen = 1400;
		int dir = c & 1;
		uint8_t flags = tcp_flags[(c >> 1 & 15) % sizeof(tcp_flags)];
		uint32_t seq = f.seq[dir];
		switch (c >> 5 & 3) {
		case 0: /* in order */
			break;
		case 1: /* the previous segment again, or an overlap */
			seq -= (uint32_t)(plen ? plen / 2 + 1 : 1);
			break;
		case 2: /* a gap */
			seq += 100;
			break;
		case 3: /* anywhere */
			seq = (uint32_t)c * 0x01010101u;
			break;
		}
		size_t len = frame(fr, &f, dir, flags, seq, f.seq[!dir], data + at, plen);
		at += plen;
		if (!f.udp)
			f.seq[dir] = seq + (uint32_t)plen + ((flags & 0x03) ? 1 : 0);
		/* names must come from the bytes sent in this flow so far */
		if (sn + len <= sizeof(sent)) {
			memcpy(sent + sn, fr, len);
			sn += len;
		}
		cur = sent, cur_n = sn;
		dpi_events = 0;
		uint32_t act;
		if (ls_testrun_packet(T, LS_TR_XDP, fr, (uint32_t)len, &act) == 0 &&
		    act != XDP_PASS)
			die("XDP dropped without a drop verdict or default", NULL);
	}
	return 0;
}
