/* decode.c - binary format decoder: bytes -> struct lw_module.
 *
 * Follows the structure of the spec's reference decoder so that malformed
 * modules are rejected with the same message the spec tests expect. Every
 * function body and constant expression is scanned here (opcodes and
 * immediates, block nesting), because a malformed instruction anywhere must
 * win over a validation error: all decoding happens before validation.
 * Types of instructions are checked later by validate.c.
 */
#include "wasm/opcodes.h"
#include "wasm/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Implementation limit on the declared locals of one function. */
#define LW_MAX_LOCALS 50000u

void lw_error_set(lw_error *err, lw_error_kind kind, int section, int64_t func, int64_t off,
		  const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	err->kind = kind;
	err->section = section;
	err->func_index = func;
	err->offset = off;
}

_Noreturn void lw_rd_fail(lw_rd *r, size_t at, const char *fmt, ...)
{
	if (r->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
		va_end(ap);
		r->err->kind = r->kind;
		r->err->section = r->section;
		r->err->func_index = r->func;
		r->err->offset = (int64_t)at;
	}
	longjmp(r->jb, 1);
}

/* Allocation failure unwinds like any other error. */
static void *xcalloc(lw_rd *r, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		r->kind = LW_ERR_NOMEM;
		lw_rd_fail(r, r->pos, "out of memory");
	}
	return p;
}

/* ---- generic values ------------------------------------------------- */

/* A length or count: must not exceed the bytes left (the spec's len32). */
static uint32_t len32(lw_rd *r)
{
	size_t at = r->pos;
	uint32_t n = lw_u32(r);
	if (n > r->len - r->pos)
		lw_rd_fail(r, at, "length out of bounds");
	return n;
}

/* A vector count. Unlike lengths it is not checked against the bytes left
 * (the spec tests expect "unexpected end" when elements run out), but every
 * element takes at least one byte, so at most `left` can ever be decoded:
 * *alloc is how many entries to allocate. */
static uint32_t vec_count(lw_rd *r, uint32_t *alloc)
{
	uint32_t n = lw_u32(r);
	size_t left = r->len - r->pos;
	*alloc = n < left ? n : (uint32_t)left;
	return n;
}

/* Fails like the reference decoder would when element i of a vector whose
 * count exceeded the bytes left is reached (it cannot be). */
static inline void vec_check(lw_rd *r, uint32_t i, uint32_t alloc)
{
	if (i >= alloc)
		lw_rd_fail(r, r->len, LW_EOS);
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp;
		int extra;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1f, extra = 1;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0f, extra = 2;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07, extra = 3;
		} else {
			return false;
		}
		if (i + extra >= n)
			return false;
		for (int k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += extra + 1;
	}
	return true;
}

static char *name(lw_rd *r, uint32_t *len)
{
	size_t at = r->pos;
	uint32_t n = len32(r);
	if (len)
		*len = n;
	const uint8_t *s = r->b + r->pos;
	r->pos += n;
	if (!utf8_valid(s, n))
		lw_rd_fail(r, at, "malformed UTF-8 encoding");
	char *out = xcalloc(r, n + 1, 1);
	memcpy(out, s, n);
	return out;
}

/* ---- types ------------------------------------------------------------ */

static uint8_t ref_type(lw_rd *r)
{
	size_t at = r->pos;
	int64_t v = lw_vs(r, 33);
	if (v == -0x10)
		return LW_FUNCREF;
	if (v == -0x11)
		return LW_EXTERNREF;
	lw_rd_fail(r, at, "malformed reference type");
}

static uint8_t value_type(lw_rd *r)
{
	int p = lw_peek(r);
	if (p > LW_FUNCREF) { /* a number type */
		size_t at = r->pos;
		int64_t v = lw_vs(r, 7);
		if (v >= -4 && v <= -1)
			return (uint8_t)(0x80 + v);
		lw_rd_fail(r, at, "malformed value type");
	}
	return ref_type(r);
}

