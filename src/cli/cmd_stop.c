/* cmd_stop.c - `lockstep stop`: detach the data plane pinned in a pin
 * directory and remove its pins. A running agent notices within a second
 * and exits. Stopping when nothing is pinned is not an error. */
#include "cli/cli.h"
#include "dataplane/dataplane.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lockstep stop [--pin-dir DIR]\n"
		"\n"
		"Detach the lockstep data plane (XDP link, TC filter) pinned in DIR and\n"
		"remove the pins; a running `lockstep run` on DIR then exits.\n"
		"\n"
		"options:\n"
		"  -p, --pin-dir DIR   bpffs pin directory (default: $LS_PIN_DIR or %s)\n"
		"  -h, --help          this text\n",
		LS_PIN_DIR);
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *dir = NULL;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "lockstep stop: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "lockstep stop: unknown option '%s' (see lockstep stop --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstep stop: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
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
