/* test_dp_hpack.c - HPACK decoding (src/dataplane/h2_hpack.c) against RFC
 * 7541 itself: the Huffman code of Appendix B (every symbol's code and
 * length, copied from the RFC, against the codes the decoder derives from
 * the lengths), and the examples of Appendix C: C.3 and C.4 (requests on
 * one connection, without and with Huffman: the dynamic table carries over
 * between them), C.5 and C.6 (responses with a 256-byte table: evictions),
 * each with the header list and table size the RFC gives. Plus malformed
 * blocks, and the same bytes as the kernel hands them over (udpi.c):
 * segments in sequence order, retransmissions, a gap. */
#include "test.h"

#include "dataplane/h2_hpack.h"
#include "dataplane/h2_request.h"
#include "dataplane/udpi.h"

/* RFC 7541 Appendix B: (code, length) of symbols 0..255; EOS is 0x3fffffff/30 */
static const struct {
	uint32_t code;
	unsigned len;
} rfc_huff[256] = {
    {0x1ff8, 13},     {0x7fffd8, 23},  {0xfffffe2, 28},	 {0xfffffe3, 28},  {0xfffffe4, 28},
    {0xfffffe5, 28},  {0xfffffe6, 28}, {0xfffffe7, 28},	 {0xfffffe8, 28},  {0xffffea, 24},
    {0x3ffffffc, 30}, {0xfffffe9, 28}, {0xfffffea, 28},	 {0x3ffffffd, 30}, {0xfffffeb, 28},
    {0xfffffec, 28},  {0xfffffed, 28}, {0xfffffee, 28},	 {0xfffffef, 28},  {0xffffff0, 28},
    {0xffffff1, 28},  {0xffffff2, 28}, {0x3ffffffe, 30}, {0xffffff3, 28},  {0xffffff4, 28},
    {0xffffff5, 28},  {0xffffff6, 28}, {0xffffff7, 28},	 {0xffffff8, 28},  {0xffffff9, 28},
    {0xffffffa, 28},  {0xffffffb, 28}, {0x14, 6},	 {0x3f8, 10},	   {0x3f9, 10},
    {0xffa, 12},      {0x1ff9, 13},    {0x15, 6},	 {0xf8, 8},	   {0x7fa, 11},
    {0x3fa, 10},      {0x3fb, 10},     {0xf9, 8},	 {0x7fb, 11},	   {0xfa, 8},
    {0x16, 6},	      {0x17, 6},       {0x18, 6},	 {0x0, 5},	   {0x1, 5},
    {0x2, 5},	      {0x19, 6},       {0x1a, 6},	 {0x1b, 6},	   {0x1c, 6},
    {0x1d, 6},	      {0x1e, 6},       {0x1f, 6},	 {0x5c, 7},	   {0xfb, 8},
    {0x7ffc, 15},     {0x20, 6},       {0xffb, 12},	 {0x3fc, 10},	   {0x1ffa, 13},
    {0x21, 6},	      {0x5d, 7},       {0x5e, 7},	 {0x5f, 7},	   {0x60, 7},
    {0x61, 7},	      {0x62, 7},       {0x63, 7},	 {0x64, 7},	   {0x65, 7},
    {0x66, 7},	      {0x67, 7},       {0x68, 7},	 {0x69, 7},	   {0x6a, 7},
    {0x6b, 7},	      {0x6c, 7},       {0x6d, 7},	 {0x6e, 7},	   {0x6f, 7},
    {0x70, 7},	      {0x71, 7},       {0x72, 7},	 {0xfc, 8},	   {0x73, 7},
    {0xfd, 8},	      {0x1ffb, 13},    {0x7fff0, 19},	 {0x1ffc, 13},	   {0x3ffc, 14},
    {0x22, 6},	      {0x7ffd, 15},    {0x3, 5},	 {0x23, 6},	   {0x4, 5},
    {0x24, 6},	      {0x5, 5},	       {0x25, 6},	 {0x26, 6},	   {0x27, 6},
    {0x6, 5},	      {0x74, 7},       {0x75, 7},	 {0x28, 6},	   {0x29, 6},
    {0x2a, 6},	      {0x7, 5},	       {0x2b, 6},	 {0x76, 7},	   {0x2c, 6},
    {0x8, 5},	      {0x9, 5},	       {0x2d, 6},	 {0x77, 7},	   {0x78, 7},
    {0x79, 7},	      {0x7a, 7},       {0x7b, 7},	 {0x7ffe, 15},	   {0x7fc, 11},
    {0x3ffd, 14},     {0x1ffd, 13},    {0xffffffc, 28},	 {0xfffe6, 20},	   {0x3fffd2, 22},
    {0xfffe7, 20},    {0xfffe8, 20},   {0x3fffd3, 22},	 {0x3fffd4, 22},   {0x3fffd5, 22},
    {0x7fffd9, 23},   {0x3fffd6, 22},  {0x7fffda, 23},	 {0x7fffdb, 23},   {0x7fffdc, 23},
    {0x7fffdd, 23},   {0x7fffde, 23},  {0xffffeb, 24},	 {0x7fffdf, 23},   {0xffffec, 24},
    {0xffffed, 24},   {0x3fffd7, 22},  {0x7fffe0, 23},	 {0xffffee, 24},   {0x7fffe1, 23},
    {0x7fffe2, 23},   {0x7fffe3, 23},  {0x7fffe4, 23},	 {0x1fffdc, 21},   {0x3fffd8, 22},
    {0x7fffe5, 23},   {0x3fffd9, 22},  {0x7fffe6, 23},	 {0x7fffe7, 23},   {0xffffef, 24},
    {0x3fffda, 22},   {0x1fffdd, 21},  {0xfffe9, 20},	 {0x3fffdb, 22},   {0x3fffdc, 22},
    {0x7fffe8, 23},   {0x7fffe9, 23},  {0x1fffde, 21},	 {0x7fffea, 23},   {0x3fffdd, 22},
    {0x3fffde, 22},   {0xfffff0, 24},  {0x1fffdf, 21},	 {0x3fffdf, 22},   {0x7fffeb, 23},
    {0x7fffec, 23},   {0x1fffe0, 21},  {0x1fffe1, 21},	 {0x3fffe0, 22},   {0x1fffe2, 21},
    {0x7fffed, 23},   {0x3fffe1, 22},  {0x7fffee, 23},	 {0x7fffef, 23},   {0xfffea, 20},
    {0x3fffe2, 22},   {0x3fffe3, 22},  {0x3fffe4, 22},	 {0x7ffff0, 23},   {0x3fffe5, 22},
    {0x3fffe6, 22},   {0x7ffff1, 23},  {0x3ffffe0, 26},	 {0x3ffffe1, 26},  {0xfffeb, 20},
    {0x7fff1, 19},    {0x3fffe7, 22},  {0x7ffff2, 23},	 {0x3fffe8, 22},   {0x1ffffec, 25},
    {0x3ffffe2, 26},  {0x3ffffe3, 26}, {0x3ffffe4, 26},	 {0x7ffffde, 27},  {0x7ffffdf, 27},
    {0x3ffffe5, 26},  {0xfffff1, 24},  {0x1ffffed, 25},	 {0x7fff2, 19},	   {0x1fffe3, 21},
    {0x3ffffe6, 26},  {0x7ffffe0, 27}, {0x7ffffe1, 27},	 {0x3ffffe7, 26},  {0x7ffffe2, 27},
    {0xfffff2, 24},   {0x1fffe4, 21},  {0x1fffe5, 21},	 {0x3ffffe8, 26},  {0x3ffffe9, 26},
    {0xffffffd, 28},  {0x7ffffe3, 27}, {0x7ffffe4, 27},	 {0x7ffffe5, 27},  {0xfffec, 20},
    {0xfffff3, 24},   {0xfffed, 20},   {0x1fffe6, 21},	 {0x3fffe9, 22},   {0x1fffe7, 21},
    {0x1fffe8, 21},   {0x7ffff3, 23},  {0x3fffea, 22},	 {0x3fffeb, 22},   {0x1ffffee, 25},
    {0x1ffffef, 25},  {0xfffff4, 24},  {0xfffff5, 24},	 {0x3ffffea, 26},  {0x7ffff4, 23},
    {0x3ffffeb, 26},  {0x7ffffe6, 27}, {0x3ffffec, 26},	 {0x3ffffed, 26},  {0x7ffffe7, 27},
    {0x7ffffe8, 27},  {0x7ffffe9, 27}, {0x7ffffea, 27},	 {0x7ffffeb, 27},  {0xffffffe, 28},
    {0x7ffffec, 27},  {0x7ffffed, 27}, {0x7ffffee, 27},	 {0x7ffffef, 27},  {0x7fffff0, 27},
    {0x3ffffee, 26},
};

