/* test_clock_mappub.c - the seqlock of the published clock mapping
 * (src/clock/mapping_pub.h): a writer republishes mappings as fast as it
 * can while readers copy them, and every copy must be one whole mapping.
 *
 * Each mapping the writer publishes is generation n of a family whose five
 * fields are all functions of n (ref_k = n * 1000003, ref_g = -7 n, rate
 * = n, rate_unc = n / 2, eps0 = 3 n, identity = n odd); a copy made of
 * words of two generations breaks that (say the new ref_k with the old
 * ref_g), so the reader recovers n from ref_k and checks the other fields
 * against it. A reader also never sees an older generation after a newer
 * one. Built under ASan (build/asan/tests/test_clock_mappub) and under
 * ThreadSanitizer (build/tsan/tests/test_tsan_clock_mappub), which sees
 * every access of the words as an atomic and reports none as a race.
 * Without the reader's retry (tests/mutate: clock-mappub-no-retry) the
 * torn copies appear within milliseconds on two CPUs.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "clock/mapping_pub.h"
#include "clock/wallclock.h"
#include "test.h"

#define K_STEP 1000003ll
#define READERS 2

static struct ls_mapping gen(int64_t n)
{
	struct ls_mapping m;
	memset(&m, 0, sizeof(m));
	m.valid = true;
	m.identity = n & 1;
	m.ref_k = ls_k_ns(n * K_STEP);
	m.ref_g = ls_g_ns(-7 * n);
	m.rate = (double)n;
	m.rate_unc = (double)n / 2;
	m.eps0_ns = 3 * n;
	return m;
}

/* the generation m is, or -1 when it is no generation (torn) */
static int64_t generation_of(const struct ls_mapping *m)
{
	if (!m->valid || m->ref_k.ns % K_STEP)
		return -1;
	int64_t n = m->ref_k.ns / K_STEP;
	struct ls_mapping want = gen(n);
	if (m->identity != want.identity || m->ref_g.ns != want.ref_g.ns || m->rate != want.rate ||
	    m->rate_unc != want.rate_unc || m->eps0_ns != want.eps0_ns)
		return -1;
	return n;
}

static struct ls_mapping_pub pub;
static atomic_int stop;

