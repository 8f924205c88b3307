/* policy_bench.c - cost of the policy pipeline per event, guest vs native.
 *
 * Feeds N synthetic FLOW_NEW events (distinct flows, batches of 256) through
 * ls_policy_dispatch with the minimal guest (on_flow_new -> set_verdict pass,
 * 10 s TTL) and, as the baseline in the same run, through a native C
 * callback doing the same work (look the flow up in a hash table, insert it,
 * compute the deadline, write the verdict through the same sink). Prints
 * events/s of each, the per-event cost ratio guest/native, and percentiles of
 * the per-event latency from dispatch to verdict write (the sink stamps each
 * write). Kernel -> user delivery is not included (see dataplane_bench).
 * Usage: policy_bench [N] (default 200000). Nothing is asserted. */
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 256

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct rec {
	uint64_t writes;
	uint64_t batch_start;
	uint64_t *lat; /* per event: write time - batch start */
};

static int sink_write(void *ctx, const struct ls_flow_key *key, uint64_t flow_id,
		      uint32_t verdict, uint64_t deadline_k)
{
	struct rec *r = ctx;
	(void)key; (void)verdict; (void)deadline_k; (void)flow_id;
	r->lat[r->writes++] = now_ns() - r->batch_start;
	return 0;
}

static void make_events(struct ls_event *ev, size_t n)
{
	memset(ev, 0, n * sizeof(*ev));
	for (size_t i = 0; i < n; i++) {
		ev[i].version = LS_WIRE_VERSION;
		ev[i].kind = LS_EV_FLOW_NEW;
		ev[i].flow_id = i + 1;
		ev[i].key.family = 4;
		ev[i].key.proto = 6;
		ev[i].key.lo_addr[10] = ev[i].key.lo_addr[11] = 0xff;
		ev[i].key.lo_addr[12] = 198;
		ev[i].key.lo_addr[13] = 18;
		ev[i].key.lo_addr[14] = (uint8_t)(i >> 8);
		ev[i].key.lo_addr[15] = (uint8_t)i;
		ev[i].key.lo_port = (uint16_t)(1024 + i % 60000);
		ev[i].key.hi_port = 80;
		ev[i].sport = ev[i].key.lo_port;
		ev[i].dport = 80;
	}
}

/* The native baseline: what a C policy linked into the agent would do. */
struct nflow { uint64_t id; struct nflow *next; };
static struct nflow **ntab;
static size_t nbuckets = 1 << 18;

static void native_dispatch(struct rec *r, const struct ls_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t b = (ev[i].flow_id * 0x9e3779b97f4a7c15ull) >> 46;
		struct nflow *f = ntab[b];
		while (f && f->id != ev[i].flow_id)
			f = f->next;
		if (!f) {
			f = malloc(sizeof(*f));
			f->id = ev[i].flow_id;
			f->next = ntab[b];
			ntab[b] = f;
		}
		sink_write(r, &ev[i].key, ev[i].flow_id, LS_VERDICT_PASS, now_ns() + 10000000000ull);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, struct rec *r, size_t n, uint64_t ns)
{
	qsort(r->lat, r->writes, sizeof(uint64_t), cmp_u64);
	printf("%-8s %8.0f events/s  %7.1f ns/event  verdicts %llu  batch latency p50 %.1f us "
	       "p99 %.1f us p99.9 %.1f us\n", name, n * 1e9 / ns, (double)ns / n,
	       (unsigned long long)r->writes, r->lat[r->writes / 2] / 1e3,
	       r->lat[r->writes * 99 / 100] / 1e3, r->lat[r->writes * 999 / 1000] / 1e3);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	const char *root = getenv("LS_ROOT");
	char path[4096], err[1024];
	struct ls_event *ev = malloc(n * sizeof(*ev));
	struct rec g = {.lat = calloc(n, 8)}, nat = {.lat = calloc(n, 8)};

	snprintf(path, sizeof(path), "%s/build/guests/test/minimal.wasm", root ? root : ".");
	make_events(ev, n);
	struct ls_policy_config cfg = {.default_verdict = LS_VERDICT_PASS, .min_log_level = 3};
	struct ls_verdict_sink sink = {.ctx = &g, .write = sink_write};
	struct ls_policy *p;
	if (ls_policy_new(&cfg, &sink, &p, err, sizeof(err)) ||
	    ls_policy_load_file(p, path, err, sizeof(err))) {
		fprintf(stderr, "policy_bench: %s\n", err);
		return 1;
	}
	ntab = calloc(nbuckets, sizeof(*ntab));

	uint64_t t0 = now_ns();
	for (size_t i = 0; i < n; i += BATCH) {
		g.batch_start = now_ns();
		ls_policy_dispatch(p, ev + i, n - i < BATCH ? n - i : BATCH);
	}
	uint64_t guest_ns = now_ns() - t0;
	t0 = now_ns();
	for (size_t i = 0; i < n; i += BATCH) {
		nat.batch_start = now_ns();
		native_dispatch(&nat, ev + i, n - i < BATCH ? n - i : BATCH);
	}
	uint64_t native_ns = now_ns() - t0;

	printf("policy pipeline, %zu FLOW_NEW events in batches of %d\n", n, BATCH);
	report("guest", &g, n, guest_ns);
	report("native", &nat, n, native_ns);
	printf("per-event cost ratio guest/native: %.2fx\n", (double)guest_ns / native_ns);
	ls_policy_free(p);
	return 0;
}
