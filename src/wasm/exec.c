/* exec.c - the interpreter: runs code produced by compile.c.
 *
 * Internal code format
 * --------------------
 * compile.c translates each validated function body once into a stream of
 * 32-bit words. An instruction is one "operation word" followed by its
 * operands. The operation word is the signed byte offset of the operation's
 * handler label from the first handler (&&L_enter), so dispatch is threaded:
 * `goto *(base + (int32_t)*ip)` - no switch, no bounds check, no table load.
 *
 * Operands are mostly slot indices: the frame is an array of uniform 64-bit
 * slots `fp[]` holding the function's parameters, then its declared locals,
 * then one slot per position of the Wasm operand stack (validation fixes the
 * stack height at every instruction, so each stack position is a fixed slot).
 * A value is kept as bits: i32/f32 zero-extended in the low half, i64/f64 in
 * full, references as pointers (funcref: lw_funcinst *, NULL = null).
 * So `local.get a; local.get b; i32.add; local.set c` becomes one instruction
 *
 *     [i32_add] [c] [a] [b]            fp[c] = fp[a] + fp[b]
 *
 * (compile.c defers local.get and constants and retargets the destination of
 * the last instruction on local.set). Other operand kinds are immediates
 * (i32 constants, offsets, "_i" ops whose right operand is a constant),
 * indices (functions, globals, tables, segments) and branch offsets: a
 * branch target is the signed distance in words from the start of the branch
 * instruction to its target, resolved at compile time. Values that a branch
 * carries are moved by copy instructions emitted before the jump.
 *
 * Integer compare + br_if/if pairs are fused ("bri32_lt_s a b L").
 * A call passes arguments in place: the callee's frame starts at the first
 * argument slot of the caller (`call f argbase`), and results come back in
 * the same slots. Calls between Wasm functions never recurse in C: a frame
 * stack in the instance records (return ip, caller fp, caller function).
 *
 * Fuel is charged per function entry (`enter`, by the number of Wasm
 * instructions of the body outside loops) and per loop iteration: a loop is
 * laid out as `[br +3] [cost] head...`, and every taken backward branch
 * charges the cost word found just before its target (the number of Wasm
 * instructions in that loop's body). A branch has no side effects, so on
 * exhaustion the state stays on the frame stack and lw_resume re-executes
 * the same branch (or `enter`) with the new budget.
 */
#include "wasm/rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lw_trap_message(lw_call_result kind)
{
	switch (kind) {
	case LW_OK: return "ok";
	case LW_TRAP_UNREACHABLE: return "unreachable";
	case LW_TRAP_MEM_OOB: return "out of bounds memory access";
	case LW_TRAP_TABLE_OOB: return "out of bounds table access";
	case LW_TRAP_DIV_ZERO: return "integer divide by zero";
	case LW_TRAP_INT_OVERFLOW: return "integer overflow";
	case LW_TRAP_INVALID_CONV: return "invalid conversion to integer";
	case LW_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
	case LW_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
	case LW_TRAP_UNDEFINED_ELEM: return "undefined element";
	case LW_TRAP_UNINIT_ELEM: return "uninitialized element";
	case LW_TRAP_OUT_OF_FUEL: return "out of fuel";
	case LW_TRAP_HOST: return "host function trapped";
	case LW_TRAP_EXIT: return "exit";
	case LW_TRAP_BAD_CALL: return "bad call";
	}
	return "unknown trap";
}

void lw_set_trap(lw_instance *in, lw_call_result kind, const char *msg)
{
	in->trap.kind = kind;
	snprintf(in->trap.message, sizeof(in->trap.message), "%s",
		 msg ? msg : lw_trap_message(kind));
}

static inline float f32_of(uint64_t s)
{
	uint32_t b = (uint32_t)s;
	float f;
	memcpy(&f, &b, 4);
	return f;
}
static inline uint64_t of_f32(float f)
{
	uint32_t b;
	memcpy(&b, &f, 4);
	return b;
}
static inline double f64_of(uint64_t s)
{
	double d;
	memcpy(&d, &s, 8);
	return d;
}
static inline uint64_t of_f64(double d)
{
	uint64_t b;
	memcpy(&b, &d, 8);
	return b;
}

/* min/max per spec: NaN wins (propagated), -0 < +0. */
static inline uint64_t fmin32(uint64_t x, uint64_t y)
{
	float a = f32_of(x), b = f32_of(y);
	if (a != a || b != b)
		return of_f32(a + b);
	if (a == b)
		return (uint32_t)(x | y);
	return a < b ? (uint32_t)x : (uint32_t)y;
}
static inline uint64_t fmax32(uint64_t x, uint64_t y)
{
	float a = f32_of(x), b = f32_of(y);
	if (a != a || b != b)
		return of_f32(a + b);
	if (a == b)
		return (uint32_t)(x & y);
	return a > b ? (uint32_t)x : (uint32_t)y;
}
static inline uint64_t fmin64(uint64_t x, uint64_t y)
{
	double a = f64_of(x), b = f64_of(y);
	if (a != a || b != b)
		return of_f64(a + b);
	if (a == b)
		return x | y;
	return a < b ? x : y;
}
static inline uint64_t fmax64(uint64_t x, uint64_t y)
{
	double a = f64_of(x), b = f64_of(y);
	if (a != a || b != b)
		return of_f64(a + b);
	if (a == b)
		return x & y;
	return a > b ? x : y;
}

