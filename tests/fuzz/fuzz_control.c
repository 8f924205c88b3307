/* fuzz_control.c - libFuzzer target for the agent's control protocol: the
 * server side of the control socket (src/agent/control.c: per-client line
 * assembly, size limit, request split, answer) over a real socketpair, with
 * the agent's own handlers behind it: the observability requests
 * (obs_link_control: obs.status, trace.level, trace.dump) and the policy's
 * (ls_control_policy: status, reload) on a real policy running
 * build/guests/test/minimal.wasm. The input is the client's byte stream;
 * its first byte sets the size of the writes it comes in (a client
 * dripping bytes, or sending all at once). Paths in requests are kept
 * inside a scratch directory (the fuzzer runs as root: a hostile path must
 * not write /etc). Invariants: no crash or sanitizer report; every client
 * gets exactly one line that starts with "ok " or "error " (or none when it
 * sent nothing); the server frees its slot. Built by `make fuzz`; run by
 * tests/fuzz/fuzz_ci.sh (seeds tests/fuzz/corpus/control/). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/control.h"
#include "agent/obs_link.h"
#include "policy/policy.h"

static struct ls_control_srv srv;
static struct obs_link *ro;
static struct ls_policy *pol;
static char module[4096];

static char scratch[64] = "/tmp/fuzz-control.XXXXXX";

static int dispatch(void *ctx, const char *cmd, const char *arg, char *reply, size_t len)
{
	char kept[128];
	(void)ctx;
	/* requests naming a file get one inside the scratch directory */
	if ((!strcmp(cmd, "trace.dump") || !strcmp(cmd, "reload")) && arg[0] &&
	    strcmp(arg, module)) {
		snprintf(kept, sizeof(kept), "%s/%s", scratch,
			 strchr(arg, '/') || arg[0] == '.' ? "no-such-file" : "scratch-file");
		arg = kept;
	}
	int rc = obs_link_control(ro, cmd, arg, reply, len);
	if (rc != -2)
		return rc;
	return ls_control_policy(pol, cmd, arg, reply, len);
}

static uint64_t now_g(void *c)
{
	(void)c;
	return 1000000000ull;
}

static int sink_write(void *c, const struct ls_flow_key *k, uint64_t id, uint32_t v, uint64_t d)
{
	(void)c, (void)k, (void)id, (void)v, (void)d;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *root = getenv("LS_ROOT");
	char *cwd = getcwd(NULL, 0);
	snprintf(module, sizeof(module), "%s/build/guests/test/minimal.wasm", root ? root : cwd);
	free(cwd);
	struct obs_link_opts o;
	obs_link_opts_init(&o);
	if (obs_link_open(&ro, &o, NULL)) {
		fprintf(stderr, "fuzz_control: obs_link_open failed\n");
		exit(1);
	}
	struct ls_policy_config cfg = {
	    .fuel = 1000000,
	    .default_verdict = LS_VERDICT_PASS,
	    .clock = {.now_g = now_g, .now_k = now_g},
	};
	struct ls_verdict_sink sink = {.write = sink_write};
	struct ls_err err;
	if (ls_policy_new(&cfg, &sink, &pol, &err) || ls_policy_load_file(pol, module, &err)) {
		fprintf(stderr, "fuzz_control: %s (build/guests/test/minimal.wasm: make guests)\n",
			err.msg);
		exit(1);
	}
	if (!mkdtemp(scratch)) {
		perror("fuzz_control: scratch directory");
		exit(1);
	}
	ls_control_srv_init(&srv, -1, dispatch, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	int sv[2];
	if (n < 1 || n > 3 * sizeof(srv.cl[0].req))
		return 0;
	size_t chunk = (size_t)data[0] * 17 + 1;
	data++, n--;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	int one = 1 << 16;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	/* the slot accept would fill */
	srv.cl[0].fd = sv[1];
	srv.cl[0].n = 0;
	srv.cl[0].since_k = 0;
	int done = 0;
	for (size_t at = 0; at < n && !done; at += chunk) {
		size_t k = n - at < chunk ? n - at : chunk;
		ssize_t w = write(sv[0], data + at, k);
		if (w < 0 && errno == EAGAIN)
			break; /* the server stopped reading: it answered already */
		done = ls_control_srv_input(&srv, sv[1]);
	}
	if (!done) {
		shutdown(sv[0], SHUT_WR); /* EOF: a complete request is answered */
		done = ls_control_srv_input(&srv, sv[1]);
	}
	if (!done) {
		/* still incomplete: the deadline lets it go */
		if (ls_control_srv_expired(&srv, UINT64_MAX) != sv[1])
			abort();
	}
	ls_control_srv_close(&srv, sv[1]);
	if (srv.cl[0].fd != -1)
		abort();
	char reply[LS_CONTROL_REPLY_MAX + 64];
	size_t got = 0;
	for (;;) {
		ssize_t r = read(sv[0], reply + got, sizeof(reply) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(sv[0]);
	reply[got] = 0;
	if (got == 0) {
		if (n)
			abort(); /* bytes sent, nothing answered */
		return 0;
	}
	if (strncmp(reply, "ok", 2) && strncmp(reply, "error", 5))
		abort();
	char *nl = memchr(reply, '\n', got);
	if (!nl || nl != reply + got - 1)
		abort(); /* not exactly one line */
	return 0;
}
