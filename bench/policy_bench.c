/* policy_bench.c - the policy pipeline end to end, a Wasm guest against a
 * native C callback doing the same work, in one run.
 *
 * Kernel side: a producer thread runs the real data-plane program through
 * BPF_PROG_TEST_RUN with `repeat`, over TCP SYN|RST frames of 4096 5-tuples
 * in turn. It runs ls_tc, whose code is ls_xdp's (bpf/lockstep.bpf.c,
 * handle()): an XDP test run with repeat > 1 swaps the XDP dispatcher
 * twice, an RCU grace period (milliseconds) per call, which would make the
 * producer, not the pipeline, the thing measured. Each run of such a frame is a new connection on
 * its 5-tuple (a new flow_id): the program announces it (FLOW_NEW), then ends it (FLOW_END for the
 * RST), so every run puts two events of a distinct flow in the ring buffer. The producer is paced
 * to a target rate.
 *
 * User side, the main thread, is the agent's path: epoll on the ring
 * buffer, ls_dp_events_drain (dataplane/ringbuf.c), batches of up to 256
 * events, then either ls_policy_dispatch with the minimal guest
 * (tests/policy/guests/minimal.c: on_flow_new sets pass for 10 s,
 * on_flow_end returns) or the native callback (a flow table, the same
 * deadline, the same verdicts), and the verdicts of the batch written into
 * the kernel's verdict map at the batch's end with ls_dp_verdicts_write
 * (one bpf_map_update_batch). Per event: a callback in the guest, per
 * FLOW_NEW a verdict in the map.
 *
 * Printed, guest and native side by side (medians of alternating rounds):
 *   - events/s at a paced 1 M events/s (default), ring-buffer loss (the
 *     data plane's ringbuf_full counter), the consumer's CPU time per event
 *     (user + system, so map writes and epoll count) and what that makes on
 *     one core;
 *   - the per-event cost ratio guest/native;
 *   - at a paced 100 k events/s, percentiles of the latency from the
 *     kernel's timestamp of a FLOW_NEW (ts_k) to its verdict being in the
 *     map (after the batch write returned).
 * Options: --rate N (events/s, 0: as fast as the producer goes), --secs S,
 * --rounds R, --repeat N, --latency-rate N, --single-writes (one
 * bpf_map_update_elem per verdict, as before batching), --json (print every
 * event and verdict as a JSON line, to /dev/null, as `lockstep run` does on
 * its stdout), --rt (both threads SCHED_FIFO, so that other tenants of the
 * machine do not deschedule the consumer), --drain-only (the capacity rounds
 * only, for profilers). Needs root.
 * Times are printed, never asserted. */
#include "base/names.h"
#include "dataplane/dataplane.h"
#include "dataplane/event_json.h"
#include "dataplane/testrun.h"
#include "../tests/unit/frame4.h"
#include "lockstep.skel.h"
#include "policy/policy.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256 /* events per dispatch, as in the agent (policy_link.c) */
#define TUPLES 4096
#define TTL_NS 10000000000ull
#define TS_SLOTS (1u << 20) /* ts_k by flow_id, direct-mapped */
/* flow_id is the CPU in the top 16 bits and that CPU's count below */
#define TS_SLOT(id) (((id) ^ ((id) >> 48) * 0x9e3779b97f4a7c15ull) & (TS_SLOTS - 1))

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- producer --------------------------------------------------------------- */

struct producer {
	int prog_fd;
	uint8_t frames[TUPLES][64];
	uint32_t frame_len;
	uint32_t repeat;
	double rate;   /* events/s; 0: unpaced */
	uint64_t runs; /* to do */
	uint64_t done; /* done */
	int errno_;    /* first test-run failure */
	pthread_t thr;
};

/* Ethernet + IPv4 + TCP SYN|RST, 198.18.(i>>8).(i&255):(10000+i) ->
 * 198.19.0.1:80 */
static uint32_t make_frame(uint8_t *o, uint32_t i)
{
	return (uint32_t)frame4(o, &(struct frame4){.proto = 6,
						    .src = {198, 18, (uint8_t)(i >> 8), (uint8_t)i},
						    .dst = {198, 19, 0, 1},
						    .sport = (uint16_t)(10000 + i),
						    .dport = 80,
						    .tcp_flags = 0x06});
}

