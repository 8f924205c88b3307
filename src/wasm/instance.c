/* instance.c - instantiation (linking with import type matching, allocation
 * under the embedder's limits, segment initialisation in spec order, the
 * start function) and the call API: lw_call, lw_resume, fuel, globals,
 * bounds-checked guest memory access, traps and statistics. */
#include "wasm/imports.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lw_limits lw_limits_default(void)
{
	return (lw_limits){
		.max_memory_pages = LW_MAX_PAGES,
		.max_table_elems = 1u << 20,
		.max_call_depth = 10000,
		.max_stack_bytes = 8u << 20,
		.fuel = 0,
	};
}

/* ---- constant expressions ------------------------------------------------- */

static uint64_t ce_uleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int s = 0;
	while (*p < end) {
		uint8_t b = *(*p)++;
		if (s < 64)
			v |= (uint64_t)(b & 0x7f) << s;
		s += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static int64_t ce_sleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int s = 0;
	uint8_t b = 0;
	while (*p < end) {
		b = *(*p)++;
		if (s < 64)
			v |= (uint64_t)(b & 0x7f) << s;
		s += 7;
		if (!(b & 0x80))
			break;
	}
	if (s < 64 && (b & 0x40))
		v |= ~0ull << s;
	return (int64_t)v;
}

/* Evaluates a validated constant expression (with the extended-const
 * arithmetic as a courtesy). */
static uint64_t eval_const(lw_instance *in, lw_constexpr ce)
{
	const uint8_t *p = in->mod->bytes + ce.off, *end = p + ce.len;
	uint64_t st[16];
	int n = 0;
	while (p < end) {
		uint8_t b = *p++;
		uint64_t v = 0;
		switch (b) {
		case 0x41: v = (uint32_t)ce_sleb(&p, end); break;
		case 0x42: v = (uint64_t)ce_sleb(&p, end); break;
		case 0x43: {
			uint32_t x = 0;
			if (end - p >= 4)
				memcpy(&x, p, 4);
			p += 4;
			v = x;
			break;
		}
		case 0x44:
			if (end - p >= 8)
				memcpy(&v, p, 8);
			p += 8;
			break;
		case 0x23: v = in->globals[ce_uleb(&p, end)]->val; break;
		case 0xd0: p++; v = 0; break;
		case 0xd2: v = (uint64_t)(uintptr_t)in->funcs[ce_uleb(&p, end)]; break;
		case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: {
			if (n < 2)
				return 0;
			uint64_t y = st[--n], x = st[--n];
			switch (b) {
			case 0x6a: v = (uint32_t)(x + y); break;
			case 0x6b: v = (uint32_t)(x - y); break;
			case 0x6c: v = (uint32_t)(x * y); break;
			case 0x7c: v = x + y; break;
			case 0x7d: v = x - y; break;
			default: v = x * y; break;
			}
			break;
		}
		case 0x0b: continue;
		default: return 0;
		}
		if (n < 16)
			st[n++] = v;
	}
	return n ? st[n - 1] : 0;
}

/* ---- linking --------------------------------------------------------------- */

/* amax: UINT64_MAX when the actual object has no maximum */
static bool limits_match(uint32_t amin, uint64_t amax, lw_lim want)
{
	if (amin < want.min)
		return false;
	if (!want.has_max && want.max == LW_NO_MAX)
		return true;
	return amax != UINT64_MAX && amax <= want.max;
}

