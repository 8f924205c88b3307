/* test_cli_opts.c - the one command-line parser (src/cli/opts.h) on a small
 * table of its own: the spellings it accepts (--name VALUE, --name=VALUE,
 * -x VALUE, -xVALUE), operands in any order keeping theirs, `--`, a
 * command whose first operand ends its options, aliases handed to the row
 * they stand for, and the usage errors (exit 2). Every command's own table
 * is exercised through the binary by tests/integration/cli_options.sh. */
#include "test.h"

#include "cli/opts.h"

#include <stdarg.h>

enum { O_NAME = 1, O_FLAG };

static const struct ls_opt rows[] = {
    LS_OPT("name", 'n', "V", O_NAME, "a value"),
    LS_OPT("flag", 'f', NULL, O_FLAG, "no value"),
    LS_OPT_ALIAS("old-name", "V", O_NAME, "name"),
};

struct seen {
	char log[256];
};

static int record(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct seen *s = ctx;
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof(s->log) - n, "%s%s=%s;", o->name, o->alias_of ? "(alias)" : "",
		 arg ? arg : "-");
	return 0;
}

static int parse(const struct ls_cmd_spec *sp, struct seen *s, int *first, int argc, ...)
{
	static char *argv[16];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	memset(s, 0, sizeof(*s));
	return ls_opts_parse(sp, argc, argv, record, s, first);
}

static const struct ls_cmd_spec spec = {
    .name = "t", .synopsis = "", .lists = {LS_OPT_LIST(rows)}, .max_operands = -1};

TEST(spellings)
{
	struct seen s;
	int first;
	CHECK_EQ_INT(parse(&spec, &s, &first, 7, "t", "--name", "a", "--name=b", "-n", "c", "-nd"),
		     -1);
	CHECK_EQ_STR(s.log, "name=a;name=b;name=c;name=d;");
	CHECK_EQ_INT(first, 7);
	CHECK_EQ_INT(parse(&spec, &s, &first, 3, "t", "-f", "--flag"), -1);
	CHECK_EQ_STR(s.log, "flag=-;flag=-;");
	/* an empty value is a value */
	CHECK_EQ_INT(parse(&spec, &s, &first, 2, "t", "--name="), -1);
	CHECK_EQ_STR(s.log, "name=;");
}

TEST(operands_keep_their_order)
{
	struct seen s;
	int first;
	CHECK_EQ_INT(parse(&spec, &s, &first, 7, "t", "x", "--flag", "y", "--name", "v", "z"), -1);
	CHECK_EQ_STR(s.log, "flag=-;name=v;");
	/* GNU getopt's order: options first, then the operands in theirs */
	CHECK_EQ_INT(first, 4);
}

TEST(double_dash_and_stop_at_operand)
{
	struct seen s;
	int first;
	char *argv[] = {"t", "--", "--flag", "-n", NULL};
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(ls_opts_parse(&spec, 4, argv, record, &s, &first), -1);
	CHECK_EQ_STR(s.log, "");
	CHECK_EQ_INT(first, 2);
	CHECK_EQ_STR(argv[2], "--flag");
	CHECK_EQ_STR(argv[3], "-n");

	struct ls_cmd_spec sp = spec;
	sp.stop_at_operand = 1;
	char *argv2[] = {"t", "--flag", "prog.wasm", "--name", "guest's", NULL};
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(ls_opts_parse(&sp, 5, argv2, record, &s, &first), -1);
	CHECK_EQ_STR(s.log, "flag=-;");
	CHECK_EQ_INT(first, 2);
	CHECK_EQ_STR(argv2[3], "--name");
}

TEST(aliases_stand_for_their_row)
{
	struct seen s;
	int first;
	CHECK_EQ_INT(parse(&spec, &s, &first, 3, "t", "--old-name", "v"), -1);
	CHECK_EQ_STR(s.log, "name=v;");
}

TEST(usage_errors)
{
	struct seen s;
	int first;
	CHECK_EQ_INT(parse(&spec, &s, &first, 2, "t", "--nope"), 2);
	CHECK_EQ_INT(parse(&spec, &s, &first, 2, "t", "-z"), 2);
	CHECK_EQ_INT(parse(&spec, &s, &first, 2, "t", "--name"), 2);
	CHECK_EQ_INT(parse(&spec, &s, &first, 2, "t", "--flag=1"), 2);
	struct ls_cmd_spec sp = spec;
	sp.max_operands = 1;
	CHECK_EQ_INT(parse(&sp, &s, &first, 3, "t", "a", "b"), 2);
	CHECK_EQ_INT(parse(&sp, &s, &first, 2, "t", "a"), -1);
	/* the handler's verdict ends the parse */
	CHECK_EQ_INT(parse(&spec, &s, &first, 2, "t", "--help"), 0);
}

int main(void)
{
	RUN(spellings);
	RUN(operands_keep_their_order);
	RUN(double_dash_and_stop_at_operand);
	RUN(aliases_stand_for_their_row);
	RUN(usage_errors);
	return test_done();
}
