/* ends.c - the bounded set of flow ends (ends.h). */
#include "obs/ends.h"

#include <string.h>

static uint32_t slot_of(uint64_t key)
{
	/* flow ids are a CPU number over a counter: mix them (Fibonacci
	 * hashing) so that consecutive ids spread over the table */
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (LS_ENDS_SLOTS - 1);
}

void ls_ends_init(struct ls_ends *e, uint64_t horizon_k)
{
	memset(e, 0, sizeof(*e));
	e->horizon_k = horizon_k;
}

static bool gen_has(const struct ls_ends_gen *g, uint64_t key)
{
	for (uint32_t i = slot_of(key), k = 0; k < LS_ENDS_SLOTS; k++, i = (i + 1) & (LS_ENDS_SLOTS - 1)) {
		if (g->id[i] == key)
			return true;
		if (!g->id[i])
			return false;
	}
	return false;
}

bool ls_ends_has(const struct ls_ends *e, uint64_t flow_id)
{
	uint64_t key = flow_id + 1;
	return key && (gen_has(&e->gen[0], key) || gen_has(&e->gen[1], key));
}

void ls_ends_add(struct ls_ends *e, uint64_t flow_id, uint64_t end_k)
{
	uint64_t key = flow_id + 1;
	if (!key || ls_ends_has(e, flow_id))
		return;
	struct ls_ends_gen *g = &e->gen[e->cur];
	if (g->n >= LS_ENDS_GEN) {
		/* the previous generation is forgotten, and said so */
		int old = 1 - e->cur;
		struct ls_ends_gen *p = &e->gen[old];
		if (p->n) {
			if (p->max_end_k > e->horizon_k)
				e->horizon_k = p->max_end_k;
			e->forgotten += p->n;
		}
		memset(p, 0, sizeof(*p));
		e->cur = old;
		g = p;
	}
	uint32_t i = slot_of(key);
	while (g->id[i])
		i = (i + 1) & (LS_ENDS_SLOTS - 1);
	g->id[i] = key;
	g->n++;
	if (end_k > g->max_end_k)
		g->max_end_k = end_k;
}

void ls_ends_forget_until(struct ls_ends *e, uint64_t t_k)
{
	if (t_k > e->horizon_k)
		e->horizon_k = t_k;
}
