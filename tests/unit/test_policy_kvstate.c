/* test_policy_kvstate.c - the key-value store's state file
 * (policy/kv_state.h): its bytes laid out by hand from the format in
 * kv_state.h, the CRC-32 values computed by zlib (python3 -c 'import zlib;
 * print(hex(zlib.crc32(b"...")))'), a round trip, and every kind of file
 * that must be refused -- short, long, foreign, newer, corrupt, over the
 * limits, a key twice -- each with its reason and with the store untouched
 * (nothing half-loaded). Saving and loading real files: mode 0600, no file,
 * a directory in its place. */
#include "test.h"

#include "policy/kv.h"
#include "policy/kv_state.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* One entry, key "ab", value "xyz": header (32 bytes), then u16 2, u16 3,
 * "ab", "xyz". CRC: zlib.crc32 of these 41 bytes with bytes 24-27 zero. */
static const uint8_t ONE[41] = {'L',  'S',  'K',  'V',	'S', 'T', 'A', 'T', /* magic */
				1,    0,    0,	  0,			    /* version 1 */
				1,    0,    0,	  0,			    /* 1 entry */
				9,    0,    0,	  0,	0,   0,	  0,   0,   /* 9 payload bytes */
				0x07, 0x2e, 0xea, 0xa6,			    /* CRC-32 0xa6ea2e07 */
				0,    0,    0,	  0,			    /* reserved */
				2,    0,    3,	  0,	'a', 'b', 'x', 'y', 'z'};

/* The empty store: the header alone, CRC 0x5abc4a80. */
static const uint8_t EMPTY[32] = {'L', 'S', 'K',  'V',	'S',  'T',  'A', 'T', 1, 0, 0,
				  0,   0,   0,	  0,	0,    0,    0,	 0,   0, 0, 0,
				  0,   0,   0x80, 0x4a, 0xbc, 0x5a, 0,	 0,   0, 0};

/* re-stamps the CRC after a change (ls_crc32 is checked against the
 * standard check value in crc32_check_value) */
static void restamp(uint8_t *b, size_t len)
{
	b[24] = b[25] = b[26] = b[27] = 0;
	uint32_t c = ls_crc32(0, b, len);
	for (int i = 0; i < 4; i++)
		b[24 + i] = (uint8_t)(c >> (8 * i));
}

