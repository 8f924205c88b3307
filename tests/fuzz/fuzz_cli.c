/* fuzz_cli.c - libFuzzer target for the parsers of what people type: the
 * number grammars (src/base/args.c), the option parser (src/cli/opts.c)
 * with the shared clock and hold rows and their value parsers
 * (src/clock/options.c with the --guest-clock spec, src/agent/hold.c), and
 * the YAML configuration file (src/cli/config_file.c, through its text
 * entry point). The first byte picks the parser; the rest is its input
 * (argv: words separated by NUL bytes). Invariants: no crash, sanitizer
 * report or leak; a value accepted by a number parser is inside the range
 * asked for; an accepted duration printed back parses to the same value.
 * Run with -close_fd_mask=3 (the parsers say why on stderr). Built by
 * `make fuzz`; run by tests/fuzz/fuzz_ci.sh (seeds tests/fuzz/corpus/cli/). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hold.h"
#include "base/args.h"
#include "base/err.h"
#include "cli/config_file.h"
#include "cli/opts.h"
#include "clock/options.h"

enum { O_FLAG = 1, O_VALUE, O_DUR, O_BYTES, O_NUM };

static const struct ls_opt rows[] = {
    LS_OPT_SECTION("fuzz"),
    LS_OPT("flag", 'f', NULL, O_FLAG, "a flag"),
    LS_OPT("value", 'v', "X", O_VALUE, "a value"),
    LS_OPT("dur", 'd', "DUR", O_DUR, "a duration"),
    LS_OPT("bytes", 'b', "N", O_BYTES, "a size"),
    LS_OPT("num", 'n', "N", O_NUM, "a number"),
    LS_OPT_ALIAS("old-dur", "DUR", O_DUR, "dur"),
};

struct ctx {
	struct ls_clock_opts clock;
	struct agent_hold_opts hold;
};

static int on_opt(void *vctx, const struct ls_opt *o, const char *arg)
{
	struct ctx *c = vctx;
	struct ls_err err;
	uint64_t v;
	switch (o->id) {
	case LS_OPT_CLOCK: {
		char name[80];
		snprintf(name, sizeof(name), "--%s", o->name);
		int rc = ls_clock_opt(&c->clock, name, arg, &err);
		if (rc == 0)
			abort(); /* a clock row the clock parser does not know */
		return rc < 0 ? 2 : 0;
	}
	case AGENT_HOLD_OPT_MAX_PACKETS:
	case AGENT_HOLD_OPT_MAX_BYTES:
	case AGENT_HOLD_OPT_TIMEOUT:
	case AGENT_HOLD_OPT_FALLBACK:
		return agent_hold_parse(&c->hold, o->id, arg);
	case O_DUR:
		return ls_parse_duration_ns(arg, &v) ? 2 : 0;
	case O_BYTES:
		return ls_parse_bytes(arg, &v) ? 2 : 0;
	case O_NUM:
		return ls_parse_uint(arg, 1, 1000, &v) ? 2 : 0;
	case O_FLAG:
		if (arg)
			abort(); /* a flag given a value */
		return 0;
	case O_VALUE:
		if (!arg)
			abort(); /* a value option without one */
		return 0;
	}
	abort();
}

static const struct ls_cmd_spec spec = {
    .name = "fuzz",
    .synopsis = "[options] [FILE...]",
    .lists = {LS_OPT_LIST(rows), {0}, {0}},
    .max_operands = 3,
};

static struct ls_cmd_spec full;

static void numbers(uint8_t sel, const char *s, size_t n)
{
	uint64_t v, lo, hi;
	int64_t o;
	char back[64];
	switch (sel % 5) {
	case 0:
		if (!ls_parse_duration_ns(s, &v)) {
			snprintf(back, sizeof(back), "%" PRIu64 "ns", v);
			uint64_t w;
			if (ls_parse_duration_ns(back, &w) || w != v)
				abort(); /* its own printing does not parse back */
		}
		break;
	case 1:
		if (!ls_parse_offset_ns(s, n, &o)) {
			snprintf(back, sizeof(back), "%+" PRId64 "ns", o);
			int64_t w;
			if (ls_parse_offset_ns(back, strlen(back), &w) || w != o)
				abort();
		}
		break;
	case 2:
		lo = (uint64_t)(uint8_t)sel * 3;
		hi = lo + ((uint64_t)1 << (sel % 64));
		if (hi < lo)
			hi = UINT64_MAX;
		if (!ls_parse_uint(s, lo, hi, &v) && (v < lo || v > hi))
			abort();
		break;
	case 3:
		ls_parse_bytes(s, &v);
		break;
	case 4: {
		struct ls_gclock_spec g;
		struct ls_err err;
		ls_gclock_parse(s, &g, &err);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	if (n < 1 || n > 4096)
		return 0;
	if (!full.name) {
		full = spec;
		full.lists[1] = ls_clock_opt_rows;
		full.lists[2] = ls_hold_opt_rows;
	}
	uint8_t sel = data[0];
	char *s = malloc(n);
	if (!s)
		return 0;
	memcpy(s, data + 1, n - 1);
	s[n - 1] = 0;
	struct ctx c;
	memset(&c, 0, sizeof(c));
	ls_clock_opts_default(&c.clock);
	switch (sel & 3) {
	case 0:
		numbers(sel >> 2, s, strlen(s));
		break;
	case 1: { /* a command line: words separated by NUL bytes */
		char *argv[66];
		int argc = 0;
		argv[argc++] = "fuzz";
		for (size_t at = 0; at < n - 1 && argc < 65; at += strlen(s + at) + 1)
			argv[argc++] = s + at;
		argv[argc] = NULL;
		int first = 0;
		int rc = ls_opts_parse(&full, argc, argv, on_opt, &c, &first);
		if (rc == -1 && (first < 1 || first > argc))
			abort(); /* operands outside argv */
		break;
	}
	case 2:
		ls_config_text_apply(&full, "fuzz.yaml", s, n - 1, on_opt, &c, NULL);
		ls_config_file_release();
		break;
	case 3: /* one clock option by name, as the config file and run give it */
	{
		struct ls_err err;
		const char *eq = memchr(s, '=', n - 1);
		if (eq) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(eq - s), s);
			ls_clock_opt(&c.clock, name, eq + 1, &err);
		} else {
			ls_clock_opt(&c.clock, s, NULL, &err);
		}
		break;
	}
	}
	free(s);
	return 0;
}
