/* test_dp_drain.c - the agent's ring-buffer drain under a backlog, against
 * the real program in this kernel (BPF_PROG_TEST_RUN, private maps): a
 * drain with a budget takes at most that many records and leaves the rest
 * in the ring, which stays readable for epoll; in the agent's loop another
 * ready source (a timer, the control socket, the heartbeat) is served
 * between two batches instead of after the whole backlog; nothing is lost,
 * duplicated or reordered. Needs root. */
#include "test.h"
#include "frame4.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "agent/loop.h"
#include "dataplane/testrun.h"

#define BACKLOG 3000
#define BUDGET 256

static uint64_t got, last_ts, disorder;
static uint64_t expect;        /* records in the backlog */
static uint64_t got_at_other;  /* records consumed when the other source last ran */
static uint64_t max_span;      /* most records consumed between two of its turns */
static int other_runs, batches;

static int collect(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	if (ev->ts_k < last_ts)
		disorder++;
	last_ts = ev->ts_k;
	got++;
	return 0;
}

/* Ethernet + IPv4 + TCP ACK|PSH 198.18.0.1:40000 -> 198.18.0.2:80 */
static uint32_t frame(uint8_t *o)
{
	return (uint32_t)frame4(o, &(struct frame4){.proto = 6,
						    .src = {198, 18, 0, 1},
						    .dst = {198, 18, 0, 2},
						    .sport = 40000,
						    .dport = 80,
						    .pay = "ping",
						    .plen = 4});
}

/* BACKLOG packets with per-packet tracing on: that many trace events (and
 * the flow's FLOW_NEW) wait in the ring, nobody draining */
static struct ls_testrun *backlog(uint64_t *made)
{
	struct ls_err err;
	struct ls_config cfg = {.version = LS_WIRE_VERSION, .default_verdict = LS_VERDICT_PASS,
				.dpi_max_pkts = 1, .trace_level = 1};
	struct ls_testrun *t;
	ls_testrun_open(&t, &cfg, NULL, NULL, &err);
	if (!t) {
		printf("# %s\n", err.msg);
		return NULL;
	}
	uint8_t f[64];
	uint32_t n = frame(f);
	uint64_t ns;
	if (ls_testrun_repeat(t, LS_TR_XDP, f, n, BACKLOG, &ns)) {
		ls_testrun_close(t);
		return NULL;
	}
	*made = ls_testrun_counter(t, LS_CNT_PKTS) + ls_testrun_counter(t, LS_CNT_FLOW_NEW);
	return t;
}

TEST(a_drain_takes_its_budget_and_leaves_the_rest_readable)
{
	struct ls_err derr;
	uint64_t made = 0;
	struct ls_testrun *t = backlog(&made);
	if (!t)
		SKIP("cannot load the data plane (root and BPF needed)");
	CHECK_EQ_INT(ls_testrun_counter(t, LS_CNT_RINGBUF_FULL), 0);
	struct ls_dp *dp = NULL;
	CHECK_EQ_INT(ls_dp_open_testrun(&dp, t, &derr), 0);
	CHECK_EQ_INT(ls_dp_events_open(dp, collect, NULL, &derr), 0);
	got = last_ts = disorder = 0;
	bool more = false;
	CHECK_EQ_INT(ls_dp_events_drain_max(dp, BUDGET, &more), BUDGET);
	CHECK(more);
	CHECK_EQ_INT(got, BUDGET);
	/* the rest keeps the fd readable: the agent's loop comes back for it */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN}, out;
	CHECK_EQ_INT(epoll_ctl(ep, EPOLL_CTL_ADD, ls_dp_events_fd(dp), &ev), 0);
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 1);
	int turns = 1, n;
	while ((n = ls_dp_events_drain_max(dp, BUDGET, &more)) > 0 && turns < 1000) {
		CHECK(n <= BUDGET);
		turns++;
		if (!more)
			break;
	}
	CHECK(!more);
	CHECK_EQ_INT(got, made);
	CHECK_EQ_INT(disorder, 0);
	CHECK_EQ_INT(turns, (int)((made + BUDGET - 1) / BUDGET));
	printf("# %llu records in %d drains of at most %d\n", (unsigned long long)got, turns, BUDGET);
	/* drained: no longer readable, and a drain without budget finds nothing */
	CHECK_EQ_INT(epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ_INT(ls_dp_events_drain(dp), 0);
	close(ep);
	ls_dp_close(dp);
	ls_testrun_close(t);
}

struct loopctx {
	struct ls_dp *dp;
	int efd;
	uint32_t budget; /* 0: the whole ring at once */
};

static void on_ring(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct loopctx *c = data;
	bool more = false;
	int n = c->budget ? ls_dp_events_drain_max(c->dp, c->budget, &more)
			  : ls_dp_events_drain(c->dp);
	batches++;
	if (n < 0)
		ls_loop_stop(loop, 1);
}

/* Another source that is ready all along (a due timer, a request on the
 * control socket): the eventfd is never read, so it stays readable. */
static void on_other(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	other_runs++;
	if (got - got_at_other > max_span)
		max_span = got - got_at_other;
	got_at_other = got;
	if (got == expect)
		ls_loop_stop(loop, 0);
}

static void run_loop(uint32_t budget, uint64_t *made)
{
	struct ls_err derr;
	struct ls_testrun *t = backlog(made);
	if (!t)
		return;
	struct loopctx c = {.budget = budget};
	expect = *made;
	CHECK_EQ_INT(ls_dp_open_testrun(&c.dp, t, &derr), 0);
	CHECK_EQ_INT(ls_dp_events_open(c.dp, collect, NULL, &derr), 0);
	c.efd = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	struct ls_loop *l = ls_loop_new();
	got = last_ts = disorder = got_at_other = max_span = 0;
	other_runs = batches = 0;
	CHECK_EQ_INT(ls_loop_add_fd(l, ls_dp_events_fd(c.dp), EPOLLIN, on_ring, &c), 0);
	CHECK_EQ_INT(ls_loop_add_fd(l, c.efd, EPOLLIN, on_other, &c), 0);
	CHECK_EQ_INT(ls_loop_run(l), 0);
	ls_loop_free(l);
	close(c.efd);
	ls_dp_close(c.dp);
	ls_testrun_close(t);
}

/* The agent's loop with a budget serves the other source while the
 * backlog is still there, after one batch at most, and gets every record;
 * without one (the old drain to the end) the other source waits for the
 * whole backlog. */
TEST(the_loop_serves_other_sources_between_batches)
{
	uint64_t made = 0;
	run_loop(BUDGET, &made);
	if (!made)
		SKIP("cannot load the data plane (root and BPF needed)");
	printf("# budget %d: %llu records in %d batches, the other source served %d times, "
	       "at most %llu records apart\n", BUDGET, (unsigned long long)got, batches,
	       other_runs, (unsigned long long)max_span);
	CHECK_EQ_INT(got, made);
	CHECK_EQ_INT(disorder, 0);
	CHECK(batches >= (int)(made / BUDGET));
	CHECK(max_span <= BUDGET);

	/* the control: the whole ring at once keeps it waiting for all */
	run_loop(0, &made);
	printf("# no budget: %d batch, the other source waited for %llu of %llu records\n",
	       batches, (unsigned long long)max_span, (unsigned long long)made);
	CHECK_EQ_INT(got, made);
	CHECK_EQ_INT(max_span, made);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(a_drain_takes_its_budget_and_leaves_the_rest_readable);
	RUN(the_loop_serves_other_sources_between_batches);
	return test_done();
}