static inline uint64_t slot_of_value(const lw_value *v, uint8_t type)
{
	switch (type) {
	case LW_I32: return (uint32_t)v->of.i32;
	case LW_F32: return v->of.f32_bits;
	case LW_FUNCREF:
	case LW_EXTERNREF: return (uint64_t)(uintptr_t)v->of.ref;
	default: return v->of.f64_bits;
	}
}

static inline void value_of_slot(lw_value *v, uint64_t s, uint8_t type)
{
	memset(v, 0, sizeof(*v));
	v->type = (lw_valtype)type;
	switch (type) {
	case LW_I32: v->of.i32 = (int32_t)(uint32_t)s; break;
	case LW_F32: v->of.f32_bits = (uint32_t)s; break;
	case LW_FUNCREF:
	case LW_EXTERNREF: v->of.ref = (void *)(uintptr_t)s; break;
	default: v->of.f64_bits = s; break;
	}
}

/* Calls a host function with arguments in slots[], results written back. */
static lw_call_result host_call(lw_instance *in, lw_funcinst *f,
				uint64_t *slots)
{
	lw_value abuf[16], rbuf[16];
	lw_value *a = abuf, *r = rbuf;
	uint32_t np = f->nparams, nr = f->nresults;
	if (np > 16 || nr > 16) {
		a = calloc(np + 1, sizeof(*a));
		r = calloc(nr + 1, sizeof(*r));
		if (!a || !r) {
			free(a == abuf ? NULL : a);
			free(r == rbuf ? NULL : r);
			return LW_TRAP_STACK_EXHAUSTED;
		}
	}
	for (uint32_t i = 0; i < np; i++)
		value_of_slot(&a[i], slots[i], f->types[i]);
	for (uint32_t i = 0; i < nr; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].type = (lw_valtype)f->types[np + i];
	}
	lw_instance *hin = f->inst;
	uint64_t *save_top = hin->stack_top;
	if (hin == in) {
		uint64_t *top = slots + (np > nr ? np : nr);
		if (top > hin->stack_top)
			hin->stack_top = top;
	}
	hin->trap.message[0] = 0;
	lw_call_result res = f->host(hin, f->host_user, a, r);
	hin->stack_top = save_top;
	if (res == LW_OK) {
		for (uint32_t i = 0; i < nr; i++)
			slots[i] = slot_of_value(&r[i], f->types[np + i]);
	} else {
		if (hin != in) {
			in->trap = hin->trap;
		}
		if (!in->trap.message[0])
			snprintf(in->trap.message, sizeof(in->trap.message),
				 "%s", lw_trap_message(res));
	}
	if (a != abuf) {
		free(a);
		free(r);
	}
	return res;
}

lw_call_result lw_invoke(lw_instance *in, lw_funcinst *f, uint64_t *args)
{
	if (f->host) {
		lw_call_result r = host_call(in, f, args);
		if (r != LW_OK) {
			in->trap.kind = r;
			in->trap.func_index = f->index;
			in->trap.stack_depth = 1;
			in->trap.stack[0] = f->index;
		}
		return r;
	}
	const uint32_t *ip = f->code->ops;
	uint64_t *fp = args;
	lw_funcinst *fn = f;
	uint32_t frame0 = in->nframes;
	if (args + f->code->frame_size > in->stack_end) {
		lw_set_trap(in, LW_TRAP_STACK_EXHAUSTED, NULL);
		in->trap.func_index = f->index;
		in->trap.stack_depth = 0;
		return LW_TRAP_STACK_EXHAUSTED;
	}
	lw_call_result r = lw_exec(in, &ip, &fp, &fn, frame0);
	if (r == LW_TRAP_OUT_OF_FUEL) {
		in->suspended = true;
		in->susp_ip = ip;
		in->susp_fp = fp;
		in->susp_fn = fn;
		in->susp_frame0 = frame0;
		in->susp_base = args;
		in->susp_entry = f;
	}
	return r;
}

uint32_t lw_op_word(enum lw_op op)
{
	void *const *labels = NULL;
	lw_exec(NULL, (const uint32_t **)&labels, NULL, NULL, 0);
	return (uint32_t)(int32_t)((char *)labels[op] - (char *)labels[0]);
}

#define SLOT(i) fp[ip[i]]
#define U32(i) ((uint32_t)fp[ip[i]])
#define U64(i) (fp[ip[i]])

