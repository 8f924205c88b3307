/* imports.h - the import set behind lw_imports_* and its lookup, used by
 * instance.c when linking. Internal to src/wasm/. */
#ifndef LW_IMPORTS_H
#define LW_IMPORTS_H

#include "wasm/rt.h"

#define LW_IMPORT_INSTANCE 0xff

typedef struct lw_import_ent {
	char *module;
	char *name;        /* NULL for a whole instance */
	uint8_t kind;      /* LW_EXT_* or LW_IMPORT_INSTANCE */
	lw_instance *from; /* LW_IMPORT_INSTANCE */
	/* host function */
	lw_host_fn fn;
	void *user;
	char *sig;
	uint8_t *types;
	uint32_t np, nr;
	/* host objects (one reference held by the import set) */
	lw_globobj *g;
	lw_tabobj *t;
	lw_memobj *mem;
} lw_import_ent;

struct lw_imports {
	lw_engine *engine;
	lw_import_ent *v;
	uint32_t n, cap;
};

/* A resolved import: an instance's export or a host definition. */
typedef struct lw_extern {
	uint8_t kind;
	lw_funcinst *f;            /* instance export */
	const lw_import_ent *host; /* host function (kind FUNC, f NULL) */
	lw_tabobj *t;
	lw_memobj *m;
	lw_globobj *g;
} lw_extern;

bool lw_imports_find(const lw_imports *imp, const char *module,
		     const char *name, lw_extern *out);

#endif /* LW_IMPORTS_H */