TEST(crc32_check_value)
{
	/* CRC-32/ISO-HDLC's check value (the CRC catalogue; zlib agrees) */
	CHECK_EQ_INT(ls_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ_INT(ls_crc32(ls_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
	CHECK_EQ_INT(ls_crc32(0, "", 0), 0);
}

TEST(encode_matches_the_hand_laid_bytes)
{
	struct ls_kv *kv = ls_kv_new();
	uint8_t *b;
	size_t len;
	uint64_t gen;
	CHECK_EQ_INT(ls_kv_state_encode(kv, &b, &len, &gen), 0);
	CHECK_EQ_INT(len, sizeof EMPTY);
	CHECK(len == sizeof EMPTY && !memcmp(b, EMPTY, len));
	free(b);
	CHECK_EQ_INT(ls_kv_put(kv, "ab", 2, "xyz", 3), 0);
	CHECK_EQ_INT(ls_kv_state_encode(kv, &b, &len, &gen), 0);
	CHECK_EQ_INT(len, sizeof ONE);
	CHECK(len == sizeof ONE && !memcmp(b, ONE, len));
	CHECK_EQ_INT(gen, ls_kv_generation(kv));
	free(b);
	ls_kv_free(kv);
}

TEST(decode_the_hand_laid_bytes)
{
	struct ls_kv *kv = ls_kv_new();
	struct ls_err err = {0};
	char v[8];
	CHECK_EQ_INT(ls_kv_put(kv, "old", 3, "gone", 4), 0); /* replaced whole */
	CHECK_EQ_INT(ls_kv_state_decode(kv, ONE, sizeof ONE, &err), 0);
	CHECK_EQ_INT(ls_kv_count(kv), 1);
	CHECK_EQ_INT(ls_kv_get(kv, "ab", 2, v, sizeof v), 3);
	CHECK(!memcmp(v, "xyz", 3));
	CHECK_EQ_INT(ls_kv_get(kv, "old", 3, v, sizeof v), -1);
	CHECK_EQ_INT(ls_kv_state_decode(kv, EMPTY, sizeof EMPTY, &err), 0);
	CHECK_EQ_INT(ls_kv_count(kv), 0);
	ls_kv_free(kv);
}

TEST(round_trip)
{
	struct ls_kv *a = ls_kv_new(), *b = ls_kv_new();
	struct ls_err err = {0};
	static char big[LS_KV_VAL_MAX];
	char key[LS_KV_KEY_MAX];
	memset(big, 0xa5, sizeof big);
	memset(key, 'k', sizeof key);
	int ok = 1;
	for (int i = 0; i < 3000; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "key%d", i);
		ok &= ls_kv_put(a, k, (size_t)n, &i, sizeof i) == 0;
	}
	CHECK(ok);
	CHECK_EQ_INT(ls_kv_put(a, "", 0, "", 0), 0);			 /* empty both */
	CHECK_EQ_INT(ls_kv_put(a, key, sizeof key, big, sizeof big), 0); /* both at the limit */
	uint8_t *buf;
	size_t len;
	uint64_t gen;
	CHECK_EQ_INT(ls_kv_state_encode(a, &buf, &len, &gen), 0);
	/* 3000 keys "key0".."key2999": 10+90+900+2000 digits after "key" */
	size_t want = 32 + 3002 * 4 + (3 * 3000 + 10 + 2 * 90 + 3 * 900 + 4 * 2000 + 3000 * 4) +
		      LS_KV_KEY_MAX + LS_KV_VAL_MAX;
	CHECK_EQ_INT(len, want);
	CHECK_EQ_INT(ls_kv_state_decode(b, buf, len, &err), 0);
	CHECK_EQ_INT(ls_kv_count(b), 3002);
	for (int i = 0; i < 3000; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "key%d", i), v = -1;
		ok &= ls_kv_get(b, k, (size_t)n, &v, sizeof v) == sizeof v && v == i;
	}
	CHECK(ok);
	static char got[LS_KV_VAL_MAX];
	CHECK_EQ_INT(ls_kv_get(b, key, sizeof key, got, sizeof got), LS_KV_VAL_MAX);
	CHECK(!memcmp(got, big, sizeof big));
	CHECK_EQ_INT(ls_kv_get(b, "", 0, got, sizeof got), 0);
	free(buf);
	ls_kv_free(a);
	ls_kv_free(b);
}

/* buf must be refused with a message containing why, and kv keep "keep". */
static void refused(const uint8_t *buf, size_t len, const char *why, int line)
{
	struct ls_kv *kv = ls_kv_new();
	struct ls_err err = {0};
	char v[8];
	ls_kv_put(kv, "keep", 4, "me", 2);
	int rc = ls_kv_state_decode(kv, buf, len, &err);
	if (rc != -EINVAL || !strstr(err.msg, why) || ls_kv_count(kv) != 1 ||
	    ls_kv_get(kv, "keep", 4, v, sizeof v) != 2) {
		printf("# line %d: rc %d, '%s' (want '%s'), %zu keys\n", line, rc, err.msg, why,
		       ls_kv_count(kv));
		t_cur_failed = 1;
	}
	ls_kv_free(kv);
}
#define REFUSED(buf, len, why) refused(buf, len, why, __LINE__)

TEST(malformed_files_are_refused_whole)
{
	uint8_t b[128];
	REFUSED(ONE, 0, "truncated: 0 bytes");
	REFUSED(ONE, 31, "shorter than the 32-byte header");
	REFUSED(ONE, 40, "the header says 9 payload bytes, the file has 8");
	memcpy(b, ONE, sizeof ONE);
	b[41] = 0;
	REFUSED(b, 42, "the header says 9 payload bytes, the file has 10");
	/* a foreign file, and one from a newer lockstep */
	REFUSED((const uint8_t *)"SQLite format 3\0 and then some more bytes", 41,
		"not a lockstep key-value state file");
	memcpy(b, ONE, sizeof ONE);
	b[8] = 2;
	REFUSED(b, sizeof ONE, "format version 2; this lockstep reads version 1");
	/* one bit flipped in the value: the CRC 0xa6ea2e07 no longer holds */
	memcpy(b, ONE, sizeof ONE);
	b[40] ^= 0x20;
	REFUSED(b, sizeof ONE, "CRC-32 0xa6ea2e07 stored");
	/* from here the CRC is right and the content wrong */
	memcpy(b, ONE, sizeof ONE);
	b[28] = 1;
	restamp(b, sizeof ONE);
	REFUSED(b, sizeof ONE, "reserved header field is not 0");
	memcpy(b, ONE, sizeof ONE);
	b[12] = 2; /* two entries said, one there */
	restamp(b, sizeof ONE);
	REFUSED(b, sizeof ONE, "entry 2 of 2 runs past the end");
	memcpy(b, ONE, sizeof ONE);
	b[12] = 0; /* none said, nine bytes there */
	restamp(b, sizeof ONE);
	REFUSED(b, sizeof ONE, "9 bytes after the 0 entries");
	memcpy(b, ONE, sizeof ONE);
	b[34] = 9; /* value of 9 bytes in a 9-byte payload */
	restamp(b, sizeof ONE);
	REFUSED(b, sizeof ONE, "entry 1 of 1 runs past the end");
	memcpy(b, ONE, sizeof ONE);
	b[32] = 0x01, b[33] = 0x01; /* key of 257 bytes */
	restamp(b, sizeof ONE);
	REFUSED(b, sizeof ONE, "key of 257 bytes or value of 3 bytes, over the limits");
	memcpy(b, ONE, sizeof ONE);
	b[12] = 0x01, b[13] = 0x00, b[14] = 0x01; /* 65537 entries */
	restamp(b, sizeof ONE);
	REFUSED(b, sizeof ONE, "65537 entries, over the store's limit of 65536");
	/* the same key twice */
	memcpy(b, ONE, sizeof ONE);
	memcpy(b + 41, ONE + 32, 9);
	b[12] = 2, b[16] = 18;
	restamp(b, 50);
	REFUSED(b, 50, "1 distinct keys in 2 entries");
}

TEST(files_save_and_load)
{
	char dir[] = "/tmp/ls_kvstate_XXXXXX", path[128];
	struct ls_err err = {0};
	struct stat st;
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/kv.state", dir);
	struct ls_kv *a = ls_kv_new(), *b = ls_kv_new();
	CHECK_EQ_INT(ls_kv_state_load(b, path, &err), -ENOENT);
	ls_kv_put(a, "ab", 2, "xyz", 3);
	uint64_t gen = 0;
	CHECK_EQ_INT(ls_kv_state_save(a, path, &gen, &err), 0);
	CHECK_EQ_INT(gen, ls_kv_generation(a));
	CHECK_EQ_INT(stat(path, &st), 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(st.st_size, sizeof ONE);
	CHECK_EQ_INT(ls_kv_state_load(b, path, &err), 0);
	CHECK_EQ_INT(ls_kv_count(b), 1);
	/* a truncated file on disk: refused, naming the path */
	CHECK_EQ_INT(truncate(path, 40), 0);
	struct ls_kv *c = ls_kv_new();
	CHECK_EQ_INT(ls_kv_state_load(c, path, &err), -EINVAL);
	CHECK(strstr(err.msg, path) && strstr(err.msg, "file has 8"));
	CHECK_EQ_INT(ls_kv_count(c), 0);
	/* a directory where the file should be */
	unlink(path);
	CHECK_EQ_INT(mkdir(path, 0700), 0);
	CHECK(ls_kv_state_load(c, path, &err) < 0);
	CHECK(strstr(err.msg, path) != NULL);
	/* and saving over it fails with a reason, the store stays */
	CHECK(ls_kv_state_save(a, path, &gen, &err) < 0);
	CHECK(strstr(err.msg, path) != NULL);
	CHECK_EQ_INT(ls_kv_count(a), 1);
	rmdir(path);
	rmdir(dir);
	ls_kv_free(a);
	ls_kv_free(b);
	ls_kv_free(c);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(crc32_check_value);
	RUN(encode_matches_the_hand_laid_bytes);
	RUN(decode_the_hand_laid_bytes);
	RUN(round_trip);
	RUN(malformed_files_are_refused_whole);
	RUN(files_save_and_load);
	return test_done();
}