static int link_import(lw_instance *in, const lw_imports *imp, uint32_t i,
		       uint32_t *nf, uint32_t *nt, uint32_t *nm, uint32_t *ng,
		       lw_error *err)
{
	const lw_module *m = in->mod;
	const lw_import *im = &m->imports[i];
	lw_extern x;
	if (!lw_imports_find(imp, im->module, im->name, &x)) {
		lw_error_set(err, LW_ERR_UNLINKABLE, 2, -1, -1,
			     "unknown import: %s.%s", im->module, im->name);
		return -1;
	}
	bool ok = x.kind == im->kind;
	if (ok) {
		switch (im->kind) {
		case LW_EXT_FUNC: {
			const lw_functype *t = &m->types[im->d.type_idx];
			const char *sig = x.f ? x.f->sig : x.host->sig;
			ok = !strcmp(sig, t->sig);
			if (!ok)
				break;
			lw_funcinst *f = x.f;
			if (!f) {
				f = &in->own[in->nown++];
				f->inst = in;
				f->host = x.host->fn;
				f->host_user = x.host->user;
				f->nparams = t->nparams;
				f->nresults = t->nresults;
				f->types = t->types;
				f->sig = t->sig;
				f->sig_key = lw_sig_key(t->sig);
				f->index = *nf;
			}
			in->funcs[(*nf)++] = f;
			break;
		}
		case LW_EXT_TABLE:
			ok = x.t->elem == im->d.table.elem &&
			     limits_match(x.t->size, x.t->max, im->d.table.lim);
			if (ok) {
				x.t->refs++;
				in->tables[(*nt)++] = x.t;
			}
			break;
		case LW_EXT_MEMORY:
			ok = limits_match(x.m->pages,
					  x.m->max == LW_NO_MAX ? UINT64_MAX : x.m->max,
					  im->d.mem);
			if (ok) {
				x.m->refs++;
				in->mems[(*nm)++] = x.m;
			}
			break;
		case LW_EXT_GLOBAL:
			ok = x.g->type == im->d.global.type &&
			     x.g->mut == im->d.global.mut;
			if (ok) {
				x.g->refs++;
				in->globals[(*ng)++] = x.g;
			}
			break;
		}
	}
	if (!ok) {
		lw_error_set(err, LW_ERR_UNLINKABLE, 2, -1, -1,
			     "incompatible import type: %s.%s", im->module,
			     im->name);
		return -1;
	}
	return 0;
}

/* ---- the memory budget ------------------------------------------------------------ */

/* "64 MiB", "76.3 MiB", "12 KiB", "100 bytes": for messages. */
static const char *human(char *buf, size_t len, uint64_t n)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
	if (n < 1024) {
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
		return buf;
	}
	double v = (double)n / 1024;
	int u = 0;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	uint64_t whole = (uint64_t)v;
	if ((double)whole == v)
		snprintf(buf, len, "%llu %s", (unsigned long long)whole, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

/* One thing an instance will hold, for the budget check's message. */
typedef struct budget_item {
	uint64_t bytes;
	char what[96]; /* "table 0: 10000000 elements × 8 bytes" */
} budget_item;

/* Adds an item; the largest one is kept to be named. Sums saturate. */
static void budget_add(uint64_t *total, budget_item *largest, uint64_t bytes, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));
static void budget_add(uint64_t *total, budget_item *largest, uint64_t bytes, const char *fmt,
		       ...)
{
	*total = bytes > UINT64_MAX - *total ? UINT64_MAX : *total + bytes;
	if (bytes <= largest->bytes)
		return;
	largest->bytes = bytes;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(largest->what, sizeof(largest->what), fmt, ap);
	va_end(ap);
}

/* Everything instantiating m under lim allocates for the instance, counted
 * from the module's declarations before anything is allocated: its own
 * memories and tables at their initial sizes, globals, element segment
 * items, data segment state, function records, the operand stack and call
 * frames, and the module's compiled code. Returns the total; over the
 * budget, fills err naming the largest item, or the total when no single
 * item is over by itself. */
