/* control.h - the agent's control socket: a Unix stream socket (root only,
 * mode 0600, default /run/lockstep/control.sock) taking one-line requests
 * and answering one line ("ok ..." or "error ..."). Every agent opens it
 * (agent/control_link.h routes the requests); `lockstep status`, `trace`
 * and `reload` are its clients. */
#ifndef LS_AGENT_CONTROL_H
#define LS_AGENT_CONTROL_H

#include <errno.h>
#include <stddef.h>

#include "base/err.h"

#define LS_CONTROL_PATH_DEFAULT "/run/lockstep/control.sock"
/* ls_control_request's answer when an agent was reached but did not answer */
#define LS_CONTROL_NO_ANSWER (-EPROTO)

struct ls_policy;

/* Answers one request: cmd is the first word, arg the rest (may be "").
 * Writes the reply without "ok"/"error" and returns 0 (ok) or -1 (error). */
typedef int (*ls_control_fn)(void *ctx, const char *cmd, const char *arg,
			     char *reply, size_t len);

/* Creates the directory if needed (0700), refuses when another agent is
 * listening on path (-EADDRINUSE), replaces a stale socket. Returns the
 * listening fd (non-blocking) or a negative errno with err filled. */
int ls_control_listen(const char *path, struct ls_err *err);
/* Accepts and answers every pending connection on the listening fd (call
 * when it is readable). A client gets 1 s to send its line. */
void ls_control_serve(int lfd, ls_control_fn fn, void *ctx);
/* Removes the socket file. */
void ls_control_close(int lfd, const char *path);

/* Client: sends one request line, reads the reply line. Returns 0 when the
 * reply starts with "ok", 1 when it starts with "error",
 * LS_CONTROL_NO_ANSWER when an agent was reached but gave no answer, and
 * another negative errno when none can be reached there (-ENOENT none runs,
 * -ECONNREFUSED one died, -EACCES permission); err says which. */
int ls_control_request(const char *path, const char *request, char *reply, size_t len,
		       struct ls_err *err);

/* The policy's handler: "reload [PATH]" loads PATH (or the current file
 * again), "status" reports the counters. ctx is a struct ls_policy. */
int ls_control_policy(void *ctx, const char *cmd, const char *arg, char *reply,
		      size_t len);

#endif
