/* wasm.h - lockstep's embeddable WebAssembly engine: the whole public API.
 *
 * A general engine (WebAssembly 2.0 without SIMD) that knows nothing about
 * eBPF or networking. Usage:
 *
 *   lw_engine *e = lw_engine_new();
 *   lw_module *m; lw_error err;
 *   if (lw_module_load(e, bytes, len, &m, &err)) { print err.message; }
 *   lw_imports *imp = lw_imports_new(e);
 *   lw_imports_add_func(imp, "env", "log", "(ii)i", host_log, userdata);
 *   lw_limits lim = lw_limits_default();
 *   lw_instance *in;
 *   if (lw_instantiate(m, imp, &lim, &in, &err)) ...
 *   lw_value args[2] = {LW_I32(1), LW_I32(2)}, res[1];
 *   lw_call_result r = lw_call(in, "add", args, 2, res, 1);
 *   if (r != LW_OK) lw_instance_trap(in) describes the trap.
 *
 * No global state: every object hangs off an lw_engine and two engines never
 * share anything. Not thread-safe per instance; one instance per thread.
 * Functions that can fail return 0 on success and fill an lw_error.
 */
#ifndef LOCKSTEP_WASM_H
#define LOCKSTEP_WASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lw_engine lw_engine;
typedef struct lw_module lw_module;
typedef struct lw_imports lw_imports;
typedef struct lw_instance lw_instance;

/* ---- values ---------------------------------------------------------- */

typedef enum {
	LW_I32 = 0x7f,
	LW_I64 = 0x7e,
	LW_F32 = 0x7d,
	LW_F64 = 0x7c,
	LW_FUNCREF = 0x70,
	LW_EXTERNREF = 0x6f,
} lw_valtype;

/* A reference value: NULL is the null reference. A funcref is an opaque
 * engine pointer; an externref is whatever the host passed in. */
typedef struct lw_value {
	lw_valtype type;
	union {
		int32_t i32;
		int64_t i64;
		float f32; /* bit patterns are preserved exactly (NaN payloads) */
		double f64;
		uint32_t f32_bits;
		uint64_t f64_bits;
		void *ref;
	} of;
} lw_value;

#define LW_VI32(v) ((lw_value){.type = LW_I32, .of.i32 = (int32_t)(v)})
#define LW_VI64(v) ((lw_value){.type = LW_I64, .of.i64 = (int64_t)(v)})
#define LW_VF32(v) ((lw_value){.type = LW_F32, .of.f32 = (v)})
#define LW_VF64(v) ((lw_value){.type = LW_F64, .of.f64 = (v)})

/* ---- errors (load, link, instantiate) -------------------------------- */

typedef enum {
	LW_ERR_NONE = 0,
	LW_ERR_MALFORMED,     /* binary decoding failed */
	LW_ERR_INVALID,       /* validation failed */
	LW_ERR_UNLINKABLE,    /* import missing or of the wrong type */
	LW_ERR_UNINSTANTIABLE,/* trap during data/elem init or start function */
	LW_ERR_LIMIT,         /* a configured limit was exceeded */
	LW_ERR_NOMEM,
} lw_error_kind;

typedef struct lw_error {
	lw_error_kind kind;
	char message[256]; /* spec wording first, e.g. "type mismatch: ..." */
	int section;       /* section id, -1 if not applicable */
	int64_t func_index;/* function index, -1 if not applicable */
	int64_t offset;    /* byte offset in the module, -1 if unknown */
} lw_error;

/* ---- traps ------------------------------------------------------------- */

typedef enum {
	LW_OK = 0,
	LW_TRAP_UNREACHABLE,
	LW_TRAP_MEM_OOB,          /* "out of bounds memory access" */
	LW_TRAP_TABLE_OOB,        /* "out of bounds table access" */
	LW_TRAP_DIV_ZERO,         /* "integer divide by zero" */
	LW_TRAP_INT_OVERFLOW,     /* "integer overflow" */
	LW_TRAP_INVALID_CONV,     /* "invalid conversion to integer" */
	LW_TRAP_STACK_EXHAUSTED,  /* "call stack exhausted" */
	LW_TRAP_INDIRECT_MISMATCH,/* "indirect call type mismatch" */
	LW_TRAP_UNDEFINED_ELEM,   /* "undefined element" */
	LW_TRAP_UNINIT_ELEM,      /* "uninitialized element" */
	LW_TRAP_OUT_OF_FUEL,      /* fuel exhausted; see lw_instance_add_fuel */
	LW_TRAP_HOST,             /* a host function returned an error */
	LW_TRAP_EXIT,             /* WASI proc_exit; exit code in trap info */
	LW_TRAP_BAD_CALL,         /* no such export / wrong arg types or count */
	LW_TRAP_DEADLINE,         /* "deadline exceeded": limits.deadline_ns ran
				   * out, or lw_instance_interrupt was called */
} lw_call_result;

#define LW_TRAP_STACK_MAX 8

