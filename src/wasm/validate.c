/* validate.c - module and function-body validation (WebAssembly 2.0, no SIMD).
 *
 * Bodies are type-checked with the algorithm of the spec's validation
 * appendix: an operand stack whose entries may be "unknown" (after
 * unreachable code, where the stack is polymorphic) and a stack of control
 * frames. Messages use the spec's wording ("type mismatch", "unknown local
 * 3", ...) with the offending index appended, so that the spec tests'
 * expected text is a prefix of ours.
 *
 * Instructions are read through the opcode table (opcodes.h): control,
 * parametric, variable and reference instructions have a function each;
 * every other one is checked from its row (immediates, then signature).
 */
#include "wasm/opcodes.h"
#include "wasm/reader.h"

#include <stdlib.h>
#include <string.h>

#define T_UNK 0 /* unknown type of the polymorphic stack */

typedef struct frame {
	uint8_t op;	 /* WASM_block, _loop, _if, _else; 0: the function */
	uint8_t bt_kind; /* 0 empty, 1 one value type, 2 type index */
	uint8_t bt_val;
	bool unreachable;
	uint32_t bt_idx;
	size_t height;
} frame;

typedef struct vctx {
	lw_rd r;
	lw_module *m;
	uint8_t *vals;
	size_t nvals, cap_vals;
	frame *ctrls;
	size_t nctrls, cap_ctrls;
	uint8_t *locals; /* params then declared locals */
	uint32_t nlocals;
	uint32_t ndatas; /* C.datas: the data count if present */
	uint8_t *tmp;	 /* scratch for br_table */
	size_t cap_tmp;
	lw_export **names; /* exports sorted by name */
	size_t at;	   /* offset for errors, (size_t)-1 if none */
} vctx;

/* Errors point at the instruction (or constant expression) being checked;
 * module-level errors have no single byte to point at (offset -1). */
#define FAIL(v, ...) lw_rd_fail(&(v)->r, (v)->at, __VA_ARGS__)

static void *grow(vctx *v, void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	void *q = realloc(p, nc * elem);
	if (!q) {
		v->r.kind = LW_ERR_NOMEM;
		FAIL(v, "out of memory");
	}
	*cap = nc;
	return q;
}

static bool is_num(uint8_t t)
{
	return t == LW_I32 || t == LW_I64 || t == LW_F32 || t == LW_F64 || t == T_UNK;
}

static bool is_ref(uint8_t t)
{
	return t == LW_FUNCREF || t == LW_EXTERNREF || t == T_UNK;
}

/* ---- operand and control stacks ---------------------------------------- */

static void push(vctx *v, uint8_t t)
{
	v->vals = grow(v, v->vals, &v->cap_vals, v->nvals + 1, 1);
	v->vals[v->nvals++] = t;
}

static uint8_t pop(vctx *v)
{
	frame *f = &v->ctrls[v->nctrls - 1];
	if (v->nvals == f->height) {
		if (f->unreachable)
			return T_UNK;
		FAIL(v, "type mismatch: operand stack empty");
	}
	return v->vals[--v->nvals];
}

static const char *tname(uint8_t t)
{
	switch (t) {
	case LW_I32:
		return "i32";
	case LW_I64:
		return "i64";
	case LW_F32:
		return "f32";
	case LW_F64:
		return "f64";
	case LW_FUNCREF:
		return "funcref";
	case LW_EXTERNREF:
		return "externref";
	}
	return "unknown";
}

/* Returns the popped type, T_UNK included (br_table pushes it back). */
static uint8_t pop_expect(vctx *v, uint8_t want)
{
	uint8_t t = pop(v);
	if (t != want && t != T_UNK && want != T_UNK)
		FAIL(v, "type mismatch: expected %s, got %s", tname(want), tname(t));
	return t;
}

/* A value type or reference type immediate, read as the decoder does. */
static uint8_t vtype(lw_rd *r)
{
	if (lw_peek(r) > LW_FUNCREF) /* a number type */
		return (uint8_t)(0x80 + lw_vs(r, 7));
	return lw_vs(r, 33) == -0x10 ? LW_FUNCREF : LW_EXTERNREF;
}

