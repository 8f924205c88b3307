/* test_dp_shard.c - steering of a flow's records to its worker's ring
 * (docs/workers.md, bpf/shard.h), against the real program in this kernel
 * (BPF_PROG_TEST_RUN, private maps, rings created here and put into
 * shard_rings). The expected ring of every flow is computed here from the
 * documented rule -- FNV-1a 32 over the canonical 5-tuple or the client's
 * IPv4-mapped address, times n, the high 32 bits -- written again from docs/workers.md, not
 * taken from the program; and FNV-1a itself is checked against the
 * published test vectors first. Needs root. */
#include "test.h"
#include "frame4.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/time.h"
#include "dataplane/dataplane.h"
#include "dataplane/testrun.h"
#include "lockstep.skel.h"

#define NRING 4
#define MAXEV 4096

/* ---- the documented rule, implemented independently ------------------- */

static uint32_t fnv1a(uint32_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void mapped(uint8_t out[16], const uint8_t a[4])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a, 4);
}

/* endpoint (a, port) sorts before (b, port) as 16-byte big-endian number,
 * then port */
static bool before(const uint8_t a[4], uint16_t pa, const uint8_t b[4], uint16_t pb)
{
	int c = memcmp(a, b, 4);
	return c != 0 ? c < 0 : pa <= pb;
}

static uint32_t shard_flow(uint8_t proto, const uint8_t s[4], uint16_t sp, const uint8_t d[4],
			   uint16_t dp, uint32_t n)
{
	uint8_t b[37];
	bool lo = before(s, sp, d, dp);
	mapped(b, lo ? s : d);
	mapped(b + 16, lo ? d : s);
	uint16_t lp = lo ? sp : dp, hp = lo ? dp : sp;
	b[32] = (uint8_t)(lp >> 8), b[33] = (uint8_t)lp;
	b[34] = (uint8_t)(hp >> 8), b[35] = (uint8_t)hp;
	b[36] = proto;
	return (uint32_t)(((uint64_t)fnv1a(2166136261u, b, sizeof(b)) * n) >> 32);
}

static uint32_t shard_client(const uint8_t client[4], uint32_t n)
{
	uint8_t b[16];
	mapped(b, client);
	return (uint32_t)(((uint64_t)fnv1a(2166136261u, b, sizeof(b)) * n) >> 32);
}

/* ---- rings and what arrived in them ------------------------------------ */

struct got {
	int ring; /* NRING: `events` */
	struct ls_event ev;
};
static struct got got[MAXEV];
static int ngot;

struct ringctx {
	int idx;
};
static struct ringctx rctx[NRING + 1];

static int on_rec(void *ctx, void *data, size_t size)
{
	const struct ringctx *r = ctx;
	if (ngot < MAXEV && size >= sizeof(struct ls_event)) {
		got[ngot].ring = r->idx;
		memcpy(&got[ngot].ev, data, sizeof(struct ls_event));
		ngot++;
	}
	return 0;
}

struct rig {
	struct ls_testrun *t;
	struct ring_buffer *rb;
	int ring_fd[NRING];
};

static void rig_close(struct rig *r)
{
	if (r->rb)
		ring_buffer__free(r->rb);
	for (int i = 0; i < NRING; i++)
		if (r->ring_fd[i] > 0)
			close(r->ring_fd[i]);
	ls_testrun_close(r->t);
}

/* The data plane with NRING rings in shard_rings and shard_cfg {n, by}.
 * Every record is read back (by ring_buffer, one consumer over all rings
 * and `events`) into got[]. */
