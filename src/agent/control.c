/* control.c - the control socket (control.h). One request per connection.
 * Nothing here blocks: every client is a non-blocking socket with its own
 * buffer and deadline, read as its bytes arrive, so a silent or slow client
 * costs the event loop nothing but a slot. Only root (or the agent's own
 * user) may talk to it: the socket is 0600 and the peer's credentials are
 * checked. */
#include "agent/control.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int make_addr(struct sockaddr_un *sa, const char *path, struct ls_err *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return ls_errf(err, -ENAMETOOLONG, "control socket path too long: %s", path);
	strcpy(sa->sun_path, path);
	return 0;
}

const char *ls_control_path(const char *path)
{
	if (!path || !path[0])
		path = getenv("LS_CONTROL_SOCK");
	return path && path[0] ? path : LS_CONTROL_PATH_DEFAULT;
}

int ls_control_busy(const char *path, struct ls_err *err)
{
	struct sockaddr_un sa;
	int fd, rc;

	path = ls_control_path(path);
	if ((rc = make_addr(&sa, path, err)))
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0; /* the listen at start will say why */
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0)
		return ls_errf(err, -EADDRINUSE,
			       "another lockstep agent is running: it listens on %s (stop it, "
			       "or give this one another --control-socket)",
			       path);
	return 0;
}

int ls_control_listen(const char *path, struct ls_err *err)
{
	struct sockaddr_un sa;
	char dir[sizeof(sa.sun_path)];
	int fd, rc;

	if ((rc = make_addr(&sa, path, err)))
		return rc;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			return ls_errf(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ls_errf(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return ls_errf(err, -EADDRINUSE,
			       "another agent is listening on %s (stop it, or "
			       "give this one another --control-socket)",
			       path);
	}
	close(fd);
	unlink(path); /* a stale socket from an agent that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ls_errf(err, -errno, "socket: %s", strerror(errno));
	mode_t old = umask(0177); /* never a moment with a looser mode */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc || chmod(path, 0600) || listen(fd, 8)) {
		int e = errno;
		close(fd);
		return ls_errf(err, -e, "cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}

/* Best effort: the socket is non-blocking and a reply (at most
 * LS_CONTROL_REPLY_MAX bytes) fits in an empty Unix socket buffer, so a
 * send that cannot complete means a client that does not read: it loses
 * its answer, never the loop its time. MSG_NOSIGNAL: a client that hung up
 * must not SIGPIPE the agent. */
static void say(int cfd, const char *status, const char *msg)
{
	char out[LS_CONTROL_REPLY_MAX + 16];
	int len = snprintf(out, sizeof(out), "%s %s\n", status, msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(out))
		len = (int)sizeof(out) - 1;
	if (send(cfd, out, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client left or does not read; the request was still
		 * carried out */
	}
}

static int peer_allowed(int cfd)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	return !getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) &&
	       (cred.uid == 0 || cred.uid == geteuid());
}

void ls_control_srv_init(struct ls_control_srv *s, int lfd, ls_control_fn fn, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->lfd = lfd;
	s->fn = fn;
	s->ctx = ctx;
	s->deadline_ns = LS_CONTROL_DEADLINE_NS;
	for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++)
		s->cl[i].fd = -1;
}

static struct ls_control_client *client_of(struct ls_control_srv *s, int cfd)
{
	for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++)
		if (s->cl[i].fd == cfd)
			return &s->cl[i];
	return NULL;
}

/* A free slot, or the oldest client's: when every slot is taken the
 * longest waiting client is told so and let go, so that a crowd of
 * silent connections delays a real request by at most one accept, never
 * locks it out. Returns the slot; *evicted is the fd the caller must stop
 * watching and close (-1 when none). */
static struct ls_control_client *slot_for_new(struct ls_control_srv *s, int *evicted)
{
	struct ls_control_client *oldest = &s->cl[0];
	*evicted = -1;
	for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++) {
		if (s->cl[i].fd < 0)
			return &s->cl[i];
		if (s->cl[i].since_k < oldest->since_k)
			oldest = &s->cl[i];
	}
	say(oldest->fd, "error", "busy: too many control clients at once; this one waited "
				 "longest without sending a request");
	*evicted = oldest->fd;
	oldest->fd = -1;
	s->evicted++;
	return oldest;
}

int ls_control_srv_accept(struct ls_control_srv *s, uint64_t now_k, int *evicted)
{
	*evicted = -1;
	for (;;) {
		int cfd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			return errno == EINTR ? -EAGAIN : -errno; /* EAGAIN: none pending */
		if (!peer_allowed(cfd)) {
			say(cfd, "error", "permission denied: root only");
			close(cfd);
			continue;
		}
		struct ls_control_client *c = slot_for_new(s, evicted);
		c->fd = cfd;
		c->n = 0;
		c->since_k = now_k;
		return cfd;
	}
}