static void pop_vals(vctx *v, const uint8_t *ts, uint32_t n)
{
	for (uint32_t i = n; i-- > 0;)
		pop_expect(v, ts[i]);
}

static void push_vals(vctx *v, const uint8_t *ts, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		push(v, ts[i]);
}

static void start_types(vctx *v, const frame *f, const uint8_t **ts, uint32_t *n)
{
	if (f->bt_kind == 2 && f->op != 0) {
		lw_functype *ft = &v->m->types[f->bt_idx];
		*ts = ft->types;
		*n = ft->nparams;
	} else {
		*ts = NULL;
		*n = 0;
	}
}

static void end_types(vctx *v, const frame *f, const uint8_t **ts, uint32_t *n)
{
	if (f->bt_kind == 2) {
		lw_functype *ft = &v->m->types[f->bt_idx];
		*ts = ft->types + ft->nparams;
		*n = ft->nresults;
	} else if (f->bt_kind == 1) {
		*ts = &f->bt_val;
		*n = 1;
	} else {
		*ts = NULL;
		*n = 0;
	}
}

static void label_types(vctx *v, const frame *f, const uint8_t **ts, uint32_t *n)
{
	if (f->op == WASM_loop)
		start_types(v, f, ts, n);
	else
		end_types(v, f, ts, n);
}

static void push_ctrl(vctx *v, uint8_t op, uint8_t kind, uint8_t val, uint32_t idx)
{
	v->ctrls = grow(v, v->ctrls, &v->cap_ctrls, v->nctrls + 1, sizeof(frame));
	frame *f = &v->ctrls[v->nctrls++];
	f->op = op;
	f->bt_kind = kind;
	f->bt_val = val;
	f->bt_idx = idx;
	f->height = v->nvals;
	f->unreachable = false;
	const uint8_t *ts;
	uint32_t n;
	start_types(v, f, &ts, &n);
	push_vals(v, ts, n);
}

static frame pop_ctrl(vctx *v)
{
	frame f = v->ctrls[v->nctrls - 1];
	const uint8_t *ts;
	uint32_t n;
	end_types(v, &f, &ts, &n);
	pop_vals(v, ts, n);
	if (v->nvals != f.height)
		FAIL(v, "type mismatch: values remaining on the stack at end of block");
	v->nctrls--;
	return f;
}

static void set_unreachable(vctx *v)
{
	frame *f = &v->ctrls[v->nctrls - 1];
	v->nvals = f->height;
	f->unreachable = true;
}

/* ---- immediates ----------------------------------------------------------- */

static frame *label(vctx *v, uint32_t depth)
{
	if (depth >= v->nctrls)
		FAIL(v, "unknown label %u", depth);
	return &v->ctrls[v->nctrls - 1 - depth];
}

static void check_mem(vctx *v, uint32_t idx)
{
	if (idx >= v->m->nmems)
		FAIL(v, "unknown memory %u", idx);
}

static lw_table *table(vctx *v, uint32_t idx)
{
	if (idx >= v->m->ntables)
		FAIL(v, "unknown table %u", idx);
	return &v->m->tables[idx];
}

static lw_functype *type_at(vctx *v, int64_t idx)
{
	if (idx < 0 || idx >= v->m->ntypes)
		FAIL(v, "unknown type %lld", (long long)idx);
	return &v->m->types[idx];
}

static lw_functype *func_type(vctx *v, uint32_t idx)
{
	if (idx >= v->m->nfuncs)
		FAIL(v, "unknown function %u", idx);
	return &v->m->types[v->m->funcs[idx].type_idx];
}

static void memarg(vctx *v, unsigned natural_log2)
{
	uint32_t align = lw_u32(&v->r);
	lw_u32(&v->r); /* offset */
	check_mem(v, 0);
	if (align > natural_log2)
		FAIL(v, "alignment must not be larger than natural");
}

static void block_type(vctx *v, uint8_t op)
{
	int p = lw_peek(&v->r);
	if (p == LW_BLOCKTYPE_EMPTY) {
		v->r.pos++;
		push_ctrl(v, op, 0, 0, 0);
	} else if (p >= 0 && (p & 0xc0) == 0x40) { /* one byte, negative */
		v->r.pos++;
		push_ctrl(v, op, 1, (uint8_t)p, 0);
	} else {
		int64_t idx = lw_vs(&v->r, 33);
		type_at(v, idx);
		/* params are popped by the caller before pushing the frame */
		lw_functype *ft = &v->m->types[idx];
		pop_vals(v, ft->types, ft->nparams);
		push_ctrl(v, op, 2, 0, (uint32_t)idx);
	}
}

