/* test_policy_store.c - the policy host's engine-free pieces: the guests'
 * key-value store (limits, overwrite, delete, growth), guest metrics
 * (define/redefine, kinds, Prometheus text) and the control socket (mode
 * 0600, one request/one reply, a second listener refused, stale socket
 * replaced). The ABI itself is tested with real guests in test_policy_abi. */
#include "test.h"

#include "agent/control.h"
#include "policy/gmetrics.h"
#include "policy/kv.h"

#include <math.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(kv_put_get_del)
{
	struct ls_kv *kv = ls_kv_new();
	char v[16];
	CHECK(kv);
	CHECK_EQ_INT(ls_kv_get(kv, "a", 1, v, sizeof v), -1);
	CHECK_EQ_INT(ls_kv_put(kv, "a", 1, "hello", 5), 0);
	CHECK_EQ_INT(ls_kv_get(kv, "a", 1, v, sizeof v), 5);
	CHECK(!memcmp(v, "hello", 5));
	/* short buffer: the full length is returned, only cap bytes copied */
	memset(v, 'x', sizeof v);
	CHECK_EQ_INT(ls_kv_get(kv, "a", 1, v, 2), 5);
	CHECK(v[0] == 'h' && v[1] == 'e' && v[2] == 'x');
	CHECK_EQ_INT(ls_kv_put(kv, "a", 1, "bye", 3), 0);
	CHECK_EQ_INT(ls_kv_get(kv, "a", 1, v, sizeof v), 3);
	CHECK_EQ_INT(ls_kv_count(kv), 1);
	CHECK_EQ_INT(ls_kv_put(kv, "", 0, "", 0), 0); /* empty key and value */
	CHECK_EQ_INT(ls_kv_get(kv, "", 0, v, sizeof v), 0);
	CHECK_EQ_INT(ls_kv_del(kv, "a", 1), 0);
	CHECK_EQ_INT(ls_kv_del(kv, "a", 1), -1);
	CHECK_EQ_INT(ls_kv_get(kv, "a", 1, v, sizeof v), -1);
	ls_kv_free(kv);
}

TEST(kv_limits_and_growth)
{
	struct ls_kv *kv = ls_kv_new();
	static char big[LS_KV_VAL_MAX + 1];
	char key[LS_KV_KEY_MAX + 1];
	memset(key, 'k', sizeof key);
	CHECK_EQ_INT(ls_kv_put(kv, key, LS_KV_KEY_MAX + 1, "v", 1), -1);
	CHECK_EQ_INT(ls_kv_put(kv, key, LS_KV_KEY_MAX, "v", 1), 0);
	CHECK_EQ_INT(ls_kv_put(kv, "b", 1, big, LS_KV_VAL_MAX + 1), -1);
	CHECK_EQ_INT(ls_kv_put(kv, "b", 1, big, LS_KV_VAL_MAX), 0);
	/* many keys: the table grows and every key stays findable */
	int ok = 1;
	for (int i = 0; i < 20000; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "key%d", i);
		ok &= ls_kv_put(kv, k, (size_t)n, &i, sizeof i) == 0;
	}
	CHECK(ok);
	for (int i = 0; i < 20000; i += 997) {
		char k[16];
		int v = -1, n = snprintf(k, sizeof k, "key%d", i);
		CHECK_EQ_INT(ls_kv_get(kv, k, (size_t)n, &v, sizeof v), sizeof v);
		CHECK_EQ_INT(v, i);
	}
	/* the byte cap: 16 MiB of values refuses more than ~4096 big values */
	int full = 0;
	for (int i = 0; i < 5000 && !full; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "big%d", i);
		full = ls_kv_put(kv, k, (size_t)n, big, LS_KV_VAL_MAX) == -2;
	}
	CHECK(full);
	ls_kv_free(kv);
}

/* docs/abi.md: kv_put answers E_FULL at 65,536 keys; replacing the value of
 * a key already there still works at the limit. */
