/* frame4.h - one Ethernet + IPv4 + TCP or UDP frame for test runs of the
 * data plane (BPF_PROG_TEST_RUN), shared by the unit tests and the benches
 * that need a plain packet rather than test_bpf_parse.c's malformed ones.
 * Checksums are left zero: the program does not verify them. */
#ifndef LS_TEST_FRAME4_H
#define LS_TEST_FRAME4_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct frame4 {
	uint8_t proto; /* 6 TCP, 17 UDP */
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t tcp_flags; /* TCP only; 0: ACK|PSH */
	const void *pay;
	size_t plen;
};

static inline void frame4_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

/* Writes the frame to o (room for 54 + plen bytes); returns its length. */
static inline size_t frame4(uint8_t *o, const struct frame4 *f)
{
	size_t l4 = f->proto == 6 ? 20 : 8;
	memset(o, 0, 14 + 20 + l4);
	o[0] = 2, o[6] = 2, o[11] = 1, o[12] = 0x08;
	uint8_t *ip = o + 14;
	ip[0] = 0x45, ip[8] = 64, ip[9] = f->proto;
	frame4_put16(ip + 2, (uint16_t)(20 + l4 + f->plen));
	memcpy(ip + 12, f->src, 4);
	memcpy(ip + 16, f->dst, 4);
	uint8_t *t = ip + 20;
	frame4_put16(t, f->sport), frame4_put16(t + 2, f->dport);
	if (f->proto == 6)
		t[12] = 5 << 4, t[13] = f->tcp_flags ? f->tcp_flags : 0x18;
	else
		frame4_put16(t + 4, (uint16_t)(8 + f->plen));
	if (f->plen)
		memcpy(t + l4, f->pay, f->plen);
	return 14 + 20 + l4 + f->plen;
}

#endif /* LS_TEST_FRAME4_H */