static uint64_t budget_plan(const lw_module *m, const lw_limits *lim, lw_error *err)
{
	uint64_t total = sizeof(lw_instance);
	budget_item big = {0, ""};
	char h1[32], h2[32];
	for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
		budget_add(&total, &big, (uint64_t)m->mems[i].lim.min * 65536,
			   "memory %u: %u pages \u00d7 64 KiB", i, m->mems[i].lim.min);
	for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
		budget_add(&total, &big, (uint64_t)m->tables[i].type.lim.min * 8,
			   "table %u: %u elements \u00d7 8 bytes", i, m->tables[i].type.lim.min);
	uint64_t items = 0;
	for (uint32_t i = 0; i < m->nelems; i++)
		items += m->elems[i].count;
	budget_add(&total, &big, items * 8 + (uint64_t)m->nelems * 16,
		   "element segments: %u segments, %llu items \u00d7 8 bytes", m->nelems,
		   (unsigned long long)items);
	budget_add(&total, &big, (uint64_t)m->ndatas * 4, "data segments: %u \u00d7 4 bytes",
		   m->ndatas);
	budget_add(&total, &big, (uint64_t)m->nglobals * (sizeof(lw_globobj) + 8),
		   "globals: %u \u00d7 %zu bytes", m->nglobals, sizeof(lw_globobj) + 8);
	budget_add(&total, &big,
		   (uint64_t)m->nfuncs * (sizeof(lw_funcinst) + 8) + (uint64_t)m->ntypes * 8,
		   "functions: %u \u00d7 %zu bytes", m->nfuncs, sizeof(lw_funcinst) + 8);
	uint64_t nslots = lim->max_stack_bytes / 8 < 64 ? 64 : lim->max_stack_bytes / 8;
	budget_add(&total, &big, nslots * 8, "operand stack: %llu slots \u00d7 8 bytes",
		   (unsigned long long)nslots);
	budget_add(&total, &big, ((uint64_t)lim->max_call_depth + 1) * sizeof(lw_frame),
		   "call frames: %u \u00d7 %zu bytes", lim->max_call_depth + 1,
		   sizeof(lw_frame));
	uint64_t code = 0;
	for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
		const lw_code *c = m->funcs[i].compiled;
		if (c)
			code += sizeof(*c) + (uint64_t)c->nops * 4;
	}
	budget_add(&total, &big, code, "compiled code: %u functions", m->nfuncs - m->nfunc_imports);
	if (!lim->memory_budget || total <= lim->memory_budget)
		return total;
	if (big.bytes > lim->memory_budget)
		lw_error_set(err, LW_ERR_LIMIT, -1, -1, -1,
			     "%s = %s exceeds the instance memory budget of %s", big.what,
			     human(h1, sizeof(h1), big.bytes),
			     human(h2, sizeof(h2), lim->memory_budget));
	else
		lw_error_set(err, LW_ERR_LIMIT, -1, -1, -1,
			     "the instance needs %s in all (the most, %s = %s), more than the "
			     "instance memory budget of %s",
			     human(h1, sizeof(h1), total), big.what,
			     human((char[32]){0}, 32, big.bytes),
			     human(h2, sizeof(h2), lim->memory_budget));
	return total;
}

/* ---- instantiation ------------------------------------------------------------- */

static void *zalloc(size_t n, size_t sz, bool *oom)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		*oom = true;
	return p;
}

void lw_instance_free(lw_instance *in)
{
	if (!in)
		return;
	if (in->mems)
		for (uint32_t i = 0; i < in->nmems; i++)
			lw_mem_unref(in->mems[i]);
	if (in->tables)
		for (uint32_t i = 0; i < in->ntables; i++)
			lw_tab_unref(in->tables[i]);
	if (in->globals)
		for (uint32_t i = 0; i < in->nglobals; i++)
			lw_glob_unref(in->globals[i]);
	if (in->elem_vals)
		for (uint32_t i = 0; i < in->nelems; i++)
			free(in->elem_vals[i]);
	free(in->elem_vals);
	free(in->elem_len);
	free(in->data_len);
	free(in->funcs);
	free(in->own);
	free(in->mems);
	free(in->tables);
	free(in->globals);
	free(in->type_keys);
	lw_vmstack_unmap(in);
	lw_budget_unref(in->budget);
	free(in);
}

static int fail(lw_instance *in, int rc)
{
	lw_instance_free(in);
	return rc;
}

/* A trap during segment initialisation or in the start function: the
 * instance's functions may already sit in imported tables, so it stays
 * allocated (unreachable to the caller) until the engine is freed. */
static int fail_reachable(lw_instance *in)
{
	lw_engine *e = in->mod->engine;
	if (!e)
		return fail(in, -1);
	in->next_dead = e->graveyard;
	e->graveyard = in;
	((lw_module *)in->mod)->pins++;
	return -1;
}

void lw_engine_release_instances(lw_engine *e)
{
	while (e->graveyard) {
		lw_instance *in = e->graveyard;
		e->graveyard = in->next_dead;
		lw_module *m = (lw_module *)in->mod;
		lw_instance_free(in);
		if (--m->pins == 0 && m->free_pending)
			lw_module_free(m);
	}
}

