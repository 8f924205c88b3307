/* cmd_reload.c - `lockstep reload [--policy FILE] [--control-socket PATH]`: asks the
 * running agent, over its control socket, to load a new policy module (or to
 * load its current file again). The agent swaps only when the new module
 * instantiated and initialised; otherwise it keeps the old one and says why. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "agent/control.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_POLICY = 1, O_CONTROL_SOCKET };

static const struct ls_opt rows[] = {
    LS_OPT("policy", 'p', "FILE.wasm", O_POLICY,
	   "module to load (default: the agent's current file)"),
    LS_OPT("control-socket", 's', "PATH", O_CONTROL_SOCKET,
	   "control socket (default $LS_CONTROL_SOCK or\n" LS_CONTROL_PATH_DEFAULT ")"),
    LS_OPT_ALIAS("socket", "PATH", O_CONTROL_SOCKET, "control-socket"),
};

static const struct ls_cmd_spec spec = {
    .name = "reload",
    .synopsis = "[--policy FILE.wasm] [--control-socket PATH]",
    .about = "Load a new policy into the running agent (or reload its current\n"
	     "file). The old policy keeps running if the new one is refused.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 28,
};

struct args {
	const char *policy, *sock;
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct args *a = ctx;
	if (o->id == O_POLICY)
		a->policy = arg;
	else
		a->sock = arg;
	return 0;
}

int cmd_reload(int argc, char **argv)
{
	struct args a = {.sock = getenv("LS_CONTROL_SOCK")};
	char abs[PATH_MAX], req[PATH_MAX + 16], reply[2048];
	struct ls_err err;
	int first, rc0 = ls_opts_parse(&spec, argc, argv, on_opt, &a, &first);
	if (rc0 >= 0)
		return rc0;
	const char *policy = a.policy, *sock = a.sock;
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
	int rc = ls_control_request(sock, req, reply, sizeof(reply), &err);
	if (rc < 0) {
		fprintf(stderr, "lockstep reload: %s\n", err.msg);
		return 1;
	}
	fprintf(rc ? stderr : stdout, "lockstep reload: %s\n", reply);
	return rc ? 1 : 0;
}
