/* ka_client.c - an HTTP/1.1 keep-alive load client that counts dropped
 * connections, for the clock suites (tests/clock/lease_live.sh,
 * failsafe_live.sh). wrk counts requests and errors in aggregate; the
 * question there is per connection: did every request on it get its
 * answer in time?
 *
 *   ka_client --to IP:PORT [--host NAME] [--path PATH] [--conns N]
 *             [--concurrency C] [--requests R] [--gap MIN:MAX]
 *             [--timeout DUR] [--connect-timeout DUR] [--ramp DUR] [--seed N]
 *
 * Opens N connections in all, at most C at a time (the first C spread over
 * --ramp, then one whenever one finishes). Each sends R requests (GET PATH,
 * Host NAME, one write each), one at a time, waiting a random gap in
 * [MIN, MAX] after each answer -- random so the requests land at every
 * phase of the policy's refresh period. A connection is dropped when a
 * request on it fails (reset, closed, not a 200) or is not answered in full
 * within --timeout; it is then aborted with a reset. A connection that
 * cannot connect within --connect-timeout counts apart. Prints one summary
 * line (key=value) on stdout and the first few failures on stderr; exit 0
 * when it ran (whatever it counted), 2 on bad arguments, 1 on a local error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/args.h"

enum state { S_FREE, S_CONNECTING, S_SENDING, S_READING, S_IDLE };
enum outcome { OUT_OK, OUT_TIMEOUT, OUT_FAILED, OUT_CONNECT };

struct conn {
	enum state st;
	int fd;
	uint32_t id;
	uint16_t port;	     /* local port, for the failure report */
	int done;	     /* requests answered */
	size_t sent;	     /* bytes of the current request written */
	int64_t deadline_ns; /* of the current step (connect, answer, gap end) */
	int64_t req_start_ns;
	char buf[4096]; /* response headers (the body is counted, not kept) */
	size_t have;
	int64_t body_left; /* -1 while in the headers */
};

struct opts {
	struct sockaddr_storage to;
	socklen_t tolen;
	const char *host, *path;
	uint64_t conns, conc, reqs;
	uint64_t gap_min_ns, gap_max_ns, timeout_ns, connect_ns, ramp_ns, seed;
};

static struct opts o = {.host = "localhost",
			.path = "/",
			.conns = 100,
			.conc = 50,
			.reqs = 4,
			.gap_min_ns = 250000000,
			.gap_max_ns = 750000000,
			.timeout_ns = 3000000000ull,
			.connect_ns = 10000000000ull,
			.ramp_ns = 1000000000ull,
			.seed = 1};
static char request[1024];
static size_t request_len;
static uint64_t started, finished, n_out[4], reqs_ok, reported;
static int64_t *lat_ns;
static size_t nlat;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static uint64_t rnd(void) /* xorshift64*: reproducible per --seed */
{
	o.seed ^= o.seed >> 12;
	o.seed ^= o.seed << 25;
	o.seed ^= o.seed >> 27;
	return o.seed * 2685821657736338717ull;
}

static int parse_to(const char *s)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	uint64_t port;
	if (ls_parse_uint(colon + 1, 1, 65535, &port))
		return -1;
	memset(&o.to, 0, sizeof(o.to));
	struct sockaddr_in *a4 = (struct sockaddr_in *)&o.to;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&o.to;
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -1;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		o.tolen = sizeof(*a6);
	} else {
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -1;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		o.tolen = sizeof(*a4);
	}
	return 0;
}

static void report(const struct conn *c, const char *what)
{
	if (reported++ < 10)
		fprintf(stderr,
			"# ka_client: connection %u (local port %u): %s after %d of %llu "
			"requests\n",
			c->id, c->port, what, c->done, (unsigned long long)o.reqs);
}