typedef struct lw_trap_info {
	lw_call_result kind;
	char message[128];   /* spec wording, e.g. "integer divide by zero" */
	int64_t func_index;  /* function executing when it trapped, -1 if none */
	int exit_code;       /* for LW_TRAP_EXIT */
	int stack_depth;     /* entries valid in stack[] (innermost first) */
	uint32_t stack[LW_TRAP_STACK_MAX]; /* function indices */
} lw_trap_info;

/* Spec message for a trap kind ("out of bounds memory access", ...). */
const char *lw_trap_message(lw_call_result kind);

/* ---- engine and module --------------------------------------------------- */

lw_engine *lw_engine_new(void);
void lw_engine_free(lw_engine *e); /* modules/instances must be freed first */

/* Decode and validate. The bytes are copied; the caller may free them. */
int lw_module_load(lw_engine *e, const uint8_t *bytes, size_t len,
		   lw_module **out, lw_error *err);
void lw_module_free(lw_module *m);
/* One more owner of m, which it also releases with lw_module_free: the
 * module goes with its last owner. For a load of bytes already loaded
 * (lw_module_same), which would decode, validate and compile the same. */
lw_module *lw_module_share(lw_module *m);
/* Was m loaded from exactly these bytes? */
bool lw_module_same(const lw_module *m, const uint8_t *bytes, size_t len);

/* Introspection: imports and exports of a module. kind: 0 func, 1 table,
 * 2 memory, 3 global (the binary format's external kinds). */
uint32_t lw_module_import_count(const lw_module *m);
int lw_module_import(const lw_module *m, uint32_t i, const char **module,
		     const char **name, int *kind);
uint32_t lw_module_export_count(const lw_module *m);
int lw_module_export(const lw_module *m, uint32_t i, const char **name,
		     int *kind);
/* Signature of an exported function, as a string "(params)results" with one
 * letter per type: i I f F r(funcref) x(externref); e.g. "(ii)i", "()". Returns
 * NULL if no such function export. Pointer valid while the module lives. */
const char *lw_module_export_sig(const lw_module *m, const char *name);
/* Name of a function (index as in lw_trap_info.stack: imports first) from
 * the module's `name` section, or NULL when it has none. */
const char *lw_module_func_name(const lw_module *m, uint32_t func_index);

/* ---- imports ------------------------------------------------------------ */

/* A host function. `args` and `results` follow the signature given when it
 * was added. Return LW_OK, or a trap kind (usually LW_TRAP_HOST, with a
 * message set through lw_host_trap) to trap the calling guest. */
typedef lw_call_result (*lw_host_fn)(lw_instance *in, void *user,
				     const lw_value *args, lw_value *results);

lw_imports *lw_imports_new(lw_engine *e);
void lw_imports_free(lw_imports *imp);
/* sig: "(params)results" as for lw_module_export_sig. */
int lw_imports_add_func(lw_imports *imp, const char *module, const char *name,
			const char *sig, lw_host_fn fn, void *user);
/* Provide every export of an existing instance under `module` (the spec's
 * `register`). The instance must outlive instances linked against it. */
int lw_imports_add_instance(lw_imports *imp, const char *module,
			    lw_instance *from);
/* Host-defined globals, tables and memories (for spectest and embedders). */
int lw_imports_add_global(lw_imports *imp, const char *module,
			  const char *name, lw_value v, bool mutable_);
int lw_imports_add_table(lw_imports *imp, const char *module, const char *name,
			 lw_valtype elem, uint32_t min, uint32_t max /* UINT32_MAX: none */);
int lw_imports_add_memory(lw_imports *imp, const char *module,
			  const char *name, uint32_t min_pages,
			  uint32_t max_pages /* UINT32_MAX: none */);

/* ---- instances ---------------------------------------------------------- */

typedef struct lw_limits {
	uint32_t max_memory_pages; /* cap on any memory, 64 KiB pages */
	uint32_t max_table_elems;  /* cap on any table */
	uint32_t max_call_depth;   /* nested wasm calls before "call stack exhausted" */
	uint32_t max_stack_bytes;  /* operand stack size per instance */
	uint64_t fuel;             /* instructions budget per lw_call; 0 = unlimited */
	/* Bytes one instance may hold: its own memories and tables (as they
	 * grow too), globals, element and data segment state, the operand
	 * stack, call frames, function records and the module's compiled code.
	 * Checked before anything is allocated (LW_ERR_LIMIT naming what is
	 * over) and on every memory.grow / table.grow (-1 past it). 0 = none
	 * beyond the caps above. */
	uint64_t memory_budget;
	/* Wall-clock limit of one top-level lw_call / lw_resume (and of the
	 * start function), CLOCK_MONOTONIC: LW_TRAP_DEADLINE when it runs out.
	 * Checked every few tens of microseconds of guest work (fuel slices,
	 * bulk operations in chunks), never on the hot path. 0 = none. */
	uint64_t deadline_ns;
} lw_limits;

lw_limits lw_limits_default(void);

/* Links imports, allocates, runs element/data init and the start function. */
int lw_instantiate(const lw_module *m, const lw_imports *imp,
		   const lw_limits *lim, lw_instance **out, lw_error *err);
