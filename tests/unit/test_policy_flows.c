/* test_policy_flows.c - the policy's flow table (src/policy/flows.c) and
 * the pool its nodes come from (src/policy/pool.c): checked against a
 * plain model (an array of the flows that should be there) through random
 * adds, deletes and collections; the pool's bound (never more than its
 * limit from slabs, the rest from the heap and freed), and nodes kept at
 * the peak (a second wave of as many flows maps no new slab). Under ASan a
 * node touched after it went back to the pool is reported. */
#include "policy/policy_int.h"
#include "test.h"

#include <stdint.h>

static struct ls_event ev_of(uint64_t id)
{
	struct ls_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.kind = LS_EV_FLOW_NEW;
	ev.flow_id = id;
	ev.dir = (id & 1) ? LS_DIR_LO_TO_HI : LS_DIR_HI_TO_LO;
	ev.key.family = 4;
	ev.key.proto = 6;
	ev.key.lo_port = (uint16_t)id;
	ev.key.hi_port = 80;
	ev.sport = (uint16_t)(id * 7);
	ev.dport = 80;
	memcpy(ev.key.lo_addr, &id, sizeof(id));
	return ev;
}

/* f is exactly flow id as added (its key, info and client side) */
static int node_is(const struct ls_pflow *f, uint64_t id)
{
	struct ls_event ev = ev_of(id);
	return f && f->flow_id == id && f->info.flow_id == id &&
	       f->info.sport == (uint16_t)(id * 7) && f->key.lo_port == (uint16_t)id &&
	       !memcmp(f->key.lo_addr, &id, sizeof(id)) &&
	       f->client_is_lo == (ev.dir == LS_DIR_LO_TO_HI) && f->info.first_seen_g == id + 1;
}