static lw_lim limits(lw_rd *r)
{
	lw_lim l;
	l.has_max = lw_vu(r, 1);
	l.min = lw_u32(r);
	l.max = l.has_max ? lw_u32(r) : LW_NO_MAX;
	return l;
}

static lw_globaltype global_type(lw_rd *r)
{
	lw_globaltype g;
	g.type = value_type(r);
	size_t at = r->pos;
	uint8_t m = lw_u8(r);
	if (m > 1)
		lw_rd_fail(r, at, "malformed mutability");
	g.mut = m;
	return g;
}

static void func_type(lw_rd *r, lw_functype *t)
{
	size_t at = r->pos;
	if (lw_vs(r, 7) != -0x20)
		lw_rd_fail(r, at, "malformed function type");
	uint32_t npa, nra;
	uint32_t np = vec_count(r, &npa);
	uint8_t *p = xcalloc(r, npa, 1);
	t->types = p;
	for (uint32_t i = 0; i < np; i++) {
		vec_check(r, i, npa);
		p[i] = value_type(r);
	}
	t->nparams = np;
	uint32_t nr = vec_count(r, &nra);
	uint8_t *all = xcalloc(r, (size_t)np + nra, 1);
	memcpy(all, p, np);
	t->types = all;
	free(p);
	for (uint32_t i = 0; i < nr; i++) {
		vec_check(r, i, nra);
		all[np + i] = value_type(r);
	}
	t->nresults = nr;
	/* signature string: "(ii)i" */
	char *sig = xcalloc(r, (size_t)np + nr + 3, 1);
	size_t k = 0;
	sig[k++] = '(';
	for (uint32_t i = 0; i < np + nr; i++) {
		if (i == np)
			sig[k++] = ')';
		char c = '?';
		switch (all[i]) {
		case LW_I32:
			c = 'i';
			break;
		case LW_I64:
			c = 'I';
			break;
		case LW_F32:
			c = 'f';
			break;
		case LW_F64:
			c = 'F';
			break;
		case LW_FUNCREF:
			c = 'r';
			break;
		case LW_EXTERNREF:
			c = 'x';
			break;
		}
		sig[k++] = c;
	}
	if (nr == 0)
		sig[k++] = ')';
	sig[k] = 0;
	t->sig = sig;
}

/* ---- instructions ------------------------------------------------------- */

typedef struct dec {
	lw_rd r;
	lw_module *m;
	bool uses_data;	 /* memory.init / data.drop seen in a body */
	uint8_t *blocks; /* block kinds of the scan */
	size_t blocks_cap;
	/* code entries, matched with the function section at the end */
	uint32_t ncode;
	lw_func *code;
	uint32_t nfunc_decl;
	uint32_t *func_decl;
	size_t names_at, names_end; /* the name section's payload, if any */
	bool has_data_section;
} dec;

enum { BK_BLOCK, BK_IF, BK_ELSE };

static void zero_byte(lw_rd *r)
{
	size_t at = r->pos;
	if (lw_u8(r) != 0)
		lw_rd_fail(r, at, "zero byte expected");
}

static void block_type(lw_rd *r)
{
	int p = lw_peek(r);
	if (p == LW_BLOCKTYPE_EMPTY) {
		r->pos++;
	} else if (p >= 0 && (p & 0xc0) == 0x40) { /* one byte, negative */
		value_type(r);
	} else {
		lw_vs(r, 33);
	}
}

static void skip_bytes(lw_rd *r, size_t n)
{
	if (r->len - r->pos < n)
		lw_rd_fail(r, r->len, LW_EOS);
	r->pos += n;
}

