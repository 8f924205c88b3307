/* opts.h - the options of every `lockstep` command, declared as one table per
 * command (in the spirit of xdp-tools' DEFINE_OPTION): the parser, the
 * `--help` text and `lockstep help CMD` all come from the same rows, so they
 * cannot disagree, and every command reads its command line the same way:
 *
 *   --name VALUE, --name=VALUE, -x VALUE, -xVALUE; `--` ends the options;
 *   options and operands may come in any order (operands keep theirs);
 *   -h/--help prints the usage on stdout (exit 0); an unknown option, a
 *   missing or unexpected value is one line on stderr (exit 2).
 *
 * One name per concept across commands (`--control-socket`, `--dpi-packets`,
 * `--max-memory-pages` ...). An old spelling stays as a row with `alias_of`:
 * it still works, and using it prints a warning that names the new one.
 *
 *   static const struct ls_opt rows[] = {
 *       {"pin-dir", 'p', "DIR", PIN_DIR, "bpffs pin directory"},
 *       {"json", 'j', NULL, JSON, "one JSON object"},
 *   };
 *   static const struct ls_cmd_spec spec = {
 *       .name = "counters", .synopsis = "[--json] [--pin-dir DIR]",
 *       .lists = {LS_OPT_LIST(rows)}};
 *   int first, rc = ls_opts_parse(&spec, argc, argv, on_opt, &ctx, &first);
 *   if (rc >= 0) return rc;      // --help (0) or a usage error (2)
 */
#ifndef LS_CLI_OPTS_H
#define LS_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ls_opt {
	const char *name;		/* long name without "--"; NULL: a section heading */
	char short_name;		/* 0: none */
	const char *arg;		/* what the value is called in the help ("FILE");
					 * NULL: the option takes no value */
	int id;				/* handed to the command's handler */
	const char *help;		/* help text ('\n' continues it on the next line);
					 * for a section row, its heading */
	const char *alias_of;		/* a deprecated spelling: the name to use instead */
	const char *alias_value;	/* ... a flag that stands for that option with
					 * this value ("--events": "--print all") */
	void (*more)(FILE *f, int col); /* optional: more help lines after it
					 * (defaults computed at run time) */
};

/* Rows: an option, a deprecated spelling of one, a section heading in the
 * help, an option with more help lines printed by a function. */
#define LS_OPT(n, s, a, i, h)                                                                      \
	{                                                                                          \
		.name = (n), .short_name = (s), .arg = (a), .id = (i), .help = (h)                 \
	}
#define LS_OPT_ALIAS(n, a, i, to)                                                                  \
	{                                                                                          \
		.name = (n), .arg = (a), .id = (i), .alias_of = (to)                               \
	}
#define LS_OPT_ALIAS_VALUE(n, i, to, v)                                                            \
	{                                                                                          \
		.name = (n), .id = (i), .alias_of = (to), .alias_value = (v)                       \
	}
#define LS_OPT_SECTION(h)                                                                          \
	{                                                                                          \
		.help = (h)                                                                        \
	}
#define LS_OPT_MORE(n, s, a, i, h, fn)                                                             \
	{                                                                                          \
		.name = (n), .short_name = (s), .arg = (a), .id = (i), .help = (h), .more = (fn)   \
	}

/* A command's rows can come from several tables (the clock options are
 * shared by `run` and `clock`). */
struct ls_opt_list {
	const struct ls_opt *rows;
	size_t n;
};
#define LS_OPT_LIST(a)                                                                             \
	{                                                                                          \
		(a), sizeof(a) / sizeof((a)[0])                                                    \
	}

struct ls_cmd_spec {
	const char *name;	     /* "run", "wasm run": used in every message */
	const char *synopsis;	     /* after "usage: lockstep NAME " ('\n' starts another
				      * usage line) */
	const char *about;	     /* paragraphs before the options; may be NULL */
	const char *after;	     /* text after the options (exit codes ...); may be NULL */
	struct ls_opt_list lists[6]; /* the rows, in help order */
	int col;		     /* column of the help text (0: 30) */
	int max_operands;	     /* operands allowed (-1: any number) */
	int stop_at_operand;	     /* the first operand ends the options (`wasm run`,
				      * `trace`): what follows is the operand's own */
};

/* Called for each option in command-line order with its row (aliases come
 * with the row they stand for) and its value (NULL for an option without
 * one). Returns 0 to go on, or an exit code (after printing why). */
typedef int (*ls_opt_fn)(void *ctx, const struct ls_opt *o, const char *arg);

/* Parses argv[1..] (argv[0] is the command). Returns -1 when the command
 * should run, with the operands in argv[*first..argc-1] (in their order);
 * otherwise the exit code: 0 after --help, 2 for a usage error (one line on
 * stderr), or what fn returned. */
int ls_opts_parse(const struct ls_cmd_spec *s, int argc, char **argv, ls_opt_fn fn, void *ctx,
		  int *first);

/* The row of the long option NAME (without "--"; a deprecated spelling
 * warns and gives the row it stands for), or NULL: for option sources other
 * than the command line (the configuration file, config_file.h). */
const struct ls_opt *ls_opts_find(const struct ls_cmd_spec *s, const char *name);

/* The usage text, generated from the rows. */
void ls_opts_usage(const struct ls_cmd_spec *s, FILE *f);

/* Shared rows: --pin-dir, the same words in every command that reads the
 * pinned data plane (the default comes from dataplane.h's LS_PIN_DIR). */
#define LS_OPT_PIN_DIR(id)                                                                         \
	LS_OPT("pin-dir", 'p', "DIR", (id),                                                        \
	       "bpffs pin directory (default: $LS_PIN_DIR or " LS_PIN_DIR ")")

/* Commands whose only options are --json and --pin-dir (`counters`,
 * `flows`): rows with these ids, ctx a struct ls_json_dir_args, and
 * ls_opt_json_dir as the handler. */
enum { LS_OPT_JSON = 0x4a00, LS_OPT_DIR };
struct ls_json_dir_args {
	bool json;	 /* --json */
	const char *dir; /* --pin-dir, NULL: the default */
};
int ls_opt_json_dir(void *ctx, const struct ls_opt *o, const char *arg);

/* Shared rows: the clock options of `run` and `clock` (clock_opts.c), each
 * with id LS_OPT_CLOCK; the handler passes "--NAME" to ls_clock_opt(). */
#define LS_OPT_CLOCK 0x4c00
extern const struct ls_opt_list ls_clock_opt_rows;
/* The --hold-* rows of `run` and `inspect` (hold_opts.c), ids
 * AGENT_HOLD_OPT_* for agent_hold_parse(). */
extern const struct ls_opt_list ls_hold_opt_rows;

#endif
