/* module.h - the decoded, validated form of a WebAssembly module.
 *
 * Internal to src/wasm/. decode.c fills it from the binary, validate.c checks
 * it (and each function body), compile.c translates the bodies into the
 * interpreter's internal code, instance.c instantiates it. Byte ranges
 * (`*_off`, `*_len`) point into `bytes`, the module's own copy of the binary.
 */
#ifndef LW_MODULE_H
#define LW_MODULE_H

#include "lockstep/wasm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* external kinds, as in the binary format */
enum { LW_EXT_FUNC = 0, LW_EXT_TABLE = 1, LW_EXT_MEMORY = 2, LW_EXT_GLOBAL = 3 };

#define LW_NO_MAX UINT32_MAX
#define LW_MAX_PAGES 65536u

typedef struct lw_lim {
	uint32_t min;
	uint32_t max; /* LW_NO_MAX when absent */
	bool has_max; /* tells an explicit max of 0xffffffff from none */
} lw_lim;

typedef struct lw_functype {
	uint32_t nparams;
	uint32_t nresults;
	uint8_t *types; /* nparams param types then nresults result types */
	char *sig;      /* "(ii)i" form, for the API and error messages */
} lw_functype;

typedef struct lw_tabletype {
	uint8_t elem; /* LW_FUNCREF or LW_EXTERNREF */
	lw_lim lim;
} lw_tabletype;

typedef struct lw_globaltype {
	uint8_t type;
	bool mut;
} lw_globaltype;

/* A constant expression (global init, segment offsets, element items):
 * the byte range of the instructions, `end` excluded. */
typedef struct lw_constexpr {
	uint32_t off;
	uint32_t len;
} lw_constexpr;

typedef struct lw_import {
	char *module;
	char *name;
	uint8_t kind; /* LW_EXT_* */
	union {
		uint32_t type_idx; /* func */
		lw_tabletype table;
		lw_lim mem;
		lw_globaltype global;
	} d;
} lw_import;

/* Functions, imported first then defined (the module's function index space). */
typedef struct lw_func {
	uint32_t type_idx;
	bool imported;
	/* defined functions only: */
	uint32_t nlocals;      /* declared locals, params excluded */
	uint8_t *local_types;  /* nlocals entries */
	uint32_t body_off;     /* first instruction (after the locals) */
	uint32_t body_len;     /* up to and including the final `end` */
	uint32_t code_off;     /* start of the code entry (size field), for errors */
	void *compiled;        /* compile.c's output, owned by the module */
} lw_func;

typedef struct lw_global {
	lw_globaltype type;
	bool imported;
	lw_constexpr init; /* defined globals only */
} lw_global;

typedef struct lw_table {
	lw_tabletype type;
	bool imported;
} lw_table;

typedef struct lw_memory {
	lw_lim lim;
	bool imported;
} lw_memory;

typedef struct lw_export {
	char *name;        /* NUL-terminated; may hold NUL bytes itself */
	uint32_t name_len; /* bytes in name */
	uint8_t kind;
	uint32_t index;
} lw_export;

enum { LW_SEG_ACTIVE = 0, LW_SEG_PASSIVE = 1, LW_SEG_DECLARATIVE = 2 };

typedef struct lw_elem {
	uint8_t mode;       /* LW_SEG_* */
	uint8_t type;       /* LW_FUNCREF / LW_EXTERNREF */
	uint32_t table_idx; /* active only */
	lw_constexpr offset;/* active only */
	uint32_t count;
	/* items: either function indices (func_idx != NULL) or expressions */
	uint32_t *func_idx;
	lw_constexpr *exprs;
} lw_elem;

typedef struct lw_data {
	uint8_t mode;       /* LW_SEG_ACTIVE or LW_SEG_PASSIVE */
	uint32_t mem_idx;
	lw_constexpr offset;
	uint32_t off;       /* bytes */
	uint32_t len;
} lw_data;

/* The engine: owns nothing global; every module and instance points at it.
 * Fields may be added by any part of the engine. */
struct lw_engine {
	uint32_t nmodules; /* modules alive, checked by lw_engine_free */
	/* instances whose instantiation trapped after their functions became
	 * reachable through imported tables: the spec keeps them alive in the
	 * store, so they live until the engine goes (instance.c) */
	struct lw_instance *graveyard;
};

struct lw_module {
	lw_engine *engine;
	/* instances in the engine's graveyard still run this module's code:
	 * lw_module_free is deferred until they go (instance.c) */
	uint32_t pins;
	bool free_pending;
	uint32_t shares; /* owners beyond the first (lw_module_share) */
	uint8_t *bytes; /* owned copy of the binary */
	size_t len;

	uint32_t ntypes;
	lw_functype *types;

	uint32_t nimports;
	lw_import *imports;
	uint32_t nfunc_imports, ntable_imports, nmem_imports, nglobal_imports;

	uint32_t nfuncs; /* imported + defined */
	lw_func *funcs;
	uint32_t ntables;
	lw_table *tables;
	uint32_t nmems;
	lw_memory *mems;
	uint32_t nglobals;
	lw_global *globals;

	uint32_t nexports;
	lw_export *exports;

	bool has_start;
	uint32_t start;

	uint32_t nelems;
	lw_elem *elems;

	bool has_datacount;
	uint32_t datacount;
	uint32_t ndatas;
	lw_data *datas;

	/* function indices referenced outside function bodies (exports, element
	 * segments, globals): the only ones ref.func may name (C.refs). */
	uint8_t *func_declared; /* nfuncs flags */

	/* name section (optional), for trap stacks: NULL entries when absent */
	char **func_names;
};

/* decode.c */
int lw_decode(lw_module *m, lw_error *err);
/* validate.c: module-level checks and every function body */
int lw_validate(lw_module *m, lw_error *err);
/* compile.c: translate every defined function for the interpreter */
int lw_compile(lw_module *m, lw_error *err);
void lw_compiled_free(void *compiled);
/* instance.c: frees the graveyard (called by lw_engine_free) */
void lw_engine_release_instances(lw_engine *e);

/* LEB128 and error helpers shared by decode/validate (decode.c) */
void lw_error_set(lw_error *err, lw_error_kind kind, int section,
		  int64_t func, int64_t off, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* LW_MODULE_H */
