/* store.c - memories, tables and globals as reference-counted objects, so
 * that instances (and the host) importing them share the very same object,
 * plus function signature keys for call_indirect's type check. A memory or
 * table an instance defined charges its growth to that instance's budget
 * before allocating (rt.h lw_budget). */
#include "wasm/rt.h"

#include <stdlib.h>
#include <string.h>

lw_memobj *lw_mem_new(uint32_t pages, uint32_t max, uint32_t cap)
{
	if (pages > cap || pages > LW_MAX_PAGES)
		return NULL;
	lw_memobj *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->size = (uint64_t)pages * 65536;
	if (m->size) {
		m->data = calloc(1, m->size);
		if (!m->data) {
			free(m);
			return NULL;
		}
	}
	m->pages = pages;
	m->max = max;
	m->cap = cap;
	m->refs = 1;
	return m;
}

void lw_budget_unref(lw_budget *b)
{
	if (b && --b->refs == 0)
		free(b);
}

void lw_mem_unref(lw_memobj *m)
{
	if (m && --m->refs == 0) {
		lw_budget_unref(m->budget);
		free(m->data);
		free(m);
	}
}

int64_t lw_mem_grow(lw_memobj *m, uint64_t delta)
{
	uint64_t old = m->pages, n = old + delta;
	uint64_t limit = m->max < m->cap ? m->max : m->cap;
	if (limit > LW_MAX_PAGES)
		limit = LW_MAX_PAGES;
	if (n > limit)
		return -1;
	if (delta == 0)
		return (int64_t)old;
	if (!lw_budget_take(m->budget, delta * 65536))
		return -1;
	uint8_t *d = realloc(m->data, n * 65536);
	if (!d) {
		if (m->budget)
			m->budget->used -= delta * 65536;
		return -1;
	}
	memset(d + old * 65536, 0, delta * 65536);
	m->data = d;
	m->pages = (uint32_t)n;
	m->size = n * 65536;
	return (int64_t)old;
}

lw_tabobj *lw_tab_new(uint8_t elem, uint32_t size, uint64_t max, uint32_t cap)
{
	if (size > cap)
		return NULL;
	lw_tabobj *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->elems = calloc(size ? size : 1, sizeof(uint64_t));
	if (!t->elems) {
		free(t);
		return NULL;
	}
	t->size = size;
	t->max = max;
	t->cap = cap;
	t->elem = elem;
	t->refs = 1;
	return t;
}

void lw_tab_unref(lw_tabobj *t)
{
	if (t && --t->refs == 0) {
		lw_budget_unref(t->budget);
		free(t->elems);
		free(t);
	}
}

int64_t lw_tab_grow(lw_tabobj *t, uint64_t delta, uint64_t init)
{
	uint64_t old = t->size, n = old + delta;
	uint64_t limit = t->max < t->cap ? t->max : t->cap;
	if (n > limit)
		return -1;
	if (delta == 0)
		return (int64_t)old;
	if (!lw_budget_take(t->budget, delta * sizeof(uint64_t)))
		return -1;
	uint64_t *e = realloc(t->elems, n * sizeof(uint64_t));
	if (!e) {
		if (t->budget)
			t->budget->used -= delta * sizeof(uint64_t);
		return -1;
	}
	for (uint64_t i = old; i < n; i++)
		e[i] = init;
	t->elems = e;
	t->size = (uint32_t)n;
	return (int64_t)old;
}

lw_globobj *lw_glob_new(uint8_t type, bool mut, uint64_t val)
{
	lw_globobj *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->type = type;
	g->mut = mut;
	g->val = val;
	g->refs = 1;
	return g;
}

void lw_glob_unref(lw_globobj *g)
{
	if (g && --g->refs == 0)
		free(g);
}

/* Exact: 3 bits per character of "(..)..", up to 21 characters, top bit 0.
 * Longer signatures hash (top bit 1) and are confirmed with strcmp. */
uint64_t lw_sig_key(const char *sig)
{
	size_t n = strlen(sig);
	if (n <= 21) {
		uint64_t k = 0;
		for (size_t i = 0; i < n; i++) {
			int c;
			switch (sig[i]) {
			case 'i': c = 1; break;
			case 'I': c = 2; break;
			case 'f': c = 3; break;
			case 'F': c = 4; break;
			case 'r': c = 5; break;
			case 'x': c = 6; break;
			case ')': c = 7; break;
			default: c = 0; break; /* '(' */
			}
			k = k << 3 | (uint64_t)c;
		}
		return k;
	}
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)sig[i]) * 1099511628211ull;
	return h | (1ull << 63);
}

static int type_of_letter(char c)
{
	switch (c) {
	case 'i': return LW_I32;
	case 'I': return LW_I64;
	case 'f': return LW_F32;
	case 'F': return LW_F64;
	case 'r': return LW_FUNCREF;
	case 'x': return LW_EXTERNREF;
	}
	return -1;
}

int lw_sig_parse(const char *sig, uint8_t **types, uint32_t *np, uint32_t *nr)
{
	if (!sig || sig[0] != '(')
		return -1;
	const char *close = strchr(sig, ')');
	if (!close)
		return -1;
	size_t p = (size_t)(close - sig - 1), r = strlen(close + 1);
	uint8_t *t = malloc(p + r + 1);
	if (!t)
		return -1;
	for (size_t i = 0; i < p + r; i++) {
		char c = i < p ? sig[1 + i] : close[1 + i - p];
		int ty = type_of_letter(c);
		if (ty < 0) {
			free(t);
			return -1;
		}
		t[i] = (uint8_t)ty;
	}
	*types = t;
	*np = (uint32_t)p;
	*nr = (uint32_t)r;
	return 0;
}
