/* control_link.h - the control socket of `lockstep run` (policy/control.h),
 * open in every agent whatever runs in it (data plane only, heartbeat,
 * policy), so that `lockstep status` and `lockstep trace` always have
 * someone to ask. Requests go to observability first (obs.status,
 * trace.level, trace.dump: obs_link.h), then to the policy when one runs
 * (reload, status: policy/control.h). */
#ifndef LS_AGENT_CONTROL_LINK_H
#define LS_AGENT_CONTROL_LINK_H

#include <stddef.h>

#include "agent/control.h"

struct obs_link;
struct policy_link;
struct ls_loop;

struct control_link {
	int fd;               /* listening socket, -1 when closed */
	struct ls_loop *loop; /* NULL until attached */
	int sweep;            /* the deadline timer's id, -1: none */
	struct ls_control_srv srv;
	char path[4096];
	struct obs_link *ro;   /* never NULL once open */
	struct policy_link *rp; /* NULL: no policy in this agent */
	/* or several policies (agent/worker.h): requests go to fn(ctx, ...) */
	int (*policy_fn)(void *ctx, const char *cmd, const char *arg, char *reply, size_t len);
	void *policy_ctx;
};

/* Listens on path (NULL or "": $LS_CONTROL_SOCK, else the default). 0, or
 * -1 with a message on stderr (another agent listening there, ...). */
int control_link_open(struct control_link *c, const char *path, struct obs_link *ro);
/* The policy, once it runs (reload and the policy's status go to it). */
void control_link_set_policy(struct control_link *c, struct policy_link *rp);
/* Policy requests go to fn instead (the workers, agent/worker.h). */
void control_link_set_policy_fn(struct control_link *c,
				int (*fn)(void *ctx, const char *cmd, const char *arg, char *reply,
					  size_t len),
				void *ctx);
/* Watches the socket and its clients in the loop: requests are answered as
 * their lines complete, clients past their deadline are let go by a timer.
 * 0 or a negative errno. */
int control_link_attach(struct control_link *c, struct ls_loop *loop);
/* Closes the clients, then the socket, and removes the socket file. */
void control_link_close(struct control_link *c);

#endif
