/* flows.c - the flows the policy knows, by flow_id: their key (to write
 * verdicts), their identity as the guest sees it (client = side of the first
 * packet) and when they were last heard of. Chained hash table that doubles;
 * the nodes come from a pool (pool.h) that keeps them at their peak, up to
 * the flow limit, since flows come and go at the event rate. */
#include "policy/policy_int.h"

#include <stdlib.h>
#include <string.h>

static size_t slot(const struct ls_pflows *t, uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return id & (t->nb - 1);
}

int ls_pflows_init(struct ls_pflows *t, size_t limit)
{
	t->nb = 1024;
	t->n = 0;
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
	if (t->b) {
		for (size_t i = 0; i < t->nb; i++)
			for (struct ls_pflow *f = t->b[i], *nx; f; f = nx) {
				nx = f->next;
				node_put(t, f); /* the heap's are freed */
			}
		free(t->b);
		t->b = NULL;
	}
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

struct ls_pflow *ls_pflows_get(struct ls_pflows *t, uint64_t flow_id)
{
	for (struct ls_pflow *f = t->b[slot(t, flow_id)]; f; f = f->next)
		if (f->flow_id == flow_id)
			return f;
	return NULL;
}

/* Twice the buckets; only the buckets change (the pools stay: copying a
 * fresh table over this one lost them, and with them the spare nodes). */
static void grow(struct ls_pflows *t)
{
	size_t nb = t->nb * 2;
	struct ls_pflow **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	struct ls_pflows nt = {.b = b, .nb = nb};
	for (size_t i = 0; i < t->nb; i++)
		for (struct ls_pflow *f = t->b[i], *nx; f; f = nx) {
			nx = f->next;
			size_t s = slot(&nt, f->flow_id);
			f->next = b[s];
			b[s] = f;
		}
	free(t->b);
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
	size_t s = slot(t, f->flow_id);
	f->next = t->b[s];
	t->b[s] = f;
	if (++t->n > t->nb)
		grow(t);
	return f;
}

void ls_pflows_del(struct ls_pflows *t, uint64_t flow_id)
{
	for (struct ls_pflow **pp = &t->b[slot(t, flow_id)]; *pp; pp = &(*pp)->next)
		if ((*pp)->flow_id == flow_id) {
			struct ls_pflow *f = *pp;
			*pp = f->next;
			node_put(t, f);
			t->n--;
			return;
		}
}

size_t ls_pflows_gc(struct ls_pflows *t, uint64_t cutoff_k,
		    bool (*alive)(void *ctx, struct ls_pflow *f), void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nb; i++)
		for (struct ls_pflow **pp = &t->b[i]; *pp;) {
			if ((*pp)->last_k < cutoff_k && !(alive && alive(ctx, *pp))) {
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