static void *produce(void *arg)
{
	struct producer *pr = arg;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	double per_call_ns = pr->rate > 0 ? 2.0 * pr->repeat * 1e9 / pr->rate : 0;
	prctl(PR_SET_TIMERSLACK, 1);
	for (uint64_t c = 0; c < pr->runs / pr->repeat; c++) {
		if (per_call_ns > 0) {
			uint64_t due = t0 + (uint64_t)(c * per_call_ns);
			uint64_t now = clock_ns(CLOCK_MONOTONIC);
			if (due > now + 2000) {
				struct timespec ts = {.tv_sec = (time_t)(due / 1000000000ull),
						      .tv_nsec = (long)(due % 1000000000ull)};
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pr->frames[c % TUPLES],
			    .data_size_in = pr->frame_len, .repeat = pr->repeat);
		if (bpf_prog_test_run_opts(pr->prog_fd, &o)) {
			pr->errno_ = errno;
			break;
		}
		atomic_store_explicit((_Atomic uint64_t *)&pr->done, (c + 1) * pr->repeat,
				      memory_order_release);
	}
	return NULL;
}

/* ---- the consumer: the agent's path ---------------------------------------------- */

enum mode { GUEST, NATIVE };

struct nflow { /* the native callback's flow table */
	uint64_t id;
	struct ls_flow_key key;
	struct nflow *next;
};

struct bench {
	struct ls_dp *dp;
	struct ls_policy *p;
	enum mode mode;
	bool single_writes;
	FILE *json; /* --json: every event and verdict as lockstep run prints them */
	/* the batch being gathered from the ring buffer */
	struct ls_event batch[BATCH];
	int n;
	uint64_t events;
	/* verdicts of the batch, written at its end */
	struct ls_flow_key vkeys[BATCH * 2];
	struct ls_verdict_rec vrecs[BATCH * 2];
	uint64_t vids[BATCH * 2];
	uint32_t nv;
	uint64_t verdicts, write_errors;
	/* latency: ts_k of each FLOW_NEW, by flow_id */
	uint64_t *ts_k;
	uint64_t *lat;
	size_t nlat, lat_cap;
	/* native */
	struct nflow **tab, *free_nodes;
	size_t tab_mask;
};

static void verdicts_flush(struct bench *b)
{
	if (!b->nv)
		return;
	struct ls_err err;
	if (b->single_writes) {
		for (uint32_t i = 0; i < b->nv; i++)
			b->write_errors +=
			    ls_dp_verdict_set(b->dp, &b->vkeys[i], b->vrecs[i].verdict,
					      b->vrecs[i].deadline_k, &err) != 0;
	} else {
		int w = ls_dp_verdicts_write(b->dp, b->vkeys, b->vrecs, b->nv, NULL, &err);
		b->write_errors += b->nv - (uint32_t)(w < 0 ? 0 : w);
	}
	uint64_t now = ls_now_k();
	for (uint32_t i = 0; b->json && i < b->nv; i++)
		fprintf(b->json,
			"{\"event\":\"verdict\",\"flow_id\":%llu,\"verdict\":\"%s\","
			"\"deadline_k\":%llu}\n",
			(unsigned long long)b->vids[i], ls_verdict_name(b->vrecs[i].verdict),
			(unsigned long long)b->vrecs[i].deadline_k);
	for (uint32_t i = 0; i < b->nv && b->nlat < b->lat_cap; i++) {
		uint64_t ts = b->ts_k[TS_SLOT(b->vids[i])];
		if (ts && now >= ts)
			b->lat[b->nlat++] = now - ts;
	}
	b->verdicts += b->nv;
	b->nv = 0;
}

static int sink_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id, uint32_t verdict,
		      uint64_t deadline_k)
{
	struct bench *b = ctx;
	if (b->nv == BATCH * 2)
		verdicts_flush(b);
	b->vkeys[b->nv] = *key;
	b->vrecs[b->nv] = (struct ls_verdict_rec){.deadline_k = deadline_k, .verdict = verdict};
	b->vids[b->nv++] = flow_id;
	return 0;
}