int lw_instantiate(const lw_module *m, const lw_imports *imp,
		   const lw_limits *lim, lw_instance **out, lw_error *err)
{
	lw_error dummy;
	if (!err)
		err = &dummy;
	*out = NULL;
	lw_limits L = lim ? *lim : lw_limits_default();
	lw_limits d = lw_limits_default();
	if (!L.max_call_depth)
		L.max_call_depth = d.max_call_depth;
	if (!L.max_stack_bytes)
		L.max_stack_bytes = d.max_stack_bytes;
	if (!L.max_memory_pages)
		L.max_memory_pages = d.max_memory_pages;
	if (!L.max_table_elems)
		L.max_table_elems = d.max_table_elems;
	/* the budget first: nothing is allocated for a module over it */
	uint64_t need = budget_plan(m, &L, err);
	if (L.memory_budget && need > L.memory_budget)
		return -1;
	lw_instance *in = calloc(1, sizeof(*in));
	if (!in) {
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return -1;
	}
	in->mod = m;
	in->nmems = m->nmems;
	in->ntables = m->ntables;
	in->nglobals = m->nglobals;
	in->nelems = m->nelems;
	in->lim = L;
	if (L.memory_budget) {
		in->budget = calloc(1, sizeof(*in->budget));
		if (!in->budget) {
			lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
			return fail(in, -1);
		}
		*in->budget = (lw_budget){.limit = L.memory_budget, .used = need, .refs = 1};
	}

	bool oom = false;
	in->funcs = zalloc(m->nfuncs, sizeof(*in->funcs), &oom);
	in->own = zalloc(m->nfuncs, sizeof(*in->own), &oom);
	in->mems = zalloc(m->nmems, sizeof(*in->mems), &oom);
	in->tables = zalloc(m->ntables, sizeof(*in->tables), &oom);
	in->globals = zalloc(m->nglobals, sizeof(*in->globals), &oom);
	in->type_keys = zalloc(m->ntypes, sizeof(*in->type_keys), &oom);
	in->elem_vals = zalloc(m->nelems, sizeof(*in->elem_vals), &oom);
	in->elem_len = zalloc(m->nelems, sizeof(*in->elem_len), &oom);
	in->data_len = zalloc(m->ndatas, sizeof(*in->data_len), &oom);
	size_t nslots = in->lim.max_stack_bytes / 8;
	if (nslots < 64)
		nslots = 64;
	if (oom || lw_vmstack_map(in, nslots, (size_t)in->lim.max_call_depth + 1)) {
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return fail(in, -1);
	}
	in->stack_top = in->stack;
	for (uint32_t i = 0; i < m->ntypes; i++)
		in->type_keys[i] = lw_sig_key(m->types[i].sig);

	/* imports, in order */
	uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
	for (uint32_t i = 0; i < m->nimports; i++)
		if (link_import(in, imp, i, &nf, &nt, &nm, &ng, err))
			return fail(in, -1);

	/* defined functions */
	for (uint32_t i = nf; i < m->nfuncs; i++) {
		const lw_functype *t = &m->types[m->funcs[i].type_idx];
		lw_funcinst *f = &in->own[in->nown++];
		f->inst = in;
		f->code = m->funcs[i].compiled;
		f->nparams = t->nparams;
		f->nresults = t->nresults;
		f->types = t->types;
		f->sig = t->sig;
		f->sig_key = lw_sig_key(t->sig);
		f->index = i;
		in->funcs[i] = f;
		if (!f->code) {
			lw_error_set(err, LW_ERR_INVALID, 10, i, -1,
				     "function %u was not compiled", i);
			return fail(in, -1);
		}
		f->entry = f->code->ops + 4;
		f->frame_size = f->code->frame_size;
		f->entry_fuel = f->code->entry_fuel;
		f->nlocals = f->code->nlocals;
	}
	/* tables and memories, under the embedder's caps */
	for (uint32_t i = nt; i < m->ntables; i++) {
		const lw_tabletype *tt = &m->tables[i].type;
		if (tt->lim.min > in->lim.max_table_elems) {
			lw_error_set(err, LW_ERR_LIMIT, 4, -1, -1,
				     "table %u: %u elements exceed the limit of %u",
				     i, tt->lim.min, in->lim.max_table_elems);
			return fail(in, -1);
		}
		in->tables[i] = lw_tab_new(tt->elem, tt->lim.min,
					   tt->lim.has_max || tt->lim.max != LW_NO_MAX
						   ? tt->lim.max : UINT64_MAX,
					   in->lim.max_table_elems);
		if (!in->tables[i]) {
			lw_error_set(err, LW_ERR_NOMEM, 4, -1, -1, "out of memory");
			return fail(in, -1);
		}
		if (in->budget) {
			in->tables[i]->budget = in->budget;
			in->budget->refs++;
		}
	}
	for (uint32_t i = nm; i < m->nmems; i++) {
		const lw_lim *l = &m->mems[i].lim;
		if (l->min > in->lim.max_memory_pages) {
			lw_error_set(err, LW_ERR_LIMIT, 5, -1, -1,
				     "memory %u: %u pages exceed the limit of %u",
				     i, l->min, in->lim.max_memory_pages);
			return fail(in, -1);
		}
		in->mems[i] = lw_mem_new(l->min, l->max, in->lim.max_memory_pages);
		if (!in->mems[i]) {
			lw_error_set(err, LW_ERR_NOMEM, 5, -1, -1,
				     "out of memory for %u pages", l->min);
			return fail(in, -1);
		}
		if (in->budget) {
			in->mems[i]->budget = in->budget;
			in->budget->refs++;
		}
	}
	/* globals, in order (an initialiser sees the globals before it) */
	for (uint32_t i = ng; i < m->nglobals; i++) {
		const lw_global *g = &m->globals[i];
		in->globals[i] = lw_glob_new(g->type.type, g->type.mut, 0);
		if (!in->globals[i]) {
			lw_error_set(err, LW_ERR_NOMEM, 6, -1, -1, "out of memory");
			return fail(in, -1);
		}
		in->globals[i]->val = eval_const(in, g->init);
	}
	/* element segments: evaluate every item now */
	for (uint32_t i = 0; i < m->nelems; i++) {
		const lw_elem *e = &m->elems[i];
		in->elem_vals[i] = zalloc(e->count, sizeof(uint64_t), &oom);
		if (oom) {
			lw_error_set(err, LW_ERR_NOMEM, 9, -1, -1, "out of memory");
			return fail(in, -1);
		}
		for (uint32_t k = 0; k < e->count; k++)
			in->elem_vals[i][k] =
				e->func_idx ? (uint64_t)(uintptr_t)in->funcs[e->func_idx[k]]
					    : eval_const(in, e->exprs[k]);
		in->elem_len[i] = e->count;
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
		in->data_len[i] = m->datas[i].len;

	/* active segments in order; a trap leaves earlier writes in place */
	for (uint32_t i = 0; i < m->nelems; i++) {
		const lw_elem *e = &m->elems[i];
		if (e->mode == LW_SEG_ACTIVE) {
			uint64_t off = (uint32_t)eval_const(in, e->offset);
			lw_tabobj *t = in->tables[e->table_idx];
			if (off + e->count > t->size) {
				lw_error_set(err, LW_ERR_UNINSTANTIABLE, 9, -1, -1,
					     "out of bounds table access");
				return fail_reachable(in);
			}
			if (e->count)
				memcpy(t->elems + off, in->elem_vals[i],
				       e->count * sizeof(uint64_t));
		}
		if (e->mode != LW_SEG_PASSIVE)
			in->elem_len[i] = 0;
	}
	for (uint32_t i = 0; i < m->ndatas; i++) {
		const lw_data *dd = &m->datas[i];
		if (dd->mode != LW_SEG_ACTIVE)
			continue;
		uint64_t off = (uint32_t)eval_const(in, dd->offset);
		lw_memobj *mem = in->mems[dd->mem_idx];
		if (off + dd->len > mem->size) {
			lw_error_set(err, LW_ERR_UNINSTANTIABLE, 11, -1, -1,
				     "out of bounds memory access");
			return fail_reachable(in);
		}
		if (dd->len)
			memcpy(mem->data + off, m->bytes + dd->off, dd->len);
		in->data_len[i] = 0;
	}
	if (m->has_start) {
		in->fuel = in->lim.fuel ? (int64_t)in->lim.fuel : INT64_MAX;
		lw_deadline_start(in);
		lw_call_result r = lw_invoke(in, in->funcs[m->start], in->stack);
		if (r != LW_OK) {
			lw_error_set(err, LW_ERR_UNINSTANTIABLE, 8, m->start, -1,
				     "%s", in->trap.message);
			return fail_reachable(in);
		}
		in->suspended = false;
		in->nframes = 0;
	}
	*out = in;
	return 0;
}

/* ---- calls ---------------------------------------------------------------------- */

/* Names are compared with their length: an export name may hold NULs. */
static lw_funcinst *export_func(lw_instance *in, const char *name,
				size_t name_len)
{
	const lw_module *m = in->mod;
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == LW_EXT_FUNC &&
		    m->exports[i].name_len == name_len &&
		    !memcmp(m->exports[i].name, name, name_len))
			return in->funcs[m->exports[i].index];
	return NULL;
}