/* Reads (and drops) the immediates of kind `imm` (opcodes.h). */
static void immediates(dec *d, uint8_t imm)
{
	lw_rd *r = &d->r;
	switch (imm) {
	case LW_IM_NONE:
		break;
	case LW_IM_BLOCK:
		block_type(r);
		break;
	case LW_IM_DATA_MEM:
		d->uses_data = true;
		lw_u32(r);
		zero_byte(r);
		break;
	case LW_IM_DATA:
		d->uses_data = true;
		lw_u32(r);
		break;
	case LW_IM_LABEL:
	case LW_IM_FUNC:
	case LW_IM_LOCAL:
	case LW_IM_GLOBAL:
	case LW_IM_TABLE:
	case LW_IM_ELEM:
		lw_u32(r);
		break;
	case LW_IM_LABELS: {
		uint32_t n = lw_u32(r);
		for (uint32_t i = 0; i <= n; i++)
			lw_u32(r);
		break;
	}
	case LW_IM_TYPE_TABLE:
	case LW_IM_TABLE2:
	case LW_IM_ELEM_TABLE:
	case LW_IM_MEM1:
	case LW_IM_MEM2:
	case LW_IM_MEM4:
	case LW_IM_MEM8:
		lw_u32(r);
		lw_u32(r);
		break;
	case LW_IM_VALTYPES: {
		uint32_t n = lw_u32(r);
		for (uint32_t i = 0; i < n; i++)
			value_type(r);
		break;
	}
	case LW_IM_MEMIDX2:
		zero_byte(r);
		/* fall through */
	case LW_IM_MEMIDX:
		zero_byte(r);
		break;
	case LW_IM_I32:
		lw_vs(r, 32);
		break;
	case LW_IM_I64:
		lw_vs(r, 64);
		break;
	case LW_IM_F32:
		skip_bytes(r, 4);
		break;
	case LW_IM_F64:
		skip_bytes(r, 8);
		break;
	case LW_IM_REFTYPE:
		ref_type(r);
		break;
	}
}

/* Scans instructions up to and including the `end` that closes the
 * expression; returns the offset of that `end`. Only the block structure is
 * checked here; the opcode table says which immediates follow. */
static size_t scan_expr(dec *d)
{
	lw_rd *r = &d->r;
	size_t depth = 0;
	d->blocks[0] = BK_BLOCK;
	for (;;) {
		size_t at = r->pos;
		uint8_t op = lw_u8(r);
		const lw_wasm_op *o = &lw_wasm_ops[op];
		if (op == WASM_prefix_fc) {
			uint32_t sub = lw_u32(r);
			o = lw_wasm_fc(sub);
			if (!o)
				lw_rd_fail(r, at, "illegal opcode fc %02x", sub);
		} else if (o->cls == LW_WC_ILLEGAL) {
			lw_rd_fail(r, at, "illegal opcode %02x", op);
		}
		immediates(d, o->imm);
		switch (op) {
		case WASM_block:
		case WASM_loop:
		case WASM_if:
			if (++depth >= d->blocks_cap) {
				size_t nc = d->blocks_cap * 2;
				uint8_t *nb = realloc(d->blocks, nc);
				if (!nb) {
					r->kind = LW_ERR_NOMEM;
					lw_rd_fail(r, at, "out of memory");
				}
				d->blocks = nb;
				d->blocks_cap = nc;
			}
			d->blocks[depth] = op == WASM_if ? BK_IF : BK_BLOCK;
			break;
		case WASM_else:
			if (d->blocks[depth] != BK_IF)
				lw_rd_fail(r, at, "END opcode expected");
			d->blocks[depth] = BK_ELSE;
			break;
		case WASM_end:
			if (depth == 0)
				return at;
			depth--;
			break;
		}
	}
}

static lw_constexpr const_expr(dec *d)
{
	lw_constexpr c;
	c.off = (uint32_t)d->r.pos;
	size_t end = scan_expr(d);
	c.len = (uint32_t)(end - c.off);
	return c;
}

/* ---- sections ------------------------------------------------------------ */

