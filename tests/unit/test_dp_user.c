/* test_dp_user.c - the user-space pieces of the data plane that need no
 * kernel: canonical flow keys (both orientations give one key, IPv4 goes
 * in mapped), flow/duration parsing with its refusals, the event loop
 * (timers and signals through real timerfd/signalfd). JSON event lines
 * are event_json's and tested there. */
#include "test.h"

#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include "base/args.h"
#include "dataplane/dataplane.h"
#include "agent/loop.h"

TEST(flow_key_both_orientations_agree)
{
	struct ls_flow_key a, b;
	struct ls_dp_err err;
	CHECK_EQ_INT(ls_flow_key_parse(&a, "tcp 198.18.0.1 40000 198.18.0.2 80", &err), 0);
	CHECK_EQ_INT(ls_flow_key_parse(&b, "TCP 198.18.0.2 80 198.18.0.1 40000", &err), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_EQ_INT(a.family, 4);
	CHECK_EQ_INT(a.proto, 6);
	CHECK_EQ_INT(a.lo_port, 40000); /* .1 sorts before .2 */
	CHECK_EQ_INT(a.hi_port, 80);
	CHECK_EQ_INT(a.lo_addr[10], 0xff);
	CHECK_EQ_INT(a.lo_addr[11], 0xff);
	CHECK_EQ_INT(a.lo_addr[15], 1);
	CHECK_EQ_INT(a.hi_addr[15], 2);
}

TEST(flow_key_same_address_sorts_by_port)
{
	struct ls_flow_key k;
	uint8_t ip[4] = {198, 18, 0, 1};
	CHECK(ls_flow_key_make(&k, 17, 4, ip, 53, ip, 5353));
	CHECK(ls_flow_key_make(&k, 17, 4, ip, 5353, ip, 53) == false);
	CHECK(ls_flow_key_make(&k, 17, 4, ip, 53, ip, 60000));
	CHECK_EQ_INT(k.lo_port, 53);
}

TEST(flow_key_ipv6)
{
	struct ls_flow_key k;
	struct ls_dp_err err;
	char buf[64];
	CHECK_EQ_INT(ls_flow_key_parse(&k, "udp 2001:db8::2 53 2001:db8::1 33000", &err), 0);
	CHECK_EQ_INT(k.family, 6);
	CHECK_EQ_INT(k.lo_port, 33000);
	ls_flow_addr_str(k.lo_addr, k.family, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "2001:db8::1");
}

TEST(flow_key_refusals)
{
	struct ls_flow_key k;
	struct ls_dp_err err;
	CHECK(ls_flow_key_parse(&k, "tcp 198.18.0.1 40000 198.18.0.2", &err) < 0);
	CHECK(ls_flow_key_parse(&k, "tcp 198.18.0.1 40000 198.18.0.2 80 x", &err) < 0);
	CHECK(ls_flow_key_parse(&k, "sctpx 198.18.0.1 1 198.18.0.2 2", &err) < 0);
	CHECK(strstr(err.msg, "sctpx") != NULL);
	CHECK(ls_flow_key_parse(&k, "tcp 198.18.0.1 65536 198.18.0.2 80", &err) < 0);
	CHECK(ls_flow_key_parse(&k, "tcp 198.18.0.1 -1 198.18.0.2 80", &err) < 0);
	CHECK(ls_flow_key_parse(&k, "tcp 198.18.0.1 1 2001:db8::1 80", &err) < 0);
	CHECK(strstr(err.msg, "family") != NULL);
	CHECK(ls_flow_key_parse(&k, "tcp 198.18.0.300 1 198.18.0.1 80", &err) < 0);
	CHECK(ls_flow_key_parse(&k, "", &err) < 0);
	CHECK_EQ_INT(ls_flow_key_parse(&k, "47 198.18.0.1 0 198.18.0.2 0", &err), 0);
	CHECK_EQ_INT(k.proto, 47);
}

TEST(durations)
{
	uint64_t ns;
	CHECK(!ls_cli_duration_ns("250ms", &ns) && ns == 250000000ull);
	CHECK(!ls_cli_duration_ns("10s", &ns) && ns == 10000000000ull);
	CHECK(!ls_cli_duration_ns("3", &ns) && ns == 3000000000ull);
	CHECK(!ls_cli_duration_ns("2m", &ns) && ns == 120000000000ull);
	CHECK(!ls_cli_duration_ns("1h", &ns) && ns == 3600000000000ull);
	CHECK(!ls_cli_duration_ns("7us", &ns) && ns == 7000);
	CHECK(ls_cli_duration_ns("-1s", &ns) < 0);
	CHECK(ls_cli_duration_ns("1 s", &ns) < 0);
	CHECK(ls_cli_duration_ns("1d", &ns) < 0);
	CHECK(ls_cli_duration_ns("", &ns) < 0);
	CHECK(ls_cli_duration_ns("99999999999999999999s", &ns) < 0);
	CHECK(ls_cli_duration_ns("9999999999999h", &ns) < 0);
	uint64_t v;
	CHECK(!ls_cli_uint("4", 1, 255, &v) && v == 4);
	CHECK(ls_cli_uint("0", 1, 255, &v) < 0);
	CHECK(ls_cli_uint("256", 1, 255, &v) < 0);
	CHECK(ls_cli_uint("+4", 1, 255, &v) < 0);
}

struct loop_ctx {
	int ticks, sig, readable;
};

static void on_tick(struct ls_loop *l, uint64_t missed, void *d)
{
	struct loop_ctx *c = d;
	if (++c->ticks == 3)
		kill(getpid(), SIGHUP);
}

static void on_sig(struct ls_loop *l, int signo, void *d)
{
	struct loop_ctx *c = d;
	c->sig = signo;
	ls_loop_stop(l, 7);
}

static void on_fd(struct ls_loop *l, int fd, uint32_t ev, void *d)
{
	struct loop_ctx *c = d;
	char b[8];
	c->readable += (int)read(fd, b, sizeof(b));
	ls_loop_del_fd(l, fd);
}

TEST(loop_timer_signal_fd)
{
	struct loop_ctx c = {0};
	int sigs[] = {SIGHUP};
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "abc", 3) == 3);
	struct ls_loop *l = ls_loop_new();
	CHECK(l != NULL);
	CHECK(ls_loop_add_timer(l, 2000000, on_tick, &c) >= 0);
	CHECK(ls_loop_add_signals(l, sigs, 1, on_sig, &c) == 0);
	CHECK(ls_loop_add_fd(l, p[0], 0x001 /* EPOLLIN */, on_fd, &c) == 0);
	CHECK(ls_loop_add_timer(l, 0, on_tick, &c) < 0);
	CHECK_EQ_INT(ls_loop_run(l), 7);
	CHECK_EQ_INT(c.ticks, 3);
	CHECK_EQ_INT(c.sig, SIGHUP);
	CHECK_EQ_INT(c.readable, 3);
	CHECK(ls_loop_del_fd(l, p[0]) < 0); /* already removed by its handler */
	ls_loop_free(l);
	close(p[0]);
	close(p[1]);
}

TEST(every_counter_has_a_unique_name)
{
	for (unsigned i = 0; i <= LS_CNT_DPI_NONE; i++) {
		CHECK(ls_counter_name(i) != NULL);
		for (unsigned j = 0; j < i && ls_counter_name(i); j++)
			CHECK(!ls_counter_name(j) || strcmp(ls_counter_name(i), ls_counter_name(j)));
	}
	CHECK(ls_counter_name(LS_CNT__MAX) == NULL);
	CHECK_EQ_STR(ls_counter_name(LS_CNT_DROP_VERDICT), "drop_verdict");
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(flow_key_both_orientations_agree);
	RUN(flow_key_same_address_sorts_by_port);
	RUN(flow_key_ipv6);
	RUN(flow_key_refusals);
	RUN(durations);
	RUN(loop_timer_signal_fd);
	RUN(every_counter_has_a_unique_name);
	return test_done();
}
