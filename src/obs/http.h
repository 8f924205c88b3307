/* http.h - the metrics endpoint: libmicrohttpd in its external epoll mode,
 * so it runs inside the agent's one event loop (no hidden threads). The
 * loop watches ls_http_fd() (MHD's own epoll fd, readable when any of its
 * sockets is) and calls ls_http_run(); also call it from a periodic timer so
 * idle connections time out.
 *
 *   GET /metrics   Prometheus text format 0.0.4 (what the write callback
 *                  prints)
 *   GET /healthz   200 "ok": the agent's loop is answering (liveness)
 *   GET /readyz    200 "ready", or 503 "not ready: WHY" from the ready
 *                  callback (readiness: attached, deciding, not in fail-safe)
 *   GET /          a one-line pointer to these
 */
#ifndef LS_OBS_HTTP_H
#define LS_OBS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

/* A connection's deadline for a complete request, from its connect (or its
 * last answer on keep-alive): missed, the server shuts it down (http.c).
 * So every connection is answered or closed within this much time. */
#define LS_HTTP_REQ_NS (3000000000ull)

typedef void (*ls_http_write_fn)(void *ctx, FILE *f);
/* true when ready; otherwise false with why filled (one line). */
typedef bool (*ls_http_ready_fn)(void *ctx, char *why, size_t n);

struct ls_http;

/* addr: "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464");
 * port 0 picks a free one (see ls_http_port). 0, or a negative errno with
 * err filled (-EINVAL a bad address, -EADDRNOTAVAIL one it cannot bind). */
int ls_http_start(struct ls_http **out, const char *addr, ls_http_write_fn fn, void *ctx,
		  struct ls_err *err);
int ls_http_fd(const struct ls_http *h);
int ls_http_port(const struct ls_http *h);
void ls_http_run(struct ls_http *h);
void ls_http_stop(struct ls_http *h);
unsigned long long ls_http_scrapes(const struct ls_http *h);
/* Connections shut down for want of a complete request in time, or to make
 * room for a newcomer (slow clients, see http.c). */
unsigned long long ls_http_cut(const struct ls_http *h);
/* Connections open now (accepted, not yet closed by the server). */
int ls_http_conns(const struct ls_http *h);
/* Without one, /readyz answers ready whenever /healthz does. */
void ls_http_set_ready(struct ls_http *h, ls_http_ready_fn fn, void *ctx);

/* Parse "HOST:PORT" into a socket address; 0 or -1. */
struct sockaddr_storage;
int ls_http_parse_addr(const char *addr, struct sockaddr_storage *ss, size_t *sslen);

#endif
