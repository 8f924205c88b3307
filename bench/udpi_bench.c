/* udpi_bench.c - what user-space DPI costs: a QUIC flow's SNI, and an
 * HTTP/2 request's HPACK header block (docs/dataplane.md, "What the
 * kernel decodes, what user space decodes, and why"), side by side in one
 * run with the data plane's fast path:
 *   kernel, per packet (BPF_PROG_TEST_RUN, XDP, every payload inspected):
 *     the fast path (a payload-less ACK of a known flow), a 1200-byte UDP
 *     datagram that is not QUIC (recognised as nothing), and the RFC 9001
 *     A.2 client Initial (recognised and copied into the ring);
 *   user space, per new flow: the Initial keys alone (HKDF), and the whole
 *     decode of that Initial (keys, header protection, AES-GCM, CRYPTO,
 *     ClientHello) on fresh per-flow state; one HPACK header block per
 *     HEADERS frame (RFC 7541 C.4.1-C.4.3 on one table, Huffman coded);
 *   HTTP/2 (issue 16): in the kernel, a TCP client segment inside the
 *     preface window (its first 16 bytes compared with the preface) against
 *     the same segment of the same flow once the window is closed, and a
 *     marked HTTP/2 flow's client segment handed to user space; in user
 *     space, a connection's first request (preface, SETTINGS,
 *     WINDOW_UPDATE, HEADERS decoded) on fresh per-connection state.
 * Medians of interleaved rounds; ratios to the fast path. Needs root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/unit/frame4.h"
#include "../tests/unit/quic_vectors.h"
#include "dataplane/h2_hpack.h"
#include "dataplane/h2_request.h"
#include "dataplane/quic_initial.h"
#include "dataplane/testrun.h"

#define ROUNDS 15
#define REPEAT 400 /* per round: ~400 handoff records fit the ring easily */
#define USER_N 2000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double median(uint64_t *r, int n)
{
	qsort(r, (size_t)n, sizeof(*r), cmp_u64);
	return (double)r[n / 2];
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	struct ls_err err;
	struct ls_testrun *t;
	ls_testrun_open(&t, NULL, NULL, NULL, &err);
	if (!t) {
		fprintf(stderr, "udpi_bench: %s\n", err.msg);
		return 1;
	}
	struct ls_config c = {.dpi_max_pkts = LS_DPI_ALWAYS};
	ls_testrun_set_config(t, &c);
	static uint8_t ack[128], udp[1400], quic[1400], junk[1200];
	memset(junk, 0x5a, sizeof(junk));
	junk[0] = 0x40; /* a short header: not an Initial */
	struct frame4 fa = {.proto = 6,
			    .src = {198, 18, 0, 1},
			    .dst = {198, 18, 0, 2},
			    .sport = 40000,
			    .dport = 443};
	size_t ack_n = frame4(ack, &fa);
	struct frame4 fu = {.proto = 17,
			    .src = {198, 18, 0, 1},
			    .dst = {198, 18, 0, 2},
			    .sport = 40001,
			    .dport = 443,
			    .pay = junk,
			    .plen = sizeof(junk)};
	size_t udp_n = frame4(udp, &fu);
	struct frame4 fq = fu;
	fq.sport = 40002, fq.pay = rfc9001_a2_client_initial, fq.plen = 1200;
	size_t quic_n = frame4(quic, &fq);
	/* HTTP/2: a client's first flight (RFC 9113 3.4: preface, SETTINGS,
	 * WINDOW_UPDATE; then HEADERS of stream 1, END_STREAM|END_HEADERS,
	 * its block RFC 7541 C.4.1: GET http://www.example.com/) */
	static const uint8_t c41[] = {0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5,
				      0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff};
	static uint8_t h2first[128], h2hdrs[64], seg[64], h2pre[160], h2seg[160], plain[160];
	size_t hn = 0;
	memcpy(h2first, LS_H2_PREFACE, LS_H2_PREFACE_LEN);
	hn = LS_H2_PREFACE_LEN;
	static const uint8_t settings[] = {0, 0, 12, 4,	  0, 0, 0, 0,	 0, 0, 3,
					   0, 0, 0,  100, 0, 4, 0, 0xa0, 0, 0}; /* 2 settings */
	static const uint8_t wupd[] = {0, 0, 4,	   8,	 0,    0,   0,
				       0, 0, 0x3e, 0x7f, 0x00, 0x01}; /* +1 GB */
	memcpy(h2first + hn, settings, sizeof(settings)), hn += sizeof(settings);
	memcpy(h2first + hn, wupd, sizeof(wupd)), hn += sizeof(wupd);
	size_t hh = 0;
	h2hdrs[hh++] = 0, h2hdrs[hh++] = 0, h2hdrs[hh++] = sizeof(c41);
	h2hdrs[hh++] = 1, h2hdrs[hh++] = 0x05; /* HEADERS, END_STREAM|END_HEADERS */
	h2hdrs[hh++] = 0, h2hdrs[hh++] = 0, h2hdrs[hh++] = 0, h2hdrs[hh++] = 1;
	memcpy(h2hdrs + hh, c41, sizeof(c41)), hh += sizeof(c41);
	memcpy(h2first + hn, h2hdrs, hh), hn += hh;
	memset(seg, 'x', sizeof(seg)); /* client bytes that are not the preface */
	struct frame4 fp = fa;
	fp.sport = 40010, fp.pay = h2first, fp.plen = hn;
	size_t pre_n = frame4(h2pre, &fp);
	fp.pay = h2hdrs, fp.plen = hh;
	size_t h2seg_n = frame4(h2seg, &fp);
	fp.sport = 40011, fp.pay = seg, fp.plen = sizeof(seg);
	size_t plain_n = frame4(plain, &fp);
	uint32_t act;
	/* the flows exist before measuring */
	ls_testrun_packet(t, LS_TR_XDP, ack, (uint32_t)ack_n, &act);
	ls_testrun_packet(t, LS_TR_XDP, udp, (uint32_t)udp_n, &act);
	ls_testrun_packet(t, LS_TR_XDP, quic, (uint32_t)quic_n, &act);
	/* the HTTP/2 flows, with dpi_max_pkts 250: a flow's count of
	 * inspected packets stops at 255, inside the window of LS_H2_SEGS
	 * past 250, so every client segment stays in it (each repeat pays the
	 * check, as the first 8 segments past the limit do); with 240 the
	 * same flow is past its window (the packets that come after) */
	struct ls_config c250 = {.dpi_max_pkts = 250}, c240 = {.dpi_max_pkts = 240};
	ls_testrun_set_config(t, &c250);
	ls_testrun_packet(t, LS_TR_XDP, h2pre, (uint32_t)pre_n, &act); /* marks it HTTP/2 */
	for (int i = 0; i < 300; i++) {
		ls_testrun_packet(t, LS_TR_XDP, h2seg, (uint32_t)h2seg_n, &act);
		ls_testrun_packet(t, LS_TR_XDP, plain, (uint32_t)plain_n, &act);
		if (i % 50 == 0)
			ls_testrun_drain(t);
	}
	ls_testrun_drain(t);
	uint64_t ho0 = ls_testrun_counter(t, LS_CNT_DPI_HANDOFF);
	ls_testrun_packet(t, LS_TR_XDP, h2seg, (uint32_t)h2seg_n, &act);
	ls_testrun_packet(t, LS_TR_XDP, plain, (uint32_t)plain_n, &act);
	if (ls_testrun_counter(t, LS_CNT_DPI_HANDOFF) - ho0 != 1) {
		fprintf(stderr, "udpi_bench: the HTTP/2 segment was not handed over alone\n");
		return 1;
	}
	ls_testrun_drain(t);
	ls_testrun_set_config(t, &c);

	uint64_t r_ack[ROUNDS], r_udp[ROUNDS], r_quic[ROUNDS], r_keys[ROUNDS], r_dec[ROUNDS],
	    r_hp[ROUNDS], r_scan[ROUNDS], r_noscan[ROUNDS], r_h2ho[ROUNDS], r_h2req[ROUNDS];
	static struct ls_h2_conn h2c;
	struct ls_h2_req req;
	static const uint8_t c42[] = {0x82, 0x86, 0x84, 0xbe, 0x58, 0x86,
				      0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf};
	static const uint8_t c43[] = {0x82, 0x87, 0x85, 0xbf, 0x40, 0x88, 0x25, 0xa8,
				      0x49, 0xe9, 0x5b, 0xa9, 0x7d, 0x7f, 0x89, 0x25,
				      0xa8, 0x49, 0xe9, 0x5b, 0xb8, 0xe8, 0xb4, 0xbf};
	static struct ls_hpack hp;
	static struct ls_quic_flow f;
	struct ls_quic_keys k;
	struct ls_hello h;
	static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	for (int r = 0; r < ROUNDS; r++) {
		if (ls_testrun_repeat(t, LS_TR_XDP, ack, (uint32_t)ack_n, REPEAT, &r_ack[r]) ||
		    ls_testrun_repeat(t, LS_TR_XDP, udp, (uint32_t)udp_n, REPEAT, &r_udp[r]) ||
		    ls_testrun_repeat(t, LS_TR_XDP, quic, (uint32_t)quic_n, REPEAT, &r_quic[r])) {
			fprintf(stderr, "udpi_bench: test run failed\n");
			return 1;
		}
		ls_testrun_drain(t); /* the handoff records, decoded by testrun's consumer */
		int bad =
		    ls_testrun_set_config(t, &c250) ||
		    ls_testrun_repeat(t, LS_TR_XDP, plain, (uint32_t)plain_n, REPEAT, &r_scan[r]) ||
		    ls_testrun_repeat(t, LS_TR_XDP, h2seg, (uint32_t)h2seg_n, REPEAT, &r_h2ho[r]) ||
		    ls_testrun_set_config(t, &c240) ||
		    ls_testrun_repeat(t, LS_TR_XDP, plain, (uint32_t)plain_n, REPEAT,
				      &r_noscan[r]) ||
		    ls_testrun_set_config(t, &c);
		if (bad) {
			fprintf(stderr, "udpi_bench: HTTP/2 test run failed\n");
			return 1;
		}
		ls_testrun_drain(t);
		uint64_t t0 = now_ns();
		for (int i = 0; i < USER_N; i++)
			ls_quic_initial_keys(LS_QUIC_V1, dcid, 8, &k);
		uint64_t t1 = now_ns();
		int ok = 0;
		for (int i = 0; i < USER_N; i++) {
			memset(&f, 0, sizeof(f));
			ok += ls_quic_datagram(&f, rfc9001_a2_client_initial, 1200, &h) ==
			      LS_QUIC_HELLO;
		}
		uint64_t t2 = now_ns();
		if (ok != USER_N) {
			fprintf(stderr, "udpi_bench: the RFC Initial did not decode\n");
			return 1;
		}
		uint64_t t3 = now_ns();
		for (int i = 0; i < USER_N; i++) {
			ls_hpack_init(&hp, 4096);
			if (ls_hpack_decode(&hp, c41, sizeof(c41), NULL, NULL) ||
			    ls_hpack_decode(&hp, c42, sizeof(c42), NULL, NULL) ||
			    ls_hpack_decode(&hp, c43, sizeof(c43), NULL, NULL)) {
				fprintf(stderr, "udpi_bench: RFC 7541 C.4 did not decode\n");
				return 1;
			}
		}
		r_hp[r] = (now_ns() - t3) / (3 * USER_N);
		uint64_t t4 = now_ns();
		for (int i = 0; i < USER_N; i++) {
			ls_h2_init(&h2c);
			if (ls_h2_feed(&h2c, h2first, hn, &req) != LS_H2_REQUEST ||
			    strcmp(req.authority, "www.example.com")) {
				fprintf(stderr, "udpi_bench: the HTTP/2 request did not decode\n");
				return 1;
			}
		}
		r_h2req[r] = (now_ns() - t4) / USER_N;
		r_keys[r] = (t1 - t0) / USER_N;
		r_dec[r] = (t2 - t1) / USER_N;
	}
	double ack_ns = median(r_ack, ROUNDS), udp_ns = median(r_udp, ROUNDS),
	       quic_ns = median(r_quic, ROUNDS), keys_ns = median(r_keys, ROUNDS),
	       dec_ns = median(r_dec, ROUNDS), hp_ns = median(r_hp, ROUNDS),
	       scan_ns = median(r_scan, ROUNDS), noscan_ns = median(r_noscan, ROUNDS),
	       h2ho_ns = median(r_h2ho, ROUNDS), h2req_ns = median(r_h2req, ROUNDS);
	printf("# QUIC Initial: kernel recognises and hands over, user space decrypts; medians "
	       "of %d interleaved rounds\n",
	       ROUNDS);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "kernel: fast path (ACK, known flow)", ack_ns,
	       1.0);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "kernel: 1200-byte UDP, not QUIC", udp_ns,
	       udp_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "kernel: QUIC Initial, handed over", quic_ns,
	       quic_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "user: Initial keys (HKDF-SHA256)", keys_ns,
	       keys_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "user: whole decode, per new flow", dec_ns,
	       dec_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "user: HPACK block per HEADERS (C.4)", hp_ns,
	       hp_ns / ack_ns);
	printf("# per new QUIC flow, kernel + user: %.1f us (%.0fx the fast path's packet)\n",
	       (quic_ns + dec_ns) / 1000.0, (quic_ns + dec_ns) / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "kernel: TCP 64 B, past the h2 window",
	       noscan_ns, noscan_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "kernel: TCP 64 B, h2 preface scanned",
	       scan_ns, scan_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "kernel: HTTP/2 segment, handed over", h2ho_ns,
	       h2ho_ns / ack_ns);
	printf("%-46s %9.1f ns  %7.2fx fast path\n", "user: HTTP/2 first request, per connection",
	       h2req_ns, h2req_ns / ack_ns);
	printf("# the preface scan costs %.1f ns a segment (%.2fx the same segment past the "
	       "window), for %d client segments past dpi_max_pkts of a TCP flow\n",
	       scan_ns - noscan_ns, scan_ns / noscan_ns, LS_H2_SEGS);
	ls_testrun_close(t);
	return 0;
}
