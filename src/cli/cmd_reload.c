/* cmd_reload.c - `lockstep reload [--policy FILE] [--socket PATH]`: asks the
 * running agent, over its control socket, to load a new policy module (or to
 * load its current file again). The agent swaps only when the new module
 * instantiated and initialised; otherwise it keeps the old one and says why. */
#include "cli/cli.h"
#include "agent/control.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: lockstep reload [--policy FILE.wasm] [--socket PATH]\n\n"
		   "Load a new policy into the running agent (or reload its current\n"
		   "file). The old policy keeps running if the new one is refused.\n\n"
		   "  --policy FILE   module to load (default: the agent's current file)\n"
		   "  --socket PATH   control socket (default %s,\n"
		   "                  or $LS_CONTROL_SOCK)\n",
		LS_CONTROL_PATH_DEFAULT);
}

int cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{"policy", required_argument, NULL, 'p'},
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *policy = NULL, *sock = getenv("LS_CONTROL_SOCK");
	char abs[PATH_MAX], req[PATH_MAX + 16], reply[2048], err[1024];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy = optarg; break;
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstep reload: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!sock || !sock[0])
		sock = LS_CONTROL_PATH_DEFAULT;
	if (policy) {
		/* the agent's working directory is not ours */
		if (!realpath(policy, abs)) {
			fprintf(stderr, "lockstep reload: %s: no such file\n", policy);
			return 2;
		}
		snprintf(req, sizeof(req), "reload %s", abs);
	} else {
		snprintf(req, sizeof(req), "reload");
	}
	int rc = ls_control_request(sock, req, reply, sizeof(reply), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "lockstep reload: %s\n", err);
		return 1;
	}
	fprintf(rc ? stderr : stdout, "lockstep reload: %s\n", reply);
	return rc ? 1 : 0;
}
