/* cmd_trace.c - `lockstep trace level K[,G]` and `lockstep trace dump
 * [FILE]`: change the running agent's trace levels or have it write its
 * trace ring now, over the control socket, without a restart. */
#include "cli/cli.h"
#include "agent/control.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: lockstep trace level K[,G] [PORT] [--socket PATH]\n"
		   "       lockstep trace dump [FILE] [--socket PATH]\n"
		   "\n"
		   "level  K: kernel per-packet trace events (0 off, 1 on; written to the data\n"
		   "       plane's config map), G: guest per-call slices (0: one per batch, 1:\n"
		   "       one per call). PORT limits per-packet events to flows with that\n"
		   "       port on either side (0 or none: every flow). Takes effect at once.\n"
		   "dump   write the agent's trace ring (the last --trace-window) to FILE, or\n"
		   "       to its --trace file; the agent must run with --trace.\n"
		   "\n"
		   "  --socket PATH   control socket (default $LS_CONTROL_SOCK or %s)\n"
		   "  -h, --help      this text\n"
		   "\n"
		   "exit status: 0 done; 1 the agent refused (it says why); 2 usage; 3 no\n"
		   "agent answers at the socket\n",
		LS_CONTROL_PATH_DEFAULT);
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *sock = getenv("LS_CONTROL_SOCK");
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "lockstep trace: unknown option or missing value '%s'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	/* options may also follow the subcommand */
	char *words[3];
	int nw = 0;
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (nw == 3) {
			fprintf(stderr, "lockstep trace: too many arguments (see --help)\n");
			return 2;
		}
		words[nw++] = argv[i];
	}
	char req[PATH_MAX + 32];
	if ((nw == 2 || nw == 3) && !strcmp(words[0], "level")) {
		snprintf(req, sizeof(req), "trace.level %s%s%s", words[1], nw == 3 ? " " : "",
			 nw == 3 ? words[2] : "");
	} else if ((nw == 1 || nw == 2) && !strcmp(words[0], "dump")) {
		char abs[PATH_MAX] = "";
		/* the agent has its own working directory: send an absolute path */
		if (nw == 2 && words[1][0] != '/') {
			if (!realpath(".", abs)) {
				perror("lockstep trace: realpath");
				return 1;
			}
			strncat(abs, "/", sizeof(abs) - strlen(abs) - 1);
		}
		snprintf(req, sizeof(req), "trace.dump %s%s", abs, nw == 2 ? words[1] : "");
	} else {
		usage(stderr);
		return 2;
	}
	if (!sock || !sock[0])
		sock = LS_CONTROL_PATH_DEFAULT;
	char reply[4096], err[512];
	int rc = ls_control_request(sock, req, reply, sizeof(reply), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "lockstep trace: %s\n", err);
		return rc == -1 ? 3 : 1;
	}
	if (rc) {
		fprintf(stderr, "lockstep trace: %s\n", reply + 6);
		return 1;
	}
	printf("%s\n", reply + 3);
	return 0;
}
