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
 *     [i32_add_ss] [c] [a] [b]            fp[c] = fp[a] + fp[b]
 *
 * (compile.c defers local.get and constants and retargets the destination of
 * the last instruction on local.set). Other operand kinds are immediates
 * (constants, offsets, the `_si` forms whose right operand is a constant),
 * indices (functions, globals, tables, segments) and branches: a branch is
 * two words, the signed distance in words from the start of the branch
 * instruction to its target, and the fuel it charges when taken (non-zero
 * only for backward branches, see below). Values that a branch carries are
 * moved by copy instructions emitted before the jump.
 *
 * Two registers live across instructions: `acc`, the result of the last
 * integer-valued operation, and `fa`, the last f64 result. Each such
 * operation writes its slot and the register; an operation whose source is
 * the value just computed reads it from the register instead, in its `a` or
 * `f` form (ops.h explains the naming, peephole.c the choice). A chain of
 * dependent operations so never waits for a store to reach a load.
 *
 * Integer compare + br_if/if pairs are fused ("bri32_lt_s_si a 100 L").
 * A call passes arguments in place: the callee's frame starts at the first
 * argument slot of the caller (`call f argbase`), and results come back in
 * the same slots. Calls between Wasm functions never recurse in C: a frame
 * stack in the instance records (return ip, caller fp, caller function).
 *
 * Fuel is charged per function entry (`enter`, or the call that skips it:
 * the number of Wasm instructions of the body outside loops) and per loop
 * iteration: every backward branch carries the number of Wasm instructions
 * in its loop's body as its cost. A branch has no side effects before the
 * fuel check, so on exhaustion the state (registers included) is saved and
 * lw_resume re-executes the same branch (or call) with the new budget.
 * Bulk operations (memory.fill/copy/init, table.fill/copy/init/grow) charge
 * one unit per byte or element moved, before moving anything.
 *
 * The fuel register holds a slice of the budget (LW_FUEL_SLICE), the rest
 * waits in `reserve`. Running a slice dry is the one moment the slow path
 * runs: it checks the wall-clock deadline and the interrupt flag, takes the
 * next slice and re-dispatches the instruction that wanted it. So the
 * deadline costs the hot path nothing, and is seen within one slice of work
 * (tens of microseconds) at a back-edge, a call or a bulk operation, which
 * also checks between chunks of LW_BULK_CHUNK bytes.
 */
#include "wasm/rt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Fuel units between two deadline checks: 64 Ki instructions are some
 * 20-60 us of guest work. */
#define LW_FUEL_SLICE 65536
/* Bytes a bulk operation moves between two deadline checks (~10-50 us). */
#define LW_BULK_CHUNK (256u << 10)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A thread's CPU clock has no vDSO path: each read is a system call (~1 us
 * on a VM, 12% of the agent's CPU at one read per guest call). So calls
 * that start within this much wall time of the last read, on the same
 * thread, reuse it: the CPU the deadline's rule counts for a call is then
 * over by at most this (the CPU a thread can use in that wall time), 1% of
 * half the default 20 ms deadline (docs/wasm-exec.md, "Deadline"). */
#define LW_CPU_REUSE_NS 100000

void lw_deadline_start(lw_instance *in)
{
	in->interrupt = 0;
	in->deadline_at = 0;
	if (in->lim.deadline_ns) {
		uint64_t now = mono_ns();
		in->deadline_at = now + in->lim.deadline_ns;
		pthread_t self = pthread_self();
		if (!in->cpu_read_at || now - in->cpu_read_at >= LW_CPU_REUSE_NS ||
		    !pthread_equal(in->cpu_thread, self)) {
			in->cpu_start = thread_cpu_ns();
			in->cpu_read_at = now;
			in->cpu_thread = self;
		}
	}
}

/* The deadline is wall-clock time, but a guest is stopped for its own work
 * only: once the wall-clock deadline has passed, the call must also have
 * used half of it in CPU time. A guest preempted by a loaded host (its
 * thread waiting for a CPU) is not its own fault, and stopping it would turn
 * the host's load into policy failures and fail-safe; a guest that spins
 * still stops at the deadline on an idle host, and within twice it while it
 * gets half a CPU (docs/wasm-exec.md, "Deadline"). */
bool lw_deadline_due(lw_instance *in)
{
	if (in->interrupt)
		return true;
	if (!in->deadline_at || mono_ns() < in->deadline_at)
		return false;
	return thread_cpu_ns() - in->cpu_start >= in->lim.deadline_ns / 2;
}

void lw_instance_interrupt(lw_instance *in)
{
	in->interrupt = 1;
}

/* memmove of n bytes in chunks, checking the deadline between them (only
 * for a move longer than one chunk); false when it ran out part-way. The
 * chunks go in the direction that keeps an overlapping move correct. */
static bool bulk_move(lw_instance *in, uint8_t *d, const uint8_t *s, uint64_t n)
{
	if (!n)
		return true; /* d may be NULL: a memory of 0 pages */
	if (n <= LW_BULK_CHUNK) {
		memmove(d, s, n);
		return true;
	}
	for (uint64_t k = 0; k < n; k += LW_BULK_CHUNK) {
		uint64_t c = n - k < LW_BULK_CHUNK ? n - k : LW_BULK_CHUNK;
		if (k && lw_deadline_due(in))
			return false;
		if (d <= s)
			memmove(d + k, s + k, c);
		else
			memmove(d + n - k - c, s + n - k - c, c);
	}
	return true;
}

/* memset, likewise */
static bool bulk_fill(lw_instance *in, uint8_t *d, int v, uint64_t n)
{
	for (uint64_t k = 0; k < n; k += LW_BULK_CHUNK) {
		uint64_t c = n - k < LW_BULK_CHUNK ? n - k : LW_BULK_CHUNK;
		if (k && lw_deadline_due(in))
			return false;
		memset(d + k, v, c);
	}
	return true;
}

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
	case LW_TRAP_DEADLINE: return "deadline exceeded";
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
		lw_value_of_slot(&a[i], slots[i], f->types[i]);
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
			slots[i] = lw_slot_of_value(&r[i], f->types[np + i]);
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
	lw_regs regs = {f->code->ops, args, f, 0, 0, 0};
	uint32_t frame0 = in->nframes;
	if (args + f->code->frame_size > in->stack_end) {
		lw_set_trap(in, LW_TRAP_STACK_EXHAUSTED, NULL);
		in->trap.func_index = f->index;
		in->trap.stack_depth = 0;
		return LW_TRAP_STACK_EXHAUSTED;
	}
	lw_call_result r = lw_exec(in, &regs, frame0);
	if (r == LW_TRAP_OUT_OF_FUEL) {
		in->suspended = true;
		in->susp = regs;
		in->susp_frame0 = frame0;
		in->susp_base = args;
		in->susp_entry = f;
	}
	return r;
}

void lw_op_words(uint32_t words[LW_OP_COUNT])
{
	void *const *labels = NULL;
	lw_exec(NULL, (lw_regs *)&labels, 0);
	for (int i = 0; i < LW_OP_COUNT; i++)
		words[i] = (uint32_t)(int32_t)((char *)labels[i] - (char *)labels[0]);
}

