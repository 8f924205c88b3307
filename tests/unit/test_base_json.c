/* test_base_json.c - the one JSON string escaper (src/base/json.c) against
 * an independent oracle: python3's UTF-8 decoder and JSON parser.
 *
 * Every hostile input (invalid UTF-8, overlong forms, encoded surrogates,
 * code points past U+10FFFF, sequences cut short, NUL, every control byte,
 * quotes, backslashes, plus seeded random bytes) is escaped; the outputs go
 * to a file that python3 reads back. For each line python checks that the
 * line is strict UTF-8, that json.loads accepts it (strict: a raw control
 * character fails), and that the string it yields equals the input decoded by
 * Python's own UTF-8 decoder with every byte it rejects read as U+00XX (the
 * rule json.h documents). Cut outputs must be prefixes of that, and the
 * event and log sinks must carry hostile names the same way. */
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/json.h"
#include "dataplane/event_json.h"
#include "obs/log.h"

static const char oracle_py[] =
    "import codecs, json, sys\n"
    "def as_latin1(e):\n"
    "    return (''.join(chr(b) for b in e.object[e.start:e.end]), e.end)\n"
    "codecs.register_error('bytes_as_u00xx', as_latin1)\n"
    "def oracle(h):\n"
    "    return bytes.fromhex(h).decode('utf-8', errors='bytes_as_u00xx')\n"
    "n = bad = 0\n"
    "for raw in open(sys.argv[1], 'rb').read().split(b'\\n'):\n"
    "    if not raw:\n"
    "        continue\n"
    "    n += 1\n"
    "    kind, h, text = raw.split(b'\\t', 2)\n"
    "    try:\n"
    "        text = text.decode('utf-8')\n"
    "        v = json.loads(text)\n"
    "        want = oracle(h.decode())\n"
    "        got = {b'F': lambda: v, b'P': lambda: v, b'E': lambda: v['dns_qname'],\n"
    "               b'L': lambda: v['msg']}[kind]()\n"
    "        ok = want.startswith(got) if kind == b'P' else got == want\n"
    "    except Exception as ex:\n"
    "        ok, got, want = False, repr(ex), ''\n"
    "    if not ok:\n"
    "        bad += 1\n"
    "        if bad <= 10:\n"
    "            print('# mismatch', kind, h, repr(got), repr(want))\n"
    "print('checked', n, 'bad', bad)\n"
    "sys.exit(1 if bad else 0)\n";

struct input {
	unsigned char b[64];
	size_t n;
};

static void hex(FILE *f, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* The hand-picked hostile inputs: each names what it attacks. */
static const struct {
	const char *s;
	size_t n;
} fixed[] = {
    {"plain", 5},
    {"\"quoted\" and \\back\\slash", 25},
    {"nul\0inside", 10},
    {"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 15},
    {"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f", 17},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", 19}, /* valid: é € 😀 U+10FFFF */
    {"\xc0\xaf\xc1\xbf", 4},						/* overlong 2-byte */
    {"\xe0\x80\xaf\xe0\x9f\xbf", 6},					/* overlong 3-byte */
    {"\xf0\x80\x80\xaf\xf0\x8f\xbf\xbf", 8},				/* overlong 4-byte */
    {"\xed\xa0\x80\xed\xbf\xbf", 6},					/* encoded surrogates */
    {"\xf4\x90\x80\x80\xf5\x80\x80\x80", 8},				/* past U+10FFFF */
    {"\xf8\x88\x80\x80\x80\xfc\x84\x80\x80\x80\x80", 11},		/* 5- and 6-byte forms */
    {"\x80\xbf\xfe\xff", 4},	 /* stray continuations, never-bytes */
    {"x\xe2\x82", 3},		 /* cut short at the end */
    {"\xe2\x82\xe2\x82\xac", 5}, /* cut short, then valid */
    {"\xc3", 1},
    {"\xf0\x9f\x98", 3},
    {"\xef\xbb\xbf BOM", 7},	     /* valid, must pass through */
    {"\xe2\x80\xa8\xe2\x80\xa9", 6}, /* U+2028/9: valid JSON */
    {"</script><!--", 13},
};

static int write_cases(FILE *f, int *nfail)
{
	struct input in[600];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		memcpy(in[n].b, fixed[i].s, fixed[i].n);
		in[n++].n = fixed[i].n;
	}
	/* seeded random bytes, biased to the high half where UTF-8 lives */
	uint32_t x = 12345;
	while (n < sizeof(in) / sizeof(in[0])) {
		x = x * 1103515245u + 12345u;
		in[n].n = 1 + (x >> 16) % 40;
		for (size_t j = 0; j < in[n].n; j++) {
			x = x * 1103515245u + 12345u;
			unsigned b = (x >> 16) & 0xff;
			in[n].b[j] = (unsigned char)((x >> 28) & 1 ? b | 0x80 : b);
		}
		n++;
	}
	int lines = 0;
	for (size_t i = 0; i < n; i++) {
		char full[64 * 6 + 1], cut[64 * 6 + 1];
		int l = ls_json_escape(full, sizeof(full), in[i].b, in[i].n);
		if (l < 0) {
			(*nfail)++;
			continue;
		}
		fputs("F\t", f);
		hex(f, in[i].b, in[i].n);
		fprintf(f, "\t\"%s\"\n", full);
		lines++;
		/* the FILE writer writes the same bytes */
		char *mem = NULL;
		size_t memlen = 0;
		FILE *m = open_memstream(&mem, &memlen);
		ls_json_fput(m, in[i].b, in[i].n);
		fclose(m);
		if (memlen != (size_t)l || memcmp(mem, full, memlen))
			(*nfail)++;
		free(mem);
		/* cut anywhere: a prefix of the whole, never half an escape */
		for (size_t cap = 1; cap <= (size_t)l; cap += 1 + cap / 3) {
			int r = ls_json_escape(cut, cap, in[i].b, in[i].n);
			if (r != -1 || strncmp(full, cut, strlen(cut)) || strlen(cut) >= cap)
				(*nfail)++;
			fputs("P\t", f);
			hex(f, in[i].b, in[i].n);
			fprintf(f, "\t\"%s\"\n", cut);
			lines++;
		}
		/* the event sink: a DNS name of these bytes, which it reads up to
		 * the first NUL (names are C strings on the wire) */
		const unsigned char *nul = memchr(in[i].b, 0, in[i].n);
		size_t nn = nul ? (size_t)(nul - in[i].b) : in[i].n;
		if (!nn)
			continue;
		struct ls_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.version = LS_WIRE_VERSION;
		ev.kind = LS_EV_DPI;
		ev.key.family = 4;
		ev.key.proto = 17;
		ev.u.dpi.kind = LS_DPI_DNS;
		memcpy(ev.u.dpi.name, in[i].b, nn);
		ev.u.dpi.name_len = (uint16_t)nn;
		char line[LS_EVENT_JSON_MAX];
		if (ls_event_json(&ev, line, sizeof(line)) < 0) {
			(*nfail)++;
			continue;
		}
		line[strcspn(line, "\n")] = 0;
		fputs("E\t", f);
		hex(f, in[i].b, nn);
		fprintf(f, "\t%s\n", line);
		lines++;
	}
	return lines;
}

/* The structured log sink: a message of hostile bytes (up to a NUL). */
static int write_log_cases(FILE *f)
{
	int lines = 0;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char msg[80];
		memcpy(msg, fixed[i].s, fixed[i].n);
		msg[fixed[i].n] = 0;
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		struct ls_log_config cfg = {.out = m, .min_level = LS_LOG_DEBUG};
		struct ls_log *lg = ls_log_new(&cfg);
		ls_log(lg, LS_LOG_WARN, "test", msg, NULL);
		ls_log_free(lg);
		fclose(m);
		buf[strcspn(buf, "\n")] = 0;
		fputs("L\t", f);
		hex(f, (const unsigned char *)msg, strlen(msg));
		fprintf(f, "\t%s\n", buf);
		free(buf);
		lines++;
	}
	return lines;
}