TEST(kv_entry_limit_is_65536_keys)
{
	struct ls_kv *kv = ls_kv_new();
	int ok = 1;
	char k[16];
	for (int i = 0; i < 65536; i++) {
		int n = snprintf(k, sizeof k, "e%d", i);
		ok &= ls_kv_put(kv, k, (size_t)n, "v", 1) == 0;
	}
	CHECK(ok);
	CHECK_EQ_INT(ls_kv_put(kv, "one-more", 8, "v", 1), -2);
	CHECK_EQ_INT(ls_kv_put(kv, "e7", 2, "w", 1), 0);
	ls_kv_free(kv);
}

TEST(metrics_define_and_write)
{
	static struct ls_gmetrics g;
	memset(&g, 0, sizeof g);
	int c = ls_gm_define(&g, LS_GM_COUNTER, "reqs_total", 10, "requests", 8);
	int h = ls_gm_define(&g, LS_GM_HISTOGRAM, "lat_seconds", 11, "latency", 7);
	int c2 = ls_gm_define(&g, LS_GM_COUNTER, "hits", 4, "a counter named without _total", 30);
	CHECK_EQ_INT(c, 0);
	CHECK_EQ_INT(h, 1);
	CHECK_EQ_INT(ls_gm_add(&g, c2, 3), 0);
	/* redefining returns the same id; another kind is refused */
	CHECK_EQ_INT(ls_gm_define(&g, LS_GM_COUNTER, "reqs_total", 10, "x", 1), 0);
	CHECK_EQ_INT(ls_gm_define(&g, LS_GM_GAUGE, "reqs_total", 10, "x", 1), -1);
	CHECK_EQ_INT(ls_gm_define(&g, LS_GM_GAUGE, "9bad", 4, "", 0), -1);
	CHECK_EQ_INT(ls_gm_define(&g, LS_GM_GAUGE, "bad-name", 8, "", 0), -1);
	CHECK_EQ_INT(ls_gm_define(&g, 7, "x", 1, "", 0), -1);
	CHECK_EQ_INT(ls_gm_add(&g, c, 2), 0);
	CHECK_EQ_INT(ls_gm_add(&g, c, -1), -1); /* counters only go up */
	CHECK_EQ_INT(ls_gm_set(&g, c, 5), -1);  /* not a gauge */
	CHECK_EQ_INT(ls_gm_add(&g, 99, 1), -1);
	CHECK_EQ_INT(ls_gm_observe(&g, h, 0.002), 0);
	CHECK_EQ_INT(ls_gm_observe(&g, h, 5000), 0); /* above every bucket */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ls_gm_write(&g, f);
	fclose(f);
	CHECK(strstr(text, "# TYPE lockstep_guest_reqs_total counter\n"));
	CHECK(strstr(text, "lockstep_guest_reqs_total 2\n"));
	CHECK(strstr(text, "lockstep_guest_lat_seconds_bucket{le=\"0.01\"} 1\n"));
	CHECK(strstr(text, "lockstep_guest_lat_seconds_bucket{le=\"+Inf\"} 2\n"));
	CHECK(strstr(text, "lockstep_guest_lat_seconds_count 2\n"));
	/* exported the way Prometheus wants a counter named */
	CHECK(strstr(text, "# TYPE lockstep_guest_hits_total counter\nlockstep_guest_hits_total 3\n"));
	free(text);
	for (int i = 3; i < LS_GM_MAX; i++) {
		char n[16];
		int l = snprintf(n, sizeof n, "m%d", i);
		ls_gm_define(&g, LS_GM_GAUGE, n, (size_t)l, "", 0);
	}
	CHECK_EQ_INT(ls_gm_define(&g, LS_GM_GAUGE, "onemore", 7, "", 0), -2);
}