/* ---- numeric, memory and table instructions: fixed signatures ------------- */

/* A letter of an opcode's signature (opcodes.h) as a value type; `t` is the
 * element type of the table named by the immediates. */
static uint8_t sig_type(char c, uint8_t t)
{
	switch (c) {
	case 'i':
		return LW_I32;
	case 'I':
		return LW_I64;
	case 'f':
		return LW_F32;
	case 'F':
		return LW_F64;
	case 'r':
		return LW_FUNCREF;
	}
	return t;
}

/* Pops the operands and pushes the results of signature `sig`. */
static void effect(vctx *v, const char *sig, uint8_t t)
{
	const char *colon = strchr(sig, ':');
	for (const char *p = colon; p-- > sig;)
		pop_expect(v, sig_type(*p, t));
	for (const char *p = colon + 1; *p; p++)
		push(v, sig_type(*p, t));
}

static void check_data(vctx *v, uint32_t x)
{
	if (x >= v->ndatas)
		FAIL(v, "unknown data segment %u", x);
}

static void check_elem(vctx *v, uint32_t x)
{
	if (x >= v->m->nelems)
		FAIL(v, "unknown elem segment %u", x);
}

/* Reads and checks the immediates of the memory and table instructions (and
 * skips those of constants). Returns the element type of the table named,
 * for the 't' of the signature. */
static uint8_t immediates(vctx *v, const lw_wasm_op *o)
{
	lw_rd *r = &v->r;
	switch (o->imm) {
	case LW_IM_MEM1:
	case LW_IM_MEM2:
	case LW_IM_MEM4:
	case LW_IM_MEM8:
		memarg(v, o->imm - LW_IM_MEM1);
		break;
	case LW_IM_MEMIDX2:
		check_mem(v, lw_u8(r));
		/* fall through */
	case LW_IM_MEMIDX:
		check_mem(v, lw_u8(r));
		break;
	case LW_IM_DATA_MEM: {
		uint32_t x = lw_u32(r);
		check_mem(v, lw_u8(r));
		check_data(v, x);
		break;
	}
	case LW_IM_DATA:
		check_data(v, lw_u32(r));
		break;
	case LW_IM_ELEM:
		check_elem(v, lw_u32(r));
		break;
	case LW_IM_TABLE:
		return table(v, lw_u32(r))->type.elem;
	case LW_IM_TABLE2: {
		lw_table *d = table(v, lw_u32(r));
		lw_table *s = table(v, lw_u32(r));
		if (d->type.elem != s->type.elem)
			FAIL(v, "type mismatch: table types differ");
		break;
	}
	case LW_IM_ELEM_TABLE: {
		uint32_t e = lw_u32(r);
		lw_table *t = table(v, lw_u32(r));
		check_elem(v, e);
		if (v->m->elems[e].type != t->type.elem)
			FAIL(v, "type mismatch: element segment and table types differ");
		break;
	}
	case LW_IM_I32:
		lw_vs(r, 32);
		break;
	case LW_IM_I64:
		lw_vs(r, 64);
		break;
	case LW_IM_F32:
		r->pos += 4;
		break;
	case LW_IM_F64:
		r->pos += 8;
		break;
	}
	return T_UNK;
}

/* ---- control instructions -------------------------------------------------- */

static void call(vctx *v, const lw_functype *ft)
{
	pop_vals(v, ft->types, ft->nparams);
	push_vals(v, ft->types + ft->nparams, ft->nresults);
}

static void call_indirect(vctx *v)
{
	uint32_t ti = lw_u32(&v->r);
	lw_table *t = table(v, lw_u32(&v->r));
	lw_functype *ft = type_at(v, ti);
	if (t->type.elem != LW_FUNCREF)
		FAIL(v, "type mismatch: call_indirect on a table of externref");
	pop_expect(v, LW_I32);
	call(v, ft);
}