#ifdef LW_CHECK_ACC
/* A register read that does not match the slot it stands for: the peephole
 * and a handler disagree (ops.c). Only in checking builds. */
static uint64_t reg_mismatch(const uint32_t *ip, int k, const char *reg)
{
	fprintf(stderr, "lw_exec: %s read at word %d does not match slot %u\n",
		reg, k, ip[k]);
	abort();
}
#define A(k) (LW_LIKELY(acc == fp[ip[k]]) ? acc : reg_mismatch(ip, k, "acc"))
#define B(k) (LW_LIKELY(acc2 == fp[ip[k]]) ? acc2 : reg_mismatch(ip, k, "acc2"))
#define F(k) (LW_LIKELY(of_f64(fa) == fp[ip[k]]) ? fa : (double)reg_mismatch(ip, k, "fa"))
#else
#define A(k) acc
#define B(k) acc2
#define F(k) fa
#endif

#define S(k) fp[ip[k]]
#define IMM32(k) ip[k]
#define IMM64(k) ((uint64_t)(int64_t)(int32_t)ip[k])
#define IMMF(k) f64_of((uint64_t)ip[k] | (uint64_t)ip[(k) + 1] << 32)
/* results: an integer goes to its slot and acc (the previous one to acc2),
 * an f64 to its slot and fa */
#define PUT(k, v) (acc2 = acc, fp[ip[k]] = acc = (uint64_t)(v))
#define PUTFB(k, bits)                                                         \
	do {                                                                   \
		uint64_t b_ = (bits);                                          \
		fp[ip[k]] = b_;                                                \
		fa = f64_of(b_);                                               \
	} while (0)
#define PUTF(k, v) PUTFB(k, of_f64(v))

