/* control.c - the control socket (control.h). One request per connection,
 * answered at once from the event loop; the 1 s receive timeout bounds how
 * long a silent client can hold the loop. Only root (or the agent's own user)
 * may talk to it: the socket is 0600 and the peer's credentials are checked. */
#include "agent/control.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

static void serve_one(int cfd, ls_control_fn fn, void *ctx)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct timeval tv = {.tv_sec = 1};
	char req[4200], reply[8192], out[8300];
	size_t n = 0;

	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		const char *m = "error permission denied: root only\n";
		if (send(cfd, m, strlen(m), MSG_NOSIGNAL) < 0) {
			/* the client left; nothing to tell it */
		}
		return;
	}
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1) {
		ssize_t r = read(cfd, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = 0;
	char *nl = strchr(req, '\n');
	if (nl)
		*nl = 0;
	char *arg = strchr(req, ' ');
	if (arg)
		*arg++ = 0;
	else
		arg = "";
	reply[0] = 0;
	int rc = req[0] ? fn(ctx, req, arg, reply, sizeof(reply)) : -1;
	if (!req[0])
		snprintf(reply, sizeof(reply), "empty request");
	int len = snprintf(out, sizeof(out), "%s %s\n", rc ? "error" : "ok", reply);
	/* MSG_NOSIGNAL: a client that hung up must not SIGPIPE the agent */
	if (send(cfd, out, (size_t)len, MSG_NOSIGNAL) < 0) {
		/* the client left; the request was still carried out */
	}
}

void ls_control_serve(int lfd, ls_control_fn fn, void *ctx)
{
	for (;;) {
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN: nothing more pending */
		serve_one(cfd, fn, ctx);
		close(cfd);
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