TEST(hostile_inputs_read_back_by_python)
{
	if (system("python3 -c 'import json' >/dev/null 2>&1"))
		SKIP("python3 not installed (scripts/deps.sh)");
	char dir[] = "/tmp/ls_json_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char cases[64], py[64], cmd[256];
	snprintf(cases, sizeof(cases), "%s/cases", dir);
	snprintf(py, sizeof(py), "%s/oracle.py", dir);
	FILE *f = fopen(py, "w");
	fputs(oracle_py, f);
	fclose(f);
	f = fopen(cases, "w");
	int nfail = 0, lines = write_cases(f, &nfail) + write_log_cases(f);
	fclose(f);
	CHECK_EQ_INT(nfail, 0);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", py, cases);
	FILE *p = popen(cmd, "r");
	char out[512];
	int checked = -1, bad = -1;
	while (fgets(out, sizeof(out), p)) {
		if (sscanf(out, "checked %d bad %d", &checked, &bad) != 2)
			printf("%s", out);
	}
	CHECK_EQ_INT(pclose(p), 0);
	CHECK_EQ_INT(checked, lines);
	CHECK_EQ_INT(bad, 0);
	printf("# %d lines read back by python3\n", lines);
	unlink(cases);
	unlink(py);
	rmdir(dir);
}

/* Hand-computed outputs for the rules json.h states. */
TEST(documented_forms)
{
	char out[128];
	CHECK_EQ_INT(ls_json_escape(out, sizeof(out), "a\"b\\c\x01\x7f\xff\xc3\xa9\n", 11), 29);
	CHECK_EQ_STR(out, "a\\\"b\\\\c\\u0001\\u007f\\u00ff\xc3\xa9\\n");
	ls_json_escape(out, sizeof(out), "\xc0\xaf\xed\xa0\x80", 5);
	CHECK_EQ_STR(out, "\\u00c0\\u00af\\u00ed\\u00a0\\u0080");
	ls_json_escape(out, sizeof(out), "x\xe2\x82", 3);
	CHECK_EQ_STR(out, "x\\u00e2\\u0082");
	ls_json_escape(out, sizeof(out), "\0\t\r", 3);
	CHECK_EQ_STR(out, "\\u0000\\t\\r");
	/* cut: never half an escape, never half a UTF-8 sequence */
	CHECK_EQ_INT(ls_json_escape(out, 4, "abcdef", 6), -1);
	CHECK_EQ_STR(out, "abc");
	CHECK_EQ_INT(ls_json_escape(out, 5, "abc\"def", 7), -1);
	CHECK_EQ_STR(out, "abc");
	CHECK_EQ_INT(ls_json_escape(out, 5, "ab\xe2\x82\xac", 5), -1);
	CHECK_EQ_STR(out, "ab");
	CHECK_EQ_INT(ls_json_escape(out, 0, "a", 1), -1);
	CHECK_EQ_STR(ls_json_str(out, sizeof(out), NULL), "");
	CHECK_EQ_STR(ls_json_str(out, 6, "a\"b\"c"), "a\\\"b");
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(documented_forms);
	RUN(hostile_inputs_read_back_by_python);
	return test_done();
}