static void type_section(dec *d)
{
	lw_rd *r = &d->r;
	uint32_t na, n = vec_count(r, &na);
	d->m->types = xcalloc(r, na, sizeof(lw_functype));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		d->m->ntypes = i + 1;
		func_type(r, &d->m->types[i]);
	}
}

static void import_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->imports = xcalloc(r, na, sizeof(lw_import));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		lw_import *im = &m->imports[i];
		m->nimports = i + 1;
		im->module = name(r, NULL);
		im->name = name(r, NULL);
		size_t at = r->pos;
		im->kind = lw_u8(r);
		switch (im->kind) {
		case LW_EXT_FUNC:
			im->d.type_idx = lw_u32(r);
			m->nfunc_imports++;
			break;
		case LW_EXT_TABLE:
			im->d.table.elem = ref_type(r);
			im->d.table.lim = limits(r);
			m->ntable_imports++;
			break;
		case LW_EXT_MEMORY:
			im->d.mem = limits(r);
			m->nmem_imports++;
			break;
		case LW_EXT_GLOBAL:
			im->d.global = global_type(r);
			m->nglobal_imports++;
			break;
		default:
			lw_rd_fail(r, at, "malformed import kind");
		}
	}
}

static void func_section(dec *d)
{
	lw_rd *r = &d->r;
	uint32_t na, n = vec_count(r, &na);
	d->func_decl = xcalloc(r, na, sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		d->func_decl[i] = lw_u32(r);
	}
	d->nfunc_decl = n;
}

static void table_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->tables = xcalloc(r, (size_t)m->ntable_imports + na, sizeof(lw_table));
	m->ntables = m->ntable_imports;
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		lw_table *t = &m->tables[m->ntables];
		t->type.elem = ref_type(r);
		t->type.lim = limits(r);
		m->ntables++;
	}
}

static void memory_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->mems = xcalloc(r, (size_t)m->nmem_imports + na, sizeof(lw_memory));
	m->nmems = m->nmem_imports;
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		m->mems[m->nmems++].lim = limits(r);
	}
}

static void global_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->globals = xcalloc(r, (size_t)m->nglobal_imports + na, sizeof(lw_global));
	m->nglobals = m->nglobal_imports;
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		lw_global *g = &m->globals[m->nglobals];
		g->type = global_type(r);
		g->init = const_expr(d);
		m->nglobals++;
	}
}

static void export_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->exports = xcalloc(r, na, sizeof(lw_export));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		lw_export *e = &m->exports[i];
		m->nexports = i + 1;
		e->name = name(r, &e->name_len);
		size_t at = r->pos;
		e->kind = lw_u8(r);
		if (e->kind > 3)
			lw_rd_fail(r, at, "malformed export kind");
		e->index = lw_u32(r);
	}
}

static uint8_t elem_kind(lw_rd *r)
{
	size_t at = r->pos;
	if (lw_u8(r) != 0)
		lw_rd_fail(r, at, "malformed element kind");
	return LW_FUNCREF;
}

static void elem_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->elems = xcalloc(r, na, sizeof(lw_elem));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		lw_elem *e = &m->elems[i];
		m->nelems = i + 1;
		size_t at = r->pos;
		uint32_t kind = lw_u32(r);
		if (kind > 7)
			lw_rd_fail(r, at, "malformed elements segment kind");
		/* bit 0: passive/declarative, bit 1: explicit table index (active)
		 * or declarative, bit 2: expressions instead of indices */
		if (kind & 1)
			e->mode = (kind & 2) ? LW_SEG_DECLARATIVE : LW_SEG_PASSIVE;
		else
			e->mode = LW_SEG_ACTIVE;
		if (e->mode == LW_SEG_ACTIVE) {
			e->table_idx = (kind & 2) ? lw_u32(r) : 0;
			e->offset = const_expr(d);
		}
		bool exprs = kind & 4;
		if (kind == 0 || kind == 4)
			e->type = LW_FUNCREF;
		else
			e->type = exprs ? ref_type(r) : elem_kind(r);
		uint32_t ca, cnt = vec_count(r, &ca);
		if (exprs) {
			e->exprs = xcalloc(r, ca, sizeof(lw_constexpr));
			for (uint32_t k = 0; k < cnt; k++) {
				vec_check(r, k, ca);
				e->exprs[k] = const_expr(d);
				e->count = k + 1;
			}
		} else {
			e->func_idx = xcalloc(r, ca, sizeof(uint32_t));
			for (uint32_t k = 0; k < cnt; k++) {
				vec_check(r, k, ca);
				e->func_idx[k] = lw_u32(r);
				e->count = k + 1;
			}
		}
	}
}

