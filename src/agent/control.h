/* control.h - the agent's control socket: a Unix stream socket (root only,
 * mode 0600, default /run/lockstep/control.sock) taking one-line requests
 * and answering one line ("ok ..." or "error ..."). Every agent opens it
 * (agent/control_link.h routes the requests); `lockstep status`, `trace`
 * and `reload` are its clients. */
#ifndef LS_AGENT_CONTROL_H
#define LS_AGENT_CONTROL_H

#include <stddef.h>

#define LS_CONTROL_PATH_DEFAULT "/run/lockstep/control.sock"

struct ls_policy;

/* Answers one request: cmd is the first word, arg the rest (may be "").
 * Writes the reply without "ok"/"error" and returns 0 (ok) or -1 (error). */
typedef int (*ls_control_fn)(void *ctx, const char *cmd, const char *arg,
			     char *reply, size_t len);

/* Creates the directory if needed (0700), refuses when another agent is
 * listening on path, replaces a stale socket. Returns the listening fd
 * (non-blocking) or -1 with err filled. */
int ls_control_listen(const char *path, char *err, size_t errlen);
/* Accepts and answers every pending connection on the listening fd (call
 * when it is readable). A client gets 1 s to send its line. */
void ls_control_serve(int lfd, ls_control_fn fn, void *ctx);
/* Removes the socket file. */
void ls_control_close(int lfd, const char *path);

/* Client: sends one request line, reads the reply line. Returns 0 when the
 * reply starts with "ok", 1 when it starts with "error", -1 when no agent
 * can be reached there (none runs, one died, permission), -2 when it was
 * reached but gave no answer; err says which. */
int ls_control_request(const char *path, const char *request, char *reply,
		       size_t len, char *err, size_t errlen);

/* The policy's handler: "reload [PATH]" loads PATH (or the current file
 * again), "status" reports the counters. ctx is a struct ls_policy. */
int ls_control_policy(void *ctx, const char *cmd, const char *arg, char *reply,
		      size_t len);

#endif