/* `end`: returns false after the function's own. */
static bool end_block(vctx *v)
{
	const uint8_t *ts;
	uint32_t n;
	frame f = pop_ctrl(v);
	if (f.op == WASM_if) {
		/* an if without else passes its params through */
		const uint8_t *ps, *rs;
		uint32_t np, nr;
		start_types(v, &f, &ps, &np);
		end_types(v, &f, &rs, &nr);
		if (np != nr || (np && memcmp(ps, rs, np)))
			FAIL(v, "type mismatch: if without else must have matching param and "
				"result types");
	}
	end_types(v, &f, &ts, &n);
	push_vals(v, ts, n);
	return v->nctrls != 0;
}

static void br_table(vctx *v)
{
	lw_rd *r = &v->r;
	const uint8_t *ts;
	uint32_t n;
	uint32_t cnt = lw_u32(r);
	size_t targets = r->pos;
	for (uint32_t i = 0; i < cnt; i++)
		lw_u32(r);
	frame *def = label(v, lw_u32(r));
	size_t after = r->pos;
	pop_expect(v, LW_I32);
	uint32_t arity;
	label_types(v, def, &ts, &arity);
	r->pos = targets;
	for (uint32_t i = 0; i < cnt; i++) {
		frame *f = label(v, lw_u32(r));
		const uint8_t *lts;
		uint32_t ln;
		label_types(v, f, &lts, &ln);
		if (ln != arity)
			FAIL(v, "type mismatch: br_table targets differ in arity");
		/* pop then push back what was popped (unknown stays unknown),
		 * as the spec's algorithm does */
		v->tmp = grow(v, v->tmp, &v->cap_tmp, ln, 1);
		for (uint32_t k = ln; k-- > 0;)
			v->tmp[k] = pop_expect(v, lts[k]);
		push_vals(v, v->tmp, ln);
	}
	r->pos = after;
	label_types(v, def, &ts, &n);
	pop_vals(v, ts, n);
	set_unreachable(v);
}

/* Returns false after the function's final `end`. */
static bool control(vctx *v, uint8_t op)
{
	lw_rd *r = &v->r;
	const uint8_t *ts;
	uint32_t n;
	switch (op) {
	case WASM_unreachable:
		set_unreachable(v);
		break;
	case WASM_nop:
		break;
	case WASM_if:
		pop_expect(v, LW_I32);
		/* fall through */
	case WASM_block:
	case WASM_loop:
		block_type(v, op);
		break;
	case WASM_else: {
		frame f = pop_ctrl(v);
		if (f.op != WASM_if)
			FAIL(v, "else without if");
		push_ctrl(v, WASM_else, f.bt_kind, f.bt_val, f.bt_idx);
		break;
	}
	case WASM_end:
		return end_block(v);
	case WASM_br: {
		frame *f = label(v, lw_u32(r));
		label_types(v, f, &ts, &n);
		pop_vals(v, ts, n);
		set_unreachable(v);
		break;
	}
	case WASM_br_if: {
		frame *f = label(v, lw_u32(r));
		pop_expect(v, LW_I32);
		label_types(v, f, &ts, &n);
		pop_vals(v, ts, n);
		push_vals(v, ts, n);
		break;
	}
	case WASM_br_table:
		br_table(v);
		break;
	case WASM_return:
		end_types(v, &v->ctrls[0], &ts, &n);
		pop_vals(v, ts, n);
		set_unreachable(v);
		break;
	case WASM_call:
		call(v, func_type(v, lw_u32(r)));
		break;
	case WASM_call_indirect:
		call_indirect(v);
		break;
	}
	return true;
}

/* ---- parametric, variable and reference instructions ------------------------ */

static void parametric(vctx *v, uint8_t op)
{
	if (op == WASM_drop) {
		pop(v);
	} else if (op == WASM_select) {
		pop_expect(v, LW_I32);
		uint8_t t1 = pop(v), t2 = pop(v);
		if (!is_num(t1) || !is_num(t2))
			FAIL(v, "type mismatch: select without type needs numeric operands");
		if (t1 != t2 && t1 != T_UNK && t2 != T_UNK)
			FAIL(v, "type mismatch: select operands differ");
		push(v, t1 == T_UNK ? t2 : t1);
	} else { /* select t */
		uint32_t cnt = lw_u32(&v->r);
		if (cnt != 1)
			FAIL(v, "invalid result arity");
		uint8_t t = vtype(&v->r);
		pop_expect(v, LW_I32);
		pop_expect(v, t);
		pop_expect(v, t);
		push(v, t);
	}
}

