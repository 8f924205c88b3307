/* imports.c - import sets: host functions with typed signatures, host
 * globals/tables/memories (spectest, embedders) and whole instances under a
 * module name (the spec's `register`), and their lookup at link time. */
#include "wasm/imports.h"

#include <stdlib.h>
#include <string.h>

lw_imports *lw_imports_new(lw_engine *e)
{
	lw_imports *imp = calloc(1, sizeof(*imp));
	if (imp)
		imp->engine = e;
	return imp;
}

void lw_imports_free(lw_imports *imp)
{
	if (!imp)
		return;
	for (uint32_t i = 0; i < imp->n; i++) {
		lw_import_ent *e = &imp->v[i];
		free(e->module);
		free(e->name);
		free(e->sig);
		free(e->types);
		lw_glob_unref(e->g);
		lw_tab_unref(e->t);
		lw_mem_unref(e->mem);
	}
	free(imp->v);
	free(imp);
}

static lw_import_ent *add(lw_imports *imp, const char *module,
			  const char *name, uint8_t kind)
{
	if (!imp || !module)
		return NULL;
	if (imp->n == imp->cap) {
		uint32_t n = imp->cap ? imp->cap * 2 : 16;
		lw_import_ent *v = realloc(imp->v, n * sizeof(*v));
		if (!v)
			return NULL;
		imp->v = v;
		imp->cap = n;
	}
	lw_import_ent *e = &imp->v[imp->n];
	memset(e, 0, sizeof(*e));
	e->module = strdup(module);
	e->name = name ? strdup(name) : NULL;
	if (!e->module || (name && !e->name)) {
		free(e->module);
		free(e->name);
		return NULL;
	}
	e->kind = kind;
	imp->n++;
	return e;
}

int lw_imports_add_func(lw_imports *imp, const char *module, const char *name,
			const char *sig, lw_host_fn fn, void *user)
{
	uint8_t *types;
	uint32_t np, nr;
	if (!fn || !name || lw_sig_parse(sig, &types, &np, &nr))
		return -1;
	lw_import_ent *e = add(imp, module, name, LW_EXT_FUNC);
	if (!e || !(e->sig = strdup(sig))) {
		if (e) {
			imp->n--;
			free(e->module);
			free(e->name);
		}
		free(types);
		return -1;
	}
	e->types = types;
	e->np = np;
	e->nr = nr;
	e->fn = fn;
	e->user = user;
	return 0;
}

int lw_imports_add_instance(lw_imports *imp, const char *module,
			    lw_instance *from)
{
	if (!from)
		return -1;
	lw_import_ent *e = add(imp, module, NULL, LW_IMPORT_INSTANCE);
	if (!e)
		return -1;
	e->from = from;
	return 0;
}

static bool valtype_ok(int t)
{
	return t == LW_I32 || t == LW_I64 || t == LW_F32 || t == LW_F64 ||
	       t == LW_FUNCREF || t == LW_EXTERNREF;
}

int lw_imports_add_global(lw_imports *imp, const char *module,
			  const char *name, lw_value v, bool mutable_)
{
	if (!name || !valtype_ok(v.type))
		return -1;
	lw_globobj *g = lw_glob_new((uint8_t)v.type, mutable_, 0);
	if (!g)
		return -1;
	switch (v.type) {
	case LW_I32: g->val = (uint32_t)v.of.i32; break;
	case LW_F32: g->val = v.of.f32_bits; break;
	case LW_FUNCREF:
	case LW_EXTERNREF: g->val = (uint64_t)(uintptr_t)v.of.ref; break;
	default: g->val = v.of.f64_bits; break;
	}
	lw_import_ent *e = add(imp, module, name, LW_EXT_GLOBAL);
	if (!e) {
		lw_glob_unref(g);
		return -1;
	}
	e->g = g;
	return 0;
}

int lw_imports_add_table(lw_imports *imp, const char *module, const char *name,
			 lw_valtype elem, uint32_t min, uint32_t max)
{
	if (!name || (elem != LW_FUNCREF && elem != LW_EXTERNREF) || min > max)
		return -1;
	lw_tabobj *t = lw_tab_new((uint8_t)elem, min,
				   max == UINT32_MAX ? UINT64_MAX : max, UINT32_MAX);
	if (!t)
		return -1;
	lw_import_ent *e = add(imp, module, name, LW_EXT_TABLE);
	if (!e) {
		lw_tab_unref(t);
		return -1;
	}
	e->t = t;
	return 0;
}

int lw_imports_add_memory(lw_imports *imp, const char *module,
			  const char *name, uint32_t min_pages,
			  uint32_t max_pages)
{
	if (!name || min_pages > max_pages || min_pages > LW_MAX_PAGES)
		return -1;
	lw_memobj *m = lw_mem_new(min_pages, max_pages, LW_MAX_PAGES);
	if (!m)
		return -1;
	lw_import_ent *e = add(imp, module, name, LW_EXT_MEMORY);
	if (!e) {
		lw_mem_unref(m);
		return -1;
	}
	e->mem = m;
	return 0;
}

/* Fills *out with what an instance exports under `name`, if anything. */
static bool from_instance(lw_instance *in, const char *name, lw_extern *out)
{
	const lw_module *m = in->mod;
	for (uint32_t i = 0; i < m->nexports; i++) {
		const lw_export *x = &m->exports[i];
		if (strcmp(x->name, name))
			continue;
		memset(out, 0, sizeof(*out));
		out->kind = x->kind;
		switch (x->kind) {
		case LW_EXT_FUNC: out->f = in->funcs[x->index]; break;
		case LW_EXT_TABLE: out->t = in->tables[x->index]; break;
		case LW_EXT_MEMORY: out->m = in->mems[x->index]; break;
		case LW_EXT_GLOBAL: out->g = in->globals[x->index]; break;
		}
		return true;
	}
	return false;
}

bool lw_imports_find(const lw_imports *imp, const char *module,
		     const char *name, lw_extern *out)
{
	if (!imp)
		return false;
	/* the latest definition wins, as with repeated `register` */
	for (uint32_t i = imp->n; i-- > 0;) {
		const lw_import_ent *e = &imp->v[i];
		if (strcmp(e->module, module))
			continue;
		if (e->kind == LW_IMPORT_INSTANCE) {
			if (from_instance(e->from, name, out))
				return true;
			continue;
		}
		if (strcmp(e->name, name))
			continue;
		memset(out, 0, sizeof(*out));
		out->kind = e->kind;
		out->host = e;
		out->t = e->t;
		out->m = e->mem;
		out->g = e->g;
		return true;
	}
	return false;
}