static lw_call_result bad_call(lw_instance *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static lw_call_result bad_call(lw_instance *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	memset(&in->trap, 0, sizeof(in->trap));
	in->trap.kind = LW_TRAP_BAD_CALL;
	in->trap.func_index = -1;
	vsnprintf(in->trap.message, sizeof(in->trap.message), fmt, ap);
	va_end(ap);
	return LW_TRAP_BAD_CALL;
}

/* Bookkeeping common to a finished lw_call / lw_resume. */
static lw_call_result finish(lw_instance *in, lw_funcinst *f, uint64_t *base,
			     int64_t fuel0, lw_call_result r, lw_value *results,
			     size_t nresults)
{
	in->depth--;
	if (fuel0 != INT64_MAX)
		in->stats.fuel_used += (uint64_t)(fuel0 - in->fuel);
	if (r == LW_OK) {
		for (size_t i = 0; i < nresults && i < f->nresults; i++)
			lw_value_of_slot(&results[i], base[i], f->types[f->nparams + i]);
	} else {
		in->stats.traps++;
	}
	return r;
}

lw_call_result lw_call(lw_instance *in, const char *export_name,
		       const lw_value *args, size_t nargs, lw_value *results,
		       size_t nresults)
{
	return lw_call_n(in, export_name, strlen(export_name), args, nargs,
			 results, nresults);
}

static lw_call_result call(lw_instance *in, lw_funcinst *f, const char *name,
			   const lw_value *args, size_t nargs, lw_value *results,
			   size_t nresults);

lw_call_result lw_call_n(lw_instance *in, const char *export_name,
			 size_t name_len, const lw_value *args, size_t nargs,
			 lw_value *results, size_t nresults)
{
	lw_funcinst *f = export_func(in, export_name, name_len);
	if (!f)
		return bad_call(in, "no exported function \"%s\"", export_name);
	return call(in, f, export_name, args, nargs, results, nresults);
}

lw_fnref *lw_instance_func(lw_instance *in, const char *export_name)
{
	return export_func(in, export_name, strlen(export_name));
}

/* Cheaper than a memset of the whole record, on every call: what a reader
 * looks at after a call (stack[] only up to stack_depth). */
static void trap_clear(lw_instance *in)
{
	in->trap.kind = LW_OK;
	in->trap.message[0] = 0;
	in->trap.func_index = -1;
	in->trap.exit_code = 0;
	in->trap.stack_depth = 0;
}

lw_call_result lw_call_func(lw_instance *in, lw_fnref *f, const lw_value *args,
			    size_t nargs, lw_value *results, size_t nresults)
{
	if (!f)
		return bad_call(in, "no function given");
	return call(in, f, "", args, nargs, results, nresults);
}

/* name: for messages only */
static lw_call_result call(lw_instance *in, lw_funcinst *f, const char *name,
			   const lw_value *args, size_t nargs, lw_value *results,
			   size_t nresults)
{
	if (nargs != f->nparams || nresults != f->nresults)
		return bad_call(in, "%s%s takes %u arguments and returns %u results",
				name, f->sig, f->nparams, f->nresults);
	for (size_t i = 0; i < nargs; i++)
		if (args[i].type != f->types[i])
			return bad_call(in, "%s%s: argument %zu has the wrong type",
					name, f->sig, i);
	if (in->depth == 0) {
		/* a new top-level call abandons a suspended one */
		in->suspended = false;
		in->nframes = 0;
		in->stack_top = in->stack;
		in->fuel = in->lim.fuel ? (int64_t)in->lim.fuel : INT64_MAX;
		lw_deadline_start(in);
	}
	uint64_t *base = in->stack_top;
	size_t need = nargs > nresults ? nargs : nresults;
	if (base + need + 1 > in->stack_end) {
		memset(&in->trap, 0, sizeof(in->trap));
		lw_set_trap(in, LW_TRAP_STACK_EXHAUSTED, NULL);
		in->stats.traps++;
		return LW_TRAP_STACK_EXHAUSTED;
	}
	for (size_t i = 0; i < nargs; i++)
		base[i] = lw_slot_of_value(&args[i], args[i].type);
	trap_clear(in);
	in->stats.calls++;
	in->depth++;
	int64_t fuel0 = in->fuel;
	lw_call_result r = lw_invoke(in, f, base);
	if (r == LW_TRAP_OUT_OF_FUEL && in->depth > 1)
		in->suspended = false; /* only a top-level call can be resumed */
	return finish(in, f, base, fuel0, r, results, nresults);
}

lw_call_result lw_resume(lw_instance *in, lw_value *results, size_t nresults)
{
	if (!in->suspended || in->depth != 0)
		return bad_call(in, "no call suspended for lack of fuel");
	lw_funcinst *f = in->susp_entry;
	if (nresults != f->nresults)
		return bad_call(in, "the suspended call returns %u results",
				f->nresults);
	in->suspended = false;
	in->depth++;
	int64_t fuel0 = in->fuel;
	lw_deadline_start(in);
	memset(&in->trap, 0, sizeof(in->trap));
	in->trap.func_index = -1;
	lw_call_result r = lw_exec(in, &in->susp, in->susp_frame0);
	if (r == LW_TRAP_OUT_OF_FUEL)
		in->suspended = true;
	return finish(in, f, in->susp_base, fuel0, r, results, nresults);
}

void lw_instance_set_fuel(lw_instance *in, uint64_t fuel)
{
	in->fuel = fuel > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)fuel;
}