TEST(huffman_codes_are_appendix_b)
{
	unsigned len, bad = 0;
	for (unsigned s = 0; s < 256; s++) {
		uint32_t c = ls_hpack_huffman_code(s, &len);
		bad += c != rfc_huff[s].code || len != rfc_huff[s].len;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(ls_hpack_huffman_code(256, &len) == 0x3fffffff && len == 30);
}

struct fields {
	char text[2048]; /* "name: value\n" ... */
	size_t n;
};

static int collect(void *ctx, const char *name, size_t nl, const char *value, size_t vl)
{
	struct fields *f = ctx;
	f->n += (size_t)snprintf(f->text + f->n, sizeof(f->text) - f->n, "%.*s: %.*s\n", (int)nl,
				 name, (int)vl, value);
	return 0;
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
	return n;
}

static void block(struct ls_hpack *h, const char *hex, const char *want, uint32_t size)
{
	static uint8_t b[512];
	struct fields f = {.n = 0};
	f.text[0] = 0;
	size_t n = unhex(hex, b);
	CHECK_EQ_INT(ls_hpack_decode(h, b, n, collect, &f), 0);
	CHECK_EQ_STR(f.text, want);
	CHECK_EQ_INT(h->size, size);
}

static const char *REQ1 = ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n";
static const char *REQ2 = ":method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\n"
			  "cache-control: no-cache\n";
static const char *REQ3 = ":method: GET\n:scheme: https\n:path: /index.html\n"
			  ":authority: www.example.com\ncustom-key: custom-value\n";

TEST(rfc7541_c3_requests_without_huffman)
{
	static struct ls_hpack h;
	ls_hpack_init(&h, 4096);
	block(&h, "828684410f7777772e6578616d706c652e636f6d", REQ1, 57);
	block(&h, "828684be58086e6f2d6361636865", REQ2, 110);
	block(&h, "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565", REQ3, 164);
	CHECK_EQ_INT(h.n, 3);
}

TEST(rfc7541_c4_requests_with_huffman)
{
	static struct ls_hpack h;
	ls_hpack_init(&h, 4096);
	block(&h, "828684418cf1e3c2e5f23a6ba0ab90f4ff", REQ1, 57);
	block(&h, "828684be5886a8eb10649cbf", REQ2, 110);
	block(&h, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf", REQ3, 164);
}

static const char *RESP1 =
    ":status: 302\ncache-control: private\n"
    "date: Mon, 21 Oct 2013 20:13:21 GMT\nlocation: https://www.example.com\n";
static const char *RESP2 =
    ":status: 307\ncache-control: private\n"
    "date: Mon, 21 Oct 2013 20:13:21 GMT\nlocation: https://www.example.com\n";
static const char *RESP3 =
    ":status: 200\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:22 GMT\n"
    "location: https://www.example.com\ncontent-encoding: gzip\n"
    "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1\n";

TEST(rfc7541_c5_responses_evict)
{
	static struct ls_hpack h;
	ls_hpack_init(&h, 256);
	block(&h,
	      "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a32"
	      "3120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
	      RESP1, 222);
	block(&h, "4803333037c1c0bf", RESP2, 222);
	block(&h,
	      "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a6970"
	      "7738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d61"
	      "67653d333630303b2076657273696f6e3d31",
	      RESP3, 215);
	CHECK_EQ_INT(h.n, 3);
}

TEST(rfc7541_c6_responses_huffman_evict)
{
	static struct ls_hpack h;
	ls_hpack_init(&h, 256);
	block(&h,
	      "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad"
	      "171863c78f0b97c8e9ae82ae43d3",
	      RESP1, 222);
	block(&h, "4883640effc1c0bf", RESP2, 222);
	block(&h,
	      "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2"
	      "e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
	      RESP3, 215);
}

TEST(malformed_blocks)
{
	static struct ls_hpack h;
	uint8_t b[64];
	ls_hpack_init(&h, 4096);
	CHECK(ls_hpack_decode(&h, (const uint8_t *)"\x80", 1, NULL, NULL) < 0); /* index 0 */
	CHECK(ls_hpack_decode(&h, (const uint8_t *)"\xbe", 1, NULL, NULL) <
	      0); /* 62: empty table */
	CHECK(ls_hpack_decode(&h, (const uint8_t *)"\xff\xff\xff\xff\xff\x7f", 6, NULL, NULL) < 0);
	/* a size update over the limit, and one after a field */
	CHECK(ls_hpack_decode(&h, (const uint8_t *)"\x3f\xe2\x1f", 3, NULL, NULL) < 0);
	CHECK(ls_hpack_decode(&h, (const uint8_t *)"\x82\x20", 2, NULL, NULL) < 0);
	/* a literal whose length runs past the block */
	CHECK(ls_hpack_decode(&h, (const uint8_t *)"\x40\x0a\x61", 3, NULL, NULL) < 0);
	/* Huffman: padding not of ones; padding of 8 bits or more; EOS inside */
	size_t n = unhex("418cf1e3c2e5f23a6ba0ab90f4fe", b); /* C.4.1's authority, last bit 0 */
	CHECK(ls_hpack_decode(&h, b, n, NULL, NULL) < 0);
	CHECK(ls_hpack_huffman((const uint8_t *)"\xff", 1, (char *)b, sizeof(b)) < 0);
	CHECK(ls_hpack_huffman((const uint8_t *)"\xff\xff\xff\xff", 4, (char *)b, sizeof(b)) < 0);
	/* a size update to 0 empties the table */
	ls_hpack_init(&h, 4096);
	n = unhex("828684410f7777772e6578616d706c652e636f6d", b);
	CHECK_EQ_INT(ls_hpack_decode(&h, b, n, NULL, NULL), 0);
	CHECK_EQ_INT(h.n, 1);
	CHECK_EQ_INT(ls_hpack_decode(&h, (const uint8_t *)"\x20", 1, NULL, NULL), 0);
	CHECK_EQ_INT(h.n, 0);
	CHECK_EQ_INT(h.size, 0);
}

/* ---- the first request of an HTTP/2 stream (h2_request.c) ------------- */

static size_t h2frame(uint8_t *o, uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p,
		      size_t len)
{
	o[0] = (uint8_t)(len >> 16), o[1] = (uint8_t)(len >> 8), o[2] = (uint8_t)len;
	o[3] = type, o[4] = flags;
	o[5] = (uint8_t)(sid >> 24), o[6] = (uint8_t)(sid >> 16), o[7] = (uint8_t)(sid >> 8);
	o[8] = (uint8_t)sid;
	if (len)
		memcpy(o + 9, p, len);
	return 9 + len;
}

/* a literal field without indexing, new name (RFC 7541 6.2.2), raw strings */
static size_t lit(uint8_t *o, const char *name, const char *value)
{
	size_t k = 0, nl = strlen(name), vl = strlen(value);
	o[k++] = 0x00;
	o[k++] = (uint8_t)nl, memcpy(o + k, name, nl), k += nl;
	o[k++] = (uint8_t)vl, memcpy(o + k, value, vl), k += vl;
	return k;
}

TEST(h2_prior_knowledge_request_split_anywhere)
{
	static struct ls_h2_conn c;
	static uint8_t s[1024];
	uint8_t blk[64];
	struct ls_h2_req r;
	size_t n = 0;
	memcpy(s, LS_H2_PREFACE, LS_H2_PREFACE_LEN), n = LS_H2_PREFACE_LEN;
	n += h2frame(s + n, 4, 0, 0, (const uint8_t *)"\0\x04\0\x10\0\0", 6); /* SETTINGS */
	n += h2frame(s + n, 8, 0, 0, (const uint8_t *)"\0\0\x7f\xff", 4);     /* WINDOW_UPDATE */
	/* HEADERS: RFC 7541 C.4.1's block, END_STREAM | END_HEADERS */
	size_t bl = unhex("828684418cf1e3c2e5f23a6ba0ab90f4ff", blk);
	n += h2frame(s + n, 1, 0x05, 1, blk, bl);
	/* every split point of the stream gives the same answer */
	int bad = 0;
	for (size_t cut = 0; cut <= n; cut++) {
		ls_h2_init(&c);
		int rc1 = ls_h2_feed(&c, s, cut, &r);
		int rc2 = rc1 == LS_H2_REQUEST ? rc1 : ls_h2_feed(&c, s + cut, n - cut, &r);
		bad += rc2 != LS_H2_REQUEST || strcmp(r.method, "GET") || strcmp(r.path, "/") ||
		       strcmp(r.authority, "www.example.com") || r.grpc;
	}
	CHECK_EQ_INT(bad, 0);
}

TEST(h2_grpc_headers_with_continuation_and_padding)
{
	static struct ls_h2_conn c;
	static uint8_t s[1024];
	uint8_t blk[512], pay[600];
	struct ls_h2_req r;
	size_t bl = 0, n = 0;
	bl += lit(blk + bl, ":method", "POST");
	bl += lit(blk + bl, ":scheme", "http");
	bl += lit(blk + bl, ":path", "/helloworld.Greeter/SayHello");
	bl += lit(blk + bl, ":authority", "grpc.internal:50051");
	bl += lit(blk + bl, "content-type", "application/grpc+proto");
	bl += lit(blk + bl, "te", "trailers");
	memcpy(s, LS_H2_PREFACE, LS_H2_PREFACE_LEN), n = LS_H2_PREFACE_LEN;
	n += h2frame(s + n, 4, 0, 0, NULL, 0);
	/* HEADERS: PADDED (3 bytes) | PRIORITY, the first 20 bytes of the block */
	size_t k = 0;
	pay[k++] = 3;
	memcpy(pay + k, "\x80\0\0\0\x0f", 5), k += 5;
	memcpy(pay + k, blk, 20), k += 20;
	memset(pay + k, 0, 3), k += 3;
	n += h2frame(s + n, 1, 0x08 | 0x20, 1, pay, k);
	n += h2frame(s + n, 9, 0, 1, blk + 20, 30);
	n += h2frame(s + n, 9, 0x04, 1, blk + 50, bl - 50);
	ls_h2_init(&c);
	CHECK_EQ_INT(ls_h2_feed(&c, s, n, &r), LS_H2_REQUEST);
	CHECK_EQ_STR(r.method, "POST");
	CHECK_EQ_STR(r.path, "/helloworld.Greeter/SayHello");
	CHECK_EQ_STR(r.authority, "grpc.internal:50051");
	CHECK_EQ_STR(r.content_type, "application/grpc+proto");
	CHECK(r.grpc);
}

TEST(h2_not_and_malformed)
{
	static struct ls_h2_conn c;
	static uint8_t s[256];
	struct ls_h2_req r;
	ls_h2_init(&c);
	CHECK_EQ_INT(ls_h2_feed(&c, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &r), LS_H2_NOT);
	/* a frame between HEADERS and its CONTINUATION (RFC 9113 6.10) */
	size_t n = LS_H2_PREFACE_LEN;
	memcpy(s, LS_H2_PREFACE, n);
	n += h2frame(s + n, 1, 0, 1, (const uint8_t *)"\x82", 1);
	n += h2frame(s + n, 4, 0, 0, NULL, 0);
	ls_h2_init(&c);
	CHECK_EQ_INT(ls_h2_feed(&c, s, n, &r), LS_H2_MALFORMED);
	/* padding longer than the frame */
	n = LS_H2_PREFACE_LEN;
	n += h2frame(s + n, 1, 0x0c, 1, (const uint8_t *)"\x09\x82", 2);
	ls_h2_init(&c);
	CHECK_EQ_INT(ls_h2_feed(&c, s, n, &r), LS_H2_MALFORMED);
	/* HEADERS on stream 0 */
	n = LS_H2_PREFACE_LEN;
	n += h2frame(s + n, 1, 0x04, 0, (const uint8_t *)"\x82", 1);
	ls_h2_init(&c);
	CHECK_EQ_INT(ls_h2_feed(&c, s, n, &r), LS_H2_MALFORMED);
}

/* ---- the same bytes as LS_PAY_H2 ring records (udpi.c) --------------- */

/* One record: an LS_EV_PAYLOAD header for flow 7, then n payload bytes. */
static int take(struct ls_udpi *u, uint32_t seq, const uint8_t *p, uint32_t n, uint32_t pay_len,
		struct ls_event *out)
{
	static uint8_t rec[sizeof(struct ls_event) + 4096];
	struct ls_event *ev = (struct ls_event *)rec;
	memset(ev, 0, sizeof(*ev));
	ev->kind = LS_EV_PAYLOAD;
	ev->flow_id = 7;
	ev->u.payload.cap_len = n;
	ev->u.payload.pay_len = pay_len;
	ev->u.payload.seq = seq;
	ev->u.payload.proto = LS_PAY_H2;
	memcpy(ev + 1, p, n);
	return ls_udpi_take(u, ev, sizeof(*ev) + n, out);
}

/* the gRPC request of the test above, whole: its length */
static size_t grpc_stream(uint8_t *s)
{
	uint8_t blk[512];
	size_t bl = 0, n = LS_H2_PREFACE_LEN;
	bl += lit(blk + bl, ":method", "POST");
	bl += lit(blk + bl, ":path", "/helloworld.Greeter/SayHello");
	bl += lit(blk + bl, ":authority", "grpc.internal:50051");
	bl += lit(blk + bl, "content-type", "application/grpc");
	memcpy(s, LS_H2_PREFACE, LS_H2_PREFACE_LEN);
	n += h2frame(s + n, 4, 0, 0, NULL, 0);
	n += h2frame(s + n, 1, 0x04, 1, blk, bl);
	return n;
}

TEST(udpi_h2_in_order_with_retransmits_across_seq_wrap)
{
	static uint8_t s[1024];
	struct ls_event out;
	size_t n = grpc_stream(s);
	struct ls_udpi *u = ls_udpi_new();
	uint32_t isn = 0xffffffe0u; /* the stream crosses 2^32 after 32 bytes */
	/* segments [0,30) [20,50) (10 bytes again) [0,30) (all again) [50,n) */
	CHECK_EQ_INT(take(u, isn, s, 30, 30, &out), 0);
	CHECK_EQ_INT(take(u, isn + 20, s + 20, 30, 30, &out), 0);
	CHECK_EQ_INT(take(u, isn, s, 30, 30, &out), 0);
	CHECK_EQ_INT(take(u, isn + 50, s + 50, (uint32_t)(n - 50), (uint32_t)(n - 50), &out), 1);
	CHECK_EQ_INT(out.kind, LS_EV_DPI);
	CHECK_EQ_INT(out.u.dpi.kind, LS_DPI_HTTP);
	CHECK_EQ_INT(out.u.dpi.flags, LS_DPI_F_H2 | LS_DPI_F_GRPC);
	CHECK_EQ_STR(out.u.dpi.method, "POST");
	CHECK_EQ_STR(out.u.dpi.path, "/helloworld.Greeter/SayHello");
	CHECK_EQ_STR(out.u.dpi.name, "grpc.internal:50051");
	CHECK_EQ_INT(out.u.dpi.name_len, 19);
	CHECK_EQ_INT(out.u.dpi.path_len, 28);
	CHECK_EQ_INT(out.u.dpi.method_len, 4);
	/* reported once: the flow's later segments are ignored */
	CHECK_EQ_INT(take(u, isn + (uint32_t)n, s, 30, 30, &out), 0);
	ls_udpi_free(u);
}

TEST(udpi_h2_gives_up_at_a_gap_or_a_cut_segment)
{
	static uint8_t s[1024];
	struct ls_event out;
	struct ls_udpi_stats st;
	size_t n = grpc_stream(s);
	struct ls_udpi *u = ls_udpi_new();
	/* [0,30) then [40,n): bytes 30..39 never came */
	CHECK_EQ_INT(take(u, 1000, s, 30, 30, &out), 0);
	CHECK_EQ_INT(take(u, 1040, s + 40, (uint32_t)(n - 40), (uint32_t)(n - 40), &out), 0);
	/* the missing bytes arriving late do not resume it */
	CHECK_EQ_INT(take(u, 1030, s + 30, 10, 10, &out), 0);
	ls_udpi_stats(u, &st);
	CHECK_EQ_INT(st.gaps, 1);
	CHECK_EQ_INT(st.reported, 0);
	/* another flow, its first segment cut (cap_len < pay_len) before the
	 * request: given up too */
	ls_udpi_forget(u, 7);
	CHECK_EQ_INT(take(u, 5, s, 30, 3000, &out), 0);
	CHECK_EQ_INT(take(u, 3005, s + 30, (uint32_t)(n - 30), (uint32_t)(n - 30), &out), 0);
	ls_udpi_stats(u, &st);
	CHECK_EQ_INT(st.gaps, 2);
	CHECK_EQ_INT(st.reported, 0);
	/* whole, the same bytes are a request (the two above failed for the gap) */
	ls_udpi_forget(u, 7);
	CHECK_EQ_INT(take(u, 5, s, (uint32_t)n, (uint32_t)n, &out), 1);
	ls_udpi_free(u);
}

/* RFC 9113 8.3.1 / RFC 9110 5.6.2: a request whose :path holds a space or
 * a control byte, or whose method is not a token, is not reported (HPACK
 * carries any octets; HTTP/1's inspector would never report them) */
TEST(udpi_h2_refuses_bytes_no_request_may_carry)
{
	static const char *bad[][3] = {{"GET", "/a b", "h.test"},
				       {"GET", "/a\x01", "h.test"},
				       {"G(T", "/", "h.test"},
				       {"GET", "/", "h test"},
				       {"GET", "/", "h.test\x7f"}};
	for (size_t i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		static uint8_t s[512];
		uint8_t blk[256];
		size_t bl = 0, n = LS_H2_PREFACE_LEN;
		int good = i == sizeof(bad) / sizeof(bad[0]); /* the last: a good one */
		bl += lit(blk + bl, ":method", good ? "GET" : bad[i][0]);
		bl += lit(blk + bl, ":path", good ? "/ok" : bad[i][1]);
		bl += lit(blk + bl, ":authority", good ? "h.test" : bad[i][2]);
		memcpy(s, LS_H2_PREFACE, LS_H2_PREFACE_LEN);
		n += h2frame(s + n, 1, 0x05, 1, blk, bl);
		struct ls_udpi *u = ls_udpi_new();
		struct ls_event out;
		CHECK_EQ_INT(take(u, 1, s, (uint32_t)n, (uint32_t)n, &out), good);
		ls_udpi_free(u);
	}
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(huffman_codes_are_appendix_b);
	RUN(rfc7541_c3_requests_without_huffman);
	RUN(rfc7541_c4_requests_with_huffman);
	RUN(rfc7541_c5_responses_evict);
	RUN(rfc7541_c6_responses_huffman_evict);
	RUN(malformed_blocks);
	RUN(h2_prior_knowledge_request_split_anywhere);
	RUN(h2_grpc_headers_with_continuation_and_padding);
	RUN(h2_not_and_malformed);
	RUN(udpi_h2_in_order_with_retransmits_across_seq_wrap);
	RUN(udpi_h2_gives_up_at_a_gap_or_a_cut_segment);
	RUN(udpi_h2_refuses_bytes_no_request_may_carry);
	return test_done();
}