TEST(pool_never_holds_more_than_its_limit_in_slabs)
{
	struct ls_pool p;
	enum { LIMIT = 300, MORE = 40 };
	void *o[LIMIT + MORE];
	bool pooled[LIMIT + MORE];
	ls_pool_init(&p, 100, LIMIT);
	CHECK_EQ_INT((int)p.size % 16, 0);
	for (int i = 0; i < LIMIT + MORE; i++) {
		o[i] = ls_pool_get(&p, &pooled[i]);
		CHECK(o[i] != NULL);
		memset(o[i], i & 0xff, 100); /* the whole object is ours */
	}
	int from_slabs = 0;
	for (int i = 0; i < LIMIT + MORE; i++)
		from_slabs += pooled[i];
	CHECK_EQ_INT(from_slabs, LIMIT);
	CHECK_EQ_INT((int)p.carved, LIMIT);
	CHECK_EQ_INT((int)p.heap, MORE);
	/* distinct, non-overlapping objects */
	for (int i = 0; i < LIMIT + MORE; i++)
		CHECK_EQ_INT(((unsigned char *)o[i])[99], i & 0xff);
	for (int i = 0; i < LIMIT + MORE; i++)
		ls_pool_put(&p, o[i], pooled[i]);
	CHECK_EQ_INT((int)p.nfree, LIMIT); /* the heap's were freed */
	CHECK_EQ_INT((int)p.heap, 0);
	/* the next LIMIT come from the free list: nothing new carved */
	for (int i = 0; i < LIMIT; i++) {
		o[i] = ls_pool_get(&p, &pooled[i]);
		CHECK(o[i] && pooled[i]);
	}
	CHECK_EQ_INT((int)p.carved, LIMIT);
	CHECK_EQ_INT((int)p.nfree, 0);
	ls_pool_fini(&p);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* flows whose last_k is under the cutoff go, except these */
static bool keep_odd(void *ctx, struct ls_pflow *f)
{
	(void)ctx;
	return f->flow_id % 3 == 0;
}

TEST(table_matches_a_model_through_adds_deletes_and_collections)
{
	enum { IDS = 6000, OPS = 60000, LIMIT = 2000 };
	static bool in[IDS + 1];
	size_t n = 0;
	struct ls_pflows t;
	memset(in, 0, sizeof(in));
	CHECK_EQ_INT(ls_pflows_init(&t, LIMIT), 0);
	int bad = 0;
	for (int op = 0; op < OPS && !bad; op++) {
		uint64_t id = 1 + rnd() % IDS;
		unsigned what = (unsigned)(rnd() % 100);
		if (what < 55 && !in[id]) {
			struct ls_event ev = ev_of(id);
			struct ls_pflow *f = ls_pflows_add(&t, &ev, id + 1);
			bad |= !node_is(f, id);
			f->last_k = id;	   /* the collection below goes by flow id */
			if (id % 5 == 0) { /* some flows keep a DPI result */
				struct ls_pflow_dpi *d = ls_pflows_dpi(&t, f);
				bad |= !d || ls_pflows_dpi(&t, f) != d;
				d->dpi.name_len = (uint32_t)id;
			}
			in[id] = true;
			n++;
		} else if (what < 97 && in[id]) {
			ls_pflows_del(&t, id);
			in[id] = false;
			n--;
		} else if (what == 99) { /* forget ids under a cutoff, but keep_odd */
			uint64_t cut = rnd() % (IDS / 4);
			size_t gone = 0;
			for (uint64_t i = 1; i <= IDS; i++)
				if (in[i] && i < cut && i % 3 != 0) {
					in[i] = false;
					gone++;
				}
			size_t said = ls_pflows_gc(&t, cut, keep_odd, NULL);
			if (said != gone) {
				printf("# op %d: gc said %zu, the model %zu\n", op, said, gone);
				bad = 1;
			}
			n -= gone;
		}
		if (t.n != n) {
			printf("# op %d: %zu flows, the model %zu\n", op, t.n, n);
			bad = 1;
		}
		if (op % 97 == 0 || op == OPS - 1) /* every flow, now and then */
			for (uint64_t i = 1; i <= IDS && !bad; i++) {
				struct ls_pflow *f = ls_pflows_get(&t, i);
				if (in[i]
					? !node_is(f, i) ||
					      (i % 5 == 0 && (!f->dpi || f->dpi->dpi.name_len != i))
					: f != NULL) {
					printf("# op %d: flow %llu %s\n", op, (unsigned long long)i,
					       in[i] ? "wrong or missing" : "found after it went");
					bad = 1;
				}
			}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(t.nodes.carved <= LIMIT);
	ls_pflows_free(&t);
}

TEST(nodes_are_kept_at_the_peak_a_second_wave_maps_nothing)
{
	enum { N = 5000 };
	struct ls_pflows t;
	CHECK_EQ_INT(ls_pflows_init(&t, 65536), 0);
	for (uint64_t i = 1; i <= N; i++) {
		struct ls_event ev = ev_of(i);
		CHECK(ls_pflows_add(&t, &ev, i + 1) != NULL);
	}
	size_t carved = t.nodes.carved;
	CHECK_EQ_INT((int)carved, N);
	for (uint64_t i = 1; i <= N; i++)
		ls_pflows_del(&t, i);
	CHECK_EQ_INT((int)t.n, 0);
	CHECK_EQ_INT((int)t.nodes.nfree, N); /* every node back, none freed */
	for (uint64_t i = N + 1; i <= 2 * N; i++) {
		struct ls_event ev = ev_of(i);
		CHECK(node_is(ls_pflows_add(&t, &ev, i + 1), i));
	}
	CHECK_EQ_INT((int)t.nodes.carved, N); /* no new slab: no fault, no malloc */
	CHECK_EQ_INT((int)t.nodes.heap, 0);
	ls_pflows_free(&t);
}

/* The table doubles a few buckets per add (flows.c, REHASH_*): no add
 * moves more than a handful of flows (all at once, 65536 flows were ~3 ms
 * of one event at 100k new flows/s), every flow is found whichever bucket
 * array holds it mid-way, and deletes and collections see both. */
TEST(doubling_moves_a_few_flows_per_add_and_loses_none)
{
	enum { N = 70000 };
	struct ls_pflows t;
	CHECK_EQ_INT(ls_pflows_init(&t, 65536), 0);
	int bad = 0, midway = 0;
	for (uint64_t i = 1; i <= N && !bad; i++) {
		struct ls_event ev = ev_of(i);
		struct ls_pflow *f = ls_pflows_add(&t, &ev, i + 1);
		f->last_k = i;
		midway += t.ob != NULL;
		/* this one, and one added long before */
		uint64_t j = 1 + rnd() % i;
		if (!node_is(ls_pflows_get(&t, i), i) || !node_is(ls_pflows_get(&t, j), j))
			bad = 1;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(midway > 0); /* adds happened while the old buckets were moving */
	printf("# the most flows one add moved: %zu (table of %zu buckets, %zu flows)\n",
	       t.step_max, t.nb, t.n);
	CHECK(t.step_max <= 16);
	/* deletes and a collection reach both arrays (one doubling started) */
	for (int k = 0; !t.ob && k < 2 * N; k++) {
		struct ls_event ev = ev_of(t.n + 1);
		ls_pflows_add(&t, &ev, t.n + 2)->last_k = t.n + 1;
	}
	CHECK(t.ob != NULL);
	size_t before = t.n;
	for (uint64_t i = 1; i <= 1000; i++)
		ls_pflows_del(&t, i);
	CHECK_EQ_INT((int)(before - t.n), 1000);
	for (uint64_t i = 1; i <= 1000; i++)
		CHECK(ls_pflows_get(&t, i) == NULL);
	size_t gone = ls_pflows_gc(&t, 2001, NULL, NULL); /* 1001..2000 */
	CHECK_EQ_INT((int)gone, 1000);
	CHECK(ls_pflows_get(&t, 2000) == NULL && node_is(ls_pflows_get(&t, 2001), 2001));
	ls_pflows_free(&t); /* both arrays: ASan reports a leak otherwise */
}

static size_t asked;
static bool count_and_keep_even(void *ctx, struct ls_pflow *f)
{
	(void)ctx;
	asked++;
	return f->flow_id % 2 == 0;
}

/* A tick collects a slice (ls_pflows_gc_some): never more buckets nor
 * alive() calls than asked, and slices that go round once collect what a
 * whole pass collects. */
TEST(collection_in_slices_is_bounded_and_goes_round)
{
	enum { N = 20000 };
	struct ls_pflows t;
	CHECK_EQ_INT(ls_pflows_init(&t, 65536), 0);
	for (uint64_t i = 1; i <= N; i++) {
		struct ls_event ev = ev_of(i);
		ls_pflows_add(&t, &ev, i + 1)->last_k = i;
	}
	while (t.ob) { /* finish the doubling: one array to go round */
		struct ls_event ev = ev_of(t.n + 1);
		ls_pflows_add(&t, &ev, t.n + 2)->last_k = 0;
	}
	size_t total = t.n, nb = t.nb, gone = 0, calls = 0;
	int bounded = 1;
	/* every flow is older than the cutoff; the odd ones go */
	for (size_t done = 0; done < nb; done += 512) {
		size_t g =
		    ls_pflows_gc_some(&t, UINT64_MAX, count_and_keep_even, NULL, 512, 1000000);
		/* 512 of nb buckets hold ~512/nb of the flows: far under 4x */
		bounded &= g <= 4 * (total * 512 / nb + 1);
		gone += g;
		calls++;
	}
	CHECK_EQ_INT(bounded, 1);
	size_t odd = 0;
	for (uint64_t i = 1; i <= total; i++)
		odd += i % 2;
	printf("# %zu slices of 512 buckets collected %zu of %zu flows\n", calls, gone, total);
	CHECK_EQ_INT((int)gone, (int)odd);
	CHECK_EQ_INT((int)t.n, (int)(total - odd));
	/* the asks bound: at most 7 alive() calls per slice */
	asked = 0;
	ls_pflows_gc_some(&t, UINT64_MAX, count_and_keep_even, NULL, nb, 7);
	CHECK(asked <= 7 + 16); /* the bucket being walked is finished */
	ls_pflows_free(&t);
}

static bool count_and_keep(void *ctx, struct ls_pflow *f)
{
	(void)ctx;
	(void)f;
	asked++;
	return true;
}

/* A slice larger than the table walks it once, not over and over (a tick
 * asks for 4096 buckets; a new table has 64), and an empty table is not
 * walked at all. */
TEST(a_slice_walks_a_small_table_once)
{
	struct ls_pflows t;
	CHECK_EQ_INT(ls_pflows_init(&t, 65536), 0);
	asked = 0;
	CHECK_EQ_INT((int)ls_pflows_gc_some(&t, UINT64_MAX, count_and_keep, NULL, 4096, 1000000),
		     0);
	CHECK_EQ_INT((int)asked, 0);
	for (uint64_t i = 1; i <= 40; i++) {
		struct ls_event ev = ev_of(i);
		ls_pflows_add(&t, &ev, i + 1)->last_k = 0;
	}
	CHECK(t.nb < 4096);
	asked = 0;
	ls_pflows_gc_some(&t, UINT64_MAX, count_and_keep, NULL, 4096, 1000000);
	printf("# a 4096-bucket slice of a %zu-bucket table asked about %zu of %zu flows\n", t.nb,
	       asked, t.n);
	CHECK_EQ_INT((int)asked, (int)t.n); /* each flow once */
	ls_pflows_free(&t);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(pool_never_holds_more_than_its_limit_in_slabs);
	RUN(table_matches_a_model_through_adds_deletes_and_collections);
	RUN(nodes_are_kept_at_the_peak_a_second_wave_maps_nothing);
	RUN(doubling_moves_a_few_flows_per_add_and_loses_none);
	RUN(collection_in_slices_is_bounded_and_goes_round);
	RUN(a_slice_walks_a_small_table_once);
	return test_done();
}