lw_call_result lw_exec(lw_instance *in, const uint32_t **ipp, uint64_t **fpp,
		       lw_funcinst **fnp, uint32_t frame0)
{
	static void *const labels[] = {
#define LW_OPX(n) &&L_##n,
		LW_OPS(LW_OPX)
#undef LW_OPX
	};
	if (!in) {
		*(void *const **)ipp = labels;
		return LW_OK;
	}

	char *const base = (char *)&&L_enter;
	const uint32_t *ip = *ipp;
	uint64_t *fp = *fpp;
	lw_funcinst *fn = *fnp;
	lw_instance *ci = fn->inst;
	uint8_t *mem;
	uint64_t memsize;
	int64_t fuel = in->fuel;
	const uint32_t max_frames = in->lim.max_call_depth;
	lw_call_result kind;
	lw_funcinst *callee;
	uint64_t *nfp;
	const uint32_t *rip;

#define NEXT() goto *(void *)(base + (int32_t)*ip)
#define LOADMEM()                                                              \
	do {                                                                   \
		lw_memobj *m_ = ci->mems && ci->mod->nmems ? ci->mems[0] : NULL; \
		mem = m_ ? m_->data : NULL;                                    \
		memsize = m_ ? m_->size : 0;                                   \
	} while (0)
/* A taken branch. Backward branches (to a loop head) charge the loop's
 * fuel, kept in the word just before the head; when it runs out the branch
 * (which has no side effects) is where lw_resume re-enters. */
#define JUMP(off)                                                              \
	do {                                                                   \
		int32_t o_ = (int32_t)(off);                                   \
		if (o_ <= 0) {                                                 \
			uint32_t c_ = ip[o_ - 1];                              \
			if (LW_UNLIKELY(fuel < (int64_t)c_))                   \
				goto out_of_fuel;                              \
			fuel -= c_;                                            \
		}                                                              \
		ip += o_;                                                      \
		NEXT();                                                        \
	} while (0)
#define TRAP(k)                                                                \
	do {                                                                   \
		kind = (k);                                                    \
		goto trap;                                                     \
	} while (0)

	LOADMEM();
	NEXT();

	/* ---- control ------------------------------------------------------- */
L_enter: /* [enter nparams nlocals fuel] */
	if (LW_UNLIKELY(fuel < (int64_t)ip[3]))
		goto out_of_fuel;
	fuel -= ip[3];
	for (uint32_t i = ip[1]; i < ip[2]; i++)
		fp[i] = 0;
	ip += 4;
	NEXT();
L_fuel: /* [fuel n] */
	if (LW_UNLIKELY(fuel < (int64_t)ip[1]))
		goto out_of_fuel;
	fuel -= ip[1];
	ip += 2;
	NEXT();
L_unreachable:
	TRAP(LW_TRAP_UNREACHABLE);
L_br: /* [br rel] */
	JUMP(ip[1]);
L_br_if: /* [br_if cond rel] */
	if (U32(1)) {
		JUMP(ip[2]);
	}
	ip += 3;
	NEXT();
L_br_unless:
	if (!U32(1)) {
		JUMP(ip[2]);
	}
	ip += 3;
	NEXT();
L_br_eqz64:
	if (!U64(1)) {
		JUMP(ip[2]);
	}
	ip += 3;
	NEXT();
L_br_nez64:
	if (U64(1)) {
		JUMP(ip[2]);
	}
	ip += 3;
	NEXT();
L_br_table: { /* [br_table idx n rel0 .. rel_n] */
	uint32_t i = U32(1), n = ip[2];
	if (i > n)
		i = n;
	JUMP(ip[3 + i]);
}
L_ret:
	if (in->nframes == frame0) {
		in->fuel = fuel;
		return LW_OK;
	} else {
		lw_frame *fr = &in->frames[--in->nframes];
		ip = fr->ret_ip;
		fp = fr->fp;
		fn = fr->fn;
		ci = fn->inst;
		LOADMEM();
		NEXT();
	}
L_call: /* [call funcidx argbase] */
	callee = ci->funcs[ip[1]];
	nfp = fp + ip[2];
	rip = ip + 3;
do_call:
	if (callee->host) {
		in->fuel = fuel;
		lw_call_result r = host_call(in, callee, nfp);
		fuel = in->fuel;
		if (r != LW_OK) {
			kind = r;
			goto trap_keep_msg;
		}
		LOADMEM();
		ip = rip;
		NEXT();
	}
	{
		/* does `enter`'s work: the callee starts after it */
		const lw_code *cd = callee->code;
		if (LW_UNLIKELY(in->nframes >= max_frames ||
				nfp + cd->frame_size > in->stack_end))
			TRAP(LW_TRAP_STACK_EXHAUSTED);
		if (LW_UNLIKELY(fuel < (int64_t)cd->entry_fuel))
			goto out_of_fuel; /* the call is re-executed on resume */
		fuel -= cd->entry_fuel;
		for (uint32_t i = cd->nparams; i < cd->nlocals; i++)
			nfp[i] = 0;
		in->frames[in->nframes++] = (lw_frame){rip, fp, fn};
		fp = nfp;
		fn = callee;
		if (callee->inst != ci) {
			ci = callee->inst;
			LOADMEM();
		}
		ip = cd->ops + 4;
		NEXT();
	}
L_call_indirect: { /* [call_indirect typeidx tableidx elemslot argbase] */
	lw_tabobj *t = ci->tables[ip[2]];
	uint32_t i = U32(3);
	if (LW_UNLIKELY(i >= t->size))
		TRAP(LW_TRAP_UNDEFINED_ELEM);
	callee = (lw_funcinst *)(uintptr_t)t->elems[i];
	if (LW_UNLIKELY(!callee))
		TRAP(LW_TRAP_UNINIT_ELEM);
	uint64_t k = ci->type_keys[ip[1]];
	if (LW_UNLIKELY(callee->sig_key != k ||
			((k >> 63) &&
			 strcmp(callee->sig, ci->mod->types[ip[1]].sig))))
		TRAP(LW_TRAP_INDIRECT_MISMATCH);
	nfp = fp + ip[4];
	rip = ip + 5;
	goto do_call;
}

	/* ---- data movement ----------------------------------------------------- */
L_copy:
	SLOT(1) = SLOT(2);
	ip += 3;
	NEXT();
L_const32:
	SLOT(1) = ip[2];
	ip += 3;
	NEXT();
L_const64:
	SLOT(1) = (uint64_t)ip[2] | ((uint64_t)ip[3] << 32);
	ip += 4;
	NEXT();
L_select: /* [select d a b c] */
	SLOT(1) = U32(4) ? SLOT(2) : SLOT(3);
	ip += 5;
	NEXT();
L_global_get:
	SLOT(1) = ci->globals[ip[2]]->val;
	ip += 3;
	NEXT();
L_global_set:
	ci->globals[ip[1]]->val = SLOT(2);
	ip += 3;
	NEXT();
L_ref_func:
	SLOT(1) = (uint64_t)(uintptr_t)ci->funcs[ip[2]];
	ip += 3;
	NEXT();

	/* ---- tables -------------------------------------------------------------- */
L_table_get: { /* [d t i] */
	lw_tabobj *t = ci->tables[ip[2]];
	uint32_t i = U32(3);
	if (i >= t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	SLOT(1) = t->elems[i];
	ip += 4;
	NEXT();
}
L_table_set: { /* [t i v] */
	lw_tabobj *t = ci->tables[ip[1]];
	uint32_t i = U32(2);
	if (i >= t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	t->elems[i] = SLOT(3);
	ip += 4;
	NEXT();
}
L_table_size:
	SLOT(1) = ci->tables[ip[2]]->size;
	ip += 3;
	NEXT();
L_table_grow: /* [d t init n] */
	SLOT(1) = (uint32_t)lw_tab_grow(ci->tables[ip[2]], U32(4), SLOT(3));
	ip += 5;
	NEXT();
L_table_fill: { /* [t i v n] */
	lw_tabobj *t = ci->tables[ip[1]];
	uint64_t i = U32(2), n = U32(4), v = SLOT(3);
	if (i + n > t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	for (uint64_t k = 0; k < n; k++)
		t->elems[i + k] = v;
	ip += 5;
	NEXT();
}
L_table_copy: { /* [dt st d s n] */
	lw_tabobj *dt = ci->tables[ip[1]], *st = ci->tables[ip[2]];
	uint64_t d = U32(3), s = U32(4), n = U32(5);
	if (d + n > dt->size || s + n > st->size)
		TRAP(LW_TRAP_TABLE_OOB);
	if (n)
		memmove(dt->elems + d, st->elems + s, n * 8);
	ip += 6;
	NEXT();
}
L_table_init: { /* [t seg d s n] */
	lw_tabobj *t = ci->tables[ip[1]];
	uint32_t seg = ip[2];
	uint64_t d = U32(3), s = U32(4), n = U32(5);
	if (s + n > ci->elem_len[seg] || d + n > t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	if (n)
		memcpy(t->elems + d, ci->elem_vals[seg] + s, n * 8);
	ip += 6;
	NEXT();
}
L_elem_drop:
	ci->elem_len[ip[1]] = 0;
	ip += 2;
	NEXT();

	/* ---- memory -------------------------------------------------------------- */
L_memory_size:
	SLOT(1) = (uint32_t)(memsize >> 16);
	ip += 2;
	NEXT();
L_memory_grow: /* [d n] */
	SLOT(1) = (uint32_t)lw_mem_grow(ci->mems[0], U32(2));
	LOADMEM();
	ip += 3;
	NEXT();
L_memory_fill: { /* [d v n] */
	uint64_t d = U32(1), n = U32(3);
	if (d + n > memsize)
		TRAP(LW_TRAP_MEM_OOB);
	if (n)
		memset(mem + d, (int)(uint8_t)U32(2), n);
	ip += 4;
	NEXT();
}
L_memory_copy: { /* [d s n] */
	uint64_t d = U32(1), s = U32(2), n = U32(3);
	if (d + n > memsize || s + n > memsize)
		TRAP(LW_TRAP_MEM_OOB);
	if (n)
		memmove(mem + d, mem + s, n);
	ip += 4;
	NEXT();
}
L_memory_init: { /* [seg d s n] */
	uint32_t seg = ip[1];
	uint64_t d = U32(2), s = U32(3), n = U32(4);
	if (s + n > ci->data_len[seg] || d + n > memsize)
		TRAP(LW_TRAP_MEM_OOB);
	if (n)
		memcpy(mem + d, ci->mod->bytes + ci->mod->datas[seg].off + s, n);
	ip += 5;
	NEXT();
}
L_data_drop:
	ci->data_len[ip[1]] = 0;
	ip += 2;
	NEXT();

#define LOAD(name, T, conv)                                                    \
	L_##name: {                                                            \
		uint64_t ea = (uint64_t)U32(2) + ip[3];                        \
		if (LW_UNLIKELY(ea + sizeof(T) > memsize))                     \
			TRAP(LW_TRAP_MEM_OOB);                                 \
		T v;                                                           \
		memcpy(&v, mem + ea, sizeof(T));                               \
		SLOT(1) = conv;                                                \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
	LOAD(i32_load, uint32_t, v)
	LOAD(i64_load, uint64_t, v)
	LOAD(i32_load8_s, int8_t, (uint32_t)(int32_t)v)
	LOAD(i32_load8_u, uint8_t, v)
	LOAD(i32_load16_s, int16_t, (uint32_t)(int32_t)v)
	LOAD(i32_load16_u, uint16_t, v)
	LOAD(i64_load8_s, int8_t, (uint64_t)(int64_t)v)
	LOAD(i64_load8_u, uint8_t, v)
	LOAD(i64_load16_s, int16_t, (uint64_t)(int64_t)v)
	LOAD(i64_load16_u, uint16_t, v)
	LOAD(i64_load32_s, int32_t, (uint64_t)(int64_t)v)
	LOAD(i64_load32_u, uint32_t, v)

#define STORE(name, T)                                                         \
	L_##name: {                                                            \
		uint64_t ea = (uint64_t)U32(1) + ip[3];                        \
		if (LW_UNLIKELY(ea + sizeof(T) > memsize))                     \
			TRAP(LW_TRAP_MEM_OOB);                                 \
		T v = (T)SLOT(2);                                              \
		memcpy(mem + ea, &v, sizeof(T));                               \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
	STORE(i32_store, uint32_t)
	STORE(i64_store, uint64_t)
	STORE(store8, uint8_t)
	STORE(store16, uint16_t)

	/* ---- integer arithmetic --------------------------------------------------- */
#define UN(name, T, expr)                                                      \
	L_##name: {                                                            \
		T a = (T)SLOT(2);                                              \
		SLOT(1) = (expr);                                              \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
	UN(i32_eqz, uint32_t, a == 0)
	UN(i32_clz, uint32_t, a ? (uint32_t)__builtin_clz(a) : 32)
	UN(i32_ctz, uint32_t, a ? (uint32_t)__builtin_ctz(a) : 32)
	UN(i32_popcnt, uint32_t, (uint32_t)__builtin_popcount(a))
	UN(i32_extend8_s, uint32_t, (uint32_t)(int32_t)(int8_t)a)
	UN(i32_extend16_s, uint32_t, (uint32_t)(int32_t)(int16_t)a)
	UN(i64_eqz, uint64_t, a == 0)
	UN(i64_clz, uint64_t, a ? (uint64_t)__builtin_clzll(a) : 64)
	UN(i64_ctz, uint64_t, a ? (uint64_t)__builtin_ctzll(a) : 64)
	UN(i64_popcnt, uint64_t, (uint64_t)__builtin_popcountll(a))
	UN(i64_extend8_s, uint64_t, (uint64_t)(int64_t)(int8_t)a)
	UN(i64_extend16_s, uint64_t, (uint64_t)(int64_t)(int16_t)a)
	UN(i64_extend32_s, uint64_t, (uint64_t)(int64_t)(int32_t)a)
	UN(i32_wrap_i64, uint64_t, (uint32_t)a)
	UN(i64_extend_i32_s, uint64_t, (uint64_t)(int64_t)(int32_t)a)

#define BIN32(n, body)                                                         \
	L_i32_##n: {                                                           \
		uint32_t a = U32(2), b = U32(3), r;                            \
		body;                                                          \
		SLOT(1) = r;                                                   \
		ip += 4;                                                       \
		NEXT();                                                        \
	}                                                                      \
	L_i32_##n##_i: {                                                       \
		uint32_t a = U32(2), b = ip[3], r;                             \
		body;                                                          \
		SLOT(1) = r;                                                   \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
#define BIN64(n, body)                                                         \
	L_i64_##n: {                                                           \
		uint64_t a = U64(2), b = U64(3), r;                            \
		body;                                                          \
		SLOT(1) = r;                                                   \
		ip += 4;                                                       \
		NEXT();                                                        \
	}                                                                      \
	L_i64_##n##_i: {                                                       \
		uint64_t a = U64(2), b = (uint64_t)(int64_t)(int32_t)ip[3], r; \
		body;                                                          \
		SLOT(1) = r;                                                   \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
#define BOTH(n, b32, b64) BIN32(n, b32) BIN64(n, b64)
	BOTH(eq, r = a == b, r = a == b)
	BOTH(ne, r = a != b, r = a != b)
	BOTH(lt_s, r = (int32_t)a < (int32_t)b, r = (int64_t)a < (int64_t)b)
	BOTH(lt_u, r = a < b, r = a < b)
	BOTH(gt_s, r = (int32_t)a > (int32_t)b, r = (int64_t)a > (int64_t)b)
	BOTH(gt_u, r = a > b, r = a > b)
	BOTH(le_s, r = (int32_t)a <= (int32_t)b, r = (int64_t)a <= (int64_t)b)
	BOTH(le_u, r = a <= b, r = a <= b)
	BOTH(ge_s, r = (int32_t)a >= (int32_t)b, r = (int64_t)a >= (int64_t)b)
	BOTH(ge_u, r = a >= b, r = a >= b)
	BOTH(add, r = a + b, r = a + b)
	BOTH(sub, r = a - b, r = a - b)
	BOTH(mul, r = a * b, r = a * b)
	BIN32(div_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	      if (a == 0x80000000u && b == 0xffffffffu)
		      TRAP(LW_TRAP_INT_OVERFLOW);
	      r = (uint32_t)((int32_t)a / (int32_t)b))
	BIN64(div_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	      if (a == 0x8000000000000000ull && b == ~0ull)
		      TRAP(LW_TRAP_INT_OVERFLOW);
	      r = (uint64_t)((int64_t)a / (int64_t)b))
	BOTH(div_u, if (!b) TRAP(LW_TRAP_DIV_ZERO); r = a / b,
	     if (!b) TRAP(LW_TRAP_DIV_ZERO); r = a / b)
	BIN32(rem_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	      r = b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b))
	BIN64(rem_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	      r = b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b))
	BOTH(rem_u, if (!b) TRAP(LW_TRAP_DIV_ZERO); r = a % b,
	     if (!b) TRAP(LW_TRAP_DIV_ZERO); r = a % b)
	BOTH(and, r = a & b, r = a & b)
	BOTH(or, r = a | b, r = a | b)
	BOTH(xor, r = a ^ b, r = a ^ b)
	BOTH(shl, r = a << (b & 31), r = a << (b & 63))
	BOTH(shr_s, r = (uint32_t)((int32_t)a >> (b & 31)),
	     r = (uint64_t)((int64_t)a >> (b & 63)))
	BOTH(shr_u, r = a >> (b & 31), r = a >> (b & 63))
	BOTH(rotl, r = (a << (b & 31)) | (a >> ((32 - (b & 31)) & 31)),
	     r = (a << (b & 63)) | (a >> ((64 - (b & 63)) & 63)))
	BOTH(rotr, r = (a >> (b & 31)) | (a << ((32 - (b & 31)) & 31)),
	     r = (a >> (b & 63)) | (a << ((64 - (b & 63)) & 63)))

	/* fused compare-and-branch: [op a b rel] */
#define BRC(n, c32, c64)                                                       \
	L_bri32_##n: {                                                         \
		uint32_t a = U32(1), b = U32(2);                               \
		if (c32) {                                                     \
			JUMP(ip[3]);                                                \
		}                                                              \
		ip += 4;                                                       \
		NEXT();                                                        \
	}                                                                      \
	L_bri32_##n##_i: {                                                     \
		uint32_t a = U32(1), b = ip[2];                                \
		if (c32) {                                                     \
			JUMP(ip[3]);                                                \
		}                                                              \
		ip += 4;                                                       \
		NEXT();                                                        \
	}                                                                      \
	L_bri64_##n: {                                                         \
		uint64_t a = U64(1), b = U64(2);                               \
		if (c64) {                                                     \
			JUMP(ip[3]);                                                \
		}                                                              \
		ip += 4;                                                       \
		NEXT();                                                        \
	}                                                                      \
	L_bri64_##n##_i: {                                                     \
		uint64_t a = U64(1), b = (uint64_t)(int64_t)(int32_t)ip[2];    \
		if (c64) {                                                     \
			JUMP(ip[3]);                                                \
		}                                                              \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
	BRC(eq, a == b, a == b)
	BRC(ne, a != b, a != b)
	BRC(lt_s, (int32_t)a < (int32_t)b, (int64_t)a < (int64_t)b)
	BRC(lt_u, a < b, a < b)
	BRC(gt_s, (int32_t)a > (int32_t)b, (int64_t)a > (int64_t)b)
	BRC(gt_u, a > b, a > b)
	BRC(le_s, (int32_t)a <= (int32_t)b, (int64_t)a <= (int64_t)b)
	BRC(le_u, a <= b, a <= b)
	BRC(ge_s, (int32_t)a >= (int32_t)b, (int64_t)a >= (int64_t)b)
	BRC(ge_u, a >= b, a >= b)

	/* ---- floating point ---------------------------------------------------------- */