static void sink_flush(void *ctx)
{
	verdicts_flush(ctx);
}

/* What a C policy linked into the agent would do for the minimal guest's
 * work: keep the flow, give a new one pass for 10 s, forget an ended one. */
static void native_dispatch(struct bench *b, const struct ls_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t s = (ev[i].flow_id * 0x9e3779b97f4a7c15ull >> 32) & b->tab_mask;
		struct nflow **pp = &b->tab[s];
		while (*pp && (*pp)->id != ev[i].flow_id)
			pp = &(*pp)->next;
		if (ev[i].kind == LS_EV_FLOW_NEW) {
			struct nflow *f = *pp;
			if (!f) {
				f = b->free_nodes;
				if (f)
					b->free_nodes = f->next;
				else if (!(f = malloc(sizeof(*f))))
					continue;
				f->id = ev[i].flow_id;
				f->key = ev[i].key;
				f->next = b->tab[s];
				b->tab[s] = f;
			}
			sink_write(b, &f->key, f->id, LS_VERDICT_PASS,
				   clock_ns(CLOCK_BOOTTIME) + TTL_NS);
		} else if (ev[i].kind == LS_EV_FLOW_END && *pp) {
			struct nflow *f = *pp;
			*pp = f->next;
			f->next = b->free_nodes;
			b->free_nodes = f;
		}
	}
	sink_flush(b);
}

static void batch_flush(struct bench *b)
{
	if (!b->n)
		return;
	if (b->mode == GUEST)
		ls_policy_dispatch(b->p, b->batch, (size_t)b->n);
	else
		native_dispatch(b, b->batch, (size_t)b->n);
	b->n = 0;
}

static int on_event(void *ctx, const struct ls_event *ev)
{
	struct bench *b = ctx;
	if (b->json)
		ls_event_json_print(b->json, ev);
	if (ev->kind == LS_EV_FLOW_NEW)
		b->ts_k[TS_SLOT(ev->flow_id)] = ev->ts_k;
	b->batch[b->n++] = *ev;
	b->events++;
	if (b->n == BATCH)
		batch_flush(b);
	return 0;
}

/* ---- one measured phase ------------------------------------------------------------ */

struct result {
	double events_s; /* events consumed per second of wall time */
	double cpu_ns;	 /* consumer CPU per event */
	double busy;	 /* consumer CPU / wall */
	uint64_t events, lost, verdicts, write_errors;
	double offered_s;	    /* what the producer achieved */
	double p50, p99, p999, max; /* us */
};

