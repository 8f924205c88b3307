/* cmd_stop.c - `lockstep stop`: detach the data plane pinned in a pin
 * directory and remove its pins. A running agent notices within a second
 * and exits. Stopping when nothing is pinned is not an error. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "dataplane/dataplane.h"

#include <stdio.h>

enum { O_PIN_DIR = 1 };

static const struct ls_opt rows[] = {
    LS_OPT_PIN_DIR(O_PIN_DIR),
};

static const struct ls_cmd_spec spec = {
    .name = "stop",
    .synopsis = "[--pin-dir DIR]",
    .about = "Detach the lockstep data plane (XDP link, TC filter) pinned in DIR and\n"
	     "remove the pins; a running `lockstep run` on DIR then exits.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 22,
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	*(const char **)ctx = arg; /* O_PIN_DIR, the only option */
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	const char *dir = NULL;
	int first, rc = ls_opts_parse(&spec, argc, argv, on_opt, &dir, &first);
	if (rc >= 0)
		return rc;
	if (!dir)
		dir = ls_pin_dir_default();
	struct ls_err err;
	bool found;
	if (ls_dp_stop(dir, &found, &err)) {
		fprintf(stderr, "lockstep stop: %s\n", err.msg);
		return 1;
	}
	if (found)
		fprintf(stderr, "lockstep: detached and removed the pins in %s\n", dir);
	else
		fprintf(stderr, "lockstep: nothing pinned in %s; nothing to stop\n", dir);
	return 0;
}
