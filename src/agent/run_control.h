/* run_control.h - the control socket of `lockstep run` (policy/control.h),
 * open in every agent whatever runs in it (data plane only, heartbeat,
 * policy), so that `lockstep status` and `lockstep trace` always have
 * someone to ask. Requests go to observability first (obs.status,
 * trace.level, trace.dump: run_obs.h), then to the policy when one runs
 * (reload, status: policy/control.h). */
#ifndef LS_CLI_RUN_CONTROL_H
#define LS_CLI_RUN_CONTROL_H

struct run_obs;
struct run_policy;

struct run_control {
	int fd;               /* listening socket, -1 when closed */
	char path[4096];
	struct run_obs *ro;   /* never NULL once open */
	struct run_policy *rp; /* NULL: no policy in this agent */
};

/* Listens on path (NULL or "": $LS_CONTROL_SOCK, else the default). 0, or
 * -1 with a message on stderr (another agent listening there, ...). */
int run_control_open(struct run_control *c, const char *path, struct run_obs *ro);
/* The policy, once it runs (reload and the policy's status go to it). */
void run_control_set_policy(struct run_control *c, struct run_policy *rp);
/* Answer every pending request (the fd is readable). */
void run_control_serve(struct run_control *c);
/* Closes and removes the socket file. */
void run_control_close(struct run_control *c);

#endif