static void code_entry(dec *d, lw_func *f)
{
	lw_rd *r = &d->r;
	f->code_off = (uint32_t)r->pos;
	uint32_t size = len32(r);
	size_t start = r->pos;
	/* locals: groups of (count, type); the total must fit */
	size_t at = r->pos;
	uint32_t ngroups = lw_u32(r);
	uint64_t total = 0;
	size_t groups_at = r->pos;
	for (uint32_t i = 0; i < ngroups; i++) {
		total += lw_u32(r);
		value_type(r);
	}
	if (total >= 0x100000000ull)
		lw_rd_fail(r, at, "too many locals");
	if (total > LW_MAX_LOCALS)
		lw_rd_fail(r, at, "too many locals (implementation limit %u)", LW_MAX_LOCALS);
	f->local_types = xcalloc(r, total, 1);
	f->nlocals = (uint32_t)total;
	size_t after = r->pos;
	r->pos = groups_at;
	uint32_t k = 0;
	for (uint32_t i = 0; i < ngroups; i++) {
		uint32_t c = lw_u32(r);
		uint8_t t = value_type(r);
		while (c--)
			f->local_types[k++] = t;
	}
	r->pos = after;
	f->body_off = (uint32_t)r->pos;
	scan_expr(d);
	if (r->pos != start + size)
		lw_rd_fail(r, start, "section size mismatch");
	f->body_len = (uint32_t)(r->pos - f->body_off);
}

static void code_section(dec *d)
{
	lw_rd *r = &d->r;
	uint32_t na, n = vec_count(r, &na);
	d->code = xcalloc(r, na, sizeof(lw_func));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		r->func = (int64_t)d->m->nfunc_imports + i;
		d->ncode = i + 1;
		code_entry(d, &d->code[i]);
	}
	r->func = -1;
}

static void data_section(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	uint32_t na, n = vec_count(r, &na);
	m->datas = xcalloc(r, na, sizeof(lw_data));
	for (uint32_t i = 0; i < n; i++) {
		vec_check(r, i, na);
		lw_data *s = &m->datas[i];
		m->ndatas = i + 1;
		size_t at = r->pos;
		uint32_t kind = lw_u32(r);
		if (kind > 2)
			lw_rd_fail(r, at, "malformed data segment kind");
		s->mode = kind == 1 ? LW_SEG_PASSIVE : LW_SEG_ACTIVE;
		if (kind != 1) {
			s->mem_idx = kind == 2 ? lw_u32(r) : 0;
			s->offset = const_expr(d);
		}
		s->len = lw_u32(r); /* unlike names: running out is "unexpected end" */
		if (s->len > r->len - r->pos)
			lw_rd_fail(r, r->len, LW_EOS);
		s->off = (uint32_t)r->pos;
		r->pos += s->len;
	}
}

/* The `name` section's function names. A malformed name section is not an
 * error (custom sections never are): whatever parses is kept. */
