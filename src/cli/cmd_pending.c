/* cmd_pending.c - entry points for subcommands whose implementation has not
 * landed yet; each says so plainly and exits 1. Removed as they land. */
#include "cli/cli.h"
#include "cli/wasm_cli.h"

#include <stdio.h>

static int pending(const char *name)
{
	fprintf(stderr, "lockstep %s: not available in this build yet\n", name);
	return 1;
}

int wasm_run(int argc, char **argv) { (void)argc; (void)argv; return pending("wasm run"); }