struct reader {
	pthread_t th;
	uint64_t reads, torn, backwards, distinct;
	struct ls_mapping first_torn;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int64_t last = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct ls_mapping m = ls_mapping_read(&pub);
		int64_t n = generation_of(&m);
		/* the main thread watches the count: an atomic store */
		__atomic_store_n(&r->reads, r->reads + 1, __ATOMIC_RELAXED);
		if (n < 0) {
			if (!r->torn++)
				r->first_torn = m;
		} else if (n < last) {
			r->backwards++;
		} else if (n > last) {
			r->distinct++;
			last = n;
		}
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	int64_t *n = arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		++*n;
		struct ls_mapping m = gen(*n);
		ls_mapping_publish(&pub, &m);
		/* a breath between rewrites, so readers also finish copies
		 * while the writer is active (back to back, they mostly retry) */
		for (int i = 0; i < 1000; i++)
			(void)atomic_load_explicit(&stop, memory_order_relaxed);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(empty_pub_reads_invalid)
{
	struct ls_mapping_pub p;
	ls_mapping_pub_init(&p);
	struct ls_mapping m = ls_mapping_read(&p);
	CHECK(!m.valid);
	CHECK_EQ_INT(m.ref_k.ns, 0);
}

TEST(publish_then_read_round_trips)
{
	struct ls_mapping_pub p;
	ls_mapping_pub_init(&p);
	struct ls_mapping a = gen(41), b = gen(42);
	ls_mapping_publish(&p, &a);
	struct ls_mapping r = ls_mapping_read(&p);
	CHECK_EQ_INT(generation_of(&r), 41);
	ls_mapping_publish(&p, &b);
	r = ls_mapping_read(&p);
	CHECK_EQ_INT(generation_of(&r), 42);
	/* a real estimator-like mapping comes back bit for bit */
	struct ls_mapping c = {.valid = true,
			       .ref_k = ls_k_ns(123456789),
			       .ref_g = ls_g_ns(-5),
			       .rate = 2.5e-4,
			       .rate_unc = 1e-7,
			       .eps0_ns = 1500};
	ls_mapping_publish(&p, &c);
	r = ls_mapping_read(&p);
	CHECK(r.valid && !r.identity && r.ref_k.ns == 123456789 && r.ref_g.ns == -5 &&
	      r.rate == 2.5e-4 && r.rate_unc == 1e-7 && r.eps0_ns == 1500);
	CHECK_EQ_INT(atomic_load(&p.retries), 0); /* nobody wrote meanwhile */
}

/* The hammer: one writer, READERS readers, until every reader has made
 * 200000 copies and the readers have retried 1000 times (evidence that they
 * met the writer mid-rewrite), or 3 s. */
TEST(readers_never_see_a_torn_mapping)
{
	ls_mapping_pub_init(&pub);
	struct ls_mapping g0 = gen(0);
	ls_mapping_publish(&pub, &g0);
	atomic_store(&stop, 0);
	struct reader rd[READERS];
	memset(rd, 0, sizeof(rd));
	int64_t written = 0;
	pthread_t wt;
	CHECK(pthread_create(&wt, NULL, writer_main, &written) == 0);
	for (int i = 0; i < READERS; i++)
		CHECK(pthread_create(&rd[i].th, NULL, reader_main, &rd[i]) == 0);
	double t0 = now_s();
	for (;;) {
		struct timespec ms = {0, 10 * 1000000};
		nanosleep(&ms, NULL);
		uint64_t minreads = UINT64_MAX;
		for (int i = 0; i < READERS; i++) {
			uint64_t r = __atomic_load_n(&rd[i].reads, __ATOMIC_RELAXED);
			minreads = r < minreads ? r : minreads;
		}
		if (now_s() - t0 > 3.0 ||
		    (minreads >= 200000 &&
		     atomic_load_explicit(&pub.retries, memory_order_relaxed) >= 1000))
			break;
	}
	atomic_store(&stop, 1);
	pthread_join(wt, NULL);
	uint64_t reads = 0, torn = 0, back = 0, distinct = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(rd[i].th, NULL);
		reads += rd[i].reads;
		torn += rd[i].torn;
		back += rd[i].backwards;
		distinct += rd[i].distinct;
		if (rd[i].torn)
			printf("# reader %d: first torn copy: ref_k %" PRId64 " ref_g %" PRId64
			       " rate %g rate_unc %g eps0 %" PRId64 "\n",
			       i, rd[i].first_torn.ref_k.ns, rd[i].first_torn.ref_g.ns,
			       rd[i].first_torn.rate, rd[i].first_torn.rate_unc,
			       rd[i].first_torn.eps0_ns);
	}
	uint64_t retries = atomic_load(&pub.retries);
	printf("# %.2f s: %" PRId64 " mappings written, %" PRIu64 " copies read (%" PRIu64
	       " distinct generations), %" PRIu64 " retries, %" PRIu64 " torn, %" PRIu64
	       " backwards\n",
	       now_s() - t0, written, reads, distinct, retries, torn, back);
	CHECK(written > 0 && reads > 0);
	CHECK_EQ_INT(torn, 0);
	CHECK_EQ_INT(back, 0);
}

/* ---- the wall-clock offset (wallclock.h, ls_wall_pub) --------------------
 * What a worker's WASI realtime adds to K: the heartbeat refreshes it on
 * its thread and publishes one word. The writer here runs the real
 * ls_wall_refresh on a fake pair of clocks whose REALTIME - BOOTTIME is
 * generation n * W_STEP (BOOTTIME ticks 1 ns per read, so the bracket is
 * 2 ns wide and its midpoint gives the offset exactly: by hand, r1 = t +
 * off, b = t + 1, r2 = t + 2 + off, offset = r1 + 1 - b = off), then
 * publishes; readers must see "not valid" or a whole generation, never an
 * older one after a newer. TSan (test_tsan_clock_mappub) checks that the
 * heartbeat's writes and the workers' reads are not a race. */
#define W_STEP 1000000007ll

struct fake_clocks {
	int64_t t;   /* BOOTTIME, ns */
	int64_t gen; /* REALTIME - BOOTTIME = gen * W_STEP */
};

static int64_t fake_read(clockid_t id, void *arg)
{
	struct fake_clocks *c = arg;
	int64_t t = c->t++;
	return id == CLOCK_REALTIME ? t + c->gen * W_STEP : t;
}