#define FUN32(n, expr)                                                         \
	L_f32_##n: {                                                           \
		float a = f32_of(SLOT(2));                                     \
		SLOT(1) = of_f32(expr);                                        \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
#define FUN64(n, expr)                                                         \
	L_f64_##n: {                                                           \
		double a = f64_of(SLOT(2));                                    \
		SLOT(1) = of_f64(expr);                                        \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
	FUN32(ceil, a != a ? a + a : ceilf(a))
	FUN32(floor, a != a ? a + a : floorf(a))
	FUN32(trunc, a != a ? a + a : truncf(a))
	FUN32(nearest, a != a ? a + a : nearbyintf(a))
	FUN32(sqrt, sqrtf(a))
	FUN64(ceil, a != a ? a + a : ceil(a))
	FUN64(floor, a != a ? a + a : floor(a))
	FUN64(trunc, a != a ? a + a : trunc(a))
	FUN64(nearest, a != a ? a + a : nearbyint(a))
	FUN64(sqrt, sqrt(a))
L_f32_abs:
	SLOT(1) = SLOT(2) & 0x7fffffffu;
	ip += 3;
	NEXT();
L_f32_neg:
	SLOT(1) = (SLOT(2) ^ 0x80000000u) & 0xffffffffu;
	ip += 3;
	NEXT();