static void name_section(dec *d, size_t pos, size_t end)
{
	lw_module *m = d->m;
	const uint8_t *b = d->r.b;
	lw_rd sub;
	memset(&sub, 0, sizeof sub);
	sub.b = b;
	sub.len = end;
	sub.pos = pos;
	sub.section = 0;
	sub.func = -1;
	sub.kind = LW_ERR_MALFORMED;
	if (setjmp(sub.jb))
		return; /* stop at the first malformed byte */
	while (sub.pos < end) {
		uint8_t id = lw_u8(&sub);
		uint32_t size = lw_u32(&sub);
		if (size > end - sub.pos)
			return;
		size_t next = sub.pos + size;
		if (id == 1 && m->nfuncs && !m->func_names) {
			uint32_t n = lw_u32(&sub);
			char **names = calloc(m->nfuncs, sizeof(char *));
			if (!names)
				return;
			m->func_names = names;
			for (uint32_t i = 0; i < n; i++) {
				uint32_t idx = lw_u32(&sub);
				uint32_t len = lw_u32(&sub);
				if (len > end - sub.pos)
					return;
				if (idx < m->nfuncs && !names[idx] &&
				    utf8_valid(b + sub.pos, len)) {
					names[idx] = malloc(len + 1);
					if (!names[idx])
						return;
					memcpy(names[idx], b + sub.pos, len);
					names[idx][len] = 0;
				}
				sub.pos += len;
			}
		}
		sub.pos = next;
	}
}

static void custom_section(dec *d, size_t start, uint32_t size)
{
	lw_rd *r = &d->r;
	char *nm = name(r, NULL);
	bool is_name = !strcmp(nm, "name");
	free(nm);
	if (r->pos > start + size)
		lw_rd_fail(r, r->len, LW_EOS);
	size_t end = start + size;
	if (is_name && !d->names_end) { /* read once nfuncs is known */
		d->names_at = r->pos;
		d->names_end = end;
	}
	r->pos = end;
}

/* Section order rank (the data count section sits between elem and code). */
static int section_rank(int id)
{
	static const int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
	return rank[id];
}

