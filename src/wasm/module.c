/* module.c - engine and module lifecycle: load (decode -> validate ->
 * compile), free, and the module introspection functions of wasm.h. */
#include "wasm/module.h"

#include <stdlib.h>
#include <string.h>

lw_engine *lw_engine_new(void)
{
	return calloc(1, sizeof(lw_engine));
}

void lw_engine_free(lw_engine *e)
{
	if (e)
		lw_engine_release_instances(e);
	free(e);
}

void lw_module_free(lw_module *m)
{
	if (!m)
		return;
	if (m->shares) { /* another owner keeps it */
		m->shares--;
		return;
	}
	if (m->pins) {
		m->free_pending = true;
		return;
	}
	for (uint32_t i = 0; i < m->ntypes; i++) {
		free(m->types[i].types);
		free(m->types[i].sig);
	}
	free(m->types);
	for (uint32_t i = 0; i < m->nimports; i++) {
		free(m->imports[i].module);
		free(m->imports[i].name);
	}
	free(m->imports);
	for (uint32_t i = 0; i < m->nfuncs; i++) {
		free(m->funcs[i].local_types);
		if (m->funcs[i].compiled)
			lw_compiled_free(m->funcs[i].compiled);
		if (m->func_names)
			free(m->func_names[i]);
	}
	free(m->func_names);
	free(m->funcs);
	free(m->tables);
	free(m->mems);
	free(m->globals);
	for (uint32_t i = 0; i < m->nexports; i++)
		free(m->exports[i].name);
	free(m->exports);
	for (uint32_t i = 0; i < m->nelems; i++) {
		free(m->elems[i].func_idx);
		free(m->elems[i].exprs);
	}
	free(m->elems);
	free(m->datas);
	free(m->func_declared);
	free(m->bytes);
	if (m->engine && m->engine->nmodules)
		m->engine->nmodules--;
	free(m);
}

int lw_module_load(lw_engine *e, const uint8_t *bytes, size_t len,
		   lw_module **out, lw_error *err)
{
	lw_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof *err);
	err->section = -1;
	err->func_index = -1;
	err->offset = -1;
	*out = NULL;
	if (len > UINT32_MAX) {
		lw_error_set(err, LW_ERR_LIMIT, -1, -1, -1,
			     "module too large (%zu bytes)", len);
		return -1;
	}
	lw_module *m = calloc(1, sizeof *m);
	if (!m || !(m->bytes = malloc(len ? len : 1))) {
		free(m);
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return -1;
	}
	memcpy(m->bytes, bytes, len);
	m->len = len;
	m->engine = e;
	if (e)
		e->nmodules++;
	if (lw_decode(m, err) || lw_validate(m, err) || lw_compile(m, err)) {
		lw_module_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

lw_module *lw_module_share(lw_module *m)
{
	m->shares++;
	return m;
}

bool lw_module_same(const lw_module *m, const uint8_t *bytes, size_t len)
{
	return m && m->len == len && (!len || !memcmp(m->bytes, bytes, len));
}

uint32_t lw_module_import_count(const lw_module *m)
{
	return m->nimports;
}

int lw_module_import(const lw_module *m, uint32_t i, const char **module,
		     const char **name, int *kind)
{
	if (i >= m->nimports)
		return -1;
	if (module)
		*module = m->imports[i].module;
	if (name)
		*name = m->imports[i].name;
	if (kind)
		*kind = m->imports[i].kind;
	return 0;
}

uint32_t lw_module_export_count(const lw_module *m)
{
	return m->nexports;
}

int lw_module_export(const lw_module *m, uint32_t i, const char **name,
		     int *kind)
{
	if (i >= m->nexports)
		return -1;
	if (name)
		*name = m->exports[i].name;
	if (kind)
		*kind = m->exports[i].kind;
	return 0;
}

const char *lw_module_export_sig(const lw_module *m, const char *name)
{
	for (uint32_t i = 0; i < m->nexports; i++) {
		const lw_export *x = &m->exports[i];
		if (x->kind == LW_EXT_FUNC && !strcmp(x->name, name))
			return m->types[m->funcs[x->index].type_idx].sig;
	}
	return NULL;
}

const char *lw_module_func_name(const lw_module *m, uint32_t func_index)
{
	if (!m->func_names || func_index >= m->nfuncs)
		return NULL;
	return m->func_names[func_index];
}