lw_call_result lw_exec(lw_instance *in, lw_regs *rg, uint32_t frame0)
{
	static void *const labels[LW_OP_COUNT] = {
#define LW_OPX(n) [LW_OP_##n] = &&L_##n,
#define LW_OPX2(a, b) [LW_OP_##a##__##b] = &&L_##a##__##b,
		LW_OPS(LW_OPX)
		LW_FUSED(LW_OPX2)
#undef LW_OPX
#undef LW_OPX2
	};
	if (!in) {
		*(void *const **)rg = labels;
		return LW_OK;
	}

	char *const base = (char *)&&L_enter;
	const uint32_t *ip = rg->ip;
	uint64_t *fp = rg->fp;
	lw_funcinst *fn = rg->fn;
	uint64_t acc = rg->acc, acc2 = rg->acc2;
	double fa = rg->fa;
	lw_instance *ci = fn->inst;
	uint8_t *mem;
	uint64_t memsize;
	/* the budget in->fuel as a slice in the register and the reserve */
	int64_t fuel, reserve, need = 0;
#define LOAD_FUEL()                                                            \
	do {                                                                   \
		fuel = in->fuel < LW_FUEL_SLICE ? in->fuel : LW_FUEL_SLICE;    \
		reserve = in->fuel - fuel;                                     \
	} while (0)
#define SAVE_FUEL() (in->fuel = fuel + reserve)
	LOAD_FUEL();
	lw_frame *fr = in->frames + in->nframes;
	lw_frame *const fr0 = in->frames + frame0;
	lw_frame *const fr_max = in->frames + in->lim.max_call_depth;
	uint64_t *const stack_end = in->stack_end;
	lw_call_result kind;
	lw_funcinst *callee;
	uint64_t *nfp;
	const uint32_t *rip;
	uint32_t sel;

#define NEXT() goto *(void *)(base + (int32_t)*ip)
#define LOADMEM()                                                              \
	do {                                                                   \
		lw_memobj *m_ = ci->mems && ci->mod->nmems ? ci->mems[0] : NULL; \
		mem = m_ ? m_->data : NULL;                                    \
		memsize = m_ ? m_->size : 0;                                   \
	} while (0)
#define SYNC_FRAMES() (in->nframes = (uint32_t)(fr - in->frames))
/* A taken branch: offset in word k, fuel cost in word k + 1 (zero unless
 * it goes back to a loop head). Out of fuel, nothing has changed yet: the
 * branch is where lw_resume re-enters. */
#define JUMP(k)                                                                \
	do {                                                                   \
		uint32_t c_ = ip[(k) + 1];                                     \
		if (LW_UNLIKELY(fuel < (int64_t)c_)) {                         \
			need = c_;                                             \
			goto refuel;                                           \
		}                                                              \
		fuel -= c_;                                                    \
		ip += (int32_t)ip[k];                                          \
		NEXT();                                                        \
	} while (0)
/* Charges c units before an instruction does anything (else refuel
 * re-dispatches it). */
#define CHARGE(c)                                                              \
	do {                                                                   \
		if (LW_UNLIKELY(fuel < (int64_t)(c))) {                        \
			need = (int64_t)(c);                                   \
			goto refuel;                                           \
		}                                                              \
		fuel -= (int64_t)(c);                                          \
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
	CHARGE(ip[3]);
	for (uint32_t i = ip[1]; i < ip[2]; i++)
		fp[i] = 0;
	if (ip[1])
		acc = fp[0]; /* functions start with their first parameter in acc */
	ip += 4;
	NEXT();
L_unreachable:
	TRAP(LW_TRAP_UNREACHABLE);
L_br: /* [br rel cost] */
	JUMP(1);
	/* [op cond rel cost] */
L_br_if_s:
	if ((uint32_t)S(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_if_a:
	if ((uint32_t)A(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_if_b:
	if ((uint32_t)B(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_unless_s:
	if (!(uint32_t)S(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_unless_a:
	if (!(uint32_t)A(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_unless_b:
	if (!(uint32_t)B(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_nez64_s:
	if (S(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_nez64_a:
	if (A(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_nez64_b:
	if (B(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_eqz64_s:
	if (!S(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_eqz64_a:
	if (!A(1))
		JUMP(2);
	ip += 4;
	NEXT();
L_br_eqz64_b:
	if (!B(1))
		JUMP(2);
	ip += 4;
	NEXT();
	/* [br_table idx n (rel cost) x n+1], the last pair the default */
L_br_table_s:
	sel = (uint32_t)S(1);
	goto br_table;
L_br_table_a:
	sel = (uint32_t)A(1);
br_table:
	if (sel > ip[2])
		sel = ip[2];
	JUMP(3 + 2 * sel);
L_ret:
	if (fr == fr0) {
		SAVE_FUEL();
		SYNC_FRAMES();
		return LW_OK;
	}
	fr--;
	acc = fp[0]; /* the caller continues with the first result in acc */
	ip = fr->ret_ip;
	fp = fr->fp;
	if (LW_UNLIKELY(fr->fn->inst != ci)) {
		ci = fr->fn->inst;
		LOADMEM();
	}
	fn = fr->fn;
	NEXT();
L_call: /* [call funcidx argbase]: a function defined in this module */
	callee = ci->funcs[ip[1]];
	nfp = fp + ip[2];
	rip = ip + 3;
	goto wasm_call;
L_call_import: /* [call_import funcidx argbase]: host or other instance */
	callee = ci->funcs[ip[1]];
	nfp = fp + ip[2];
	rip = ip + 3;
	goto any_call;
	/* [call_indirect typeidx tableidx elemslot argbase] */
L_call_indirect_s:
	sel = (uint32_t)S(3);
	goto call_indirect;
L_call_indirect_a:
	sel = (uint32_t)A(3);
call_indirect: {
	lw_tabobj *t = ci->tables[ip[2]];
	if (LW_UNLIKELY(sel >= t->size))
		TRAP(LW_TRAP_UNDEFINED_ELEM);
	callee = (lw_funcinst *)(uintptr_t)t->elems[sel];
	if (LW_UNLIKELY(!callee))
		TRAP(LW_TRAP_UNINIT_ELEM);
	uint64_t k = ci->type_keys[ip[1]];
	if (LW_UNLIKELY(callee->sig_key != k ||
			((k >> 63) &&
			 strcmp(callee->sig, ci->mod->types[ip[1]].sig))))
		TRAP(LW_TRAP_INDIRECT_MISMATCH);
	nfp = fp + ip[4];
	rip = ip + 5;
}
any_call:
	if (callee->host) {
		SAVE_FUEL();
		SYNC_FRAMES();
		lw_call_result r = host_call(in, callee, nfp);
		LOAD_FUEL();
		if (r != LW_OK) {
			kind = r;
			goto trap_keep_msg;
		}
		LOADMEM();
		acc = nfp[0]; /* the first result, as after `ret` */
		ip = rip;
		NEXT();
	}
wasm_call: {
	/* does `enter`'s work: the callee starts after it */
	if (LW_UNLIKELY(fr >= fr_max || nfp + callee->frame_size > stack_end))
		TRAP(LW_TRAP_STACK_EXHAUSTED);
	CHARGE(callee->entry_fuel); /* the call is re-executed on resume */
	for (uint32_t i = callee->nparams; i < callee->nlocals; i++)
		nfp[i] = 0;
	fr->ret_ip = rip;
	fr->fp = fp;
	fr->fn = fn;
	fr++;
	fp = nfp;
	fn = callee;
	acc = nfp[0]; /* the first parameter, as after `enter` */
	if (LW_UNLIKELY(callee->inst != ci)) {
		ci = callee->inst;
		LOADMEM();
	}
	ip = callee->entry;
	NEXT();
}

	/* ---- data movement ----------------------------------------------------- */
#define B_COPY                                                                 \
	{                                                                      \
		PUT(1, S(2));                                                  \
		ip += 3;                                                       \
	}
L_copy: /* [copy d s] */
	B_COPY NEXT();
L_const32: /* [const32 d v] */
	PUT(1, ip[2]);
	ip += 3;
	NEXT();
L_const64: /* [const64 d lo hi] */
	PUT(1, (uint64_t)ip[2] | ((uint64_t)ip[3] << 32));
	ip += 4;
	NEXT();
L_select_s: /* [select d a b cond] */
	PUT(1, (uint32_t)S(4) ? S(2) : S(3));
	ip += 5;
	NEXT();
L_select_a:
	PUT(1, (uint32_t)A(4) ? S(2) : S(3));
	ip += 5;
	NEXT();
L_global_get: /* [global_get d g] */
	PUT(1, ci->globals[ip[2]]->val);
	ip += 3;
	NEXT();
L_global_set_s: /* [global_set g s] */
	ci->globals[ip[1]]->val = S(2);
	ip += 3;
	NEXT();
L_global_set_a:
	ci->globals[ip[1]]->val = A(2);
	ip += 3;
	NEXT();
L_ref_func:
	S(1) = (uint64_t)(uintptr_t)ci->funcs[ip[2]];
	ip += 3;
	NEXT();

	/* ---- tables -------------------------------------------------------------- */
L_table_get: { /* [d t i] */
	lw_tabobj *t = ci->tables[ip[2]];
	uint32_t i = (uint32_t)S(3);
	if (i >= t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	S(1) = t->elems[i];
	ip += 4;
	NEXT();
}
L_table_set: { /* [t i v] */
	lw_tabobj *t = ci->tables[ip[1]];
	uint32_t i = (uint32_t)S(2);
	if (i >= t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	t->elems[i] = S(3);
	ip += 4;
	NEXT();
}
L_table_size:
	S(1) = ci->tables[ip[2]]->size;
	ip += 3;
	NEXT();
L_table_grow: { /* [d t init n]: n elements written, if it can grow */
	lw_tabobj *t = ci->tables[ip[2]];
	uint64_t n = (uint32_t)S(4), lim = t->max < t->cap ? t->max : t->cap;
	if (t->size + n <= lim)
		CHARGE(n);
	if (n && LW_UNLIKELY(lw_deadline_due(in)))
		TRAP(LW_TRAP_DEADLINE);
	S(1) = (uint32_t)lw_tab_grow(t, n, S(3));
	ip += 5;
	NEXT();
}
L_table_fill: { /* [t i v n] */
	lw_tabobj *t = ci->tables[ip[1]];
	uint64_t i = (uint32_t)S(2), n = (uint32_t)S(4), v = S(3);
	if (i + n > t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	CHARGE(n);
	for (uint64_t k = 0; k < n; k++) {
		if (LW_UNLIKELY((k & (LW_BULK_CHUNK / 8 - 1)) == 0 && k && lw_deadline_due(in)))
			TRAP(LW_TRAP_DEADLINE);
		t->elems[i + k] = v;
	}
	ip += 5;
	NEXT();
}
	/* Bulk operations of n = 0 still check their bounds (a trap if out of
	 * range) but move nothing: with an empty memory or table the base
	 * pointer is NULL, and NULL + 0 is undefined behaviour in C
	 * (fuzz_wasm under UBSan). */
L_table_copy: { /* [dt st d s n] */
	lw_tabobj *dt = ci->tables[ip[1]], *st = ci->tables[ip[2]];
	uint64_t d = (uint32_t)S(3), s = (uint32_t)S(4), n = (uint32_t)S(5);
	if (d + n > dt->size || s + n > st->size)
		TRAP(LW_TRAP_TABLE_OOB);
	CHARGE(n);
	if (n && !bulk_move(in, (uint8_t *)(dt->elems + d), (uint8_t *)(st->elems + s), n * 8))
		TRAP(LW_TRAP_DEADLINE);
	ip += 6;
	NEXT();
}
L_table_init: { /* [seg t d s n] */
	uint32_t seg = ip[1];
	lw_tabobj *t = ci->tables[ip[2]];
	uint64_t d = (uint32_t)S(3), s = (uint32_t)S(4), n = (uint32_t)S(5);
	if (s + n > ci->elem_len[seg] || d + n > t->size)
		TRAP(LW_TRAP_TABLE_OOB);
	CHARGE(n);
	if (n && !bulk_move(in, (uint8_t *)(t->elems + d), (uint8_t *)(ci->elem_vals[seg] + s),
			       n * 8))
		TRAP(LW_TRAP_DEADLINE);
	ip += 6;
	NEXT();
}
L_elem_drop:
	ci->elem_len[ip[1]] = 0;
	ip += 2;
	NEXT();

	/* ---- memory -------------------------------------------------------------- */
L_memory_size:
	PUT(1, (uint32_t)(memsize >> 16));
	ip += 2;
	NEXT();
L_memory_grow: { /* [d n]: not charged per byte (the budget bounds it), but
		  * a grow reallocates and copies: the deadline is checked first */
	if ((uint32_t)S(2) && LW_UNLIKELY(lw_deadline_due(in)))
		TRAP(LW_TRAP_DEADLINE);
	uint32_t old = (uint32_t)lw_mem_grow(ci->mems[0], (uint32_t)S(2));
	LOADMEM();
	PUT(1, old);
	ip += 3;
	NEXT();
}
L_memory_fill: { /* [d v n] */
	uint64_t d = (uint32_t)S(1), n = (uint32_t)S(3);
	if (d + n > memsize)
		TRAP(LW_TRAP_MEM_OOB);
	CHARGE(n);
	if (n && !bulk_fill(in, mem + d, (int)(uint8_t)S(2), n))
		TRAP(LW_TRAP_DEADLINE);
	ip += 4;
	NEXT();
}
L_memory_copy: { /* [d s n] */
	uint64_t d = (uint32_t)S(1), s = (uint32_t)S(2), n = (uint32_t)S(3);
	if (d + n > memsize || s + n > memsize)
		TRAP(LW_TRAP_MEM_OOB);
	CHARGE(n);
	if (n && !bulk_move(in, mem + d, mem + s, n))
		TRAP(LW_TRAP_DEADLINE);
	ip += 4;
	NEXT();
}
L_memory_init: { /* [seg d s n] */
	uint32_t seg = ip[1];
	uint64_t d = (uint32_t)S(2), s = (uint32_t)S(3), n = (uint32_t)S(4);
	if (s + n > ci->data_len[seg] || d + n > memsize)
		TRAP(LW_TRAP_MEM_OOB);
	CHARGE(n);
	if (n && !bulk_move(in, mem + d, ci->mod->bytes + ci->mod->datas[seg].off + s, n))
		TRAP(LW_TRAP_DEADLINE);
	ip += 5;
	NEXT();
}
L_data_drop:
	ci->data_len[ip[1]] = 0;
	ip += 2;
	NEXT();

	/* Loads [op d addr off] and stores [op addr value off]: the effective
	 * address is computed in 64 bits, so addr + off never wraps; one
	 * compare against the memory size covers the whole access. The access
	 * is one unaligned load or store of T (u_: alignment 1, may alias
	 * anything, as guest memory holds no C objects), what memcpy of
	 * sizeof(T) compiles to when optimised; unoptimised (the fuzz build's
	 * -O0 interpreter) memcpy stays a call, which ASan makes a call to
	 * __asan_memcpy and its range check: 12 % of fuzz_hostabi's time. */
	/* The families below are written as bodies (B_*: one instruction,
	 * ip advanced past it, no dispatch) so that fused pairs can run two of
	 * them in one handler. */
#define B_LD(AE, T, conv, PUTX)                                                \
	{                                                                      \
		uint64_t ea = (uint64_t)(uint32_t)(AE) + ip[3];                \
		if (LW_UNLIKELY(ea + sizeof(T) > memsize))                     \
			TRAP(LW_TRAP_MEM_OOB);                                 \
		typedef T u_ __attribute__((aligned(1), may_alias));           \
		T v = *(const u_ *)(mem + ea);                                 \
		PUTX(1, conv);                                                 \
		ip += 4;                                                       \
	}
#define LD1(L, AE, T, conv, PUTX) L: B_LD(AE, T, conv, PUTX) NEXT();
/* X(context, name, type loaded, conversion of v to the slot's bits) */
#define LOADS(X, H)                                                            \
	X(H, i32_load, uint32_t, v)                                            \
	X(H, i64_load, uint64_t, v)                                            \
	X(H, i32_load8_s, int8_t, (uint32_t)(int32_t)v)                        \
	X(H, i32_load8_u, uint8_t, v)                                          \
	X(H, i32_load16_s, int16_t, (uint32_t)(int32_t)v)                      \
	X(H, i32_load16_u, uint16_t, v)                                        \
	X(H, i64_load8_s, int8_t, (uint64_t)(int64_t)v)                        \
	X(H, i64_load8_u, uint8_t, v)                                          \
	X(H, i64_load16_s, int16_t, (uint64_t)(int64_t)v)                      \
	X(H, i64_load16_u, uint16_t, v)                                        \
	X(H, i64_load32_s, int32_t, (uint64_t)(int64_t)v)                      \
	X(H, i64_load32_u, uint32_t, v)
#define ILOAD(H, n, T, conv)                                                   \
	LD1(L_##n##_s, S(2), T, conv, PUT) LD1(L_##n##_a, A(2), T, conv, PUT)  \
	LD1(L_##n##_b, B(2), T, conv, PUT)
	LOADS(ILOAD, _)
	LD1(L_f64_load_s, S(2), uint64_t, v, PUTFB)
	LD1(L_f64_load_a, A(2), uint64_t, v, PUTFB)

#define B_ST(AE, VE, T)                                                        \
	{                                                                      \
		uint64_t ea = (uint64_t)(uint32_t)(AE) + ip[3];                \
		if (LW_UNLIKELY(ea + sizeof(T) > memsize))                     \
			TRAP(LW_TRAP_MEM_OOB);                                 \
		typedef T u_ __attribute__((aligned(1), may_alias));           \
		*(u_ *)(mem + ea) = (T)(VE);                                   \
		ip += 4;                                                       \
	}
#define ST1(L, AE, VE, T) L: B_ST(AE, VE, T) NEXT();
/* X(context, name, type stored) */
#define STORES(X, H)                                                           \
	X(H, i32_store, uint32_t) X(H, i64_store, uint64_t)                    \
	X(H, store8, uint8_t) X(H, store16, uint16_t)
#define ISTORE(H, n, T)                                                        \
	ST1(L_##n##_ss, S(1), S(2), T) ST1(L_##n##_si, S(1), IMM64(2), T)      \
	ST1(L_##n##_as, A(1), S(2), T) ST1(L_##n##_sa, S(1), A(2), T)          \
	ST1(L_##n##_ai, A(1), IMM64(2), T) ST1(L_##n##_bs, B(1), S(2), T)      \
	ST1(L_##n##_sb, S(1), B(2), T) ST1(L_##n##_bi, B(1), IMM64(2), T)      \
	ST1(L_##n##_ab, A(1), B(2), T) ST1(L_##n##_ba, B(1), A(2), T)
	STORES(ISTORE, _)
	ST1(L_f64_store_ss, S(1), S(2), uint64_t)
	ST1(L_f64_store_as, A(1), S(2), uint64_t)
	ST1(L_f64_store_sf, S(1), of_f64(F(2)), uint64_t)
	ST1(L_f64_store_af, A(1), of_f64(F(2)), uint64_t)

	/* ---- integer arithmetic: [op d a] and [op d a b] ---------------------- */
#define IU1(L, T, AE, expr)                                                    \
	L: {                                                                   \
		T a = (T)(AE);                                                 \
		PUT(1, expr);                                                  \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
#define IUN(n, T, expr)                                                        \
	IU1(L_##n##_s, T, S(2), expr) IU1(L_##n##_a, T, A(2), expr)            \
	IU1(L_##n##_b, T, B(2), expr)
	IUN(i32_eqz, uint32_t, (uint32_t)(a == 0))
	IUN(i32_clz, uint32_t, a ? (uint32_t)__builtin_clz(a) : 32u)
	IUN(i32_ctz, uint32_t, a ? (uint32_t)__builtin_ctz(a) : 32u)
	IUN(i32_popcnt, uint32_t, (uint32_t)__builtin_popcount(a))
	IUN(i32_extend8_s, uint32_t, (uint32_t)(int32_t)(int8_t)a)
	IUN(i32_extend16_s, uint32_t, (uint32_t)(int32_t)(int16_t)a)
	IUN(i64_eqz, uint64_t, (uint64_t)(a == 0))
	IUN(i64_clz, uint64_t, a ? (uint64_t)__builtin_clzll(a) : 64u)
	IUN(i64_ctz, uint64_t, a ? (uint64_t)__builtin_ctzll(a) : 64u)
	IUN(i64_popcnt, uint64_t, (uint64_t)__builtin_popcountll(a))
	IUN(i64_extend8_s, uint64_t, (uint64_t)(int64_t)(int8_t)a)
	IUN(i64_extend16_s, uint64_t, (uint64_t)(int64_t)(int16_t)a)
	IUN(i64_extend32_s, uint64_t, (uint64_t)(int64_t)(int32_t)a)
	IUN(i32_wrap_i64, uint64_t, (uint32_t)a)
	IUN(i64_extend_i32_s, uint64_t, (uint64_t)(int64_t)(int32_t)a)

#define B_IB(T, AE, BE, body)                                                  \
	{                                                                      \
		T a = (T)(AE), b = (T)(BE), r;                                 \
		body;                                                          \
		PUT(1, r);                                                     \
		ip += 4;                                                       \
	}
#define IB1(L, T, AE, BE, body) L: B_IB(T, AE, BE, body) NEXT();
#define IBIN(P, T, IMM, n, body)                                               \
	IB1(L_##P##_##n##_ss, T, S(2), S(3), body)                             \
	IB1(L_##P##_##n##_si, T, S(2), IMM(3), body)                           \
	IB1(L_##P##_##n##_as, T, A(2), S(3), body)                             \
	IB1(L_##P##_##n##_sa, T, S(2), A(3), body)                             \
	IB1(L_##P##_##n##_ai, T, A(2), IMM(3), body)                           \
	IB1(L_##P##_##n##_bs, T, B(2), S(3), body)                             \
	IB1(L_##P##_##n##_sb, T, S(2), B(3), body)                             \
	IB1(L_##P##_##n##_bi, T, B(2), IMM(3), body)                           \
	IB1(L_##P##_##n##_ab, T, A(2), B(3), body)                             \
	IB1(L_##P##_##n##_ba, T, B(2), A(3), body)
#define BOTH(n, b32, b64)                                                      \
	IBIN(i32, uint32_t, IMM32, n, b32) IBIN(i64, uint64_t, IMM64, n, b64)
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
	IBIN(i32, uint32_t, IMM32, div_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	     if (a == 0x80000000u && b == 0xffffffffu) TRAP(LW_TRAP_INT_OVERFLOW);
	     r = (uint32_t)((int32_t)a / (int32_t)b))
	IBIN(i64, uint64_t, IMM64, div_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	     if (a == 0x8000000000000000ull && b == ~0ull) TRAP(LW_TRAP_INT_OVERFLOW);
	     r = (uint64_t)((int64_t)a / (int64_t)b))
	BOTH(div_u, if (!b) TRAP(LW_TRAP_DIV_ZERO); r = a / b,
	     if (!b) TRAP(LW_TRAP_DIV_ZERO); r = a / b)
	IBIN(i32, uint32_t, IMM32, rem_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
	     r = b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b))
	IBIN(i64, uint64_t, IMM64, rem_s, if (!b) TRAP(LW_TRAP_DIV_ZERO);
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

	/* fused compare-and-branch: [op a b rel cost] */
#define B_BC(T, AE, BE, cond)                                                  \
	{                                                                      \
		T a = (T)(AE), b = (T)(BE);                                    \
		if (cond)                                                      \
			JUMP(3);                                               \
		ip += 5;                                                       \
	}
#define BC1(L, T, AE, BE, cond) L: B_BC(T, AE, BE, cond) NEXT();
#define BRC1(P, T, IMM, n, cond)                                               \
	BC1(L_##P##_##n##_ss, T, S(1), S(2), cond)                             \
	BC1(L_##P##_##n##_si, T, S(1), IMM(2), cond)                           \
	BC1(L_##P##_##n##_as, T, A(1), S(2), cond)                             \
	BC1(L_##P##_##n##_sa, T, S(1), A(2), cond)                             \
	BC1(L_##P##_##n##_ai, T, A(1), IMM(2), cond)                           \
	BC1(L_##P##_##n##_bs, T, B(1), S(2), cond)                             \
	BC1(L_##P##_##n##_sb, T, S(1), B(2), cond)                             \
	BC1(L_##P##_##n##_bi, T, B(1), IMM(2), cond)                           \
	BC1(L_##P##_##n##_ab, T, A(1), B(2), cond)                             \
	BC1(L_##P##_##n##_ba, T, B(1), A(2), cond)
/* X(context, name, i32 condition, i64 condition) */
#define CONDS(X, H)                                                            \
	X(H, eq, a == b, a == b)                                               \
	X(H, ne, a != b, a != b)                                               \
	X(H, lt_s, (int32_t)a < (int32_t)b, (int64_t)a < (int64_t)b)           \
	X(H, lt_u, a < b, a < b)                                               \
	X(H, gt_s, (int32_t)a > (int32_t)b, (int64_t)a > (int64_t)b)           \
	X(H, gt_u, a > b, a > b)                                               \
	X(H, le_s, (int32_t)a <= (int32_t)b, (int64_t)a <= (int64_t)b)         \
	X(H, le_u, a <= b, a <= b)                                             \
	X(H, ge_s, (int32_t)a >= (int32_t)b, (int64_t)a >= (int64_t)b)         \
	X(H, ge_u, a >= b, a >= b)
#define BRC(H, n, c32, c64) BRC1(bri32, uint32_t, IMM32, n, c32) BRC1(bri64, uint64_t, IMM64, n, c64)
	CONDS(BRC, _)

	/* ---- f64: results to fa and the slot; x, y are the operands' bits ----- */
#define B_FB(AE, BE, expr, len)                                                \
	{                                                                      \
		double a = (AE), b = (BE);                                     \
		uint64_t x = of_f64(a), y = of_f64(b);                         \
		(void)x;                                                       \
		(void)y;                                                       \
		PUTFB(1, expr);                                                \
		ip += len;                                                     \
	}
#define FB1(L, AE, BE, expr, len) L: B_FB(AE, BE, expr, len) NEXT();
#define FBIN(n, expr)                                                          \
	FB1(L_f64_##n##_ss, f64_of(S(2)), f64_of(S(3)), expr, 4)               \
	FB1(L_f64_##n##_fs, F(2), f64_of(S(3)), expr, 4)                       \
	FB1(L_f64_##n##_sf, f64_of(S(2)), F(3), expr, 4)                       \
	FB1(L_f64_##n##_si, f64_of(S(2)), IMMF(3), expr, 5)                    \
	FB1(L_f64_##n##_fi, F(2), IMMF(3), expr, 5)
/* X(context, name, result bits) */
#define FARITH(X, H)                                                           \
	X(H, add, of_f64(a + b)) X(H, sub, of_f64(a - b))                      \
	X(H, mul, of_f64(a * b)) X(H, div, of_f64(a / b))
#define FBIN_(H, n, expr) FBIN(n, expr)
	FARITH(FBIN_, _)
	FBIN(min, fmin64(x, y))
	FBIN(max, fmax64(x, y))
	FBIN(copysign, (x & 0x7fffffffffffffffull) | (y & 0x8000000000000000ull))
#define FC1(L, AE, BE, cond)                                                   \
	L: {                                                                   \
		double a = (AE), b = (BE);                                     \
		PUT(1, (uint32_t)(cond));                                      \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
#define FCMP(n, cond)                                                          \
	FC1(L_f64_##n##_ss, f64_of(S(2)), f64_of(S(3)), cond)                  \
	FC1(L_f64_##n##_fs, F(2), f64_of(S(3)), cond)                          \
	FC1(L_f64_##n##_sf, f64_of(S(2)), F(3), cond)
	FCMP(eq, a == b)
	FCMP(ne, a != b)
	FCMP(lt, a < b)
	FCMP(gt, a > b)
	FCMP(le, a <= b)
	FCMP(ge, a >= b)
	/* one f64 source: PUTX is PUTFB for an f64 result, else a slot store */
#define FU1(L, AE, PUTX, expr)                                                 \
	L: {                                                                   \
		double a = (AE);                                               \
		uint64_t x = of_f64(a);                                        \
		(void)x;                                                       \
		PUTX(1, expr);                                                 \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
#define SLOTONLY(k, v) (fp[ip[k]] = (v))
#define FUN(n, PUTX, expr) FU1(L_##n##_s, f64_of(S(2)), PUTX, expr) FU1(L_##n##_f, F(2), PUTX, expr)
	FUN(f64_abs, PUTFB, x & 0x7fffffffffffffffull)
	FUN(f64_neg, PUTFB, x ^ 0x8000000000000000ull)
	FUN(f64_ceil, PUTFB, of_f64(a != a ? a + a : ceil(a)))
	FUN(f64_floor, PUTFB, of_f64(a != a ? a + a : floor(a)))
	FUN(f64_trunc, PUTFB, of_f64(a != a ? a + a : trunc(a)))
	FUN(f64_nearest, PUTFB, of_f64(a != a ? a + a : nearbyint(a)))
	FUN(f64_sqrt, PUTFB, of_f64(sqrt(a)))
	FUN(f32_demote_f64, SLOTONLY, of_f32((float)a))

	/* ---- f32: slots only (comparisons still set acc) ------------------------- */
#define F32U(n, expr)                                                          \
	L_f32_##n: {                                                           \
		float a = f32_of(S(2));                                        \
		uint64_t x = S(2);                                             \
		(void)a;                                                       \
		(void)x;                                                       \
		S(1) = (expr);                                                 \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
	F32U(abs, x & 0x7fffffffu)
	F32U(neg, (x ^ 0x80000000u) & 0xffffffffu)
	F32U(ceil, of_f32(a != a ? a + a : ceilf(a)))
	F32U(floor, of_f32(a != a ? a + a : floorf(a)))
	F32U(trunc, of_f32(a != a ? a + a : truncf(a)))
	F32U(nearest, of_f32(a != a ? a + a : nearbyintf(a)))
	F32U(sqrt, of_f32(sqrtf(a)))
#define F32B(n, PUTX, expr)                                                    \
	L_f32_##n: {                                                           \
		uint64_t x = S(2), y = S(3);                                   \
		float a = f32_of(x), b = f32_of(y);                            \
		(void)a;                                                       \
		(void)b;                                                       \
		PUTX(1, expr);                                                 \
		ip += 4;                                                       \
		NEXT();                                                        \
	}
	F32B(eq, PUT, (uint32_t)(a == b))
	F32B(ne, PUT, (uint32_t)(a != b))
	F32B(lt, PUT, (uint32_t)(a < b))
	F32B(gt, PUT, (uint32_t)(a > b))
	F32B(le, PUT, (uint32_t)(a <= b))
	F32B(ge, PUT, (uint32_t)(a >= b))
	F32B(add, SLOTONLY, of_f32(a + b))
	F32B(sub, SLOTONLY, of_f32(a - b))
	F32B(mul, SLOTONLY, of_f32(a * b))
	F32B(div, SLOTONLY, of_f32(a / b))
	F32B(min, SLOTONLY, fmin32(x, y))
	F32B(max, SLOTONLY, fmax32(x, y))
	F32B(copysign, SLOTONLY, (x & 0x7fffffffu) | (y & 0x80000000u))

	/* ---- conversions ----------------------------------------------------------------
	 * `ok` is the exact range test for the source type; CT is the C type the
	 * value converts to, RT how it is stored (i32 results zero-extended). */
#define TRUNC1(L, F_, AE, ok, CT, RT)                                          \
	L: {                                                                   \
		F_ a = (AE);                                                   \
		if (a != a)                                                    \
			TRAP(LW_TRAP_INVALID_CONV);                            \
		if (!(ok))                                                     \
			TRAP(LW_TRAP_INT_OVERFLOW);                            \
		PUT(1, (RT)(CT)a);                                             \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
#define TRUNCSAT1(L, F_, AE, ok, CT, RT, minv, maxv)                           \
	L: {                                                                   \
		F_ a = (AE);                                                   \
		CT r;                                                          \
		if (a != a)                                                    \
			r = 0;                                                 \
		else if (!(ok))                                                \
			r = a < 0 ? (minv) : (maxv);                           \
		else                                                           \
			r = (CT)a;                                             \
		PUT(1, (RT)r);                                                 \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
	/* from f32: slot source only; from f64: forms s and f */
#define TR32(name, ok, CT, RT, minv, maxv)                                     \
	TRUNC1(L_##name, float, f32_of(S(2)), ok, CT, RT)                      \
	TRUNCSAT1(L_##name##_sat, float, f32_of(S(2)), ok, CT, RT, minv, maxv)
#define TR64(name, sat, ok, CT, RT, minv, maxv)                                \
	TRUNC1(L_##name##_s, double, f64_of(S(2)), ok, CT, RT)                 \
	TRUNC1(L_##name##_f, double, F(2), ok, CT, RT)                         \
	TRUNCSAT1(L_##sat##_s, double, f64_of(S(2)), ok, CT, RT, minv, maxv)   \
	TRUNCSAT1(L_##sat##_f, double, F(2), ok, CT, RT, minv, maxv)
#define L_i32_trunc_f32_s_sat L_i32_trunc_sat_f32_s
#define L_i32_trunc_f32_u_sat L_i32_trunc_sat_f32_u
#define L_i64_trunc_f32_s_sat L_i64_trunc_sat_f32_s
#define L_i64_trunc_f32_u_sat L_i64_trunc_sat_f32_u
	TR32(i32_trunc_f32_s, a >= -2147483648.0f && a < 2147483648.0f, int32_t,
	     uint32_t, INT32_MIN, INT32_MAX)
	TR32(i32_trunc_f32_u, a > -1.0f && a < 4294967296.0f, uint32_t, uint32_t,
	     0, UINT32_MAX)
	TR32(i64_trunc_f32_s,
	     a >= -9223372036854775808.0f && a < 9223372036854775808.0f, int64_t,
	     uint64_t, INT64_MIN, INT64_MAX)
	TR32(i64_trunc_f32_u, a > -1.0f && a < 18446744073709551616.0f, uint64_t,
	     uint64_t, 0, UINT64_MAX)
	TR64(i32_trunc_f64_s, i32_trunc_sat_f64_s,
	     a > -2147483649.0 && a < 2147483648.0, int32_t, uint32_t, INT32_MIN,
	     INT32_MAX)
	TR64(i32_trunc_f64_u, i32_trunc_sat_f64_u, a > -1.0 && a < 4294967296.0,
	     uint32_t, uint32_t, 0, UINT32_MAX)
	TR64(i64_trunc_f64_s, i64_trunc_sat_f64_s,
	     a >= -9223372036854775808.0 && a < 9223372036854775808.0, int64_t,
	     uint64_t, INT64_MIN, INT64_MAX)
	TR64(i64_trunc_f64_u, i64_trunc_sat_f64_u,
	     a > -1.0 && a < 18446744073709551616.0, uint64_t, uint64_t, 0,
	     UINT64_MAX)

#define CV1(L, T, AE, PUTX, expr)                                              \
	L: {                                                                   \
		T a = (T)(AE);                                                 \
		PUTX(1, expr);                                                 \
		ip += 3;                                                       \
		NEXT();                                                        \
	}
	CV1(L_f32_convert_i32_s, uint64_t, S(2), SLOTONLY, of_f32((float)(int32_t)a))
	CV1(L_f32_convert_i32_u, uint64_t, S(2), SLOTONLY, of_f32((float)(uint32_t)a))
	CV1(L_f32_convert_i64_s, uint64_t, S(2), SLOTONLY, of_f32((float)(int64_t)a))
	CV1(L_f32_convert_i64_u, uint64_t, S(2), SLOTONLY, of_f32((float)a))
	CV1(L_f64_promote_f32, uint64_t, S(2), PUTF, (double)f32_of(a))
#define CVF(n, expr)                                                           \
	CV1(L_##n##_s, uint64_t, S(2), PUTF, expr) CV1(L_##n##_a, uint64_t, A(2), PUTF, expr)
	CVF(f64_convert_i32_s, (double)(int32_t)a)
	CVF(f64_convert_i32_u, (double)(uint32_t)a)
	CVF(f64_convert_i64_s, (double)(int64_t)a)
	CVF(f64_convert_i64_u, (double)a)

	/* ---- fused pairs (LW_FUSED in ops.h): two bodies, one dispatch --------- */
#define FZ(A, B, BA, BB) L_##A##__##B: BA BB NEXT();
#define H_i32_add_si B_IB(uint32_t, S(2), IMM32(3), r = a + b)
#define H_i32_add_ss B_IB(uint32_t, S(2), S(3), r = a + b)
#define H_f64_load_s B_LD(S(2), uint64_t, v, PUTFB)
#define H_f64_load_a B_LD(A(2), uint64_t, v, PUTFB)
	/* an address, then the access */
#define FZ_LOAD(H, n, T, conv) FZ(H, n##_a, H_##H, B_LD(A(2), T, conv, PUT))
#define FZ_STORE(H, n, T)                                                      \
	FZ(H, n##_as, H_##H, B_ST(A(1), S(2), T))                              \
	FZ(H, n##_ai, H_##H, B_ST(A(1), IMM64(2), T))
	LOADS(FZ_LOAD, i32_add_si)
	LOADS(FZ_LOAD, i32_add_ss)
	STORES(FZ_STORE, i32_add_si)
	STORES(FZ_STORE, i32_add_ss)
	FZ(i32_add_si, f64_load_a, H_i32_add_si, H_f64_load_a)
	FZ(i32_add_ss, f64_load_a, H_i32_add_ss, H_f64_load_a)
	FZ(i32_add_si, f64_store_as, H_i32_add_si, B_ST(A(1), S(2), uint64_t))
	FZ(i32_add_ss, f64_store_as, H_i32_add_ss, B_ST(A(1), S(2), uint64_t))
	/* a counter stepped, then tested */
#define FZ_BRC(H, n, c32, c64)                                                 \
	FZ(H, bri32_##n##_ai, H_##H, B_BC(uint32_t, A(1), IMM32(2), c32))      \
	FZ(H, bri32_##n##_as, H_##H, B_BC(uint32_t, A(1), S(2), c32))          \
	FZ(H, bri32_##n##_sa, H_##H, B_BC(uint32_t, S(1), A(2), c32))
	CONDS(FZ_BRC, i32_add_si)
	FZ(i32_add_si, i32_add_si, H_i32_add_si, H_i32_add_si)
	FZ(i32_add_si, i32_add_ss, H_i32_add_si, H_i32_add_ss)
	FZ(i32_add_ss, i32_add_si, H_i32_add_ss, H_i32_add_si)
	FZ(copy, copy, B_COPY, B_COPY)
	/* an f64 loaded then used; an f64 result stored */
#define FZ_FLOAD(H, n, expr)                                                   \
	FZ(H, f64_##n##_sf, H_##H, B_FB(f64_of(S(2)), F(3), expr, 4))          \
	FZ(H, f64_##n##_fs, H_##H, B_FB(F(2), f64_of(S(3)), expr, 4))
	FARITH(FZ_FLOAD, f64_load_s)
	FARITH(FZ_FLOAD, f64_load_a)
#define FZ_FSTORE1(n, f, AE, BE, expr)                                         \
	FZ(f64_##n##_##f, f64_store_sf, B_FB(AE, BE, expr, 4),                 \
	   B_ST(S(1), of_f64(F(2)), uint64_t))                                 \
	FZ(f64_##n##_##f, f64_store_af, B_FB(AE, BE, expr, 4),                 \
	   B_ST(A(1), of_f64(F(2)), uint64_t))
#define FZ_FSTORE(H, n, expr)                                                  \
	FZ_FSTORE1(n, ss, f64_of(S(2)), f64_of(S(3)), expr)                    \
	FZ_FSTORE1(n, sf, f64_of(S(2)), F(3), expr)                            \
	FZ_FSTORE1(n, fs, F(2), f64_of(S(3)), expr)
	FARITH(FZ_FSTORE, _)
	/* address arithmetic on a register operand, then a step or a load */
#define H_i32_add_sa B_IB(uint32_t, S(2), A(3), r = a + b)
#define H_i32_add_as B_IB(uint32_t, A(2), S(3), r = a + b)
#define H_i32_add_ai B_IB(uint32_t, A(2), IMM32(3), r = a + b)
#define H_i32_add_bi B_IB(uint32_t, B(2), IMM32(3), r = a + b)
#define FZ_ADDLD(H)                                                            \
	FZ(H, i32_add_si, H_##H, H_i32_add_si)                                 \
	FZ(H, i32_load_a, H_##H, B_LD(A(2), uint32_t, v, PUT))                 \
	FZ(H, i32_load8_u_a, H_##H, B_LD(A(2), uint8_t, v, PUT))               \
	FZ(H, i32_load16_s_a, H_##H, B_LD(A(2), int16_t, (uint32_t)(int32_t)v, PUT)) \
	FZ(H, i32_load16_u_a, H_##H, B_LD(A(2), uint16_t, v, PUT))             \
	FZ(H, f64_load_a, H_##H, H_f64_load_a)
	FZ_ADDLD(i32_add_sa)
	FZ_ADDLD(i32_add_as)
	FZ_ADDLD(i32_add_ai)
	FZ_ADDLD(i32_add_bi)
	/* a test that falls through to a step */
#define FZ_BRADD(H, n, c32, c64)                                               \
	FZ(bri32_##n##_ai, i32_add_si, B_BC(uint32_t, A(1), IMM32(2), c32), H_i32_add_si) \
	FZ(bri32_##n##_si, i32_add_si, B_BC(uint32_t, S(1), IMM32(2), c32), H_i32_add_si)
	CONDS(FZ_BRADD, _)
	/* a result, then return; a flag tested */
	L_i32_add_ss__ret: H_i32_add_ss goto L_ret;
	L_i32_add_si__ret: H_i32_add_si goto L_ret;
#define H_i32_and_si B_IB(uint32_t, S(2), IMM32(3), r = a & b)
	L_i32_and_si__br_if_a: H_i32_and_si
	if ((uint32_t)A(1))
		JUMP(2);
	ip += 4;
	NEXT();
	L_i32_and_si__br_unless_a: H_i32_and_si
	if (!(uint32_t)A(1))
		JUMP(2);
	ip += 4;
	NEXT();
	/* a store, then the pointer stepped */
	FZ(i32_store_ss, i32_add_si, B_ST(S(1), S(2), uint32_t), H_i32_add_si)
	FZ(i32_store_sa, i32_add_si, B_ST(S(1), A(2), uint32_t), H_i32_add_si)
	FZ(i32_store_si, i32_add_si, B_ST(S(1), IMM64(2), uint32_t), H_i32_add_si)
	FZ(i32_store_ba, i32_add_si, B_ST(B(1), A(2), uint32_t), H_i32_add_si)
	FZ(i32_store_bs, i32_add_si, B_ST(B(1), S(2), uint32_t), H_i32_add_si)
	FZ(store8_si, i32_add_si, B_ST(S(1), IMM64(2), uint8_t), H_i32_add_si)
	FZ(store8_sa, i32_add_si, B_ST(S(1), A(2), uint8_t), H_i32_add_si)
	FZ(store8_ba, i32_add_si, B_ST(B(1), A(2), uint8_t), H_i32_add_si)
	FZ(f64_store_sf, i32_add_si, B_ST(S(1), of_f64(F(2)), uint64_t), H_i32_add_si)
	FZ(f64_store_af, i32_add_si, B_ST(A(1), of_f64(F(2)), uint64_t), H_i32_add_si)
	FZ(i32_add_ss, i32_add_ss, H_i32_add_ss, H_i32_add_ss)
	FZ(i32_add_si, copy, H_i32_add_si, B_COPY)
	/* products feeding sums and products */
#define H_f64_mul_ss B_FB(f64_of(S(2)), f64_of(S(3)), of_f64(a * b), 4)
#define H_f64_mul_sf B_FB(f64_of(S(2)), F(3), of_f64(a * b), 4)
#define H_f64_mul_fs B_FB(F(2), f64_of(S(3)), of_f64(a * b), 4)
#define FZ_FMUL(H, n, expr)                                                    \
	FZ(f64_mul_ss, f64_##n##_fs, H_f64_mul_ss, B_FB(F(2), f64_of(S(3)), expr, 4)) \
	FZ(f64_mul_ss, f64_##n##_sf, H_f64_mul_ss, B_FB(f64_of(S(2)), F(3), expr, 4)) \
	FZ(f64_mul_sf, f64_##n##_fs, H_f64_mul_sf, B_FB(F(2), f64_of(S(3)), expr, 4)) \
	FZ(f64_mul_sf, f64_##n##_sf, H_f64_mul_sf, B_FB(f64_of(S(2)), F(3), expr, 4)) \
	FZ(f64_mul_fs, f64_##n##_fs, H_f64_mul_fs, B_FB(F(2), f64_of(S(3)), expr, 4)) \
	FZ(f64_mul_fs, f64_##n##_sf, H_f64_mul_fs, B_FB(f64_of(S(2)), F(3), expr, 4))
#define FMULTAIL(X, H) X(H, add, of_f64(a + b)) X(H, sub, of_f64(a - b)) X(H, mul, of_f64(a * b))
	FMULTAIL(FZ_FMUL, _)

	/* ---- leaving ------------------------------------------------------------------- */
	/* A slice ran dry: the deadline, then the next slice (or the end of the
	 * budget), then the instruction that wanted `need` units again. */
refuel:
	if (LW_UNLIKELY(lw_deadline_due(in)))
		TRAP(LW_TRAP_DEADLINE);
	if (fuel + reserve < need)
		goto out_of_fuel;
	{
		int64_t take = need - fuel > LW_FUEL_SLICE ? need - fuel : LW_FUEL_SLICE;
		if (take > reserve)
			take = reserve;
		fuel += take;
		reserve -= take;
	}
	NEXT();
out_of_fuel:
	rg->ip = ip;
	rg->fp = fp;
	rg->fn = fn;
	rg->acc = acc;
	rg->acc2 = acc2;
	rg->fa = fa;
	lw_set_trap(in, LW_TRAP_OUT_OF_FUEL, NULL);
	kind = LW_TRAP_OUT_OF_FUEL;
	goto fill_stack;
trap:
	lw_set_trap(in, kind, NULL);
trap_keep_msg:
	in->trap.kind = kind;
fill_stack:
	SAVE_FUEL();
	SYNC_FRAMES();
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