static struct ls_wall_pub wpub;

struct wreader {
	pthread_t th;
	uint64_t reads, invalid, torn, backwards, distinct;
};

static void *wall_reader_main(void *arg)
{
	struct wreader *r = arg;
	int64_t last = 0, off;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		__atomic_store_n(&r->reads, r->reads + 1, __ATOMIC_RELAXED);
		if (!ls_wall_pub_offset(&wpub, &off)) {
			r->invalid++;
			continue;
		}
		int64_t n = off % W_STEP ? -1 : off / W_STEP;
		if (n < 1)
			r->torn++;
		else if (n < last)
			r->backwards++;
		else if (n > last) {
			r->distinct++;
			last = n;
		}
	}
	return NULL;
}

static void *wall_writer_main(void *arg)
{
	int64_t *n = arg;
	struct fake_clocks fc = {.t = 1000, .gen = 0};
	struct ls_wallclock wc;
	ls_wall_init(&wc, fake_read, &fc);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		fc.gen++;
		if (ls_wall_refresh(&wc, NULL) < 0)
			break;
		ls_wall_publish(&wpub, &wc);
		__atomic_store_n(n, fc.gen, __ATOMIC_RELAXED); /* the main thread watches it */
		for (int i = 0; i < 1000; i++)
			(void)atomic_load_explicit(&stop, memory_order_relaxed);
	}
	return NULL;
}

TEST(wall_offset_published_to_readers_whole)
{
	int64_t off = 0;
	ls_wall_pub_init(&wpub);
	CHECK(!ls_wall_pub_offset(&wpub, &off)); /* before the first refresh */
	struct fake_clocks fc = {.t = 5, .gen = 3};
	struct ls_wallclock wc;
	ls_wall_init(&wc, fake_read, &fc);
	ls_wall_publish(&wpub, &wc); /* not valid yet: still nothing */
	CHECK(!ls_wall_pub_offset(&wpub, &off));
	CHECK(ls_wall_refresh(&wc, NULL) == 0);
	ls_wall_publish(&wpub, &wc);
	CHECK(ls_wall_pub_offset(&wpub, &off));
	CHECK(off == 3 * W_STEP);

	ls_wall_pub_init(&wpub);
	atomic_store(&stop, 0);
	struct wreader rd[READERS];
	memset(rd, 0, sizeof(rd));
	int64_t written = 0;
	pthread_t wt;
	for (int i = 0; i < READERS; i++)
		CHECK(pthread_create(&rd[i].th, NULL, wall_reader_main, &rd[i]) == 0);
	CHECK(pthread_create(&wt, NULL, wall_writer_main, &written) == 0);
	double t0 = now_s();
	for (;;) {
		struct timespec ms = {0, 10 * 1000000};
		nanosleep(&ms, NULL);
		uint64_t minreads = UINT64_MAX;
		for (int i = 0; i < READERS; i++) {
			uint64_t r = __atomic_load_n(&rd[i].reads, __ATOMIC_RELAXED);
			minreads = r < minreads ? r : minreads;
		}
		/* at least 0.2 s, so the readers meet many rewrites */
		if (now_s() - t0 > 3.0 ||
		    (now_s() - t0 > 0.2 && minreads >= 100000 &&
		     __atomic_load_n(&written, __ATOMIC_RELAXED) >= 1000))
			break;
	}
	atomic_store(&stop, 1);
	pthread_join(wt, NULL);
	uint64_t reads = 0, torn = 0, back = 0, distinct = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(rd[i].th, NULL);
		reads += rd[i].reads;
		torn += rd[i].torn;
		back += rd[i].backwards;
		distinct += rd[i].distinct;
	}
	printf("# %.2f s: %" PRId64 " offsets published, %" PRIu64 " reads (%" PRIu64
	       " distinct generations), %" PRIu64 " torn, %" PRIu64 " backwards\n",
	       now_s() - t0, written, reads, distinct, torn, back);
	CHECK(written > 0 && reads > 0 && distinct > 0);
	CHECK_EQ_INT(torn, 0);
	CHECK_EQ_INT(back, 0);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(empty_pub_reads_invalid);
	RUN(wall_offset_published_to_readers_whole);
	RUN(publish_then_read_round_trips);
	RUN(readers_never_see_a_torn_mapping);
	return test_done();
}