static int rig_open(struct rig *r, uint32_t n, uint32_t by, uint32_t trace)
{
	struct ls_err err;
	memset(r, 0, sizeof(*r));
	struct ls_config cfg = {.version = LS_WIRE_VERSION,
				.default_verdict = LS_VERDICT_PASS,
				.dpi_max_pkts = 4,
				.trace_level = trace};
	ls_testrun_open(&r->t, &cfg, NULL, NULL, &err);
	if (!r->t) {
		printf("# %s\n", err.msg);
		return -1;
	}
	struct lockstep_bpf *sk = ls_testrun_skel(r->t);
	for (int i = 0; i <= NRING; i++)
		rctx[i].idx = i;
	r->rb = ring_buffer__new(bpf_map__fd(sk->maps.ls_events), on_rec, &rctx[NRING], NULL);
	if (!r->rb)
		return -1;
	for (uint32_t i = 0; i < NRING; i++) {
		/* the inner map's shape: a ring of the template's size */
		r->ring_fd[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, 1u << 22, NULL);
		if (r->ring_fd[i] < 0)
			return -1;
		if (bpf_map_update_elem(bpf_map__fd(sk->maps.ls_shard_rings), &i, &r->ring_fd[i],
					BPF_ANY))
			return -1;
		if (ring_buffer__add(r->rb, r->ring_fd[i], on_rec, &rctx[i]))
			return -1;
	}
	struct ls_shard_cfg sc = {.n = n, .by = by};
	uint32_t zero = 0;
	if (bpf_map_update_elem(bpf_map__fd(sk->maps.ls_shard_cfg), &zero, &sc, BPF_ANY))
		return -1;
	ngot = 0;
	return 0;
}

static void send(struct rig *r, uint8_t proto, const uint8_t s[4], uint16_t sp, const uint8_t d[4],
		 uint16_t dp, uint8_t flags, const char *pay)
{
	uint8_t f[256];
	struct frame4 fr = {.proto = proto,
			    .sport = sp,
			    .dport = dp,
			    .tcp_flags = flags,
			    .pay = pay,
			    .plen = pay ? strlen(pay) : 0};
	memcpy(fr.src, s, 4);
	memcpy(fr.dst, d, 4);
	size_t n = frame4(f, &fr);
	/* run directly, not through ls_testrun_packet: that drains `events`
	 * itself, and this test must see which ring each record is in */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)n, .repeat = 1);
	CHECK(bpf_prog_test_run_opts(bpf_program__fd(ls_testrun_skel(r->t)->progs.ls_xdp), &o) ==
	      0);
	ring_buffer__consume(r->rb);
}

/* ---- tests --------------------------------------------------------------- */

TEST(fnv1a_matches_the_published_vectors)
{
	/* draft-eastlake-fnv: FNV-1a 32 of "" and "a" and "foobar" */
	CHECK(fnv1a(2166136261u, (const uint8_t *)"", 0) == 0x811c9dc5u);
	CHECK(fnv1a(2166136261u, (const uint8_t *)"a", 1) == 0xe40c292cu);
	CHECK(fnv1a(2166136261u, (const uint8_t *)"foobar", 6) == 0xbf9cf968u);
}

/* A TCP exchange per flow (SYN, SYN-ACK, request with a Host, reply, FIN
 * both ways), trace on: every packet is a record, both directions. */