static void variable(vctx *v, uint8_t op)
{
	uint32_t x = lw_u32(&v->r);
	if (op == WASM_global_get || op == WASM_global_set) {
		if (x >= v->m->nglobals)
			FAIL(v, "unknown global %u", x);
		lw_global *g = &v->m->globals[x];
		if (op == WASM_global_get) {
			push(v, g->type.type);
		} else {
			if (!g->type.mut)
				FAIL(v, "global is immutable");
			pop_expect(v, g->type.type);
		}
		return;
	}
	if (x >= v->nlocals)
		FAIL(v, "unknown local %u", x);
	uint8_t t = v->locals[x];
	if (op == WASM_local_get) {
		push(v, t);
	} else {
		pop_expect(v, t);
		if (op == WASM_local_tee)
			push(v, t);
	}
}

static void reference(vctx *v, uint8_t op)
{
	if (op == WASM_ref_null) {
		push(v, vtype(&v->r));
	} else if (op == WASM_ref_is_null) {
		uint8_t t = pop(v);
		if (!is_ref(t))
			FAIL(v, "type mismatch: ref.is_null needs a reference");
		push(v, LW_I32);
	} else { /* ref.func */
		uint32_t x = lw_u32(&v->r);
		func_type(v, x);
		if (!v->m->func_declared[x])
			FAIL(v, "undeclared function reference");
		push(v, LW_FUNCREF);
	}
}

/* Validates one instruction; returns false after the function's final end. */
static bool instr(vctx *v)
{
	lw_rd *r = &v->r;
	v->at = r->pos;
	uint8_t op = lw_u8(r);
	const lw_wasm_op *o = &lw_wasm_ops[op];
	if (op == WASM_prefix_fc) {
		uint32_t sub = lw_u32(r);
		o = lw_wasm_fc(sub);
		if (!o)
			FAIL(v, "illegal opcode fc %02x", sub);
	}
	switch (o->cls) {
	case LW_WC_ILLEGAL:
		FAIL(v, "illegal opcode %02x", op);
	case LW_WC_CONTROL:
		return control(v, op);
	case LW_WC_PARAMETRIC:
		parametric(v, op);
		break;
	case LW_WC_VARIABLE:
		variable(v, op);
		break;
	case LW_WC_REFERENCE:
		reference(v, op);
		break;
	default: /* numeric, memory, table: a fixed signature */
		effect(v, o->sig, immediates(v, o));
	}
	return true;
}

static void validate_func(vctx *v, uint32_t idx)
{
	lw_module *m = v->m;
	lw_func *f = &m->funcs[idx];
	lw_functype *ft = &m->types[f->type_idx];
	v->r.func = idx;
	v->r.section = 10;
	v->r.pos = f->body_off;
	v->nlocals = ft->nparams + f->nlocals;
	uint8_t *loc = realloc(v->locals, v->nlocals ? v->nlocals : 1);
	if (!loc) {
		v->r.kind = LW_ERR_NOMEM;
		FAIL(v, "out of memory");
	}
	v->locals = loc;
	memcpy(loc, ft->types, ft->nparams);
	memcpy(loc + ft->nparams, f->local_types, f->nlocals);
	v->nvals = 0;
	v->nctrls = 0;
	push_ctrl(v, 0, 2, 0, f->type_idx);
	while (instr(v))
		;
}

/* ---- module level --------------------------------------------------------- */

/* Type-checks a constant expression producing `want`. Only the first
 * `nglobals` globals may be named: in WebAssembly 2.0 constant expressions
 * see imported globals only. */