static void decode_module(dec *d)
{
	lw_rd *r = &d->r;
	lw_module *m = d->m;
	/* read as whole u32s first, as the reference decoder does, so that a
	 * short file is "unexpected end" rather than a bad magic */
	if (r->len < 4)
		lw_rd_fail(r, r->len, LW_EOS);
	if (memcmp(r->b, "\0asm", 4))
		lw_rd_fail(r, 0, "magic header not detected");
	if (r->len < 8)
		lw_rd_fail(r, r->len, LW_EOS);
	if (memcmp(r->b + 4, "\1\0\0\0", 4))
		lw_rd_fail(r, 4, "unknown binary version");
	r->pos = 8;

	int last = 0;
	while (r->pos < r->len) {
		size_t at = r->pos;
		uint8_t id = r->b[r->pos];
		if (id > 12)
			lw_rd_fail(r, at, "malformed section id");
		if (id != 0 && section_rank(id) <= last)
			lw_rd_fail(r, at, "unexpected content after last section");
		r->pos++;
		r->section = id;
		uint32_t size = len32(r);
		size_t start = r->pos;
		switch (id) {
		case 0:
			custom_section(d, start, size);
			break;
		case 1:
			type_section(d);
			break;
		case 2:
			import_section(d);
			break;
		case 3:
			func_section(d);
			break;
		case 4:
			table_section(d);
			break;
		case 5:
			memory_section(d);
			break;
		case 6:
			global_section(d);
			break;
		case 7:
			export_section(d);
			break;
		case 8:
			m->has_start = true;
			m->start = lw_u32(r);
			break;
		case 9:
			elem_section(d);
			break;
		case 10:
			code_section(d);
			break;
		case 11:
			d->has_data_section = true;
			data_section(d);
			break;
		case 12:
			m->has_datacount = true;
			m->datacount = lw_u32(r);
			break;
		}
		if (r->pos != start + size)
			lw_rd_fail(r, start, "section size mismatch");
		if (id != 0)
			last = section_rank(id);
		r->section = -1;
	}

	if (d->nfunc_decl != d->ncode)
		lw_rd_fail(r, r->len, "function and code section have inconsistent lengths");
	if (m->has_datacount && m->datacount != m->ndatas)
		lw_rd_fail(r, r->len, "data count and data section have inconsistent lengths");
	/* Without a data section a missing data count means zero segments:
	 * producers (wabt) omit both, and memory.init/data.drop then fail
	 * validation as "unknown data segment", which the spec tests expect. */
	if (!m->has_datacount && d->uses_data && d->has_data_section)
		lw_rd_fail(r, r->len, "data count section required");

	/* the function index space: imports first, then defined functions */
	m->nfuncs = m->nfunc_imports + d->nfunc_decl;
	m->funcs = xcalloc(r, m->nfuncs, sizeof(lw_func));
	uint32_t k = 0;
	for (uint32_t i = 0; i < m->nimports; i++) {
		if (m->imports[i].kind == LW_EXT_FUNC) {
			m->funcs[k].imported = true;
			m->funcs[k++].type_idx = m->imports[i].d.type_idx;
		}
	}
	for (uint32_t i = 0; i < d->nfunc_decl; i++) {
		m->funcs[k] = d->code[i];
		d->code[i].local_types = NULL; /* moved */
		m->funcs[k++].type_idx = d->func_decl[i];
	}
	/* imported tables/memories/globals fill the first slots */
	if (!m->tables && m->ntable_imports)
		m->tables = xcalloc(r, m->ntable_imports, sizeof(lw_table));
	if (!m->mems && m->nmem_imports)
		m->mems = xcalloc(r, m->nmem_imports, sizeof(lw_memory));
	if (!m->globals && m->nglobal_imports)
		m->globals = xcalloc(r, m->nglobal_imports, sizeof(lw_global));
	m->ntables = m->ntables < m->ntable_imports ? m->ntable_imports : m->ntables;
	m->nmems = m->nmems < m->nmem_imports ? m->nmem_imports : m->nmems;
	m->nglobals = m->nglobals < m->nglobal_imports ? m->nglobal_imports : m->nglobals;
	uint32_t ti = 0, mi = 0, gi = 0;
	for (uint32_t i = 0; i < m->nimports; i++) {
		lw_import *im = &m->imports[i];
		if (im->kind == LW_EXT_TABLE) {
			m->tables[ti].type = im->d.table;
			m->tables[ti++].imported = true;
		} else if (im->kind == LW_EXT_MEMORY) {
			m->mems[mi].lim = im->d.mem;
			m->mems[mi++].imported = true;
		} else if (im->kind == LW_EXT_GLOBAL) {
			m->globals[gi].type = im->d.global;
			m->globals[gi++].imported = true;
		}
	}
	if (d->names_end)
		name_section(d, d->names_at, d->names_end);
}

/* Fills m from m->bytes/m->len. On error the module holds whatever was
 * decoded; lw_module_free releases it. */
int lw_decode(lw_module *m, lw_error *err)
{
	/* the context lives on the heap: objects changed between setjmp and
	 * longjmp must not be locals of the function that called setjmp */
	dec *d = calloc(1, sizeof *d);
	uint8_t *blocks = malloc(64);
	if (!d || !blocks) {
		free(d);
		free(blocks);
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return -1;
	}
	d->m = m;
	d->r.b = m->bytes;
	d->r.len = m->len;
	d->r.err = err;
	d->r.section = -1;
	d->r.func = -1;
	d->r.kind = LW_ERR_MALFORMED;
	d->blocks_cap = 64;
	d->blocks = blocks;
	int rc;
	if (setjmp(d->r.jb)) {
		rc = -1;
	} else {
		decode_module(d);
		rc = 0;
	}
	for (uint32_t i = 0; i < d->ncode; i++)
		free(d->code[i].local_types);
	free(d->code);
	free(d->func_decl);
	free(d->blocks);
	free(d);
	return rc;
}
