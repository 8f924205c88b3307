/* rt.h - the engine's runtime objects (function, memory, table and global
 * instances, the instance itself), the interpreter's internal operation set
 * and the compiled-function form shared by compile.c, exec.c and instance.c.
 *
 * Internal to src/wasm/. The internal code format is explained once, at the
 * top of exec.c.
 */
#ifndef LW_RT_H
#define LW_RT_H

#include "wasm/module.h"

#define LW_LIKELY(x) __builtin_expect(!!(x), 1)
#define LW_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- internal operations ---------------------------------------------------
 * Binary integer operations that have an "_i" twin taking the right operand
 * as an immediate (sign-extended for i64). */
#define LW_BINI_OPS(X)                                                         \
	X(eq) X(ne) X(lt_s) X(lt_u) X(gt_s) X(gt_u) X(le_s) X(le_u) X(ge_s)    \
	X(ge_u) X(add) X(sub) X(mul) X(div_s) X(div_u) X(rem_s) X(rem_u)       \
	X(and) X(or) X(xor) X(shl) X(shr_s) X(shr_u) X(rotl) X(rotr)

#define LW_FLOAT_OPS(X, T)                                                     \
	X(T##_eq) X(T##_ne) X(T##_lt) X(T##_gt) X(T##_le) X(T##_ge)            \
	X(T##_abs) X(T##_neg) X(T##_ceil) X(T##_floor) X(T##_trunc)            \
	X(T##_nearest) X(T##_sqrt) X(T##_add) X(T##_sub) X(T##_mul)            \
	X(T##_div) X(T##_min) X(T##_max) X(T##_copysign)

#define LW_OPS(X)                                                              \
	X(enter) X(fuel) X(unreachable) X(br) X(br_if) X(br_unless)           \
	X(br_table) X(ret) X(call) X(call_indirect) X(copy) X(const32)        \
	X(const64) X(select) X(global_get) X(global_set) X(table_get)         \
	X(table_set) X(table_size) X(table_grow) X(table_fill) X(table_copy)  \
	X(table_init) X(elem_drop) X(ref_func) X(memory_size)                 \
	X(memory_grow) X(memory_fill) X(memory_copy) X(memory_init)           \
	X(data_drop) X(i32_load) X(i64_load) X(i32_load8_s) X(i32_load8_u)    \
	X(i32_load16_s) X(i32_load16_u) X(i64_load8_s) X(i64_load8_u)         \
	X(i64_load16_s) X(i64_load16_u) X(i64_load32_s) X(i64_load32_u)       \
	X(i32_store) X(i64_store) X(store8) X(store16)                        \
	X(i32_eqz) X(i32_clz) X(i32_ctz) X(i32_popcnt) X(i32_extend8_s)       \
	X(i32_extend16_s) X(i64_eqz) X(i64_clz) X(i64_ctz) X(i64_popcnt)      \
	X(i64_extend8_s) X(i64_extend16_s) X(i64_extend32_s)                  \
	LW_BINI_OPS(LW_X32) LW_BINI_OPS(LW_X64)                               \
	LW_BINI_OPS(LW_X32I) LW_BINI_OPS(LW_X64I)                             \
	LW_FLOAT_OPS(X, f32) LW_FLOAT_OPS(X, f64)                             \
	X(i32_wrap_i64) X(i32_trunc_f32_s) X(i32_trunc_f32_u)                 \
	X(i32_trunc_f64_s) X(i32_trunc_f64_u) X(i64_extend_i32_s)             \
	X(i64_trunc_f32_s) X(i64_trunc_f32_u) X(i64_trunc_f64_s)              \
	X(i64_trunc_f64_u) X(f32_convert_i32_s) X(f32_convert_i32_u)          \
	X(f32_convert_i64_s) X(f32_convert_i64_u) X(f32_demote_f64)           \
	X(f64_convert_i32_s) X(f64_convert_i32_u) X(f64_convert_i64_s)        \
	X(f64_convert_i64_u) X(f64_promote_f32) X(i32_trunc_sat_f32_s)        \
	X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s)                         \
	X(i32_trunc_sat_f64_u) X(i64_trunc_sat_f32_s)                         \
	X(i64_trunc_sat_f32_u) X(i64_trunc_sat_f64_s)                         \
	X(i64_trunc_sat_f64_u) X(br_eqz64) X(br_nez64)                        \
	LW_CMP_OPS(LW_B32) LW_CMP_OPS(LW_B64) LW_CMP_OPS(LW_B32I)            \
	LW_CMP_OPS(LW_B64I)

/* Integer comparisons fused with a following br_if / if: "bri32_lt_s a b L"
 * jumps when a < b. */
#define LW_CMP_OPS(X)                                                          \
	X(eq) X(ne) X(lt_s) X(lt_u) X(gt_s) X(gt_u) X(le_s) X(le_u) X(ge_s)    \
	X(ge_u)
#define LW_B32(n) LW_OPX(bri32_##n)
#define LW_B64(n) LW_OPX(bri64_##n)
#define LW_B32I(n) LW_OPX(bri32_##n##_i)
#define LW_B64I(n) LW_OPX(bri64_##n##_i)

#define LW_X32(n) LW_OPX(i32_##n)
#define LW_X64(n) LW_OPX(i64_##n)
#define LW_X32I(n) LW_OPX(i32_##n##_i)
#define LW_X64I(n) LW_OPX(i64_##n##_i)

enum lw_op {
#define LW_OPX(n) LW_OP_##n,
	LW_OPS(LW_OPX)
#undef LW_OPX
	LW_OP_COUNT
};

/* ---- compiled code ---------------------------------------------------------- */

typedef struct lw_code {
	uint32_t *ops;       /* the code stream (see exec.c) */
	uint32_t nops;
	uint32_t nparams;
	uint32_t nresults;
	uint32_t nlocals;    /* params + declared locals */
	uint32_t frame_size; /* slots: locals + the deepest operand stack */
	uint32_t entry_fuel; /* charged on entry (also in the `enter` op) */
} lw_code;

/* ---- runtime objects -------------------------------------------------------- */

typedef struct lw_funcinst {
	lw_instance *inst;      /* owner; for host functions the importer */
	const lw_code *code;    /* NULL for host functions */
	lw_host_fn host;
	void *host_user;
	uint32_t nparams, nresults;
	const uint8_t *types;   /* params then results */
	const char *sig;        /* "(ii)i" */
	uint64_t sig_key;       /* exact encoding of sig, or a hash (top bit) */
	uint32_t index;         /* function index in its module, for traps */
	uint8_t *owned_types;   /* for host functions: what `types` points to */
	char *owned_sig;
} lw_funcinst;

typedef struct lw_memobj {
	uint8_t *data;
	uint64_t size;  /* bytes */
	uint32_t pages;
	uint32_t max;   /* declared maximum (LW_NO_MAX if none) */
	uint32_t cap;   /* pages allowed by the embedder's limits */
	int refs;
} lw_memobj;

typedef struct lw_tabobj {
	uint64_t *elems; /* funcref: lw_funcinst *, externref: host pointer */
	uint32_t size;
	uint64_t max;   /* declared maximum, UINT64_MAX if none */
	uint32_t cap;
	uint8_t elem;
	int refs;
} lw_tabobj;

typedef struct lw_globobj {
	uint64_t val; /* bits, as in an operand slot */
	uint8_t type;
	bool mut;
	int refs;
} lw_globobj;

typedef struct lw_frame {
	const uint32_t *ret_ip;
	uint64_t *fp;
	lw_funcinst *fn; /* the caller */
} lw_frame;

struct lw_instance {
	const lw_module *mod;
	/* counts copied from the module: a failed instance may outlive it */
	uint32_t nmems, ntables, nglobals, nelems;
	lw_instance *next_dead; /* engine graveyard link */
	lw_limits lim;
	void *user;

	lw_funcinst **funcs;  /* module function index space */
	lw_funcinst *own;     /* defined functions and wrapped host imports */
	uint32_t nown;
	lw_memobj **mems;
	lw_tabobj **tables;
	lw_globobj **globals;
	uint64_t *type_keys;  /* sig_key of each module type */

	uint64_t **elem_vals; /* per element segment: evaluated references */
	uint32_t *elem_len;   /* 0 once dropped */
	uint32_t *data_len;   /* 0 once dropped */

	/* execution state */
	uint64_t *stack;      /* operand slots */
	uint64_t *stack_end;
	uint64_t *stack_top;  /* where the next activation starts */
	lw_frame *frames;
	uint32_t nframes;     /* frames in use */
	int64_t fuel;
	uint64_t fuel_charged;
	int depth;            /* nested lw_call activations */

	/* a call suspended by LW_TRAP_OUT_OF_FUEL, for lw_resume */
	bool suspended;
	const uint32_t *susp_ip;
	uint64_t *susp_fp;
	lw_funcinst *susp_fn;
	uint64_t *susp_base;
	uint32_t susp_frame0;
	lw_funcinst *susp_entry;

	lw_trap_info trap;
	lw_stats stats;
};

/* ---- shared helpers ----------------------------------------------------------- */

/* exec.c: run from a prepared state until the activation whose frames start
 * at frame index `frame0` returns. ip, fp and fn are in-out so that a fuel
 * trap can be resumed. */
lw_call_result lw_exec(lw_instance *in, const uint32_t **ip, uint64_t **fp,
		       lw_funcinst **fn, uint32_t frame0);
/* Code-stream value for an operation (offset of its handler). */
uint32_t lw_op_word(enum lw_op op);
/* Calls a function (host or wasm) with arguments in slots args[0..]; results
 * replace them. Used by lw_call and by the start function. */
lw_call_result lw_invoke(lw_instance *in, lw_funcinst *f, uint64_t *args);
void lw_set_trap(lw_instance *in, lw_call_result kind, const char *msg);

/* store.c */
lw_memobj *lw_mem_new(uint32_t pages, uint32_t max, uint32_t cap);
void lw_mem_unref(lw_memobj *m);
int64_t lw_mem_grow(lw_memobj *m, uint64_t delta); /* old pages or -1 */
lw_tabobj *lw_tab_new(uint8_t elem, uint32_t size, uint64_t max, uint32_t cap);
void lw_tab_unref(lw_tabobj *t);
int64_t lw_tab_grow(lw_tabobj *t, uint64_t delta, uint64_t init);
lw_globobj *lw_glob_new(uint8_t type, bool mut, uint64_t val);
void lw_glob_unref(lw_globobj *g);
uint64_t lw_sig_key(const char *sig);
/* Parses "(ii)i" into types; returns 0 on success. */
int lw_sig_parse(const char *sig, uint8_t **types, uint32_t *np, uint32_t *nr);

#endif /* LW_RT_H */
