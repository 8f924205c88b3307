/* control_link.c - the agent's control socket and who answers what on it
 * (control_link.h). */
#include "agent/control_link.h"
#include "agent/obs_link.h"
#include "agent/policy_link.h"
#include "agent/control.h"
#include "agent/loop.h"
#include "base/time.h"

#include <sys/epoll.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int control_link_open(struct control_link *c, const char *path, struct obs_link *ro)
{
	struct ls_err err;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->sweep = -1;
	c->ro = ro;
	snprintf(c->path, sizeof(c->path), "%s", ls_control_path(path));
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

static void let_go(struct control_link *c, int cfd)
{
	ls_loop_del_fd(c->loop, cfd);
	ls_control_srv_close(&c->srv, cfd);
}

static void on_client(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct control_link *c = data;
	if (ls_control_srv_input(&c->srv, fd))
		let_go(c, fd);
	fflush(stdout);
}

static void on_listen(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct control_link *c = data;
	int cfd, evicted;
	while ((cfd = ls_control_srv_accept(&c->srv, ls_now_k(), &evicted)) >= 0) {
		if (evicted >= 0)
			let_go(c, evicted);
		if (ls_loop_add_fd(loop, cfd, EPOLLIN | EPOLLRDHUP, on_client, c)) {
			/* no room to watch it: it would never be answered */
			ls_control_srv_close(&c->srv, cfd);
			continue;
		}
		/* its line may be there already */
		on_client(loop, cfd, EPOLLIN, c);
	}
}

static void on_sweep(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct control_link *c = data;
	int cfd;
	while ((cfd = ls_control_srv_expired(&c->srv, ls_now_k())) >= 0)
		let_go(c, cfd);
}

int control_link_attach(struct control_link *c, struct ls_loop *loop)
{
	int rc;
	ls_control_srv_init(&c->srv, c->fd, answer, c);
	c->loop = loop;
	if ((rc = ls_loop_add_fd(loop, c->fd, EPOLLIN, on_listen, c)))
		return rc;
	/* a tenth of the deadline: a silent client is let go at most 10%
	 * late */
	if ((rc = ls_loop_add_timer(loop, LS_CONTROL_DEADLINE_NS / 10, on_sweep, c)) < 0)
		return rc;
	c->sweep = rc;
	return 0;
}

void control_link_close(struct control_link *c)
{
	if (c->loop) {
		for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++)
			if (c->srv.cl[i].fd >= 0)
				ls_loop_del_fd(c->loop, c->srv.cl[i].fd);
		if (c->sweep >= 0)
			ls_loop_del_timer(c->loop, c->sweep);
		if (c->fd >= 0)
			ls_loop_del_fd(c->loop, c->fd);
		ls_control_srv_free(&c->srv);
		c->loop = NULL;
		c->sweep = -1;
	}
	if (c->fd >= 0)
		ls_control_close(c->fd, c->path);
	c->fd = -1;
}
