/* test_dp_hold_csum.c - a held frame's TCP/UDP checksum is recomputed before
 * re-injection (src/dataplane/reinject.c: a frame copied at the hook may
 * carry only the pseudo-header sum). The oracle is tshark's own checksum
 * validation: frames with a wrong checksum, fixed by ls_l4_csum_fix, are
 * written to a pcap and tshark must call every one good. IPv4 and IPv6
 * (with an extension header), TCP and UDP, odd and even lengths, a VLAN
 * tag; fragments and UDP without a checksum are left alone. */
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "dataplane/reinject.h"
#include "frame4.h"

#define NF 8
static uint8_t fr[NF][256];
static uint32_t fl[NF];

static size_t v6frame(uint8_t *o, uint8_t proto, int ext, const char *pay, size_t plen)
{
	memset(o, 0, 256);
	o[0] = 2, o[6] = 2, o[11] = 1, o[12] = 0x86, o[13] = 0xdd;
	uint8_t *ip = o + 14;
	size_t l4 = proto == 6 ? 20 : 8, e = ext ? 8 : 0;
	ip[0] = 0x60, ip[6] = ext ? 60 : proto, ip[7] = 64;
	frame4_put16(ip + 4, (uint16_t)(e + l4 + plen));
	ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 7;
	ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 1;
	uint8_t *x = ip + 40;
	if (ext) { /* destination options: next = proto, len 0, PadN */
		x[0] = proto, x[1] = 0, x[2] = 1, x[3] = 4;
		x += 8;
	}
	frame4_put16(x, 40000), frame4_put16(x + 2, 443);
	if (proto == 6)
		x[12] = 5 << 4, x[13] = 0x18, x[16] = 0xab, x[17] = 0xcd;
	else
		frame4_put16(x + 4, (uint16_t)(8 + plen)), x[6] = 0x12, x[7] = 0x34;
	memcpy(x + l4, pay, plen);
	return 14 + 40 + e + l4 + plen;
}

static void put32le(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* little-endian host: the pcap header says so */
}

TEST(fixed_checksums_are_good_for_tshark)
{
	if (system("command -v tshark >/dev/null 2>&1"))
		SKIP("tshark not installed");
	int n = 0;
	struct frame4 a = {.proto = 6,
			   .src = {198, 18, 0, 2},
			   .dst = {198, 18, 0, 1},
			   .sport = 40000,
			   .dport = 80,
			   .pay = "GET / HTTP/1.1\r\n\r\n",
			   .plen = 18};
	fl[n] = (uint32_t)frame4(fr[n], &a), fr[n][14 + 20 + 16] = 0x55, n++;
	a.plen = 17; /* odd */
	fl[n] = (uint32_t)frame4(fr[n], &a), fr[n][14 + 20 + 17] = 0x01, n++;
	struct frame4 u = {.proto = 17,
			   .src = {198, 18, 0, 2},
			   .dst = {198, 18, 0, 1},
			   .sport = 40001,
			   .dport = 53,
			   .pay = "abcde",
			   .plen = 5};
	fl[n] = (uint32_t)frame4(fr[n], &u), fr[n][14 + 20 + 6] = 0x77, n++;
	fl[n] = (uint32_t)v6frame(fr[n], 6, 0, "hello", 5), n++;
	fl[n] = (uint32_t)v6frame(fr[n], 17, 1, "held!!", 6), n++;
	fl[n] = (uint32_t)v6frame(fr[n], 6, 1, "x", 1), n++;
	/* a VLAN tag before IPv4 UDP */
	uint8_t t[256];
	size_t tl = frame4(t, &u);
	memcpy(fr[n], t, 12);
	fr[n][12] = 0x81, fr[n][13] = 0x00, fr[n][14] = 0, fr[n][15] = 5;
	memcpy(fr[n] + 16, t + 12, tl - 12);
	fr[n][18 + 20 + 6] = 0x99, fl[n] = (uint32_t)tl + 4, n++;
	int l4off[NF] = {34, 34, 34, 54, 62, 62, 38};
	for (int i = 0; i < n; i++)
		CHECK_EQ_INT(ls_l4_csum_fix(fr[i], fl[i], (uint16_t)l4off[i]), 0);

	char path[] = "/tmp/ls-csum-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "wb");
	put32le(f, 0xa1b2c3d4), put32le(f, 0x00040002), put32le(f, 0), put32le(f, 0);
	put32le(f, 65535), put32le(f, 1);
	for (int i = 0; i < n; i++) {
		put32le(f, 1), put32le(f, 0), put32le(f, fl[i]), put32le(f, fl[i]);
		fwrite(fr[i], fl[i], 1, f);
	}
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-T fields -e tcp.checksum.status -e udp.checksum.status 2>/dev/null",
		 path);
	FILE *p = popen(cmd, "r");
	char line[128];
	int good = 0, lines = 0;
	while (p && fgets(line, sizeof(line), p)) {
		lines++;
		/* tshark: checksum status 1 = good (0 bad, 2 unverified) */
		good += !strcmp(line, "1\t\n") || !strcmp(line, "\t1\n");
		if (strcmp(line, "1\t\n") && strcmp(line, "\t1\n"))
			printf("# frame %d: tshark says %s", lines, line);
	}
	if (p)
		pclose(p);
	unlink(path);
	CHECK_EQ_INT(lines, n);
	CHECK_EQ_INT(good, n);
}

TEST(fragments_and_udp_without_checksum_left_alone)
{
	uint8_t f[128];
	struct frame4 u = {.proto = 17,
			   .src = {198, 18, 0, 2},
			   .dst = {198, 18, 0, 1},
			   .sport = 40001,
			   .dport = 53,
			   .pay = "abc",
			   .plen = 3};
	size_t n = frame4(f, &u);
	uint8_t before[128];
	memcpy(before, f, n);
	CHECK_EQ_INT(ls_l4_csum_fix(f, (uint32_t)n, 34), 1); /* UDP checksum 0: none */
	CHECK(!memcmp(before, f, n));
	f[14 + 6] = 0x20; /* MF */
	f[14 + 20 + 6] = 1;
	memcpy(before, f, n);
	CHECK_EQ_INT(ls_l4_csum_fix(f, (uint32_t)n, 34), 1);
	CHECK(!memcmp(before, f, n));
	CHECK_EQ_INT(ls_l4_csum_fix(f, 20, 34), -EINVAL); /* truncated */
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(fixed_checksums_are_good_for_tshark);
	RUN(fragments_and_udp_without_checksum_left_alone);
	return test_done();
}