static void const_expr(vctx *v, lw_constexpr c, uint8_t want, uint32_t nglobals)
{
	lw_rd *r = &v->r;
	lw_module *m = v->m;
	r->pos = c.off;
	v->at = c.off;
	uint8_t stack[8];
	size_t n = 0, end = (size_t)c.off + c.len;
	while (r->pos < end) {
		uint8_t op = lw_u8(r), t;
		switch (op) {
		case WASM_i32_const:
			lw_vs(r, 32);
			t = LW_I32;
			break;
		case WASM_i64_const:
			lw_vs(r, 64);
			t = LW_I64;
			break;
		case WASM_f32_const:
			r->pos += 4;
			t = LW_F32;
			break;
		case WASM_f64_const:
			r->pos += 8;
			t = LW_F64;
			break;
		case WASM_ref_null:
			t = vtype(r);
			break;
		case WASM_ref_func: {
			uint32_t x = lw_u32(r);
			if (x >= m->nfuncs)
				FAIL(v, "unknown function %u", x);
			t = LW_FUNCREF;
			break;
		}
		case WASM_global_get: {
			uint32_t x = lw_u32(r);
			if (x >= nglobals)
				FAIL(v, "unknown global %u", x);
			if (m->globals[x].type.mut)
				FAIL(v, "constant expression required");
			t = m->globals[x].type.type;
			break;
		}
		default:
			FAIL(v, "constant expression required");
		}
		if (n == sizeof stack)
			FAIL(v, "type mismatch");
		stack[n++] = t;
	}
	if (n != 1 || stack[0] != want)
		FAIL(v, "type mismatch: constant expression must produce one %s", tname(want));
	v->at = (size_t)-1;
}

static void check_limits(vctx *v, lw_lim l, uint64_t bound, const char *what)
{
	if (l.min > bound || (l.has_max && l.max > bound)) {
		if (bound == LW_MAX_PAGES)
			FAIL(v, "memory size must be at most 65536 pages (4GiB)");
		FAIL(v, "%s size must be at most %llu", what, (unsigned long long)bound);
	}
	if (l.has_max && l.min > l.max)
		FAIL(v, "size minimum must not be greater than maximum");
}

/* C.refs: functions named outside function bodies (ref.func in constant
 * expressions, element segments, exports). */
static void collect_refs(vctx *v)
{
	lw_module *m = v->m;
	lw_rd *r = &v->r;
	m->func_declared = calloc(m->nfuncs ? m->nfuncs : 1, 1);
	if (!m->func_declared) {
		r->kind = LW_ERR_NOMEM;
		FAIL(v, "out of memory");
	}
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == LW_EXT_FUNC && m->exports[i].index < m->nfuncs)
			m->func_declared[m->exports[i].index] = 1;
	for (uint32_t i = 0; i < m->nelems; i++) {
		lw_elem *e = &m->elems[i];
		for (uint32_t k = 0; k < e->count; k++) {
			if (e->func_idx) {
				if (e->func_idx[k] < m->nfuncs)
					m->func_declared[e->func_idx[k]] = 1;
				continue;
			}
			r->pos = e->exprs[k].off;
			if (lw_u8(r) == WASM_ref_func) {
				uint32_t x = lw_u32(r);
				if (x < m->nfuncs)
					m->func_declared[x] = 1;
			}
		}
	}
	for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
		r->pos = m->globals[i].init.off;
		if (lw_u8(r) == WASM_ref_func) {
			uint32_t x = lw_u32(r);
			if (x < m->nfuncs)
				m->func_declared[x] = 1;
		}
	}
}

