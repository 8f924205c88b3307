/* flows.c - the flows the policy knows, by flow_id: their key (to write
 * verdicts), their identity as the guest sees it (client = side of the first
 * packet) and when they were last heard of. Chained hash table that doubles
 * incrementally (a few old buckets moved by each add, as Redis's dict does:
 * moving 32k flows at once stalled the agent ~3 ms at 100k new flows/s);
 * the nodes come from a pool (pool.h) that keeps them at their peak, up to
 * the flow limit, since flows come and go at the event rate. */
#include "policy/policy_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An add moves old buckets until it moved this many flows or looked at
 * REHASH_LOOK buckets: the table doubles when it holds nb flows, so the
 * next doubling is nb adds away and the old buckets (nb / 2) are gone long
 * before. */
#define REHASH_FLOWS 4
#define REHASH_LOOK 32

static size_t hash_of(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id;
}

static size_t slot(const struct ls_pflows *t, uint64_t id)
{
	return hash_of(id) & (t->nb - 1);
}

bool ls_pflows_table(const struct ls_pflows *t, int i, struct ls_pflow ***b, size_t *nb)
{
	if (i == 0) {
		*b = t->b;
		*nb = t->nb;
		return true;
	}
	if (i == 1 && t->ob) {
		*b = t->ob;
		*nb = t->onb;
		return true;
	}
	return false;
}

/* Move some of the old buckets into the current ones (REHASH_*). */
static void rehash_step(struct ls_pflows *t, size_t flows, size_t look)
{
	size_t moved = 0;
	while (t->ob && moved < flows && look--) {
		for (struct ls_pflow *f = t->ob[t->omoved], *nx; f; f = nx) {
			nx = f->next;
			size_t s = slot(t, f->flow_id);
			f->next = t->b[s];
			t->b[s] = f;
			moved++;
		}
		t->ob[t->omoved] = NULL;
		if (++t->omoved == t->onb) {
			free(t->ob);
			t->ob = NULL;
			t->onb = t->omoved = 0;
		}
	}
	if (moved > t->step_max)
		t->step_max = moved;
}

int ls_pflows_init(struct ls_pflows *t, size_t limit)
{
	t->nb = 1024;
	t->n = 0;
	t->ob = NULL;
	t->onb = t->omoved = t->step_max = 0;
	t->gc_table = 0;
	t->gc_next = 0;
	ls_pool_init(&t->nodes, sizeof(struct ls_pflow), limit);
	ls_pool_init(&t->dpis, sizeof(struct ls_pflow_dpi), limit);
	t->b = calloc(t->nb, sizeof(*t->b));
	return t->b ? 0 : -1;
}

static void node_put(struct ls_pflows *t, struct ls_pflow *f)
{
	if (f->dpi)
		ls_pool_put(&t->dpis, f->dpi, f->dpi->pooled);
	ls_pool_put(&t->nodes, f, f->pooled);
}

void ls_pflows_free(struct ls_pflows *t)
{
	struct ls_pflow **b;
	size_t nb;
	for (int k = 0; t->b && ls_pflows_table(t, k, &b, &nb); k++)
		for (size_t i = 0; i < nb; i++)
			for (struct ls_pflow *f = b[i], *nx; f; f = nx) {
				nx = f->next;
				node_put(t, f); /* the heap's are freed */
			}
	free(t->b);
	free(t->ob);
	t->b = t->ob = NULL;
	t->onb = t->omoved = 0;
	ls_pool_fini(&t->nodes);
	ls_pool_fini(&t->dpis);
}

struct ls_pflow_dpi *ls_pflows_dpi(struct ls_pflows *t, struct ls_pflow *f)
{
	bool pooled;
	if (!f->dpi && (f->dpi = ls_pool_get(&t->dpis, &pooled)))
		f->dpi->pooled = pooled;
	return f->dpi;
}

/* Where flow_id's chain starts: in the current buckets, or in the old
 * ones while its bucket there has not moved yet. */
static struct ls_pflow **chain_of(struct ls_pflows *t, uint64_t flow_id)
{
	if (t->ob) {
		size_t o = hash_of(flow_id) & (t->onb - 1);
		if (o >= t->omoved && t->ob[o]) {
			for (struct ls_pflow *f = t->ob[o]; f; f = f->next)
				if (f->flow_id == flow_id)
					return &t->ob[o];
		}
	}
	return &t->b[slot(t, flow_id)];
}

struct ls_pflow *ls_pflows_get(struct ls_pflows *t, uint64_t flow_id)
{
	for (struct ls_pflow *f = *chain_of(t, flow_id); f; f = f->next)
		if (f->flow_id == flow_id)
			return f;
	return NULL;
}

/* Twice the buckets; only the buckets change (the pools stay: copying a
 * fresh table over this one lost them, and with them the spare nodes).
 * The old ones are moved by the adds that follow (rehash_step); a doubling
 * due before the last one finished finishes it first. No new buckets (out
 * of memory): the chains grow longer, nothing is lost. */