void lw_instance_free(lw_instance *in);

/* Call an exported function. nargs/nresults must match its signature. On a
 * trap the instance stays usable (stack unwound) except after
 * LW_TRAP_OUT_OF_FUEL, where lw_resume may continue the same call. */
lw_call_result lw_call(lw_instance *in, const char *export_name,
		       const lw_value *args, size_t nargs, lw_value *results,
		       size_t nresults);
/* lw_call for an export whose name holds NUL bytes: name is name_len bytes. */
lw_call_result lw_call_n(lw_instance *in, const char *export_name,
			 size_t name_len, const lw_value *args, size_t nargs,
			 lw_value *results, size_t nresults);
/* For an export called often (an embedder's callbacks): look it up once,
 * then call it without the name lookup. lw_instance_func returns NULL when
 * the instance has no function export of that name; the handle is valid
 * while the instance lives. lw_call_func checks arguments as lw_call does. */
typedef struct lw_funcinst lw_fnref;
lw_fnref *lw_instance_func(lw_instance *in, const char *export_name);
lw_call_result lw_call_func(lw_instance *in, lw_fnref *f, const lw_value *args,
			    size_t nargs, lw_value *results, size_t nresults);
/* Fuel: the budget refills to limits.fuel at each lw_call. After
 * LW_TRAP_OUT_OF_FUEL the host may add fuel and resume the suspended call,
 * or do anything else (which abandons it). */
void lw_instance_set_fuel(lw_instance *in, uint64_t fuel);
/* Stops the running call as soon as it next checks (within tens of
 * microseconds of guest work) with LW_TRAP_DEADLINE. Safe from another
 * thread or a signal handler; cleared when the next top-level call starts.
 * For a host that runs its own watchdog instead of limits.deadline_ns. */
void lw_instance_interrupt(lw_instance *in);
uint64_t lw_instance_fuel_left(const lw_instance *in);
lw_call_result lw_resume(lw_instance *in, lw_value *results, size_t nresults);

const lw_trap_info *lw_instance_trap(const lw_instance *in);
/* Set by host functions to describe why they trap. */
void lw_host_trap(lw_instance *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Exported globals. */
int lw_global_get(lw_instance *in, const char *name, lw_value *out);
int lw_global_set(lw_instance *in, const char *name, lw_value v);

/* ---- guest memory --------------------------------------------------------- */

/* The instance's memory 0 (defined or imported). */
uint8_t *lw_memory_data(lw_instance *in);
uint64_t lw_memory_size(lw_instance *in); /* bytes */
/* Bounds-checked access: returns a pointer to [addr, addr+len) inside memory
 * 0, or NULL when any part of it is outside. Valid until the next guest call
 * (memory.grow may move it). Never trust a guest pointer without this. */
void *lw_memory_ptr(lw_instance *in, uint64_t addr, uint64_t len);

/* The user pointer attached to an instance (for host functions). */
void lw_instance_set_user(lw_instance *in, void *user);
void *lw_instance_user(const lw_instance *in);

/* Statistics since instantiation. */
typedef struct lw_stats {
	uint64_t calls;
	uint64_t fuel_used;
	uint64_t traps;
} lw_stats;
void lw_instance_stats(const lw_instance *in, lw_stats *out);

/* ---- WASI preview1 subset -------------------------------------------------- */

typedef struct lw_wasi lw_wasi;

/* Clock callback: the embedder virtualises time. id is a WASI clockid
 * (0 realtime, 1 monotonic, 2 process cputime, 3 thread cputime). Returns 0
 * and writes ns, or a WASI errno. */
typedef int (*lw_clock_fn)(void *user, uint32_t id, uint64_t *ns);
/* Output sink for fd 1 and 2. */
typedef void (*lw_sink_fn)(void *user, int fd, const uint8_t *buf, size_t len);

typedef struct lw_wasi_config {
	int argc;
	const char *const *argv;
	int envc;
	const char *const *envp;   /* "KEY=VALUE" */
	lw_clock_fn clock;         /* NULL: the host's CLOCK_REALTIME/MONOTONIC */
	void *clock_user;
	uint64_t clock_res_ns;     /* reported by clock_res_get; 0 = 1 ns */
	lw_sink_fn sink;           /* NULL: write to the host's fd 1/2 */
	void *sink_user;
	uint64_t random_seed;      /* 0: random_get reads getrandom() */
} lw_wasi_config;

lw_wasi *lw_wasi_new(const lw_wasi_config *cfg);
void lw_wasi_free(lw_wasi *w);
/* Adds "wasi_snapshot_preview1" functions to an import set. */
int lw_wasi_link(lw_wasi *w, lw_imports *imp);
/* Runs _start: returns the exit code (0 if _start returned), or -1 and
 * fills *trap on a trap other than proc_exit. */
int lw_wasi_run_start(lw_wasi *w, lw_instance *in, lw_trap_info *trap);

#ifdef __cplusplus
}
#endif
#endif /* LOCKSTEP_WASM_H */
