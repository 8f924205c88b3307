/* cmd_wasm.c - `lockstep wasm run|validate`: dispatch, usage, and validate
 * (checks that a module decodes and validates); run is in wasm_run.c.
 * Uses only the engine's public API (lockstep/wasm.h). Exit codes are
 * documented in docs/wasm-cli.md:
 *   run:      the guest's exit code (0-255; larger codes are reported as 255),
 *             1 the module could not be read, loaded or instantiated,
 *             2 bad usage, 134 the guest trapped (128 + SIGABRT, as a native
 *             program that aborts; out of fuel is a trap too).
 *   validate: 0 valid, 1 not (the error says what and where), 2 bad usage.
 */
#include "cli/cli.h"
#include "cli/wasm_cli.h"
#include "cli/opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"

/* Files larger than this are refused before reading: no module we run is
 * anywhere near it, and a mistaken path must not eat the host's memory. */
#define MAX_MODULE_BYTES (256u << 20)

void wasm_usage(FILE *f)
{
	ls_opts_usage(&wasm_run_spec, f);
	fprintf(f, "\n"
		   "usage: lockstep wasm validate FILE.wasm\n"
		   "\n"
		   "Decodes and validates; prints 'FILE: ok' (exit 0) or the error with its\n"
		   "section, function and byte offset (exit 1).\n");
}

/* Reads a whole file; returns NULL with a message on failure. */
uint8_t *wasm_read_file(const char *path, size_t *len)
{
	char *buf;
	struct ls_err err;
	if (ls_read_file(path, MAX_MODULE_BYTES, &buf, len, &err)) {
		fprintf(stderr, "lockstep wasm: %s\n", err.msg);
		return NULL;
	}
	return (uint8_t *)buf;
}

static const char *error_kind(lw_error_kind k)
{
	switch (k) {
	case LW_ERR_MALFORMED:
		return "malformed";
	case LW_ERR_INVALID:
		return "invalid";
	case LW_ERR_UNLINKABLE:
		return "unlinkable";
	case LW_ERR_UNINSTANTIABLE:
		return "uninstantiable";
	case LW_ERR_LIMIT:
		return "limit exceeded";
	case LW_ERR_NOMEM:
		return "out of memory";
	default:
		return "error";
	}
}

void wasm_print_error(const char *path, const lw_error *err)
{
	fprintf(stderr, "%s: %s: %s", path, error_kind(err->kind), err->message);
	const char *sep = " (";
	if (err->section >= 0) {
		fprintf(stderr, "%ssection %d", sep, err->section);
		sep = ", ";
	}
	if (err->func_index >= 0) {
		fprintf(stderr, "%sfunction %" PRId64, sep, err->func_index);
		sep = ", ";
	}
	if (err->offset >= 0) {
		fprintf(stderr, "%soffset 0x%" PRIx64, sep, err->offset);
		sep = ", ";
	}
	fprintf(stderr, "%s\n", sep[0] == ',' ? ")" : "");
}

static int wasm_validate(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		wasm_usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		wasm_usage(stderr);
		return 2;
	}
	const char *path = argv[1];
	if (wasm_validate_file(path, path))
		return 1;
	printf("%s: ok\n", path);
	return 0;
}

int wasm_validate_file(const char *path, const char *label)
{
	size_t len;
	uint8_t *bytes = wasm_read_file(path, &len);
	if (!bytes)
		return -1;
	lw_engine *e = lw_engine_new();
	lw_module *m = NULL;
	lw_error err = {.section = -1, .func_index = -1, .offset = -1};
	int rc = -1;
	if (!e)
		fprintf(stderr, "%s: out of memory\n", label);
	else if (lw_module_load(e, bytes, len, &m, &err))
		wasm_print_error(label, &err);
	else
		rc = 0;
	if (m)
		lw_module_free(m);
	if (e)
		lw_engine_free(e);
	free(bytes);
	return rc;
}

int cmd_wasm(int argc, char **argv)
{
	if (argc < 2) {
		wasm_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		wasm_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return wasm_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "validate"))
		return wasm_validate(argc - 1, argv + 1);
	fprintf(stderr, "lockstep wasm: unknown subcommand '%s'\n", argv[1]);
	wasm_usage(stderr);
	return 2;
}