static void grow(struct ls_pflows *t)
{
	if (t->ob)
		rehash_step(t, SIZE_MAX, SIZE_MAX);
	size_t nb = t->nb * 2;
	struct ls_pflow **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	t->ob = t->b;
	t->onb = t->nb;
	t->omoved = 0;
	t->b = b;
	t->nb = nb;
}

/* The event's packet orientation names the client: for a new flow it is the
 * first packet; for a flow first heard of later (an adopted data plane) the
 * packet is usually the client's request, the best guess there is. */
struct ls_pflow *ls_pflows_add(struct ls_pflows *t, const struct ls_event *ev,
			       uint64_t first_seen_g)
{
	bool pooled;
	struct ls_pflow *f = ls_pool_get(&t->nodes, &pooled);
	if (!f)
		return NULL;
	/* every field set (no memset: a node is reused at the event rate) */
	bool from_lo = ev->dir == LS_DIR_LO_TO_HI;
	f->pooled = pooled;
	f->flow_id = ev->flow_id;
	f->key = ev->key;
	f->client_is_lo = from_lo;
	f->last_k = 0;
	f->dpi = NULL;
	f->info.flow_id = ev->flow_id;
	f->info.family = ev->key.family;
	f->info.proto = ev->key.proto;
	f->info.sport = ev->sport;
	f->info.dport = ev->dport;
	f->info.pad0 = 0;
	memcpy(f->info.src, from_lo ? ev->key.lo_addr : ev->key.hi_addr, 16);
	memcpy(f->info.dst, from_lo ? ev->key.hi_addr : ev->key.lo_addr, 16);
	f->info.first_seen_g = first_seen_g;
	f->info.pad1 = 0;
	if (t->ob)
		rehash_step(t, REHASH_FLOWS, REHASH_LOOK);
	size_t s = slot(t, f->flow_id);
	f->next = t->b[s];
	t->b[s] = f;
	if (++t->n > t->nb)
		grow(t);
	return f;
}

void ls_pflows_del(struct ls_pflows *t, uint64_t flow_id)
{
	for (struct ls_pflow **pp = chain_of(t, flow_id); *pp; pp = &(*pp)->next)
		if ((*pp)->flow_id == flow_id) {
			struct ls_pflow *f = *pp;
			*pp = f->next;
			node_put(t, f);
			t->n--;
			return;
		}
}

/* Collect in bucket i of b (flows.c's gc and gc_some): *asks counts the
 * alive() calls made. */
static size_t gc_bucket(struct ls_pflows *t, struct ls_pflow **bucket, uint64_t cutoff_k,
			bool (*alive)(void *ctx, struct ls_pflow *f), void *ctx, size_t *asks)
{
	size_t n = 0;
	for (struct ls_pflow **pp = bucket; *pp;) {
		bool old = (*pp)->last_k < cutoff_k;
		if (old && alive)
			++*asks;
		if (old && !(alive && alive(ctx, *pp))) {
			struct ls_pflow *f = *pp;
			*pp = f->next;
			node_put(t, f);
			t->n--;
			n++;
		} else {
			pp = &(*pp)->next;
		}
	}
	return n;
}

size_t ls_pflows_gc_some(struct ls_pflows *t, uint64_t cutoff_k,
			 bool (*alive)(void *ctx, struct ls_pflow *f), void *ctx,
			 size_t max_buckets, size_t max_asks)
{
	size_t n = 0, asks = 0;
	/* An empty table has nothing to collect, and a small one is walked at
	 * most once per slice: an idle agent's tick (and a short-lived
	 * instance's) costs nothing here, however large max_buckets is. */
	if (t->n == 0)
		return 0;
	size_t all = t->nb + (t->ob ? t->onb : 0);
	if (max_buckets > all)
		max_buckets = all;
	while (max_buckets-- && asks < max_asks) {
		struct ls_pflow **b;
		size_t nb;
		if (!ls_pflows_table(t, t->gc_table, &b, &nb) || t->gc_next >= nb) {
			/* this array done (or gone with a doubling): the next */
			t->gc_table =
			    ls_pflows_table(t, t->gc_table + 1, &b, &nb) ? t->gc_table + 1 : 0;
			t->gc_next = 0;
			max_buckets++; /* no bucket was visited */
			continue;
		}
		n += gc_bucket(t, &b[t->gc_next++], cutoff_k, alive, ctx, &asks);
	}
	return n;
}

size_t ls_pflows_gc(struct ls_pflows *t, uint64_t cutoff_k,
		    bool (*alive)(void *ctx, struct ls_pflow *f), void *ctx)
{
	size_t n = 0, asks = 0;
	struct ls_pflow **b;
	size_t nb;
	for (int k = 0; ls_pflows_table(t, k, &b, &nb); k++)
		for (size_t i = 0; i < nb; i++)
			n += gc_bucket(t, &b[i], cutoff_k, alive, ctx, &asks);
	return n;
}
