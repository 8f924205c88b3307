/* control_link.c - the agent's control socket and who answers what on it
 * (control_link.h). */
#include "agent/control_link.h"
#include "agent/obs_link.h"
#include "agent/policy_link.h"
#include "agent/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int control_link_open(struct control_link *c, const char *path, struct obs_link *ro)
{
	struct ls_err err;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->ro = ro;
	if (!path || !path[0])
		path = getenv("LS_CONTROL_SOCK");
	snprintf(c->path, sizeof(c->path), "%s", path && path[0] ? path : LS_CONTROL_PATH_DEFAULT);
	c->fd = ls_control_listen(c->path, &err);
	if (c->fd < 0) {
		fprintf(stderr, "lockstep run: control socket: %s\n", err.msg);
		return -1;
	}
	fprintf(stderr, "lockstep: control socket %s (lockstep status, trace, reload)\n", c->path);
	return 0;
}

void control_link_set_policy(struct control_link *c, struct policy_link *rp)
{
	c->rp = rp;
}

void control_link_set_policy_fn(struct control_link *c,
				int (*fn)(void *ctx, const char *cmd, const char *arg, char *reply,
					  size_t len),
				void *ctx)
{
	c->policy_fn = fn;
	c->policy_ctx = ctx;
}

static int answer(void *ctx, const char *cmd, const char *arg, char *reply, size_t len)
{
	struct control_link *c = ctx;
	obs_link_lock(c->ro);
	int rc = obs_link_control(c->ro, cmd, arg, reply, len);
	obs_link_unlock(c->ro);
	if (rc != -2)
		return rc;
	if (c->policy_fn)
		return c->policy_fn(c->policy_ctx, cmd, arg, reply, len);
	if (c->rp)
		return policy_link_request(c->rp, cmd, arg, reply, len);
	if (!strcmp(cmd, "reload") || !strcmp(cmd, "status")) {
		snprintf(reply, len, "no policy runs in this agent (it was started without "
			 "--policy FILE.wasm); `lockstep status` shows what runs");
		return -1;
	}
	snprintf(reply, len, "unknown request '%s' (obs.status | trace.level K[,G] [PORT] | "
		 "trace.dump [PATH] | reload [PATH] | status)", cmd);
	return -1;
}

void control_link_serve(struct control_link *c)
{
	if (c->fd >= 0)
		ls_control_serve(c->fd, answer, c);
}

void control_link_close(struct control_link *c)
{
	if (c->fd >= 0)
		ls_control_close(c->fd, c->path);
	c->fd = -1;
}