static void exchange(struct rig *r, const uint8_t c[4], uint16_t cp, const uint8_t s[4],
		     uint16_t sp)
{
	send(r, 6, c, cp, s, sp, 0x02, NULL);
	send(r, 6, s, sp, c, cp, 0x12, NULL);
	send(r, 6, c, cp, s, sp, 0x18, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
	send(r, 6, s, sp, c, cp, 0x18, "HTTP/1.1 200 OK\r\n\r\n");
	send(r, 6, c, cp, s, sp, 0x11, NULL);
	send(r, 6, s, sp, c, cp, 0x11, NULL);
}

#define NFLOW 24

/* The agent's copy of the hash (ls_dp_shard_of_flow: which worker adopts
 * which pinned flow at a handover) against the documented rule, for every
 * n and both keys; no kernel needed. */
TEST(agent_side_hash_matches_the_documented_rule)
{
	int bad = 0, cases = 0;
	for (uint32_t n = 2; n <= LS_SHARDS_MAX; n += 3)
		for (int i = 0; i < 200; i++) {
			uint8_t a[4] = {198, 18, (uint8_t)(i % 3), (uint8_t)(1 + i)};
			uint8_t b[4] = {198, 19, (uint8_t)(i % 5), (uint8_t)(7 * i)};
			uint16_t ap = (uint16_t)(1024 + 977 * i), bp = (uint16_t)(i % 2 ? 80 : 443);
			uint8_t proto = i % 4 ? 6 : 17;
			struct ls_flow_key k;
			bool a_lo = ls_flow_key_make(&k, proto, 4, a, ap, b, bp);
			/* a is the client: it sent the first packet */
			if (ls_dp_shard_of_flow(&k, a_lo, LS_SHARD_BY_FLOW, n) !=
			    shard_flow(proto, a, ap, b, bp, n))
				bad++;
			if (ls_dp_shard_of_flow(&k, a_lo, LS_SHARD_BY_CLIENT, n) !=
			    shard_client(a, n))
				bad++;
			cases += 2;
		}
	printf("# %d keys x n, %d disagree\n", cases, bad);
	CHECK_EQ_INT(bad, 0);
	struct ls_flow_key k0 = {0};
	CHECK_EQ_INT(ls_dp_shard_of_flow(&k0, true, LS_SHARD_BY_FLOW, 1), 0);
}

TEST(by_flow_every_record_lands_in_the_ring_the_hash_says_in_order)
{
	struct rig r;
	if (rig_open(&r, NRING, LS_SHARD_BY_FLOW, 1)) {
		rig_close(&r);
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	uint8_t srv[4] = {198, 18, 0, 2};
	uint32_t want[NFLOW];
	int used[NRING] = {0};
	for (int i = 0; i < NFLOW; i++) {
		/* clients on both sides of the server in sort order */
		uint8_t cl[4] = {198, 18, (uint8_t)(i % 2 ? 0 : 1), (uint8_t)(1 + i)};
		uint16_t cp = (uint16_t)(40000 + 7 * i);
		want[i] = shard_flow(6, cl, cp, srv, 80, NRING);
		used[want[i]]++;
		int before_n = ngot;
		exchange(&r, cl, cp, srv, 80);
		/* FLOW_NEW, DPI, FLOW_END and one trace per packet (6) */
		int traces = 0, others = 0;
		uint64_t last_ts = 0;
		for (int k = before_n; k < ngot; k++) {
			const struct ls_event *ev = &got[k].ev;
			if (got[k].ring != (int)want[i]) {
				printf("# flow %d kind %u in ring %d, expected %u\n", i, ev->kind,
				       got[k].ring, want[i]);
				t_cur_failed = 1;
			}
			CHECK(ev->ts_k >= last_ts);
			last_ts = ev->ts_k;
			if (ev->kind == LS_EV_TRACE)
				traces++;
			else
				others++;
		}
		CHECK_EQ_INT(traces, 6);
		CHECK(others >= 3); /* flow_new, dpi (request), flow_end */
	}
	int rings_used = 0;
	for (int i = 0; i < NRING; i++)
		rings_used += used[i] > 0;
	CHECK(rings_used >= 3); /* 24 flows over 4 rings */
	rig_close(&r);
}

TEST(by_client_keeps_a_clients_flows_together_whichever_side_sorts_low)
{
	struct rig r;
	if (rig_open(&r, NRING, LS_SHARD_BY_CLIENT, 1)) {
		rig_close(&r);
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	/* three clients, each to servers that sort below and above it */
	uint8_t cls[3][4] = {{198, 18, 0, 10}, {198, 18, 0, 77}, {198, 18, 0, 200}};
	uint8_t srvs[3][4] = {{198, 18, 0, 1}, {198, 18, 0, 150}, {198, 18, 1, 1}};
	int rings_of_clients[NRING] = {0};
	for (int c = 0; c < 3; c++) {
		uint32_t want = shard_client(cls[c], NRING);
		rings_of_clients[want]++;
		for (int s = 0; s < 3; s++) {
			int from = ngot;
			exchange(&r, cls[c], (uint16_t)(50000 + s), srvs[s], (uint16_t)(443 + s));
			CHECK(ngot - from >= 9);
			for (int k = from; k < ngot; k++)
				if (got[k].ring != (int)want) {
					printf("# client %d server %d kind %u in ring %d, expected "
					       "%u\n",
					       c, s, got[k].ev.kind, got[k].ring, want);
					t_cur_failed = 1;
				}
		}
	}
	rig_close(&r);
}

TEST(failsafe_records_go_to_events_where_the_heartbeat_lives)
{
	struct rig r;
	if (rig_open(&r, NRING, LS_SHARD_BY_FLOW, 0)) {
		rig_close(&r);
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	struct ls_liveness l = {.last_beat_k = ls_now_k() - 10000000000ull,
				.detect_timeout_ns = 1000000000ull,
				.mode = LS_FAILSAFE_PASS};
	uint32_t zero = 0;
	CHECK(bpf_map_update_elem(bpf_map__fd(ls_testrun_skel(r.t)->maps.ls_liveness), &zero, &l,
				  BPF_ANY) == 0);
	uint8_t c[4] = {198, 18, 0, 1}, s[4] = {198, 18, 0, 2};
	send(&r, 17, c, 5000, s, 53, 0, NULL);
	int fs = 0;
	for (int k = 0; k < ngot; k++) {
		if (got[k].ev.kind == LS_EV_FAILSAFE) {
			fs++;
			CHECK_EQ_INT(got[k].ring, NRING);
		} else {
			CHECK_EQ_INT(got[k].ring, (int)shard_flow(17, c, 5000, s, 53, NRING));
		}
	}
	CHECK_EQ_INT(fs, 1);
	rig_close(&r);
}

TEST(one_worker_sends_everything_to_events_even_with_rings_in_place)
{
	struct rig r;
	if (rig_open(&r, 1, LS_SHARD_BY_FLOW, 1)) {
		rig_close(&r);
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	uint8_t c[4] = {198, 18, 0, 1}, s[4] = {198, 18, 0, 2};
	exchange(&r, c, 40001, s, 80);
	CHECK(ngot >= 9);
	for (int k = 0; k < ngot; k++)
		CHECK_EQ_INT(got[k].ring, NRING);
	rig_close(&r);
}

/* A worker marked awake in shard_live (bpf/shard.h, ls_ring_output) gets
 * its records without a wake-up; one marked asleep is woken as before. An
 * epoll on the worker's ring, registered while the ring is empty, says
 * which: the kernel's wake-up is what puts the ring on its ready list. */
static void set_awake(struct rig *r, uint32_t k, uint32_t on)
{
	int fd = bpf_map__fd(ls_testrun_skel(r->t)->maps.ls_shard_live);
	struct ls_shard_live sl;
	CHECK(bpf_map_lookup_elem(fd, &k, &sl) == 0);
	sl.awake = on;
	CHECK(bpf_map_update_elem(fd, &k, &sl, BPF_ANY) == 0);
}

static void run_frame(struct rig *r, const uint8_t c[4], uint16_t cp, const uint8_t s[4])
{
	uint8_t f[256];
	struct frame4 fr = {.proto = 17, .sport = cp, .dport = 53};
	memcpy(fr.src, c, 4);
	memcpy(fr.dst, s, 4);
	size_t n = frame4(f, &fr);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)n, .repeat = 1);
	CHECK(bpf_prog_test_run_opts(bpf_program__fd(ls_testrun_skel(r->t)->progs.ls_xdp), &o) ==
	      0);
}

/* The two halves of the check on one ring: marked awake (word k), a
 * record does not wake an epoll on it; marked asleep, the next one does.
 * ring: got[].ring's index for that ring. */
static void awake_case(struct rig *r, int ring_fd, uint32_t k, int ring, const uint16_t ports[2],
		       const uint8_t c[4], const uint8_t s[4])
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = {.events = EPOLLIN};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ring_fd, &e) == 0);
	CHECK_EQ_INT(epoll_wait(ep, &e, 1, 0), 0); /* empty: not ready */

	set_awake(r, k, 1);
	run_frame(r, c, ports[0], s);
	/* the irq_work of a wake-up runs within microseconds: 100 ms is
	 * ample for one that was sent */
	int woke = epoll_wait(ep, &e, 1, 100);
	ngot = 0;
	ring_buffer__consume(r->rb);
	printf("# awake: woken %d, records read %d\n", woke, ngot);
	CHECK_EQ_INT(woke, 0);
	CHECK(ngot >= 1 && got[0].ring == ring && got[0].ev.kind == LS_EV_FLOW_NEW);

	set_awake(r, k, 0);
	CHECK_EQ_INT(epoll_wait(ep, &e, 1, 0), 0); /* caught up, nothing new */
	run_frame(r, c, ports[1], s);
	woke = epoll_wait(ep, &e, 1, 1000);
	ngot = 0;
	ring_buffer__consume(r->rb);
	printf("# asleep: woken %d, records read %d\n", woke, ngot);
	CHECK_EQ_INT(woke, 1);
	CHECK(ngot >= 1 && got[0].ring == ring && got[0].ev.kind == LS_EV_FLOW_NEW);
	close(ep);
}