/* Two workers' sets merged (gmetrics.h): by hand, the counter 2 + 5 = 7,
 * the histogram's buckets, count and sum added, each worker's gauge its own
 * labelled series, a name only worker 1 defines exported from it alone,
 * and worker 1's "clash" (a gauge where worker 0 has a counter) left out. */
TEST(metrics_of_two_workers_merge)
{
	static struct ls_gmetrics a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	int ca = ls_gm_define(&a, LS_GM_COUNTER, "reqs_total", 10, "requests", 8);
	int ha = ls_gm_define(&a, LS_GM_HISTOGRAM, "lat", 3, "latency", 7);
	int ga = ls_gm_define(&a, LS_GM_GAUGE, "open", 4, "open", 4);
	int xa = ls_gm_define(&a, LS_GM_COUNTER, "clash", 5, "", 0);
	/* worker 1 defines them in another order, and one more */
	int gb = ls_gm_define(&b, LS_GM_GAUGE, "open", 4, "open", 4);
	int only = ls_gm_define(&b, LS_GM_COUNTER, "only_b", 6, "", 0);
	int cb = ls_gm_define(&b, LS_GM_COUNTER, "reqs_total", 10, "requests", 8);
	int hb = ls_gm_define(&b, LS_GM_HISTOGRAM, "lat", 3, "latency", 7);
	int xb = ls_gm_define(&b, LS_GM_GAUGE, "clash", 5, "", 0);
	CHECK(ca >= 0 && ha >= 0 && ga >= 0 && xa >= 0);
	CHECK(gb >= 0 && only >= 0 && cb >= 0 && hb >= 0 && xb >= 0);
	ls_gm_add(&a, ca, 2);
	ls_gm_add(&b, cb, 5);
	ls_gm_add(&b, only, 4);
	ls_gm_add(&a, xa, 1);
	ls_gm_set(&b, xb, 9);
	ls_gm_observe(&a, ha, 0.0005); /* le 0.001 */
	ls_gm_observe(&b, hb, 0.0005);
	ls_gm_observe(&b, hb, 0.5); /* le 1 */
	ls_gm_set(&a, ga, 3);
	ls_gm_set(&b, gb, -1.5);
	/* the published copies, as the agent takes them */
	static struct ls_gmetrics pa, pb;
	memset(&pa, 0, sizeof pa);
	memset(&pb, 0, sizeof pb);
	CHECK(ls_gm_copy(&pa, &a));
	CHECK(!ls_gm_copy(&pa, &a)); /* nothing changed: nothing copied */
	CHECK(ls_gm_copy(&pb, &b));
	const struct ls_gmetrics *parts[2] = {&pa, &pb};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ls_gm_write_merged(parts, 2, f);
	fclose(f);
	printf("%s", text);
	CHECK(strstr(text, "# TYPE lockstep_guest_reqs_total counter\nlockstep_guest_reqs_total 7\n"));
	CHECK(strstr(text, "lockstep_guest_lat_bucket{le=\"0.0001\"} 0\n"));
	CHECK(strstr(text, "lockstep_guest_lat_bucket{le=\"0.001\"} 2\n"));
	CHECK(strstr(text, "lockstep_guest_lat_bucket{le=\"0.1\"} 2\n"));
	CHECK(strstr(text, "lockstep_guest_lat_bucket{le=\"1\"} 3\n"));
	CHECK(strstr(text, "lockstep_guest_lat_bucket{le=\"+Inf\"} 3\n"));
	CHECK(strstr(text, "lockstep_guest_lat_count 3\n"));
	const char *sum = strstr(text, "lockstep_guest_lat_sum ");
	CHECK(sum && fabs(strtod(sum + 23, NULL) - 0.501) < 1e-12);
	CHECK(strstr(text, "# TYPE lockstep_guest_open gauge\nlockstep_guest_open{worker=\"0\"} 3\n"
			   "lockstep_guest_open{worker=\"1\"} -1.5\n"));
	CHECK(strstr(text, "# TYPE lockstep_guest_only_b_total counter\nlockstep_guest_only_b_total 4\n"));
	CHECK(strstr(text, "# TYPE lockstep_guest_clash_total counter\nlockstep_guest_clash_total 1\n"));
	CHECK(!strstr(text, "lockstep_guest_clash{"));
	/* every family once */
	const char *t = strstr(text, "# TYPE lockstep_guest_open ");
	CHECK(t && !strstr(t + 1, "# TYPE lockstep_guest_open "));
	free(text);
	/* one part: exactly the single-worker text (no label) */
	text = NULL;
	f = open_memstream(&text, &len);
	ls_gm_write_merged(parts, 1, f);
	fclose(f);
	CHECK(strstr(text, "lockstep_guest_open 3\n"));
	CHECK(!strstr(text, "worker="));
	free(text);
}