L_f64_abs:
	SLOT(1) = SLOT(2) & 0x7fffffffffffffffull;
	ip += 3;
	NEXT();
L_f64_neg:
	SLOT(1) = SLOT(2) ^ 0x8000000000000000ull;
	ip += 3;
	NEXT();

#define FBIN32(n, expr)                                                        \
	L_f32_##n: {                                                           \
		uint64_t x = SLOT(2), y = SLOT(3);                             \
		float a = f32_of(x), b = f32_of(y);                            \
		(void)a;                                                       \
		(void)b;                                                       \
		SLOT(1) = (expr);                                              \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
#define FBIN64(n, expr)                                                        \
	L_f64_##n: {                                                           \
		uint64_t x = SLOT(2), y = SLOT(3);                             \
		double a = f64_of(x), b = f64_of(y);                           \
		(void)a;                                                       \
		(void)b;                                                       \
		SLOT(1) = (expr);                                              \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
	FBIN32(eq, a == b)
	FBIN32(ne, a != b)
	FBIN32(lt, a < b)
	FBIN32(gt, a > b)
	FBIN32(le, a <= b)
	FBIN32(ge, a >= b)
	FBIN32(add, of_f32(a + b))
	FBIN32(sub, of_f32(a - b))
	FBIN32(mul, of_f32(a * b))
	FBIN32(div, of_f32(a / b))
	FBIN32(min, fmin32(x, y))
	FBIN32(max, fmax32(x, y))
	FBIN32(copysign, (x & 0x7fffffffu) | (y & 0x80000000u))
	FBIN64(eq, a == b)
	FBIN64(ne, a != b)
	FBIN64(lt, a < b)
	FBIN64(gt, a > b)
	FBIN64(le, a <= b)
	FBIN64(ge, a >= b)
	FBIN64(add, of_f64(a + b))
	FBIN64(sub, of_f64(a - b))
	FBIN64(mul, of_f64(a * b))
	FBIN64(div, of_f64(a / b))
	FBIN64(min, fmin64(x, y))
	FBIN64(max, fmax64(x, y))
	FBIN64(copysign, (x & 0x7fffffffffffffffull) | (y & 0x8000000000000000ull))

	/* ---- conversions ----------------------------------------------------------------
	 * `ok` is the exact range test for the source type; CT is the C type the
	 * value converts to, RT how it is stored (i32 results zero-extended). */