/* Answers the complete request in c->req and frees the slot. */
static void answer(struct ls_control_srv *s, struct ls_control_client *c)
{
	char reply[LS_CONTROL_REPLY_MAX];
	char *req = c->req;
	char *nl = memchr(req, '\n', c->n);
	if (nl)
		*nl = 0;
	else
		req[c->n] = 0;
	size_t rl = strlen(req);
	if (rl && req[rl - 1] == '\r')
		req[rl - 1] = 0;
	char *arg = strchr(req, ' ');
	if (arg)
		*arg++ = 0;
	else
		arg = "";
	reply[0] = 0;
	if (!req[0]) {
		say(c->fd, "error", "empty request");
		return;
	}
	int rc = s->fn(s->ctx, req, arg, reply, sizeof(reply));
	say(c->fd, rc ? "error" : "ok", reply);
}

int ls_control_srv_input(struct ls_control_srv *s, int cfd)
{
	struct ls_control_client *c = client_of(s, cfd);
	if (!c)
		return 1;
	for (;;) {
		if (c->n == sizeof(c->req) - 1) {
			char m[96];
			snprintf(m, sizeof(m), "request too long (a request is one line of at most %zu bytes)",
				 sizeof(c->req) - 2);
			say(cfd, "error", m);
			s->too_long++;
			return 1;
		}
		ssize_t r = read(cfd, c->req + c->n, sizeof(c->req) - 1 - c->n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0; /* wait for the rest of the line */
		if (r <= 0) {
			/* EOF (or an error) before a newline: a client that
			 * shut down its side after writing still gets its
			 * answer */
			if (r == 0 && c->n)
				answer(s, c);
			return 1;
		}
		size_t old = c->n;
		c->n += (size_t)r;
		if (memchr(c->req + old, '\n', (size_t)r)) {
			answer(s, c);
			return 1;
		}
	}
}

int ls_control_srv_expired(struct ls_control_srv *s, uint64_t now_k)
{
	for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++) {
		struct ls_control_client *c = &s->cl[i];
		if (c->fd >= 0 && now_k - c->since_k >= s->deadline_ns) {
			say(c->fd, "error", "timeout: no complete request line within the deadline");
			s->timed_out++;
			return c->fd;
		}
	}
	return -1;
}

void ls_control_srv_close(struct ls_control_srv *s, int cfd)
{
	struct ls_control_client *c = client_of(s, cfd);
	if (c)
		c->fd = -1;
	close(cfd);
}

void ls_control_srv_free(struct ls_control_srv *s)
{
	for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++)
		if (s->cl[i].fd >= 0) {
			close(s->cl[i].fd);
			s->cl[i].fd = -1;
		}
}

void ls_control_close(int lfd, const char *path)
{
	if (lfd >= 0)
		close(lfd);
	if (path)
		unlink(path);
}

int ls_control_request(const char *path, const char *request, char *reply, size_t len,
		       struct ls_err *err)
{
	struct sockaddr_un sa;
	struct timeval tv = {.tv_sec = 30}; /* a reload instantiates a module */
	size_t n = 0;
	int fd, rc;

	if ((rc = make_addr(&sa, path, err)))
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		/* say which of the usual three it is: none started, one died,
		 * or not ours to talk to */
		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return ls_errf(err, -e,
				       "cannot reach the agent at %s: no agent is running "
				       "(nothing listens there; start one with `lockstep run`, or "
				       "give its --control-socket / $LS_CONTROL_SOCK)",
				       path);
		if (e == ECONNREFUSED)
			return ls_errf(err, -e,
				       "cannot reach the agent at %s: no agent is running "
				       "(the socket was left by an agent that died; the next "
				       "`lockstep run` replaces it)",
				       path);
		if (e == EACCES || e == EPERM)
			return ls_errf(err, -e,
				       "cannot reach the agent at %s: permission denied "
				       "(the control socket is root only)",
				       path);
		return ls_errf(err, -e, "cannot reach the agent at %s: %s", path, strerror(e));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t rl = strlen(request);
	if (send(fd, request, rl, MSG_NOSIGNAL) != (ssize_t)rl ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		ls_errf(err, LS_CONTROL_NO_ANSWER, "cannot send to the agent: %s", strerror(errno));
		close(fd);
		return LS_CONTROL_NO_ANSWER;
	}
	while (n < len - 1) {
		ssize_t r = read(fd, reply + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	reply[n] = 0;
	while (n && (reply[n - 1] == '\n' || reply[n - 1] == '\r'))
		reply[--n] = 0;
	if (!strncmp(reply, "ok", 2))
		return 0;
	if (!strncmp(reply, "error", 5))
		return 1;
	return ls_errf(err, LS_CONTROL_NO_ANSWER, "no answer from the agent at %s", path);
}
