/* cmd_trace.c - `lockstep trace level K[,G]` and `lockstep trace dump
 * [FILE]`: change the running agent's trace levels or have it write its
 * trace ring now, over the control socket, without a restart. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "agent/control.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_CONTROL_SOCKET = 1 };

static const struct ls_opt rows[] = {
    LS_OPT("control-socket", 's', "PATH", O_CONTROL_SOCKET,
	   "control socket (default $LS_CONTROL_SOCK or\n" LS_CONTROL_PATH_DEFAULT ")"),
    LS_OPT_ALIAS("socket", "PATH", O_CONTROL_SOCKET, "control-socket"),
};

static const struct ls_cmd_spec spec = {
    .name = "trace",
    .synopsis = "level K[,G] [PORT] [--control-socket PATH]\n"
		"dump [FILE] [--control-socket PATH]",
    .about = "level  K: kernel per-packet trace events (0 off, 1 on; written to the data\n"
	     "       plane's config map), G: guest per-call slices (0: one per batch, 1:\n"
	     "       one per call). PORT limits per-packet events to flows with that\n"
	     "       port on either side (0 or none: every flow). Takes effect at once.\n"
	     "dump   write the agent's trace ring (the last --trace-window) to FILE, or\n"
	     "       to its --trace file; the agent must run with --trace.\n",
    .after = "exit status: 0 done; 1 the agent refused (it says why); 2 usage; 3 no\n"
	     "agent answers at the socket\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 28,
    .max_operands = 3,
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	*(const char **)ctx = arg; /* O_CONTROL_SOCKET, the only option */
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	const char *sock = getenv("LS_CONTROL_SOCK");
	/* options may come before or after the words */
	int first, rc0 = ls_opts_parse(&spec, argc, argv, on_opt, &sock, &first);
	if (rc0 >= 0)
		return rc0;
	char **words = argv + first;
	int nw = argc - first;
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
		ls_opts_usage(&spec, stderr);
		return 2;
	}
	if (!sock || !sock[0])
		sock = LS_CONTROL_PATH_DEFAULT;
	char reply[4096];
	struct ls_err err;
	int rc = ls_control_request(sock, req, reply, sizeof(reply), &err);
	if (rc < 0) {
		fprintf(stderr, "lockstep trace: %s\n", err.msg);
		return rc == LS_CONTROL_NO_ANSWER ? 1 : 3;
	}
	if (rc) {
		fprintf(stderr, "lockstep trace: %s\n", reply + 6);
		return 1;
	}
	printf("%s\n", reply + 3);
	return 0;
}
