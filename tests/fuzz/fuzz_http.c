/* fuzz_http.c - libFuzzer target for the metrics server's request path
 * (src/obs/http.c on libmicrohttpd in external epoll mode, as the agent
 * runs it): a real server on 127.0.0.1, a real TCP client sending the input
 * as its request bytes (in writes whose size the first byte sets), then
 * half-closing; the server is run until it closes the connection. The
 * /metrics writer prints a few series, /readyz says not ready. A first byte
 * of 0 feeds the rest to the address parser (ls_http_parse_addr, what
 * --metrics takes) instead. Invariants: no crash or sanitizer report; the
 * server answers or closes every connection within its request deadline
 * (LS_HTTP_REQ_NS, 3 s from the connect, plus 0.5 s; the harness waited 2 s
 * before, stricter than the server's guarantee, and aborted once on a slow
 * 3.8 KB request that the server would have cut at 3 s); a reply starts
 * with "HTTP/1.". Built by `make fuzz`; run by
 * tests/fuzz/fuzz_ci.sh (seeds tests/fuzz/corpus/http/). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "obs/http.h"

static struct ls_http *H;
static struct sockaddr_in sa;

static void write_metrics(void *ctx, FILE *f)
{
	(void)ctx;
	fprintf(f, "# TYPE lockstep_fuzz_total counter\nlockstep_fuzz_total 1\n");
}

static bool ready(void *ctx, char *why, size_t n)
{
	(void)ctx;
	snprintf(why, n, "fuzzing");
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct ls_err err;
	if (ls_http_start(&H, "127.0.0.1:0", write_metrics, NULL, &err)) {
		fprintf(stderr, "fuzz_http: %s\n", err.msg);
		exit(1);
	}
	ls_http_set_ready(H, ready, NULL);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)ls_http_port(H));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	if (n < 1 || n > 16384)
		return 0;
	if (data[0] == 0) {
		char s[256];
		struct sockaddr_storage ss;
		size_t len;
		snprintf(s, sizeof(s), "%.*s", (int)(n - 1), (const char *)data + 1);
		ls_http_parse_addr(s, &ss, &len);
		return 0;
	}
	size_t chunk = (size_t)data[0] * 64;
	data++, n--;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS)
		abort();
	char reply[65536];
	size_t got = 0, at = 0;
	int eof = 0, shut = 0;
	/* event-driven, as the agent's loop: wait on the client and on the
	 * server's epoll fd; 400 idle turns of 5 ms is a hung server */
	/* polls of 5 ms with nothing to do: the deadline and half a second */
	const int idle_max = (int)(LS_HTTP_REQ_NS / 5000000ull) + 100;
	for (int idle = 0; idle < idle_max && !eof;) {
		ls_http_run(H);
		if (at < n) {
			size_t k = n - at < chunk ? n - at : chunk;
			ssize_t w = send(fd, data + at, k, MSG_NOSIGNAL);
			if (w > 0)
				at += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != ENOTCONN) {
				eof = 1; /* the server closed on us (a 400 mid-request) */
				break;
			}
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = 1;
		}
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = ls_http_fd(H), .events = POLLIN}};
		int r = poll(p, 2, at < n ? 0 : 5);
		if (r == 0 && at >= n)
			idle++;
		if (p[0].revents) {
			ssize_t k = read(fd, reply + got, sizeof(reply) - 1 - got);
			if (k == 0 || (k < 0 && errno != EAGAIN))
				eof = 1;
			else if (k > 0 && (got += (size_t)k) == sizeof(reply) - 1)
				got = 0; /* keep reading; the start was checked */
		}
	}
	if (!eof) {
		/* the server kept a half-closed client waiting: say in what state */
		char cmd[160];
		fprintf(stderr,
			"fuzz_http: no answer nor close in 3.5 s after %zu bytes (chunks of %zu): "
			"the server has %d connections, cut %llu, scrapes %llu; its sockets:\n",
			n, chunk, ls_http_conns(H), ls_http_cut(H), ls_http_scrapes(H));
		snprintf(cmd, sizeof(cmd),
			 "ss -tanoi '( sport = :%d or dport = :%d )' | head -40 >&2",
			 ls_http_port(H), ls_http_port(H));
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_http: %s failed\n", cmd);
		abort();
	}
	close(fd);
	ls_http_run(H);
	reply[got] = 0;
	if (got >= 8 && strncmp(reply, "HTTP/1.", 7)) {
		fprintf(stderr, "fuzz_http: a reply that is not HTTP: %.80s\n", reply);
		abort();
	}
	return 0;
}