static uint64_t lost_now(struct ls_dp *dp)
{
	uint64_t c[LS_CNT__MAX];
	struct ls_err err;
	return ls_dp_counters_read(dp, c, &err) ? 0 : c[LS_CNT_RINGBUF_FULL];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int phase(struct bench *b, struct producer *pr, int epfd, enum mode m, double rate,
		 double secs, uint32_t repeat, struct result *r)
{
	memset(r, 0, sizeof(*r));
	pr->repeat = repeat;
	b->mode = m;
	b->events = b->verdicts = b->write_errors = 0;
	b->nlat = 0;
	pr->rate = rate;
	pr->runs = (uint64_t)((rate > 0 ? rate : 2e6) * secs / 2) / pr->repeat * pr->repeat;
	pr->done = 0;
	pr->errno_ = 0;
	uint64_t lost0 = lost_now(b->dp);
	uint64_t cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = clock_ns(CLOCK_MONOTONIC);
	if (pthread_create(&pr->thr, NULL, produce, pr))
		return -1;
	uint64_t idle_since = 0, t_prod = 0;
	for (;;) {
		struct epoll_event ev;
		int n = epoll_wait(epfd, &ev, 1, 50);
		if (n > 0) {
			if (ls_dp_events_drain(b->dp) < 0)
				break;
			batch_flush(b);
		}
		uint64_t done =
		    atomic_load_explicit((_Atomic uint64_t *)&pr->done, memory_order_acquire);
		bool finished = done == pr->runs || pr->errno_;
		if (finished && !t_prod)
			t_prod = clock_ns(CLOCK_MONOTONIC);
		if (finished && b->events + (lost_now(b->dp) - lost0) >= 2 * done)
			break;
		if (n <= 0 && finished) { /* nothing more is coming */
			if (!idle_since)
				idle_since = clock_ns(CLOCK_MONOTONIC);
			else if (clock_ns(CLOCK_MONOTONIC) - idle_since > 500000000ull)
				break;
		}
	}
	uint64_t t1 = clock_ns(CLOCK_MONOTONIC), cpu1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	pthread_join(pr->thr, NULL);
	if (pr->errno_) {
		fprintf(stderr, "policy_bench: BPF_PROG_TEST_RUN: %s\n", strerror(pr->errno_));
		return -1;
	}
	r->events = b->events;
	r->lost = lost_now(b->dp) - lost0;
	r->verdicts = b->verdicts;
	r->write_errors = b->write_errors;
	r->events_s = b->events * 1e9 / (double)(t1 - t0);
	r->offered_s = 2.0 * pr->done * 1e9 / (double)((t_prod ? t_prod : t1) - t0);
	r->cpu_ns = b->events ? (double)(cpu1 - cpu0) / (double)b->events : 0;
	r->busy = (double)(cpu1 - cpu0) / (double)(t1 - t0);
	if (b->nlat) {
		qsort(b->lat, b->nlat, sizeof(uint64_t), cmp_u64);
		r->p50 = b->lat[b->nlat / 2] / 1e3;
		r->p99 = b->lat[b->nlat * 99 / 100] / 1e3;
		r->p999 = b->lat[b->nlat * 999 / 1000] / 1e3;
		r->max = b->lat[b->nlat - 1] / 1e3;
	}
	return 0;
}

/* Capacity: the producer fills the ring buffer with FILL events (less than
 * the 4 MiB ring holds) while the consumer waits, then the consumer drains
 * it all. The cost of working off a backlog, per event, without the
 * wake-ups and idle time of a paced run (whose CPU per event depends on
 * how many events each wake-up finds). */
#define FILL 7680
static int drain_round(struct bench *b, struct producer *pr, enum mode m, double *ns)
{
	b->mode = m;
	b->events = b->verdicts = b->write_errors = 0;
	b->nlat = 0;
	pr->rate = 0;
	pr->repeat = 8;
	pr->runs = FILL / 2;
	pr->done = 0;
	pr->errno_ = 0;
	if (pthread_create(&pr->thr, NULL, produce, pr))
		return -1;
	pthread_join(pr->thr, NULL);
	if (pr->errno_) {
		fprintf(stderr, "policy_bench: BPF_PROG_TEST_RUN: %s\n", strerror(pr->errno_));
		return -1;
	}
	uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	while (b->events < FILL && ls_dp_events_drain(b->dp) > 0)
		batch_flush(b);
	batch_flush(b);
	uint64_t c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (b->events != FILL) {
		fprintf(stderr,
			"policy_bench: drained %llu events of %d (ring buffer too small?)\n",
			(unsigned long long)b->events, FILL);
		return -1;
	}
	*ns = (double)(c1 - c0) / FILL;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_res_cpu(const void *a, const void *b)
{
	double x = ((const struct result *)a)->cpu_ns, y = ((const struct result *)b)->cpu_ns;
	return x < y ? -1 : x > y;
}

static int cmp_res_p99(const void *a, const void *b)
{
	double x = ((const struct result *)a)->p99, y = ((const struct result *)b)->p99;
	return x < y ? -1 : x > y;
}

static void row(const char *name, const struct result *r)
{
	printf("%-7s %9.0f events/s (offered %9.0f)  lost %-7llu consumer busy %3.0f%%  "
	       "verdicts %llu%s\n",
	       name, r->events_s, r->offered_s, (unsigned long long)r->lost, r->busy * 100,
	       (unsigned long long)r->verdicts, r->write_errors ? " (write errors!)" : "");
}

static void lat_row(const char *name, const struct result *r)
{
	printf("%-7s kernel -> verdict written: p50 %6.1f us  p99 %6.1f us  p99.9 %6.1f us  "
	       "max %7.1f us  (%llu events, lost %llu)\n",
	       name, r->p50, r->p99, r->p999, r->max, (unsigned long long)r->events,
	       (unsigned long long)r->lost);
}

int main(int argc, char **argv)
{
	double rate = 1e6, lat_rate = 1e5, secs = 1.0;
	int rounds = 3;
	uint32_t repeat = 16;
	bool single = false, rt = false, drain_only = false, json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
		if (!strcmp(a, "--rate"))
			rate = atof(v), i++;
		else if (!strcmp(a, "--latency-rate"))
			lat_rate = atof(v), i++;
		else if (!strcmp(a, "--secs"))
			secs = atof(v), i++;
		else if (!strcmp(a, "--rounds"))
			rounds = atoi(v), i++;
		else if (!strcmp(a, "--repeat"))
			repeat = (uint32_t)atoi(v), i++;
		else if (!strcmp(a, "--single-writes"))
			single = true;
		else if (!strcmp(a, "--rt"))
			rt = true;
		else if (!strcmp(a, "--drain-only"))
			drain_only = true;
		else if (!strcmp(a, "--json"))
			json = true;
		else {
			fprintf(stderr,
				"usage: policy_bench [--rate N] [--latency-rate N] [--secs S] "
				"[--rounds R] [--repeat N] [--single-writes] [--rt] [--drain-only] "
				"[--json]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > 15 || !repeat || secs <= 0) {
		fprintf(stderr, "policy_bench: bad option value\n");
		return 2;
	}

	char path[4096];
	struct ls_err derr;
	/* --rt: both threads SCHED_FIFO, so that other tenants of a shared
	 * machine do not deschedule the consumer for longer than the ring
	 * buffer lasts (the producer thread inherits it) */
	if (rt) {
		struct sched_param sp = {.sched_priority = 10};
		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			fprintf(stderr, "policy_bench: --rt: %s\n", strerror(errno));
			return 1;
		}
	}
	struct ls_testrun *t;
	if (ls_testrun_open(&t, NULL, NULL, NULL, &derr)) {
		fprintf(stderr, "policy_bench: %s\n", derr.msg);
		return 1;
	}
	static struct bench b;
	static struct producer pr;
	if (ls_dp_open_testrun(&b.dp, t, &derr) || ls_dp_events_open(b.dp, on_event, &b, &derr)) {
		fprintf(stderr, "policy_bench: %s\n", derr.msg);
		return 1;
	}
	b.single_writes = single;
	if (json && !(b.json = fopen("/dev/null", "w"))) {
		fprintf(stderr, "policy_bench: /dev/null: %s\n", strerror(errno));
		return 1;
	}
	b.ts_k = calloc(TS_SLOTS, sizeof(*b.ts_k));
	b.lat_cap = (size_t)((rate > lat_rate ? rate : lat_rate) * secs) + 100000;
	b.lat = calloc(b.lat_cap, sizeof(*b.lat));
	b.tab_mask = (1u << 16) - 1;
	b.tab = calloc(b.tab_mask + 1, sizeof(*b.tab));
	if (!b.ts_k || !b.lat || !b.tab) {
		fprintf(stderr, "policy_bench: out of memory\n");
		return 1;
	}
	const char *root = getenv("LS_ROOT");
	snprintf(path, sizeof(path), "%s/build/guests/test/minimal.wasm", root ? root : ".");
	struct ls_policy_config cfg = {.default_verdict = LS_VERDICT_PASS, .min_log_level = 3};
	struct ls_verdict_sink sink = {.ctx = &b, .write = sink_write, .flush = sink_flush};
	struct ls_err perr;
	if (ls_policy_new(&cfg, &sink, &b.p, &perr) || ls_policy_load_file(b.p, path, &perr)) {
		fprintf(stderr, "policy_bench: %s\n", perr.msg);
		return 1;
	}
	pr.prog_fd = bpf_program__fd(ls_testrun_skel(t)->progs.ls_tc);
	for (uint32_t i = 0; i < TUPLES; i++)
		pr.frame_len = make_frame(pr.frames[i], i);
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ee = {.events = EPOLLIN};
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ls_dp_events_fd(b.dp), &ee)) {
		fprintf(stderr, "policy_bench: epoll: %s\n", strerror(errno));
		return 1;
	}

	printf("# policy pipeline end to end: TC program (BPF_PROG_TEST_RUN, repeat %u) -> ring "
	       "buffer -> drain -> batches of %d -> guest | native -> verdict map (%s)\n",
	       repeat, BATCH, single ? "one update per verdict" : "one batch update per batch");
	printf("# events: TCP SYN|RST frames over %d 5-tuples, each run a new connection "
	       "(FLOW_NEW + FLOW_END); guest: minimal.wasm%s%s\n",
	       TUPLES, rt ? "; threads SCHED_FIFO (--rt)" : "",
	       json ? "; every event and verdict printed as JSON (to /dev/null) as lockstep run "
		      "does"
		    : "");
	struct result warm;
	if (phase(&b, &pr, epfd, GUEST, 2e5, 0.1, repeat, &warm) ||
	    phase(&b, &pr, epfd, NATIVE, 2e5, 0.1, repeat, &warm))
		return 1;

	enum { DRAINS = 41 };
	double dg[DRAINS], dn[DRAINS];
	for (int i = 0; i < DRAINS; i++)
		if (drain_round(&b, &pr, GUEST, &dg[i]) || drain_round(&b, &pr, NATIVE, &dn[i]))
			return 1;
	qsort(dg, DRAINS, sizeof(dg[0]), cmp_double);
	qsort(dn, DRAINS, sizeof(dn[0]), cmp_double);
	double cg = dg[DRAINS / 2], cn = dn[DRAINS / 2];
	printf("# capacity: ring buffer filled with %d events, then drained; median of %d rounds "
	       "(consumer CPU per event)\n",
	       FILL, DRAINS);
	printf("guest   %7.1f ns/event = %5.2f M events/s on one core\n", cg, 1e3 / cg);
	printf("native  %7.1f ns/event = %5.2f M events/s on one core\n", cn, 1e3 / cn);
	printf("per-event cost ratio guest/native: %.2fx (target <= 1.5x)\n", cg / cn);
	if (drain_only) /* for profilers */
		return 0;

	struct result g[15], nt[15];
	for (int i = 0; i < rounds; i++)
		if (phase(&b, &pr, epfd, GUEST, rate, secs, repeat, &g[i]) ||
		    phase(&b, &pr, epfd, NATIVE, rate, secs, repeat, &nt[i]))
			return 1;
	qsort(g, (size_t)rounds, sizeof(g[0]), cmp_res_cpu);
	qsort(nt, (size_t)rounds, sizeof(nt[0]), cmp_res_cpu);
	uint64_t glost = 0, nlost = 0;
	for (int i = 0; i < rounds; i++)
		glost += g[i].lost, nlost += nt[i].lost;
	if (rate > 0)
		printf("# live, paced at %.0f events/s for %.1f s; median of %d rounds by "
		       "consumer CPU\n",
		       rate, secs, rounds);
	else
		printf("# live, producer unpaced, %.1f s; median of %d rounds by consumer "
		       "CPU\n",
		       secs, rounds);
	row("guest", &g[rounds / 2]);
	row("native", &nt[rounds / 2]);
	printf("# lost in all rounds: guest %llu, native %llu\n", (unsigned long long)glost,
	       (unsigned long long)nlost);

	struct result lg[15], ln[15];
	for (int i = 0; i < rounds; i++)
		if (phase(&b, &pr, epfd, GUEST, lat_rate, secs, 1, &lg[i]) ||
		    phase(&b, &pr, epfd, NATIVE, lat_rate, secs, 1, &ln[i]))
			return 1;
	qsort(lg, (size_t)rounds, sizeof(lg[0]), cmp_res_p99);
	qsort(ln, (size_t)rounds, sizeof(ln[0]), cmp_res_p99);
	printf("# latency, paced at %.0f events/s (repeat 1: one connection per run) for %.1f s; "
	       "median of %d rounds by p99 (target p99 <= 100 us)\n",
	       lat_rate, secs, rounds);
	lat_row("guest", &lg[rounds / 2]);
	lat_row("native", &ln[rounds / 2]);

	close(epfd);
	ls_policy_free(b.p);
	ls_dp_close(b.dp);
	ls_testrun_close(t);
	return 0;
}
