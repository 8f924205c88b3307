/* opts.c - the one command-line parser and usage printer of every `lockstep`
 * command, driven by the command's option table (opts.h). */
#include "cli/opts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define COL_DEFAULT 30

static const struct ls_opt help_row = LS_OPT("help", 'h', NULL, -1, "this text");

/* The row of --name (len bytes of it) or -c; NULL when none. */
static const struct ls_opt *find(const struct ls_cmd_spec *s, const char *name, size_t len, char c)
{
	for (size_t l = 0; l < sizeof(s->lists) / sizeof(s->lists[0]); l++)
		for (size_t i = 0; i < s->lists[l].n; i++) {
			const struct ls_opt *o = &s->lists[l].rows[i];
			if (!o->name)
				continue;
			if (name ? strlen(o->name) == len && !strncmp(o->name, name, len)
				 : o->short_name && o->short_name == c)
				return o;
		}
	if (name ? len == 4 && !strncmp(name, "help", 4) : c == 'h')
		return &help_row;
	return NULL;
}

/* An alias stands for the row it names. */
static const struct ls_opt *resolve(const struct ls_cmd_spec *s, const struct ls_opt *o)
{
	if (!o->alias_of)
		return o;
	fprintf(stderr, "lockstep %s: --%s is deprecated; use --%s%s%s\n", s->name, o->name,
		o->alias_of, o->alias_value ? " " : "", o->alias_value ? o->alias_value : "");
	const struct ls_opt *to = find(s, o->alias_of, strlen(o->alias_of), 0);
	return to ? to : o;
}

const struct ls_opt *ls_opts_find(const struct ls_cmd_spec *s, const char *name)
{
	const struct ls_opt *o = find(s, name, strlen(name), 0);
	return o && o != &help_row ? resolve(s, o) : NULL;
}

int ls_opts_parse(const struct ls_cmd_spec *s, int argc, char **argv, ls_opt_fn fn, void *ctx,
		  int *first)
{
	char **ops = calloc((size_t)argc + 1, sizeof(*ops));
	int nops = 0, i, rc = -1;
	if (!ops) {
		fprintf(stderr, "lockstep %s: out of memory\n", s->name);
		return 1;
	}
	for (i = 1; i < argc && rc < 0; i++) {
		char *a = argv[i];
		const struct ls_opt *o;
		const char *val = NULL;
		char shown[128] = "-";
		const char *as = a; /* the option as typed, for messages */

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				ops[nops++] = argv[i];
			break;
		}
		if (a[0] != '-' || !a[1]) { /* an operand ("-" alone is one too) */
			if (s->stop_at_operand) {
				for (; i < argc; i++)
					ops[nops++] = argv[i];
				break;
			}
			ops[nops++] = a;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find(s, a + 2, len, 0);
			snprintf(shown, sizeof(shown), "--%.*s", (int)len, a + 2);
			as = shown;
			if (eq)
				val = eq + 1;
		} else {
			o = find(s, NULL, 0, a[1]);
			shown[1] = a[1];
			shown[2] = 0;
			as = shown;
			if (a[2])
				val = a + 2;
		}
		if (!o) {
			fprintf(stderr,
				"lockstep %s: unknown option '%s' (see lockstep %s --help)\n",
				s->name, a, s->name);
			rc = 2;
			break;
		}
		if (o == &help_row) {
			ls_opts_usage(s, stdout);
			rc = 0;
			break;
		}
		if (!o->arg && val) {
			fprintf(stderr, "lockstep %s: option '%s' takes no value\n", s->name, as);
			rc = 2;
			break;
		}
		if (o->arg && !val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "lockstep %s: option '%s' needs a value (%s)\n",
					s->name, a, o->arg);
				rc = 2;
				break;
			}
			val = argv[++i];
		}
		if (o->alias_value)
			val = o->alias_value;
		o = resolve(s, o);
		int r = fn(ctx, o, val);
		if (r)
			rc = r;
	}
	if (rc < 0 && s->max_operands >= 0 && nops > s->max_operands) {
		fprintf(stderr, "lockstep %s: unexpected argument '%s' (see lockstep %s --help)\n",
			s->name, ops[s->max_operands], s->name);
		rc = 2;
	}
	if (rc < 0) { /* operands last, in their order, as GNU getopt leaves them */
		*first = argc - nops;
		memcpy(argv + *first, ops, (size_t)nops * sizeof(*ops));
	}
	free(ops);
	return rc;
}

/* Text with '\n' continued at column col. */
static void indented(FILE *f, const char *text, int col)
{
	for (const char *p = text; *p; p++) {
		fputc(*p, f);
		if (*p == '\n' && p[1])
			fprintf(f, "%*s", col, "");
	}
	fputc('\n', f);
}

static void row(FILE *f, const struct ls_opt *o, int col)
{
	char left[128];
	int n = snprintf(left, sizeof(left), "  %c%c%c --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
	if (n + 2 > col)
		fprintf(f, "%s  ", left);
	else
		fprintf(f, "%-*s", col, left);
	indented(f, o->help, col);
	if (o->more)
		o->more(f, col);
}

void ls_opts_usage(const struct ls_cmd_spec *s, FILE *f)
{
	int col = s->col ? s->col : COL_DEFAULT;
	bool any_alias = false;
	fprintf(f, "usage: lockstep %s ", s->name);
	for (const char *p = s->synopsis; *p; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fprintf(f, "       lockstep %s ", s->name);
	}
	fputc('\n', f);
	if (s->about)
		fprintf(f, "\n%s", s->about);
	for (size_t l = 0; l < sizeof(s->lists) / sizeof(s->lists[0]); l++)
		for (size_t i = 0; i < s->lists[l].n; i++) {
			const struct ls_opt *o = &s->lists[l].rows[i];
			if (!o->name)
				fprintf(f, "\n%s\n", o->help);
			else if (o->alias_of)
				any_alias = true;
			else {
				if (l == 0 && i == 0)
					fprintf(f, "\noptions:\n");
				row(f, o, col);
			}
		}
	row(f, &help_row, col);
	if (any_alias) {
		fprintf(f, "\ndeprecated spellings (still accepted, with a warning):\n");
		for (size_t l = 0; l < sizeof(s->lists) / sizeof(s->lists[0]); l++)
			for (size_t i = 0; i < s->lists[l].n; i++) {
				const struct ls_opt *o = &s->lists[l].rows[i];
				if (o->name && o->alias_of)
					fprintf(f, "      --%-*s use --%s%s%s\n", col - 8, o->name,
						o->alias_of, o->alias_value ? " " : "",
						o->alias_value ? o->alias_value : "");
			}
	}
	if (s->after)
		fprintf(f, "\n%s", s->after);
}

int ls_opt_json_dir(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct ls_json_dir_args *a = ctx;
	if (o->id == LS_OPT_JSON)
		a->json = true;
	else
		a->dir = arg;
	return 0;
}
