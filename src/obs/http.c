/* http.c - Prometheus endpoint on libmicrohttpd, external epoll mode
 * (http.h).
 *
 * libmicrohttpd's own timeout is for inactivity: a slow client that sends a
 * byte every few seconds keeps its connection forever, and enough of them
 * take every connection so that scrapes are refused (slowloris). So each
 * connection also has a deadline for a complete request (LS_HTTP_REQ_NS
 * from its connect, or from its last answer on keep-alive) and is shut down
 * when it misses it; and when the connections near the limit, a newcomer
 * takes the place of the one waiting longest without a request. MHD sees the
 * shut-down socket at its next read and frees the connection itself. */
#include "obs/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define LS_HTTP_CONN_MAX 64    /* MHD's hard limit */
#define LS_HTTP_CONN_SOFT 48   /* from here, a newcomer evicts */

struct http_conn {
	int fd;            /* -1: free */
	int busy;          /* a request is being answered */
	uint64_t since_ns; /* connect, or last answer (CLOCK_MONOTONIC) */
};

struct ls_http {
	struct MHD_Daemon *d;
	struct http_conn conn[LS_HTTP_CONN_MAX];
	int nconn;
	unsigned long long cut_slow, cut_evicted;
	ls_http_write_fn fn;
	void *ctx;
	ls_http_ready_fn ready;
	void *ready_ctx;
	int port;
	unsigned long long scrapes;
};

int ls_http_parse_addr(const char *addr, struct sockaddr_storage *ss, size_t *sslen)
{
	char host[128];
	const char *colon;
	memset(ss, 0, sizeof(*ss));
	if (!addr)
		return -1;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof(host))
			return -1;
		memcpy(host, addr + 1, (size_t)(end - addr - 1));
		host[end - addr - 1] = 0;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof(host))
			return -1;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = 0;
	}
	char *e;
	long port = strtol(colon + 1, &e, 10);
	if (!colon[1] || *e || port < 0 || port > 65535)
		return -1;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (!host[0] || inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		if (!host[0])
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*s6);
		return 0;
	}
	return -1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cut(struct http_conn *k)
{
	shutdown(k->fd, SHUT_RDWR);
	k->since_ns = UINT64_MAX; /* cut once; MHD's close frees the slot */
}

/* The connection waiting longest without a request, NULL when none is. */
static struct http_conn *longest_waiting(struct ls_http *h)
{
	struct http_conn *best = NULL;
	for (int i = 0; i < LS_HTTP_CONN_MAX; i++) {
		struct http_conn *k = &h->conn[i];
		if (k->fd >= 0 && !k->busy && k->since_ns != UINT64_MAX &&
		    (!best || k->since_ns < best->since_ns))
			best = k;
	}
	return best;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
		    enum MHD_ConnectionNotificationCode code)
{
	struct ls_http *h = cls;
	struct http_conn *k = *socket_context;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (k) {
			k->fd = -1;
			h->nconn--;
		}
		return;
	}
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	if (h->nconn >= LS_HTTP_CONN_SOFT) {
		struct http_conn *old = longest_waiting(h);
		if (old) {
			cut(old);
			h->cut_evicted++;
		}
	}
	for (int i = 0; i < LS_HTTP_CONN_MAX; i++) {
		if (h->conn[i].fd < 0) {
			h->conn[i] = (struct http_conn){.fd = ci->connect_fd, .since_ns = mono_ns()};
			h->nconn++;
			*socket_context = &h->conn[i];
			return;
		}
	}
}

static struct http_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The answer went out: a keep-alive connection has a new deadline for its
 * next request. */
static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct http_conn *k = conn_of(c);
	(void)cls;
	(void)con_cls;
	(void)toe;
	if (k && k->since_ns != UINT64_MAX) {
		k->busy = 0;
		k->since_ns = mono_ns();
	}
}

static void sweep(struct ls_http *h)
{
	uint64_t now = mono_ns();
	for (int i = 0; i < LS_HTTP_CONN_MAX; i++) {
		struct http_conn *k = &h->conn[i];
		if (k->fd >= 0 && !k->busy && k->since_ns != UINT64_MAX &&
		    now - k->since_ns >= LS_HTTP_REQ_NS) {
			cut(k);
			h->cut_slow++;
		}
	}
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct ls_http *h = cls;
	(void)version;
	(void)upload;
	struct http_conn *k = conn_of(c);
	if (k)
		k->busy = 1; /* its headers are in: no longer slow */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     strdup("only GET\n"), 9);
	if (*upload_size)
		return MHD_NO;
	(void)con_cls;
	if (!strcmp(url, "/metrics")) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			return MHD_NO;
		h->fn(h->ctx, f);
		fclose(f);
		h->scrapes++;
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len);
	}
	/* liveness: the loop that answers is the agent's one loop, so an answer
	 * is the proof; readiness: what the agent says of itself */
	if (!strcmp(url, "/healthz"))
		return reply(c, MHD_HTTP_OK, "text/plain", strdup("ok\n"), 3);
	if (!strcmp(url, "/readyz")) {
		char why[200] = "", *body = NULL;
		bool ok = !h->ready || h->ready(h->ready_ctx, why, sizeof(why));
		int n = ok ? asprintf(&body, "ready\n") : asprintf(&body, "not ready: %s\n", why);
		if (n < 0)
			return MHD_NO;
		return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", body,
			     (size_t)n);
	}
	if (!strcmp(url, "/")) {
		const char *s = "lockstep: metrics at /metrics, /healthz, /readyz\n";
		return reply(c, MHD_HTTP_OK, "text/plain", strdup(s), strlen(s));
	}
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", strdup("not found\n"), 10);
}

int ls_http_start(struct ls_http **out, const char *addr, ls_http_write_fn fn, void *ctx,
		  struct ls_err *err)
{
	struct sockaddr_storage ss;
	size_t sslen;
	if (ls_http_parse_addr(addr, &ss, &sslen))
		return ls_errf(
		    err, -EINVAL,
		    "--metrics wants HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464), not '%s'",
		    addr ? addr : "");
	struct ls_http *h = calloc(1, sizeof(*h));
	if (!h)
		return ls_errf(err, -ENOMEM, "out of memory");
	h->fn = fn;
	h->ctx = ctx;
	for (int i = 0; i < LS_HTTP_CONN_MAX; i++)
		h->conn[i].fd = -1;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)10, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)LS_HTTP_CONN_MAX, MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_done, h, MHD_OPTION_END);
	if (!h->d) {
		free(h);
		return ls_errf(err, -EADDRNOTAVAIL,
			       "cannot serve metrics on %s (address in use or not local?)", addr);
	}
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = pi ? pi->port : 0;
	*out = h;
	return 0;
}

int ls_http_fd(const struct ls_http *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	return i ? i->epoll_fd : -1;
}

int ls_http_port(const struct ls_http *h)
{
	return h->port;
}

void ls_http_run(struct ls_http *h)
{
	if (!h)
		return;
	sweep(h);
	MHD_run(h->d);
}

unsigned long long ls_http_cut(const struct ls_http *h)
{
	return h ? h->cut_slow + h->cut_evicted : 0;
}

int ls_http_conns(const struct ls_http *h)
{
	return h ? h->nconn : 0;
}

void ls_http_stop(struct ls_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

void ls_http_set_ready(struct ls_http *h, ls_http_ready_fn fn, void *ctx)
{
	h->ready = fn;
	h->ready_ctx = ctx;
}

unsigned long long ls_http_scrapes(const struct ls_http *h)
{
	return h->scrapes;
}