static int cmp_export_name(const void *a, const void *b)
{
	const lw_export *x = *(const lw_export *const *)a;
	const lw_export *y = *(const lw_export *const *)b;
	uint32_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static void validate_module(vctx *v)
{
	lw_module *m = v->m;
	lw_rd *r = &v->r;
	r->pos = 0;
	v->at = (size_t)-1;

	r->section = 2;
	for (uint32_t i = 0; i < m->nimports; i++) {
		lw_import *im = &m->imports[i];
		if (im->kind == LW_EXT_FUNC && im->d.type_idx >= m->ntypes)
			FAIL(v, "unknown type %u", im->d.type_idx);
		if (im->kind == LW_EXT_TABLE)
			check_limits(v, im->d.table.lim, UINT32_MAX, "table");
		if (im->kind == LW_EXT_MEMORY)
			check_limits(v, im->d.mem, LW_MAX_PAGES, "memory");
	}
	r->section = 3;
	for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
		if (m->funcs[i].type_idx >= m->ntypes)
			FAIL(v, "unknown type %u", m->funcs[i].type_idx);
	r->section = 4;
	for (uint32_t i = m->ntable_imports; i < m->ntables; i++)
		check_limits(v, m->tables[i].type.lim, UINT32_MAX, "table");
	r->section = 5;
	for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
		check_limits(v, m->mems[i].lim, LW_MAX_PAGES, "memory");
	if (m->nmems > 1)
		FAIL(v, "multiple memories");

	collect_refs(v);

	r->section = 6;
	for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
		const_expr(v, m->globals[i].init, m->globals[i].type.type, m->nglobal_imports);
	r->section = 9;
	for (uint32_t i = 0; i < m->nelems; i++) {
		lw_elem *e = &m->elems[i];
		if (e->mode == LW_SEG_ACTIVE) {
			if (e->table_idx >= m->ntables)
				FAIL(v, "unknown table %u", e->table_idx);
			const_expr(v, e->offset, LW_I32, m->nglobal_imports);
			if (m->tables[e->table_idx].type.elem != e->type)
				FAIL(v, "type mismatch: element segment and table types differ");
		}
		for (uint32_t k = 0; k < e->count; k++) {
			if (e->func_idx) {
				if (e->func_idx[k] >= m->nfuncs)
					FAIL(v, "unknown function %u", e->func_idx[k]);
			} else {
				const_expr(v, e->exprs[k], e->type, m->nglobal_imports);
			}
		}
	}
	r->section = 11;
	for (uint32_t i = 0; i < m->ndatas; i++) {
		lw_data *d = &m->datas[i];
		if (d->mode != LW_SEG_ACTIVE)
			continue;
		check_mem(v, d->mem_idx);
		const_expr(v, d->offset, LW_I32, m->nglobal_imports);
	}
	r->section = 8;
	if (m->has_start) {
		lw_functype *ft = func_type(v, m->start);
		if (ft->nparams || ft->nresults)
			FAIL(v, "start function must have type [] -> []");
	}
	r->section = 7;
	for (uint32_t i = 0; i < m->nexports; i++) {
		lw_export *e = &m->exports[i];
		uint32_t lim = e->kind == LW_EXT_FUNC	  ? m->nfuncs
			       : e->kind == LW_EXT_TABLE  ? m->ntables
			       : e->kind == LW_EXT_MEMORY ? m->nmems
							  : m->nglobals;
		static const char *what[] = {"function", "table", "memory", "global"};
		if (e->index >= lim)
			FAIL(v, "unknown %s %u", what[e->kind], e->index);
	}
	/* unique names: sort, then compare neighbours */
	if (m->nexports > 1) {
		v->names = malloc(m->nexports * sizeof(lw_export *));
		if (!v->names) {
			r->kind = LW_ERR_NOMEM;
			FAIL(v, "out of memory");
		}
		for (uint32_t i = 0; i < m->nexports; i++)
			v->names[i] = &m->exports[i];
		qsort(v->names, m->nexports, sizeof(lw_export *), cmp_export_name);
		for (uint32_t i = 1; i < m->nexports; i++)
			if (!cmp_export_name(&v->names[i - 1], &v->names[i]))
				FAIL(v, "duplicate export name \"%s\"", v->names[i]->name);
	}
	r->section = 10;
	for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++)
		validate_func(v, i);
}

int lw_validate(lw_module *m, lw_error *err)
{
	/* on the heap: see lw_decode */
	vctx *v = calloc(1, sizeof *v);
	if (!v) {
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return -1;
	}
	v->m = m;
	v->r.b = m->bytes;
	v->r.len = m->len;
	v->r.err = err;
	v->r.section = -1;
	v->r.func = -1;
	v->r.kind = LW_ERR_INVALID;
	v->ndatas = m->has_datacount ? m->datacount : m->ndatas;
	v->at = (size_t)-1;
	int rc;
	if (setjmp(v->r.jb)) {
		rc = -1;
	} else {
		validate_module(v);
		rc = 0;
	}
	free(v->vals);
	free(v->ctrls);
	free(v->locals);
	free(v->tmp);
	free(v->names);
	free(v);
	return rc;
}
