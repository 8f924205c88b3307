/* http.c - Prometheus endpoint on libmicrohttpd, external epoll mode
 * (http.h). */
#include "obs/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

struct ls_http {
	struct MHD_Daemon *d;
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
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				MHD_OPTION_END);
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
	if (h)
		MHD_run(h->d);
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
