/* config_file.h - a command's options from a YAML file (`lockstep run
 * --config FILE`): one key per long option, spelt as on the command line
 * without its dashes, so the file needs no vocabulary of its own and every
 * option has a key the day it is added:
 *
 *   iface: eth0
 *   default-verdict: hold
 *   tc: true                  # an option without a value: true or false
 *   policy: /usr/share/lockstep/guests/allowlist.wasm
 *   alarm: [offset-max=5ms, verdict-latency-max=50ms]   # repeated
 *
 * The values go through the command's own option handler, in file order,
 * before the command line: so a flag overrides the file, and a value the
 * command line would refuse is refused here too. An unknown key, a nested
 * mapping or a missing value is an error naming the file and line. */
#ifndef LS_CLI_CONFIG_FILE_H
#define LS_CLI_CONFIG_FILE_H

#include "cli/opts.h"

/* Applies FILE's options through fn (as ls_opts_parse would). Returns 0,
 * or the exit code after one line on stderr: 2 for a file that cannot be
 * read or is not a mapping of known options, or what fn returned. Keys in
 * skip (a NULL-terminated list, may be NULL) are refused: options that make
 * no sense in a file (`config` itself, `check`). */
int ls_config_file_apply(const struct ls_cmd_spec *s, const char *path, ls_opt_fn fn, void *ctx,
			 const char *const *skip);

/* The same for a file's text already read (text[len] need not be NUL; name
 * is what messages call it): the parser alone, for the fuzzer
 * (tests/fuzz/fuzz_cli.c). */
int ls_config_text_apply(const struct ls_cmd_spec *s, const char *name, const char *text,
			 size_t len, ls_opt_fn fn, void *ctx, const char *const *skip);
/* The last refusal's words, "FILE:LINE: why" (what the line on stderr
 * said), for a SIGHUP's log line (agent/config_reload.h). */
const char *ls_config_file_error(void);
/* A configuration file larger than this is refused. */
#define LS_CONFIG_FILE_MAX (1u << 20)
/* Frees the values the handler was given (after the command is done with
 * them). */
void ls_config_file_release(void);

#endif
