/* control.h - the agent's control socket: a Unix stream socket (root only,
 * mode 0600, default /run/lockstep/control.sock) taking one-line requests
 * and answering one line ("ok ..." or "error ..."). Every agent opens it
 * (agent/control_link.h routes the requests); `lockstep status`, `trace`
 * and `reload` are its clients. */
#ifndef LS_AGENT_CONTROL_H
#define LS_AGENT_CONTROL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define LS_CONTROL_PATH_DEFAULT "/run/lockstep/control.sock"
/* ls_control_request's answer when an agent was reached but did not answer */
#define LS_CONTROL_NO_ANSWER (-EPROTO)

struct ls_policy;

/* Answers one request: cmd is the first word, arg the rest (may be "").
 * Writes the reply without "ok"/"error" and returns 0 (ok) or -1 (error). */
typedef int (*ls_control_fn)(void *ctx, const char *cmd, const char *arg,
			     char *reply, size_t len);

/* The socket's path: path, else $LS_CONTROL_SOCK, else the default. */
const char *ls_control_path(const char *path);
/* -EADDRINUSE with err filled when an agent answers a connect on the path
 * (NULL: ls_control_path's choice); 0 otherwise (nothing there, a stale
 * socket: ls_control_listen replaces it). */
int ls_control_busy(const char *path, struct ls_err *err);

/* Creates the directory if needed (0700), refuses when another agent is
 * listening on path (-EADDRINUSE), replaces a stale socket. Returns the
 * listening fd (non-blocking) or a negative errno with err filled. */
int ls_control_listen(const char *path, struct ls_err *err);
/* The server side's state: one slot per connected client. A client has
 * LS_CONTROL_DEADLINE_NS from its connect to send one line of at most
 * sizeof(req) - 2 bytes; then it is answered and let go. */
#define LS_CONTROL_CLIENTS_MAX 16
#define LS_CONTROL_DEADLINE_NS (1000000000ull)
#define LS_CONTROL_REPLY_MAX 8192

struct ls_control_client {
	int fd;           /* -1: free slot */
	size_t n;         /* bytes of req received */
	uint64_t since_k; /* accepted at (clock K) */
	char req[4096];
};

struct ls_control_srv {
	int lfd;
	ls_control_fn fn;
	void *ctx;
	uint64_t deadline_ns;
	uint64_t evicted, timed_out, too_long; /* clients let go unanswered */
	struct ls_control_client cl[LS_CONTROL_CLIENTS_MAX];
};

void ls_control_srv_init(struct ls_control_srv *s, int lfd, ls_control_fn fn, void *ctx);
/* Accepts one pending connection (call while it returns >= 0 when the
 * listening fd is readable). Returns the client's fd to watch for input,
 * or a negative errno (-EAGAIN: none pending). A peer that is not root is
 * answered and closed here. When every slot was taken, the longest waiting
 * client was told "busy": *evicted is its fd (the caller stops watching
 * it, then ls_control_srv_close), else -1. */
int ls_control_srv_accept(struct ls_control_srv *s, uint64_t now_k, int *evicted);
/* The client's fd is readable: reads what is there. Returns 0 while the
 * line is incomplete, 1 when the client was answered (or left) and must be
 * closed (ls_control_srv_close, after the caller stopped watching it). */
int ls_control_srv_input(struct ls_control_srv *s, int cfd);
/* A client past its deadline (told so), to close as above; -1: none. Call
 * until it returns -1. */
int ls_control_srv_expired(struct ls_control_srv *s, uint64_t now_k);
void ls_control_srv_close(struct ls_control_srv *s, int cfd);
/* Closes every client (the listening fd is ls_control_close's). */
void ls_control_srv_free(struct ls_control_srv *s);
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