#define TRUNC(name, F, conv, ok, CT, RT, minv, maxv)                           \
	L_##name: {                                                            \
		F a = conv(SLOT(2));                                           \
		if (a != a)                                                    \
			TRAP(LW_TRAP_INVALID_CONV);                            \
		if (!(ok))                                                     \
			TRAP(LW_TRAP_INT_OVERFLOW);                            \
		SLOT(1) = (RT)(CT)a;                                           \
		ip += 3;                                                       \
		NEXT();                                                        \
	}                                                                      \
	L_##name##_sat: {                                                      \
		F a = conv(SLOT(2));                                           \
		CT r;                                                          \
		if (a != a)                                                    \
			r = 0;                                                 \
		else if (!(ok))                                                \
			r = a < 0 ? (minv) : (maxv);                           \
		else                                                           \
			r = (CT)a;                                             \
		SLOT(1) = (RT)r;                                               \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
#define L_i32_trunc_f32_s_sat L_i32_trunc_sat_f32_s
#define L_i32_trunc_f32_u_sat L_i32_trunc_sat_f32_u
#define L_i32_trunc_f64_s_sat L_i32_trunc_sat_f64_s
#define L_i32_trunc_f64_u_sat L_i32_trunc_sat_f64_u
#define L_i64_trunc_f32_s_sat L_i64_trunc_sat_f32_s
#define L_i64_trunc_f32_u_sat L_i64_trunc_sat_f32_u
#define L_i64_trunc_f64_s_sat L_i64_trunc_sat_f64_s
#define L_i64_trunc_f64_u_sat L_i64_trunc_sat_f64_u
	TRUNC(i32_trunc_f32_s, float, f32_of,
	      a >= -2147483648.0f && a < 2147483648.0f, int32_t, uint32_t,
	      INT32_MIN, INT32_MAX)
	TRUNC(i32_trunc_f32_u, float, f32_of, a > -1.0f && a < 4294967296.0f,
	      uint32_t, uint32_t, 0, UINT32_MAX)
	TRUNC(i32_trunc_f64_s, double, f64_of,
	      a > -2147483649.0 && a < 2147483648.0, int32_t, uint32_t,
	      INT32_MIN, INT32_MAX)
	TRUNC(i32_trunc_f64_u, double, f64_of, a > -1.0 && a < 4294967296.0,
	      uint32_t, uint32_t, 0, UINT32_MAX)
	TRUNC(i64_trunc_f32_s, float, f32_of,
	      a >= -9223372036854775808.0f && a < 9223372036854775808.0f,
	      int64_t, uint64_t, INT64_MIN, INT64_MAX)
	TRUNC(i64_trunc_f32_u, float, f32_of,
	      a > -1.0f && a < 18446744073709551616.0f, uint64_t, uint64_t, 0,
	      UINT64_MAX)
	TRUNC(i64_trunc_f64_s, double, f64_of,
	      a >= -9223372036854775808.0 && a < 9223372036854775808.0, int64_t,
	      uint64_t, INT64_MIN, INT64_MAX)
	TRUNC(i64_trunc_f64_u, double, f64_of,
	      a > -1.0 && a < 18446744073709551616.0, uint64_t, uint64_t, 0,
	      UINT64_MAX)

	UN(f32_convert_i32_s, uint64_t, of_f32((float)(int32_t)a))
	UN(f32_convert_i32_u, uint64_t, of_f32((float)(uint32_t)a))
	UN(f32_convert_i64_s, uint64_t, of_f32((float)(int64_t)a))
	UN(f32_convert_i64_u, uint64_t, of_f32((float)a))
	UN(f32_demote_f64, uint64_t, of_f32((float)f64_of(a)))
	UN(f64_convert_i32_s, uint64_t, of_f64((double)(int32_t)a))
	UN(f64_convert_i32_u, uint64_t, of_f64((double)(uint32_t)a))
	UN(f64_convert_i64_s, uint64_t, of_f64((double)(int64_t)a))
	UN(f64_convert_i64_u, uint64_t, of_f64((double)a))
	UN(f64_promote_f32, uint64_t, of_f64((double)f32_of(a)))

	/* ---- leaving ------------------------------------------------------------------- */
out_of_fuel:
	in->fuel = fuel;
	*ipp = ip;
	*fpp = fp;
	*fnp = fn;
	lw_set_trap(in, LW_TRAP_OUT_OF_FUEL, NULL);
	kind = LW_TRAP_OUT_OF_FUEL;
	goto fill_stack;
trap:
	lw_set_trap(in, kind, NULL);
trap_keep_msg:
	in->trap.kind = kind;
fill_stack:
	in->fuel = fuel;
	in->trap.func_index = fn->index;
	{
		int n = 0;
		in->trap.stack[n++] = fn->index;
		for (uint32_t i = in->nframes; i > frame0 && n < LW_TRAP_STACK_MAX; i--)
			in->trap.stack[n++] = in->frames[i - 1].fn->index;
		in->trap.stack_depth = n;
	}
	if (kind != LW_TRAP_OUT_OF_FUEL)
		in->nframes = frame0;
	return kind;
}