uint64_t lw_instance_fuel_left(const lw_instance *in)
{
	return in->fuel < 0 ? 0 : (uint64_t)in->fuel;
}

const lw_trap_info *lw_instance_trap(const lw_instance *in)
{
	return &in->trap;
}

void lw_host_trap(lw_instance *in, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	in->trap.kind = LW_TRAP_HOST;
	vsnprintf(in->trap.message, sizeof(in->trap.message), fmt, ap);
	va_end(ap);
}

/* ---- globals ------------------------------------------------------------------------ */

static lw_globobj *export_global(lw_instance *in, const char *name)
{
	const lw_module *m = in->mod;
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == LW_EXT_GLOBAL &&
		    !strcmp(m->exports[i].name, name))
			return in->globals[m->exports[i].index];
	return NULL;
}

int lw_global_get(lw_instance *in, const char *name, lw_value *out)
{
	lw_globobj *g = export_global(in, name);
	if (!g)
		return -1;
	lw_value_of_slot(out, g->val, g->type);
	return 0;
}

int lw_global_set(lw_instance *in, const char *name, lw_value v)
{
	lw_globobj *g = export_global(in, name);
	if (!g || !g->mut || v.type != g->type)
		return -1;
	g->val = lw_slot_of_value(&v, v.type);
	return 0;
}

/* ---- memory --------------------------------------------------------------------------- */

static lw_memobj *mem0(lw_instance *in)
{
	return in->mod->nmems ? in->mems[0] : NULL;
}

uint8_t *lw_memory_data(lw_instance *in)
{
	lw_memobj *m = mem0(in);
	return m ? m->data : NULL;
}

uint64_t lw_memory_size(lw_instance *in)
{
	lw_memobj *m = mem0(in);
	return m ? m->size : 0;
}

void *lw_memory_ptr(lw_instance *in, uint64_t addr, uint64_t len)
{
	lw_memobj *m = mem0(in);
	if (!m || addr > m->size || len > m->size - addr)
		return NULL;
	return m->data + addr;
}

void lw_instance_set_user(lw_instance *in, void *user) { in->user = user; }
void *lw_instance_user(const lw_instance *in) { return in->user; }

void lw_instance_stats(const lw_instance *in, lw_stats *out) { *out = in->stats; }