TEST(an_awake_worker_is_not_woken_a_sleeping_one_is)
{
	struct rig r;
	if (rig_open(&r, NRING, LS_SHARD_BY_FLOW, 0)) {
		rig_close(&r);
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	uint8_t c[4] = {198, 18, 0, 1}, s[4] = {198, 18, 0, 2};
	/* two client ports whose flows land in ring 0 (the documented hash) */
	uint16_t ports[2];
	int np = 0;
	for (uint32_t p = 30000; p < 40000 && np < 2; p++)
		if (shard_flow(17, c, (uint16_t)p, s, 53, NRING) == 0)
			ports[np++] = (uint16_t)p;
	CHECK_EQ_INT(np, 2);
	awake_case(&r, r.ring_fd[0], 0, 0, ports, c, s);
	rig_close(&r);
}

/* With one worker every record goes to `events`, and its one reader's
 * word is shard_live[0]'s: the same wake-ups saved, the same none lost. */
TEST(one_worker_awake_on_events_is_not_woken_asleep_is)
{
	struct rig r;
	if (rig_open(&r, 1, LS_SHARD_BY_FLOW, 0)) {
		rig_close(&r);
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	uint8_t c[4] = {198, 18, 0, 1}, s[4] = {198, 18, 0, 2};
	uint16_t ports[2] = {30001, 30002};
	int efd = bpf_map__fd(ls_testrun_skel(r.t)->maps.ls_events);
	awake_case(&r, efd, 0, NRING, ports, c, s);
	rig_close(&r);
}

/* ---- two worker threads, through the loader's API --------------------- */

#define TFLOWS 16
#define TPKTS 60

struct worker {
	int idx;
	struct ls_dp_ring *ring;
	int *stop;
	/* per flow (index = port - 41000): frame lengths seen, in order */
	uint32_t last_len[TFLOWS];
	int count[TFLOWS];
	int disorder, foreign, other;
};

static int worker_rec(void *ctx, const struct ls_event *ev)
{
	struct worker *w = ctx;
	if (ev->kind != LS_EV_TRACE)
		return 0;
	uint16_t cport = ev->sport >= 41000 ? ev->sport : ev->dport;
	int f = cport - 41000;
	if (f < 0 || f >= TFLOWS) {
		w->other++;
		return 0;
	}
	if (ev->u.trace.frame_len <= w->last_len[f])
		w->disorder++;
	w->last_len[f] = ev->u.trace.frame_len;
	w->count[f]++;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, ls_dp_ring_fd(w->ring), &e);
	bool more = false;
	for (;;) {
		int stop = __atomic_load_n(w->stop, __ATOMIC_ACQUIRE);
		if (!more)
			epoll_wait(ep, &e, 1, 10);
		ls_dp_ring_drain_max(w->ring, 64, &more);
		if (stop && !more) {
			ls_dp_ring_drain_max(w->ring, 0, &more);
			break;
		}
	}
	close(ep);
	return NULL;
}

TEST(two_worker_threads_get_each_flow_whole_and_in_order)
{
	struct ls_err err;
	struct ls_err derr;
	struct ls_config cfg = {.version = LS_WIRE_VERSION,
				.default_verdict = LS_VERDICT_PASS,
				.dpi_max_pkts = 1,
				.trace_level = 1};
	struct ls_testrun *t;
	ls_testrun_open(&t, &cfg, NULL, NULL, &err);
	if (!t) {
		SKIP("cannot load the data plane (root and BPF needed)");
		return;
	}
	struct ls_dp *dp = NULL;
	struct ls_dp_shards_status st;
	CHECK(ls_dp_open_testrun(&dp, t, &derr) == 0);
	CHECK(ls_dp_shards_set(dp, LS_SHARDS_MAX + 1, 0, &st, &derr) == -EINVAL);
	CHECK(ls_dp_shards_set(dp, 2, LS_SHARD_BY_FLOW, &st, &derr) == 0);
	CHECK_EQ_INT(st.created, 2);
	CHECK_EQ_INT(st.kept, 0);
	CHECK_EQ_INT(st.was, 0);

	int stop = 0;
	struct worker w[2];
	pthread_t th[2];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 2; i++) {
		w[i].idx = i;
		w[i].stop = &stop;
		CHECK(ls_dp_ring_open(dp, (uint32_t)i, worker_rec, &w[i], &w[i].ring, &derr) == 0);
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	/* TPKTS packets per flow, flows interleaved, each packet one byte
	 * longer than the last of its flow; replies too (both directions) */
	uint8_t c[4] = {198, 18, 0, 9}, s[4] = {198, 18, 0, 2}, f[256];
	char pay[TPKTS + 1];
	memset(pay, 'x', sizeof(pay));
	int prog = bpf_program__fd(ls_testrun_skel(t)->progs.ls_xdp);
	for (int k = 1; k <= TPKTS; k++)
		for (int i = 0; i < TFLOWS; i++) {
			bool reply = k % 3 == 0;
			struct frame4 fr = {.proto = 17,
					    .sport = reply ? 9000 : (uint16_t)(41000 + i),
					    .dport = reply ? (uint16_t)(41000 + i) : 9000,
					    .pay = pay,
					    .plen = (size_t)k};
			memcpy(fr.src, reply ? s : c, 4);
			memcpy(fr.dst, reply ? c : s, 4);
			size_t n = frame4(f, &fr);
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (uint32_t)n,
				    .repeat = 1);
			CHECK(bpf_prog_test_run_opts(prog, &o) == 0);
		}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	int on[2] = {0};
	for (int i = 0; i < TFLOWS; i++) {
		uint32_t want = shard_flow(17, c, (uint16_t)(41000 + i), s, 9000, 2);
		CHECK_EQ_INT(w[want].count[i], TPKTS);
		CHECK_EQ_INT(w[1 - want].count[i], 0);
		on[want]++;
	}
	CHECK(on[0] > 0 && on[1] > 0);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(w[i].disorder, 0);
		CHECK_EQ_INT(w[i].other, 0);
		CHECK(ls_dp_ring_bad(w[i].ring) == 0);
		ls_dp_ring_close(w[i].ring);
	}
	/* a restart with the same N keeps the rings; one worker removes them */
	CHECK(ls_dp_shards_set(dp, 2, LS_SHARD_BY_FLOW, &st, &derr) == 0);
	CHECK_EQ_INT(st.kept, 2);
	CHECK_EQ_INT(st.created, 0);
	CHECK_EQ_INT(st.was, 2);
	CHECK(ls_dp_shards_set(dp, 1, LS_SHARD_BY_FLOW, &st, &derr) == 0);
	CHECK_EQ_INT(st.removed, 2);
	CHECK_EQ_INT(st.n, 1);
	ls_dp_close(dp);
	ls_testrun_close(t);
}

int main(void)
{
	RUN(fnv1a_matches_the_published_vectors);
	RUN(agent_side_hash_matches_the_documented_rule);
	RUN(by_flow_every_record_lands_in_the_ring_the_hash_says_in_order);
	RUN(by_client_keeps_a_clients_flows_together_whichever_side_sorts_low);
	RUN(failsafe_records_go_to_events_where_the_heartbeat_lives);
	RUN(one_worker_sends_everything_to_events_even_with_rings_in_place);
	RUN(an_awake_worker_is_not_woken_a_sleeping_one_is);
	RUN(one_worker_awake_on_events_is_not_woken_asleep_is);
	RUN(two_worker_threads_get_each_flow_whole_and_in_order);
	return test_done();
}
