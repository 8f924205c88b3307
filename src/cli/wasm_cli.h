/* wasm_cli.h - pieces shared by `lockstep wasm` (cmd_wasm.c: dispatch and
 * validate) and its run subcommand (wasm_run.c). */
#ifndef LS_WASM_CLI_H
#define LS_WASM_CLI_H

#include "lockstep/wasm.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* exit status of `lockstep wasm run` when the guest traps: 128 + SIGABRT,
 * as a native program that aborts */
#define WASM_EXIT_TRAP 134

void wasm_usage(FILE *f);
/* Reads a whole module file; NULL (after saying why on stderr) on failure. */
uint8_t *wasm_read_file(const char *path, size_t *len);
/* "PATH: KIND: message (section S, function F, offset 0xO)" on stderr */
void wasm_print_error(const char *path, const lw_error *err);
/* Reads and loads (decodes, validates) the module at path: 0, or -1 with
 * one message on stderr, headed by label. */
int wasm_validate_file(const char *path, const char *label);
/* `lockstep wasm run ...`: argv[0] is "run"; its options (cli/opts.h) */
struct ls_cmd_spec;
extern const struct ls_cmd_spec wasm_run_spec;
int wasm_run(int argc, char **argv);

#endif