static void finish(int ep, struct conn *c, enum outcome r, const char *what)
{
	if (r != OUT_OK) {
		/* abort: a reset ends the flow at once for the data plane too */
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		report(c, what);
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->st = S_FREE;
	n_out[r]++;
	finished++;
}

static void watch(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void start_request(int ep, struct conn *c, int64_t now)
{
	c->st = S_SENDING;
	c->sent = 0;
	c->have = 0;
	c->body_left = -1;
	c->req_start_ns = now;
	c->deadline_ns = now + (int64_t)o.timeout_ns;
	watch(ep, c, EPOLLOUT);
}

static int open_conn(int ep, struct conn *c, int64_t now)
{
	int fd = socket(o.to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->id = (uint32_t)started++;
	c->st = S_CONNECTING;
	c->deadline_ns = now + (int64_t)o.connect_ns;
	if (connect(fd, (struct sockaddr *)&o.to, o.tolen) && errno != EINPROGRESS) {
		close(fd);
		c->st = S_FREE;
		n_out[OUT_CONNECT]++;
		finished++;
		return 0;
	}
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -1;
	}
	return 0;
}

/* Parses the header block once it is whole: 1 done, 0 more, -1 bad. */
static int parse_head(struct conn *c)
{
	char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
	if (!end)
		return c->have == sizeof(c->buf) ? -1 : 0;
	*end = 0;
	if (strncmp(c->buf, "HTTP/1.1 200 ", 13))
		return -1;
	const char *cl = strcasestr(c->buf, "\r\ncontent-length:");
	if (!cl)
		return -1;
	c->body_left = strtoll(cl + 17, NULL, 10);
	size_t head = (size_t)(end + 4 - c->buf);
	c->body_left -= (int64_t)(c->have - head);
	return 1;
}

static void on_answer(int ep, struct conn *c, int64_t now)
{
	c->done++;
	reqs_ok++;
	lat_ns[nlat++] = now - c->req_start_ns;
	if ((uint64_t)c->done == o.reqs) {
		finish(ep, c, OUT_OK, NULL);
		return;
	}
	c->st = S_IDLE;
	uint64_t span = o.gap_max_ns - o.gap_min_ns;
	c->deadline_ns = now + (int64_t)(o.gap_min_ns + (span ? rnd() % (span + 1) : 0));
	watch(ep, c, EPOLLRDHUP); /* a close while idle is a failure too */
}

static void on_io(int ep, struct conn *c, uint32_t events, int64_t now)
{
	if (c->st == S_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			finish(ep, c, OUT_CONNECT, strerror(err));
			return;
		}
		struct sockaddr_storage la;
		socklen_t ll = sizeof(la);
		if (!getsockname(c->fd, (struct sockaddr *)&la, &ll))
			c->port =
			    ntohs(la.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&la)->sin6_port
							   : ((struct sockaddr_in *)&la)->sin_port);
		start_request(ep, c, now);
		return;
	}
	if (c->st == S_IDLE) {
		finish(ep, c, OUT_FAILED, "closed by the peer while idle");
		return;
	}
	if (c->st == S_SENDING) {
		ssize_t n = send(c->fd, request + c->sent, request_len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			finish(ep, c, OUT_FAILED, strerror(errno));
			return;
		}
		if (n > 0)
			c->sent += (size_t)n;
		if (c->sent == request_len) {
			c->st = S_READING;
			watch(ep, c, EPOLLIN);
		}
		return;
	}
	/* S_READING */
	for (;;) {
		char sink[16384];
		char *dst = c->body_left < 0 ? c->buf + c->have : sink;
		size_t cap = c->body_left < 0 ? sizeof(c->buf) - c->have : sizeof(sink);
		ssize_t n = recv(c->fd, dst, cap, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			finish(ep, c, OUT_FAILED, n == 0 ? "closed by the peer" : strerror(errno));
			return;
		}
		if (n < 0)
			return;
		if (c->body_left < 0) {
			c->have += (size_t)n;
			int rc = parse_head(c);
			if (rc < 0) {
				finish(ep, c, OUT_FAILED, "not a 200 answer with a Content-Length");
				return;
			}
			if (rc == 0)
				continue;
		} else {
			c->body_left -= n;
		}
		if (c->body_left == 0) {
			on_answer(ep, c, now);
			return;
		}
		if (c->body_left < 0) {
			finish(ep, c, OUT_FAILED, "more bytes than its Content-Length");
			return;
		}
	}
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double pct_ms(double p)
{
	if (!nlat)
		return 0;
	size_t i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return (double)lat_ns[i] / 1e6;
}

static int usage(const char *msg)
{
	fprintf(stderr,
		"ka_client: %s\nusage: ka_client --to IP:PORT [--host NAME] [--path PATH] "
		"[--conns N] [--concurrency C] [--requests R] [--gap MIN:MAX] [--timeout DUR] "
		"[--connect-timeout DUR] [--ramp DUR] [--seed N]\n",
		msg);
	return 2;
}

int main(int argc, char **argv)
{
	bool have_to = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage("every option takes a value");
		i++;
		int bad = 0;
		if (!strcmp(a, "--to")) {
			bad = parse_to(v);
			have_to = true;
		} else if (!strcmp(a, "--host")) {
			o.host = v;
		} else if (!strcmp(a, "--path")) {
			o.path = v;
		} else if (!strcmp(a, "--conns")) {
			bad = ls_parse_uint(v, 1, 10000000, &o.conns);
		} else if (!strcmp(a, "--concurrency")) {
			bad = ls_parse_uint(v, 1, 100000, &o.conc);
		} else if (!strcmp(a, "--requests")) {
			bad = ls_parse_uint(v, 1, 100000, &o.reqs);
		} else if (!strcmp(a, "--timeout")) {
			bad = ls_parse_duration_ns(v, &o.timeout_ns) || !o.timeout_ns;
		} else if (!strcmp(a, "--connect-timeout")) {
			bad = ls_parse_duration_ns(v, &o.connect_ns) || !o.connect_ns;
		} else if (!strcmp(a, "--ramp")) {
			bad = ls_parse_duration_ns(v, &o.ramp_ns);
		} else if (!strcmp(a, "--seed")) {
			bad = ls_parse_uint(v, 1, UINT64_MAX, &o.seed);
		} else if (!strcmp(a, "--gap")) {
			char lo[64];
			const char *c = strchr(v, ':');
			if (!c || (size_t)(c - v) >= sizeof(lo))
				return usage("--gap takes MIN:MAX, e.g. 250ms:750ms");
			memcpy(lo, v, (size_t)(c - v));
			lo[c - v] = 0;
			bad = ls_parse_duration_ns(lo, &o.gap_min_ns) ||
			      ls_parse_duration_ns(c + 1, &o.gap_max_ns) ||
			      o.gap_max_ns < o.gap_min_ns;
		} else {
			fprintf(stderr, "ka_client: unknown option '%s'\n", a);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "ka_client: bad value '%s' for %s\n", v, a);
			return 2;
		}
	}
	if (!have_to)
		return usage("--to is required");
	if (o.conc > o.conns)
		o.conc = o.conns;
	int rl = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", o.path,
			  o.host);
	if (rl < 0 || (size_t)rl >= sizeof(request))
		return usage("--host and --path are too long");
	request_len = (size_t)rl;
	/* room for every connection, whatever the soft limit says */
	struct rlimit lim;
	if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur < o.conc + 16) {
		lim.rlim_cur = lim.rlim_max < o.conc + 16 ? lim.rlim_max : o.conc + 16;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	struct conn *cs = calloc(o.conc, sizeof(*cs));
	lat_ns = calloc(o.conns * o.reqs, sizeof(*lat_ns));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || !lat_ns || ep < 0) {
		fprintf(stderr, "ka_client: out of memory or epoll: %s\n", strerror(errno));
		return 1;
	}
	int64_t t0 = mono_ns();
	struct epoll_event evs[256];
	while (finished < o.conns) {
		int64_t now = mono_ns();
		/* open connections: the first C over the ramp, then as slots free */
		uint64_t allowed =
		    o.ramp_ns
			? (uint64_t)((double)o.conc * (double)(now - t0) / (double)o.ramp_ns) + 1
			: o.conc;
		for (uint64_t i = 0; i < o.conc && started < o.conns; i++) {
			if (cs[i].st != S_FREE || (started < o.conc && started >= allowed))
				continue;
			if (open_conn(ep, &cs[i], now)) {
				fprintf(stderr, "ka_client: socket: %s\n", strerror(errno));
				return 1;
			}
		}
		/* deadlines: timeouts, and idle connections whose gap is over */
		int64_t next = now + 50000000;
		for (uint64_t i = 0; i < o.conc; i++) {
			struct conn *c = &cs[i];
			if (c->st == S_FREE)
				continue;
			if (now >= c->deadline_ns) {
				if (c->st == S_IDLE)
					start_request(ep, c, now);
				else if (c->st == S_CONNECTING)
					finish(ep, c, OUT_CONNECT, "connect timed out");
				else
					finish(ep, c, OUT_TIMEOUT, "request timed out");
				continue;
			}
			if (c->deadline_ns < next)
				next = c->deadline_ns;
		}
		if (started < o.conc && started < o.conns && next > now + 5000000)
			next = now + 5000000; /* the ramp goes on */
		int ms = (int)((next - now + 999999) / 1000000);
		int n = epoll_wait(ep, evs, 256, ms > 0 ? ms : 0);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "ka_client: epoll_wait: %s\n", strerror(errno));
			return 1;
		}
		now = mono_ns();
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->st != S_FREE)
				on_io(ep, c, evs[i].events, now);
		}
	}
	qsort(lat_ns, nlat, sizeof(*lat_ns), cmp64);
	printf("connections=%llu ok=%llu dropped=%llu timeouts=%llu failures=%llu "
	       "connect_failures=%llu requests_ok=%llu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
	       "seconds=%.1f\n",
	       (unsigned long long)o.conns, (unsigned long long)n_out[OUT_OK],
	       (unsigned long long)(n_out[OUT_TIMEOUT] + n_out[OUT_FAILED]),
	       (unsigned long long)n_out[OUT_TIMEOUT], (unsigned long long)n_out[OUT_FAILED],
	       (unsigned long long)n_out[OUT_CONNECT], (unsigned long long)reqs_ok, pct_ms(0.5),
	       pct_ms(0.99), nlat ? (double)lat_ns[nlat - 1] / 1e6 : 0.0,
	       (double)(mono_ns() - t0) / 1e9);
	free(cs);
	free(lat_ns);
	close(ep);
	return 0;
}