static int echo_handler(void *ctx, const char *cmd, const char *arg, char *reply,
			size_t len)
{
	(*(int *)ctx)++;
	snprintf(reply, len, "cmd=%s arg=%s", cmd, arg);
	return strcmp(cmd, "fail") ? 0 : -1;
}

/* The server side runs in a child so that the client's blocking request can
 * be served; the child polls the non-blocking server (no event loop here)
 * until it has answered n requests, and exits. */
static pid_t serve_in_child(int lfd, int n)
{
	pid_t pid = fork();
	if (pid == 0) {
		static struct ls_control_srv srv;
		int calls = 0, evicted, cfd;
		ls_control_srv_init(&srv, lfd, echo_handler, &calls);
		while (calls < n) {
			while ((cfd = ls_control_srv_accept(&srv, 0, &evicted)) >= 0)
				;
			for (int i = 0; i < LS_CONTROL_CLIENTS_MAX; i++) {
				int fd = srv.cl[i].fd;
				if (fd >= 0 && ls_control_srv_input(&srv, fd))
					ls_control_srv_close(&srv, fd);
			}
			usleep(1000);
		}
		_exit(0);
	}
	return pid;
}

TEST(control_socket)
{
	char dir[] = "/tmp/ls-ctl-XXXXXX", path[128], reply[256];
	struct ls_err err;
	struct stat st;
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/sub/control.sock", dir);
	int lfd = ls_control_listen(path, &err);
	CHECK(lfd >= 0);
	if (lfd < 0) {
		printf("# %s\n", err.msg);
		return;
	}
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && S_ISSOCK(st.st_mode));
	/* a second agent on the same path is refused, the first keeps it */
	CHECK_EQ_INT(ls_control_listen(path, &err), -EADDRINUSE);
	CHECK(strstr(err.msg, "another agent"));
	pid_t pid = serve_in_child(lfd, 2);
	CHECK_EQ_INT(ls_control_request(path, "reload /x/y.wasm", reply, sizeof reply, &err), 0);
	CHECK_EQ_STR(reply, "ok cmd=reload arg=/x/y.wasm");
	CHECK_EQ_INT(ls_control_request(path, "fail", reply, sizeof reply, &err), 1);
	CHECK_EQ_STR(reply, "error cmd=fail arg=");
	int status;
	waitpid(pid, &status, 0);
	ls_control_close(lfd, path);
	CHECK_EQ_INT(ls_control_request(path, "status", reply, sizeof reply, &err), -ENOENT);
	CHECK(strstr(err.msg, "cannot reach the agent"));
	/* a stale socket file (its agent died) is replaced */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0);
	close(s);
	lfd = ls_control_listen(path, &err);
	CHECK(lfd >= 0);
	ls_control_close(lfd, path);
	snprintf(path, sizeof path, "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(kv_put_get_del);
	RUN(kv_limits_and_growth);
	RUN(kv_entry_limit_is_65536_keys);
	RUN(metrics_define_and_write);
	RUN(metrics_of_two_workers_merge);
	RUN(control_socket);
	return test_done();
}
