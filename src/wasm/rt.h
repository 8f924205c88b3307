/* rt.h - the engine's runtime objects (function, memory, table and global
 * instances, the instance itself), the interpreter's internal operation set
 * and the compiled-function form shared by compile.c, exec.c and instance.c.
 *
 * Internal to src/wasm/. The internal code format is explained once, at the
 * top of exec.c; the operation set is in ops.h.
 */
#ifndef LW_RT_H
#define LW_RT_H

#include "wasm/module.h"
#include "wasm/ops.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LW_LIKELY(x) __builtin_expect(!!(x), 1)
#define LW_UNLIKELY(x) __builtin_expect(!!(x), 0)

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

/* The memory budget of one instance (lw_limits.memory_budget): shared by
 * the instance and every memory and table it defined, which may outlive it
 * (an importer holds them), so it is reference-counted like them. */
typedef struct lw_budget {
	uint64_t limit; /* bytes */
	uint64_t used;  /* charged at instantiation, then by every grow */
	int refs;
} lw_budget;

/* Takes n bytes from b (NULL: no budget); false, nothing taken, past it. */
static inline bool lw_budget_take(lw_budget *b, uint64_t n)
{
	if (!b)
		return true;
	if (n > b->limit - b->used)
		return false;
	b->used += n;
	return true;
}
void lw_budget_unref(lw_budget *b);

typedef struct lw_funcinst {
	/* what a call needs, first and together (from code, for wasm functions) */
	const uint32_t *entry;  /* the instruction after `enter` */
	uint32_t frame_size, entry_fuel, nlocals;
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
	lw_budget *budget; /* grows charge it; NULL: host-defined, none */
	int refs;
} lw_memobj;

typedef struct lw_tabobj {
	uint64_t *elems; /* funcref: lw_funcinst *, externref: host pointer */
	uint32_t size;
	uint64_t max;   /* declared maximum, UINT64_MAX if none */
	uint32_t cap;
	uint8_t elem;
	lw_budget *budget; /* as for memories */
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

/* The interpreter's registers: where lw_exec starts, and where a call
 * stopped by LW_TRAP_OUT_OF_FUEL resumes (acc and fa included: the
 * instruction it resumes at may read them, see ops.h). */
typedef struct lw_regs {
	const uint32_t *ip;
	uint64_t *fp;
	lw_funcinst *fn;
	uint64_t acc, acc2;
	double fa;
} lw_regs;

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
	lw_frame *frames;     /* lim.max_call_depth + 1 */
	void *vm_base;        /* the mapping holding both (vmstack.c) */
	size_t vm_len;
	uint32_t nframes;     /* frames in use */
	int64_t fuel;
	uint64_t fuel_charged;
	lw_budget *budget;    /* NULL when limits.memory_budget is 0 */
	uint64_t deadline_at; /* CLOCK_MONOTONIC ns; 0: none */
	uint64_t cpu_start;   /* the calling thread's CPU time at the call's start
			       * (or up to LW_CPU_REUSE_NS of wall time before it) */
	uint64_t cpu_read_at; /* CLOCK_MONOTONIC ns when cpu_start was read */
	pthread_t cpu_thread; /* ... and by which thread */
	volatile int interrupt; /* lw_instance_interrupt */
	int depth;            /* nested lw_call activations */

	/* a call suspended by LW_TRAP_OUT_OF_FUEL, for lw_resume */
	bool suspended;
	lw_regs susp;
	uint64_t *susp_base;
	uint32_t susp_frame0;
	lw_funcinst *susp_entry;

	lw_trap_info trap;
	lw_stats stats;
};

/* ---- shared helpers ----------------------------------------------------------- */

/* exec.c: run from a prepared state until the activation whose frames start
 * at frame index `frame0` returns. The registers are in-out so that a fuel
 * trap can be resumed. */
lw_call_result lw_exec(lw_instance *in, lw_regs *r, uint32_t frame0);
/* exec.c: the current top-level call ran past its deadline or was
 * interrupted (checked at fuel slice ends and between bulk chunks). */
bool lw_deadline_due(lw_instance *in);
/* exec.c: starts the wall-clock deadline of a top-level call. */
void lw_deadline_start(lw_instance *in);
/* Code-stream value of every operation (the offset of its handler), from
 * one entry into lw_exec (each entry sets up the interpreter's frame: one
 * per operation was a tenth of a module load in the fuzz build). */
void lw_op_words(uint32_t words[LW_OP_COUNT]);

/* ops.c: words taken by the instruction at code (br_table varies). */
uint32_t lw_op_len(const uint32_t *code, enum lw_op op);
/* Prints a compiled function, one instruction a line; -1 on a word that is
 * not an operation (a corrupt stream). */
int lw_code_dump(FILE *out, const lw_code *code);

/* peephole.c: the fused pairs (LW_FUSED) indexed by first operation. */
typedef struct lw_fusetab {
	uint16_t first[LW_OP_COUNT]; /* index + 1 of A's first pair in pairs[] */
	uint16_t pairs[LW_OP_COUNT][3]; /* {A, B, A__B}, sorted by A */
	uint32_t n;
} lw_fusetab;
void lw_fusetab_init(lw_fusetab *t);

/* peephole.c: picks the operand forms that read acc/fa (see ops.h) in a
 * finished function of module m with nparams parameters, then fuses pairs.
 * ops[] lists the instructions (start word and operation) in order;
 * words[] maps operations to code words. */
int lw_peephole(const lw_module *m, uint32_t nparams, uint32_t *code, uint32_t ncode,
		const uint32_t *starts, uint16_t *ops, uint32_t nins, const uint32_t *words,
		const lw_fusetab *ft);
/* Calls a function (host or wasm) with arguments in slots args[0..]; results
 * replace them. Used by lw_call and by the start function. */
lw_call_result lw_invoke(lw_instance *in, lw_funcinst *f, uint64_t *args);
void lw_set_trap(lw_instance *in, lw_call_result kind, const char *msg);

/* vmstack.c: maps in->stack (nslots, ending at in->stack_end) and
 * in->frames (nframes), each ending at a guard page; -1 when out of memory.
 * lw_vmstack_unmap releases them (nothing mapped: nothing done). */
int lw_vmstack_map(lw_instance *in, size_t nslots, size_t nframes);
void lw_vmstack_unmap(lw_instance *in);

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

/* ---- values <-> slots --------------------------------------------------------- */

/* A slot (exec.c) holds any value in 64 bits: i32 and f32 in the low half,
 * a reference as its pointer. The API's lw_value carries its type; these
 * two convert at the edges (host calls, lw_call results, globals). */
static inline uint64_t lw_slot_of_value(const lw_value *v, uint8_t type)
{
	switch (type) {
	case LW_I32:
		return (uint32_t)v->of.i32;
	case LW_F32:
		return v->of.f32_bits;
	case LW_FUNCREF:
	case LW_EXTERNREF:
		return (uint64_t)(uintptr_t)v->of.ref;
	default:
		return v->of.f64_bits;
	}
}

static inline void lw_value_of_slot(lw_value *v, uint64_t s, uint8_t type)
{
	memset(v, 0, sizeof(*v));
	v->type = (lw_valtype)type;
	switch (type) {
	case LW_I32:
		v->of.i32 = (int32_t)(uint32_t)s;
		break;
	case LW_F32:
		v->of.f32_bits = (uint32_t)s;
		break;
	case LW_FUNCREF:
	case LW_EXTERNREF:
		v->of.ref = (void *)(uintptr_t)s;
		break;
	default:
		v->of.f64_bits = s;
		break;
	}
}

#endif /* LW_RT_H */
