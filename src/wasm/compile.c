/* compile.c - translates validated function bodies, once, into the
 * interpreter's internal code (format described at the top of exec.c).
 *
 * The body is walked with a compile-time model of the operand stack. Each
 * entry is either materialised in its own slot, or deferred: a local.get
 * (the entry names the local's slot) or a constant. Consumers read deferred
 * entries directly, so `local.get; local.get; i32.add` is one instruction;
 * local.set retargets the destination of the instruction that produced the
 * value when it can. Deferred entries are materialised whenever their source
 * could change under them (local.set of that local) or control flow merges
 * (block boundaries). The input was validated, so decoding here is lean.
 *
 * Locals whose value is a known constant are tracked through straight-line
 * code (declared locals start at zero): a local.set that would store the
 * value the local already holds is dropped, and a known local feeds the
 * immediate forms like a constant does. Knowledge is forgotten at every
 * label. Last, peephole.c picks the register forms of the finished code.
 */
#include "wasm/rt.h"

#include <stdlib.h>
#include <string.h>

enum { E_SLOT, E_LOCAL, E_CONST };

typedef struct {
	uint8_t kind;
	bool known;    /* E_LOCAL: the local held the constant `val` when read */
	uint32_t idx;  /* E_LOCAL: local index */
	uint64_t val;  /* E_CONST (or a known E_LOCAL): bits */
} ent;

typedef struct {
	uint8_t op;          /* 0 function, 0x02 block, 0x03 loop, 0x04 if */
	bool dead;           /* opened in unreachable code: emits nothing */
	bool unreachable;    /* the rest of this frame's body is unreachable */
	bool has_else;
	uint32_t height;     /* stack height below the parameters */
	uint32_t nparams, nresults;
	uint32_t loop_pos;   /* loop: its head */
	uint32_t fuel_at;    /* function: word holding the entry charge */
	uint32_t fuel_count;
	uint32_t fuel_owner; /* innermost loop/function frame */
	uint32_t else_at, else_op; /* if: branch to the else arm */
} ctl;

typedef struct {
	uint32_t at;      /* word holding the offset */
	uint32_t op;      /* start of the branch instruction */
	uint32_t target;  /* ctl index */
	bool fuel;        /* `at` is a backward branch's cost: the loop's */
} patch;

typedef struct {
	const lw_module *m;
	const uint8_t *p, *end;
	uint32_t words[LW_OP_COUNT];
	lw_fusetab fuse;

	uint32_t *code;
	uint32_t ncode, capcode;

	/* the instructions emitted, for peephole.c */
	uint32_t *starts;
	uint16_t *ops;
	uint32_t nins, capins; /* both arrays have capins entries */

	/* known constant locals: kgen[x] == gen means local x holds kval[x] */
	uint32_t *kgen;
	uint64_t *kval;
	uint32_t capk, gen;

	ent *st;
	uint32_t h, caph, maxh;
	uint32_t nvirt; /* deferred entries on the stack */

	ctl *ctls;
	uint32_t nctl, capctl;

	patch *pt;
	uint32_t npt, cappt;

	uint32_t nlocals;
	int64_t last_dst;  /* word of the last instruction's destination */
	uint32_t last_op_pos;
	enum lw_op last_op;
	bool oom;
} cc;

/* ---- growable arrays ------------------------------------------------------ */

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t sz)
{
	if (need <= *cap)
		return true;
	uint32_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, (size_t)n * sz);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static void w(cc *c, uint32_t v)
{
	if (!grow((void **)&c->code, &c->capcode, c->ncode + 1, 4)) {
		c->oom = true;
		return;
	}
	c->code[c->ncode++] = v;
}

/* Starts an instruction: returns its position. */
static uint32_t op(cc *c, enum lw_op o)
{
	uint32_t at = c->ncode;
	c->last_dst = -1;
	c->last_op = o;
	c->last_op_pos = at;
	while (c->nins && c->starts[c->nins - 1] >= at)
		c->nins--; /* code from `at` on was taken back */
	uint32_t cap = c->capins;
	if (!grow((void **)&c->starts, &cap, c->nins + 1, sizeof(uint32_t)) ||
	    !grow((void **)&c->ops, &c->capins, c->nins + 1, sizeof(uint16_t))) {
		c->oom = true;
		return at;
	}
	c->starts[c->nins] = at;
	c->ops[c->nins++] = (uint16_t)o;
	w(c, c->words[o]);
	return at;
}

/* ---- known constant locals --------------------------------------------------- */

static void forget_all(cc *c)
{
	if (++c->gen == 0) {
		if (c->kgen)
			memset(c->kgen, 0, c->capk * sizeof(uint32_t));
		c->gen = 1;
	}
}

static bool known(cc *c, uint32_t x, uint64_t *v)
{
	if (c->kgen[x] != c->gen)
		return false;
	*v = c->kval[x];
	return true;
}

/* Is the entry a constant (a literal, or a local known to hold one)? */
static bool is_const(const ent *e, uint64_t *v)
{
	if (e->kind == E_CONST || (e->kind == E_LOCAL && e->known)) {
		*v = e->val;
		return true;
	}
	return false;
}

static inline uint32_t S(cc *c, uint32_t h) { return c->nlocals + h; }

/* ---- reading the (validated) body ------------------------------------------- */

static uint64_t rd_uleb(cc *c)
{
	uint64_t v = 0;
	int shift = 0;
	while (c->p < c->end) {
		uint8_t b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static int64_t rd_sleb(cc *c)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b = 0;
	while (c->p < c->end) {
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return (int64_t)v;
}

static uint32_t rd_u32(cc *c) { return (uint32_t)rd_uleb(c); }

static uint8_t rd_byte(cc *c) { return c->p < c->end ? *c->p++ : 0; }

static void rd_blocktype(cc *c, uint32_t *np, uint32_t *nr)
{
	uint8_t b = c->p < c->end ? *c->p : 0x40;
	if (b == 0x40) {
		c->p++;
		*np = *nr = 0;
	} else if (b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c ||
		   b == 0x70 || b == 0x6f) {
		c->p++;
		*np = 0;
		*nr = 1;
	} else {
		int64_t t = rd_sleb(c);
		const lw_functype *ft = &c->m->types[t];
		*np = ft->nparams;
		*nr = ft->nresults;
	}
}

/* ---- operand stack model ------------------------------------------------------ */

static void push(cc *c, ent e)
{
	if (!grow((void **)&c->st, &c->caph, c->h + 1, sizeof(ent))) {
		c->oom = true;
		return;
	}
	if (e.kind != E_SLOT)
		c->nvirt++;
	c->st[c->h++] = e;
	if (c->h > c->maxh)
		c->maxh = c->h;
}

/* Pushes a materialised result and returns its slot. */
static uint32_t push_slot(cc *c)
{
	push(c, (ent){.kind = E_SLOT});
	return S(c, c->h - 1);
}

static void pop(cc *c, uint32_t n)
{
	while (n--) {
		c->h--;
		if (c->st[c->h].kind != E_SLOT)
			c->nvirt--;
	}
}

static void emit_const(cc *c, uint32_t dst, uint64_t v)
{
	if (v >> 32) {
		op(c, LW_OP_const64);
		w(c, dst);
		w(c, (uint32_t)v);
		w(c, (uint32_t)(v >> 32));
	} else {
		op(c, LW_OP_const32);
		w(c, dst);
		w(c, (uint32_t)v);
	}
}

static void materialize(cc *c, uint32_t i)
{
	ent *e = &c->st[i];
	if (e->kind == E_SLOT)
		return;
	if (e->kind == E_LOCAL && !e->known) {
		op(c, LW_OP_copy);
		w(c, S(c, i));
		w(c, e->idx);
	} else {
		emit_const(c, S(c, i), e->val);
	}
	e->kind = E_SLOT;
	c->nvirt--;
}

static void flush(cc *c)
{
	for (uint32_t i = 0; c->nvirt && i < c->h; i++)
		materialize(c, i);
}

/* Source slot of entry i for a consumer (constants get materialised). */
static uint32_t use(cc *c, uint32_t i)
{
	ent *e = &c->st[i];
	if (e->kind == E_CONST)
		materialize(c, i);
	return e->kind == E_LOCAL ? e->idx : S(c, i);
}

/* Moves the top n entries to slots dst.. (for branches and returns).
 * Ascending order is safe: destinations never lie above their sources. */
static void move_top(cc *c, uint32_t n, uint32_t dst)
{
	/* one value just computed by the last instruction: have it write the
	 * destination directly (only reached on unconditional transfers; the
	 * stack model is dead after them) */
	if (n == 1 && c->st[c->h - 1].kind == E_SLOT && c->last_dst >= 0 &&
	    c->code[c->last_dst] == S(c, c->h - 1)) {
		c->code[c->last_dst] = dst;
		return;
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = c->h - n + k;
		ent *e = &c->st[i];
		if (e->kind == E_LOCAL && e->idx < dst + n && e->idx >= dst)
			materialize(c, i); /* would be overwritten by an earlier move */
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = c->h - n + k;
		ent *e = &c->st[i];
		if (e->kind == E_CONST) {
			emit_const(c, dst + k, e->val);
		} else {
			uint32_t src = e->kind == E_LOCAL ? e->idx : S(c, i);
			if (src != dst + k) {
				op(c, LW_OP_copy);
				w(c, dst + k);
				w(c, src);
			}
		}
	}
}

/* Are the n entries below the top `skip` ones already in slots dst..? */
static bool in_place(cc *c, uint32_t n, uint32_t dst, uint32_t skip)
{
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = c->h - skip - n + k;
		if (c->st[i].kind != E_SLOT || S(c, i) != dst + k)
			return false;
	}
	return true;
}

/* ---- branches ---------------------------------------------------------------------- */

static void add_patch(cc *c, uint32_t at, uint32_t opstart, uint32_t target,
		      bool fuel)
{
	if (!grow((void **)&c->pt, &c->cappt, c->npt + 1, sizeof(patch))) {
		c->oom = true;
		return;
	}
	c->pt[c->npt++] = (patch){at, opstart, target, fuel};
}

/* Resolves the branches to frame `t`: forward ones to the current
 * position, backward ones' costs to `cost` (the loop's, now known). */
static void resolve(cc *c, uint32_t t, uint32_t cost)
{
	uint32_t k = 0;
	bool label = false;
	for (uint32_t i = 0; i < c->npt; i++) {
		patch p = c->pt[i];
		if (p.target != t) {
			c->pt[k++] = p;
		} else if (p.fuel) {
			c->code[p.at] = cost;
		} else {
			c->code[p.at] = c->ncode - p.op;
			label = true;
		}
	}
	c->npt = k;
	if (label)
		c->last_dst = -1; /* a label: no retargeting across it */
}

/* Fills the branch (offset word `at`, cost word at + 1) of the instruction
 * starting at opstart, to frame t: backward to a loop head, charging the
 * loop's cost, or forward, patched when the frame ends. */
static void branch_to(cc *c, uint32_t at, uint32_t opstart, uint32_t t)
{
	ctl *f = &c->ctls[t];
	if (f->op == 0x03) {
		c->code[at] = f->loop_pos - opstart;
		add_patch(c, at + 1, opstart, t, true);
	} else {
		add_patch(c, at, opstart, t, false);
	}
}

static uint32_t label_arity(cc *c, uint32_t t)
{
	ctl *f = &c->ctls[t];
	return f->op == 0x03 ? f->nparams : f->nresults;
}

/* The compare-and-branch for an integer comparison (forms ss or si) that
 * jumps when it holds (or when it does not, negated); LW_OP_COUNT if o is
 * not a comparison. */
static enum lw_op fuse_cmp(enum lw_op o, bool negate)
{
	/* negation of the ten comparisons, in LW_ICMP order */
	static const uint8_t neg[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
	int64_t k;
	enum lw_op base;
	if (o >= LW_OP_i32_eq_ss && o < LW_OP_i32_eq_ss + 10 * LW_NFORMS) {
		k = o - LW_OP_i32_eq_ss;
		base = LW_OP_bri32_eq_ss;
	} else if (o >= LW_OP_i64_eq_ss && o < LW_OP_i64_eq_ss + 10 * LW_NFORMS) {
		k = o - LW_OP_i64_eq_ss;
		base = LW_OP_bri64_eq_ss;
	} else {
		return LW_OP_COUNT;
	}
	int64_t cmp = k / LW_NFORMS, form = k % LW_NFORMS;
	if (form != LW_SS && form != LW_SI)
		return LW_OP_COUNT;
	if (negate)
		cmp = neg[cmp];
	return (enum lw_op)(base + LW_NFORMS * cmp + form);
}

/* Emits the two words of a branch (offset, cost) left for the caller. */
static uint32_t branch_words(cc *c)
{
	uint32_t at = c->ncode;
	w(c, 0);
	w(c, 0);
	return at;
}

/* Pops the condition and emits a conditional jump taken when the condition
 * is non-zero (or zero when `negate`). Returns the instruction start;
 * *at receives the word to patch with the offset. */
static uint32_t cond_branch(cc *c, bool negate, uint32_t *at)
{
	ent *e = &c->st[c->h - 1];
	if (e->kind == E_SLOT && c->last_dst >= 0 &&
	    c->code[c->last_dst] == S(c, c->h - 1)) {
		uint32_t s = c->last_op_pos;
		enum lw_op lo = c->last_op;
		enum lw_op f = fuse_cmp(lo, negate);
		if (f != LW_OP_COUNT) {
			/* [cmp d a b] -> [brcmp a b rel cost] */
			uint32_t a = c->code[s + 2], b = c->code[s + 3];
			c->ncode = s;
			pop(c, 1);
			op(c, f);
			w(c, a);
			w(c, b);
			*at = branch_words(c);
			return s;
		}
		if (lo == LW_OP_i32_eqz_s || lo == LW_OP_i64_eqz_s) {
			/* [eqz d a] -> [br_unless a rel cost] (or br_if when negated) */
			uint32_t a = c->code[s + 2];
			c->ncode = s;
			pop(c, 1);
			bool is64 = lo == LW_OP_i64_eqz_s;
			op(c, negate ? (is64 ? LW_OP_br_nez64_s : LW_OP_br_if_s)
				     : (is64 ? LW_OP_br_eqz64_s : LW_OP_br_unless_s));
			w(c, a);
			*at = branch_words(c);
			return s;
		}
	}
	uint32_t cs = use(c, c->h - 1);
	pop(c, 1);
	uint32_t s = op(c, negate ? LW_OP_br_unless_s : LW_OP_br_if_s);
	w(c, cs);
	*at = branch_words(c);
	return s;
}

/* Emits the return sequence: results to fp[0..n), then `ret`. */
static void emit_return(cc *c)
{
	uint32_t n = c->ctls[0].nresults;
	move_top(c, n, 0);
	op(c, LW_OP_ret);
}

/* Unconditional branch to frame t with its values. */
static void emit_br(cc *c, uint32_t t)
{
	if (t == 0) {
		emit_return(c);
		return;
	}
	uint32_t n = label_arity(c, t);
	move_top(c, n, S(c, c->ctls[t].height));
	uint32_t s = op(c, LW_OP_br);
	branch_to(c, branch_words(c), s, t);
}

/* emit_br on a path taken only conditionally: the stack model must not
 * record materialisations done on that path. */
static void emit_br_cond(cc *c, uint32_t t)
{
	uint32_t n = t == 0 ? c->ctls[0].nresults : label_arity(c, t);
	ent saved[16];
	ent *sv = n <= 16 ? saved : malloc(n * sizeof(ent));
	if (!sv) {
		c->oom = true;
		return;
	}
	uint32_t nv = c->nvirt;
	memcpy(sv, c->st + c->h - n, n * sizeof(ent));
	emit_br(c, t);
	memcpy(c->st + c->h - n, sv, n * sizeof(ent));
	c->nvirt = nv;
	if (sv != saved)
		free(sv);
}

/* ---- the numeric instruction table ---------------------------------------------- */

enum { K_NONE, K_UN, K_BIN, K_NOP };
typedef struct {
	uint8_t kind;
	uint16_t op;  /* slot form */
	uint16_t imm; /* op + 1 of the immediate form, 0 if none */
	bool comm;    /* commutative: a constant left operand may swap over */
} numop;

static numop numeric(uint8_t b)
{
	/* integer binary operations: LW_NFORMS forms per operation, in the
	 * binary format's order (10 comparisons, then 15 arithmetic) */
	static const bool icomm[25] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1,
				       0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0};
	int k = -1;
	enum lw_op ib = LW_OP_COUNT;
	if (b >= 0x46 && b <= 0x4f)
		k = b - 0x46, ib = LW_OP_i32_eq_ss;
	else if (b >= 0x6a && b <= 0x78)
		k = 10 + b - 0x6a, ib = LW_OP_i32_eq_ss;
	else if (b >= 0x51 && b <= 0x5a)
		k = b - 0x51, ib = LW_OP_i64_eq_ss;
	else if (b >= 0x7c && b <= 0x8a)
		k = 10 + b - 0x7c, ib = LW_OP_i64_eq_ss;
	if (k >= 0) {
		uint16_t o = (uint16_t)(ib + LW_NFORMS * k);
		return (numop){K_BIN, o, (uint16_t)(o + LW_SI + 1), icomm[k]};
	}
	if (b >= 0x5b && b <= 0x60)
		return (numop){K_BIN, (uint16_t)(LW_OP_f32_eq + (b - 0x5b)), 0, 0};
	if (b >= 0x61 && b <= 0x66)
		return (numop){K_BIN, (uint16_t)(LW_OP_f64_eq_ss + 3 * (b - 0x61)), 0, 0};
	if (b >= 0x8b && b <= 0x91)
		return (numop){K_UN, (uint16_t)(LW_OP_f32_abs + (b - 0x8b)), 0, 0};
	if (b >= 0x92 && b <= 0x98)
		return (numop){K_BIN, (uint16_t)(LW_OP_f32_add + (b - 0x92)), 0, 0};
	if (b >= 0x99 && b <= 0x9f)
		return (numop){K_UN, (uint16_t)(LW_OP_f64_abs_s + 2 * (b - 0x99)), 0, 0};
	if (b >= 0xa0 && b <= 0xa6) {
		uint16_t o = (uint16_t)(LW_OP_f64_add_ss + 5 * (b - 0xa0));
		bool comm = b == 0xa0 || b == 0xa2; /* add, mul */
		return (numop){K_BIN, o, (uint16_t)(o + LW_FSI + 1), comm};
	}
	switch (b) {
	case 0x45: return (numop){K_UN, LW_OP_i32_eqz_s, 0, 0};
	case 0x50: return (numop){K_UN, LW_OP_i64_eqz_s, 0, 0};
	case 0x67: return (numop){K_UN, LW_OP_i32_clz_s, 0, 0};
	case 0x68: return (numop){K_UN, LW_OP_i32_ctz_s, 0, 0};
	case 0x69: return (numop){K_UN, LW_OP_i32_popcnt_s, 0, 0};
	case 0x79: return (numop){K_UN, LW_OP_i64_clz_s, 0, 0};
	case 0x7a: return (numop){K_UN, LW_OP_i64_ctz_s, 0, 0};
	case 0x7b: return (numop){K_UN, LW_OP_i64_popcnt_s, 0, 0};
	case 0xa7: return (numop){K_UN, LW_OP_i32_wrap_i64_s, 0, 0};
	case 0xa8: return (numop){K_UN, LW_OP_i32_trunc_f32_s, 0, 0};
	case 0xa9: return (numop){K_UN, LW_OP_i32_trunc_f32_u, 0, 0};
	case 0xaa: return (numop){K_UN, LW_OP_i32_trunc_f64_s_s, 0, 0};
	case 0xab: return (numop){K_UN, LW_OP_i32_trunc_f64_u_s, 0, 0};
	case 0xac: return (numop){K_UN, LW_OP_i64_extend_i32_s_s, 0, 0};
	case 0xad: return (numop){K_NOP, 0, 0, 0}; /* i64.extend_i32_u: already zero-extended */
	case 0xae: return (numop){K_UN, LW_OP_i64_trunc_f32_s, 0, 0};
	case 0xaf: return (numop){K_UN, LW_OP_i64_trunc_f32_u, 0, 0};
	case 0xb0: return (numop){K_UN, LW_OP_i64_trunc_f64_s_s, 0, 0};
	case 0xb1: return (numop){K_UN, LW_OP_i64_trunc_f64_u_s, 0, 0};
	case 0xb2: return (numop){K_UN, LW_OP_f32_convert_i32_s, 0, 0};
	case 0xb3: return (numop){K_UN, LW_OP_f32_convert_i32_u, 0, 0};
	case 0xb4: return (numop){K_UN, LW_OP_f32_convert_i64_s, 0, 0};
	case 0xb5: return (numop){K_UN, LW_OP_f32_convert_i64_u, 0, 0};
	case 0xb6: return (numop){K_UN, LW_OP_f32_demote_f64_s, 0, 0};
	case 0xb7: return (numop){K_UN, LW_OP_f64_convert_i32_s_s, 0, 0};
	case 0xb8: return (numop){K_UN, LW_OP_f64_convert_i32_u_s, 0, 0};
	case 0xb9: return (numop){K_UN, LW_OP_f64_convert_i64_s_s, 0, 0};
	case 0xba: return (numop){K_UN, LW_OP_f64_convert_i64_u_s, 0, 0};
	case 0xbb: return (numop){K_UN, LW_OP_f64_promote_f32, 0, 0};
	case 0xbc: case 0xbd: case 0xbe: case 0xbf:
		return (numop){K_NOP, 0, 0, 0}; /* reinterpret: same bits */
	case 0xc0: return (numop){K_UN, LW_OP_i32_extend8_s_s, 0, 0};
	case 0xc1: return (numop){K_UN, LW_OP_i32_extend16_s_s, 0, 0};
	case 0xc2: return (numop){K_UN, LW_OP_i64_extend8_s_s, 0, 0};
	case 0xc3: return (numop){K_UN, LW_OP_i64_extend16_s_s, 0, 0};
	case 0xc4: return (numop){K_UN, LW_OP_i64_extend32_s_s, 0, 0};
	}
	return (numop){K_NONE, 0, 0, 0};
}

/* f32 values load and store as their i32 bits. */
static enum lw_op load_op(uint8_t b)
{
	switch (b) {
	case 0x28: case 0x2a: return LW_OP_i32_load_s;
	case 0x29: return LW_OP_i64_load_s;
	case 0x2b: return LW_OP_f64_load_s;
	case 0x2c: return LW_OP_i32_load8_s_s;
	case 0x2d: return LW_OP_i32_load8_u_s;
	case 0x2e: return LW_OP_i32_load16_s_s;
	case 0x2f: return LW_OP_i32_load16_u_s;
	case 0x30: return LW_OP_i64_load8_s_s;
	case 0x31: return LW_OP_i64_load8_u_s;
	case 0x32: return LW_OP_i64_load16_s_s;
	case 0x33: return LW_OP_i64_load16_u_s;
	case 0x34: return LW_OP_i64_load32_s_s;
	default: return LW_OP_i64_load32_u_s;
	}
}

static enum lw_op store_op(uint8_t b)
{
	switch (b) {
	case 0x36: case 0x38: case 0x3e: return LW_OP_i32_store_ss;
	case 0x37: return LW_OP_i64_store_ss;
	case 0x39: return LW_OP_f64_store_ss;
	case 0x3a: case 0x3c: return LW_OP_store8_ss;
	default: return LW_OP_store16_ss;
	}
}

/* ---- control frames --------------------------------------------------------- */

static ctl *push_ctl(cc *c, uint8_t o, uint32_t np, uint32_t nr, bool dead)
{
	if (!grow((void **)&c->ctls, &c->capctl, c->nctl + 1, sizeof(ctl))) {
		c->oom = true;
		return NULL;
	}
	ctl *f = &c->ctls[c->nctl];
	memset(f, 0, sizeof(*f));
	f->op = o;
	f->dead = dead;
	f->unreachable = dead;
	f->nparams = np;
	f->nresults = nr;
	f->height = dead ? 0 : c->h - np;
	f->fuel_owner = (o == 0x03 || o == 0) ? c->nctl
					     : c->ctls[c->nctl - 1].fuel_owner;
	c->nctl++;
	return f;
}

/* Resets the stack model to `n` materialised entries (at a label: values
 * arrive in their slots; entries below the frame were flushed on entry). */
static void reset_stack(cc *c, uint32_t n)
{
	while (c->h > n)
		pop(c, 1);
	for (uint32_t i = 0; i < c->h; i++)
		if (c->st[i].kind != E_SLOT) {
			c->st[i].kind = E_SLOT;
			c->nvirt--;
		}
	while (c->h < n)
		push_slot(c);
}

/* ---- one function ------------------------------------------------------------ */

static int compile_func(cc *c, uint32_t fidx, lw_error *err)
{
	const lw_module *m = c->m;
	lw_func *fn = &m->funcs[fidx];
	const lw_functype *ft = &m->types[fn->type_idx];
	c->p = m->bytes + fn->body_off;
	c->end = m->bytes + fn->body_off + fn->body_len;
	c->ncode = 0;
	c->h = c->maxh = c->nvirt = 0;
	c->nctl = 0;
	c->npt = 0;
	c->nlocals = ft->nparams + fn->nlocals;
	c->last_dst = -1;
	c->nins = 0;
	if (c->nlocals > c->capk) {
		uint32_t *kg = realloc(c->kgen, (size_t)c->nlocals * sizeof(uint32_t));
		if (kg)
			c->kgen = kg;
		uint64_t *kv = kg ? realloc(c->kval, (size_t)c->nlocals * sizeof(uint64_t)) : NULL;
		if (!kv) {
			lw_error_set(err, LW_ERR_NOMEM, 10, fidx, -1,
				     "out of memory compiling function %u", fidx);
			return -1;
		}
		c->kval = kv;
		memset(c->kgen + c->capk, 0, (c->nlocals - c->capk) * sizeof(uint32_t));
		c->capk = c->nlocals;
	}
	forget_all(c);
	for (uint32_t i = ft->nparams; i < c->nlocals; i++) {
		c->kgen[i] = c->gen; /* declared locals start at zero */
		c->kval[i] = 0;
	}

	uint32_t enter = op(c, LW_OP_enter);
	w(c, ft->nparams);
	w(c, c->nlocals);
	w(c, 0);
	push_ctl(c, 0, 0, ft->nresults, false);
	c->ctls[0].fuel_at = enter + 3;

	while (c->nctl && !c->oom) {
		if (c->p >= c->end) {
			lw_error_set(err, LW_ERR_INVALID, 10, fidx, -1,
				     "compile: unexpected end of function body");
			return -1;
		}
		uint8_t b = *c->p++;
		ctl *cur = &c->ctls[c->nctl - 1];
		c->ctls[cur->fuel_owner].fuel_count++;
		bool skip = cur->unreachable;
		uint32_t np, nr, x, y;

		switch (b) {
		case 0x00: /* unreachable */
			if (skip)
				break;
			op(c, LW_OP_unreachable);
			cur->unreachable = true;
			break;
		case 0x01: /* nop */
			break;
		case 0x02: /* block */
		case 0x03: /* loop */
			rd_blocktype(c, &np, &nr);
			if (skip) {
				push_ctl(c, b, np, nr, true);
				break;
			}
			flush(c);
			{
				ctl *f = push_ctl(c, b, np, nr, false);
				if (b == 0x03 && f) {
					/* a label: backward branches land here */
					f->loop_pos = c->ncode;
					c->last_dst = -1;
					forget_all(c);
				}
			}
			break;
		case 0x04: /* if */
			rd_blocktype(c, &np, &nr);
			if (skip) {
				push_ctl(c, b, np, nr, true);
				break;
			}
			{
				/* the condition first, then everything else materialised */
				uint32_t at, s;
				if (c->nvirt > (c->st[c->h - 1].kind != E_SLOT)) {
					ent cond = c->st[c->h - 1];
					pop(c, 1);
					flush(c);
					push(c, cond);
				}
				s = cond_branch(c, true, &at);
				ctl *f = push_ctl(c, b, np, nr, false);
				if (f) {
					f->else_at = at;
					f->else_op = s;
				}
			}
			break;
		case 0x05: /* else */
			if (cur->dead)
				break;
			if (!cur->unreachable) {
				flush(c);
				uint32_t s = op(c, LW_OP_br);
				add_patch(c, branch_words(c), s, c->nctl - 1, false);
			}
			c->code[cur->else_at] = c->ncode - cur->else_op;
			cur->has_else = true;
			c->last_dst = -1;
			forget_all(c);
			reset_stack(c, cur->height + cur->nparams);
			cur->unreachable = false;
			break;
		case 0x0b: /* end */
		{
			ctl f = *cur;
			if (f.dead) {
				c->nctl--;
				break;
			}
			if (!f.unreachable)
				flush(c);
			if (f.op == 0x04 && !f.has_else) {
				c->code[f.else_at] = c->ncode - f.else_op;
				c->last_dst = -1;
			}
			uint32_t cost = f.fuel_count ? f.fuel_count : 1;
			resolve(c, c->nctl - 1, cost);
			if (f.op == 0)
				c->code[f.fuel_at] = cost;
			forget_all(c);
			reset_stack(c, f.height + f.nresults);
			c->nctl--;
			if (f.op == 0)
				emit_return(c);
			break;
		}
		case 0x0c: /* br */
			x = rd_u32(c);
			if (skip)
				break;
			emit_br(c, c->nctl - 1 - x);
			cur->unreachable = true;
			break;
		case 0x0d: /* br_if */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t t = c->nctl - 1 - x;
			uint32_t n = label_arity(c, t);
			uint32_t at, s;
			if (t != 0 && in_place(c, n, S(c, c->ctls[t].height), 1)) {
				s = cond_branch(c, false, &at);
				branch_to(c, at, s, t);
			} else {
				/* values must move: skip over the moves when not taken */
				s = cond_branch(c, true, &at);
				emit_br_cond(c, t);
				c->code[at] = c->ncode - s;
				c->last_dst = -1;
			}
			break;
		}
		case 0x0e: /* br_table */
		{
			uint32_t n = rd_u32(c);
			uint32_t *lab = malloc((n + 1) * sizeof(uint32_t));
			if (!lab) {
				c->oom = true;
				break;
			}
			for (uint32_t i = 0; i <= n; i++)
				lab[i] = rd_u32(c);
			if (skip) {
				free(lab);
				break;
			}
			uint32_t idx = use(c, c->h - 1);
			pop(c, 1);
			uint32_t s = op(c, LW_OP_br_table_s);
			w(c, idx);
			w(c, n);
			uint32_t tab = c->ncode;
			for (uint32_t i = 0; i <= n; i++)
				branch_words(c);
			for (uint32_t i = 0; i <= n && !c->oom; i++) {
				uint32_t t = c->nctl - 1 - lab[i];
				uint32_t ar = label_arity(c, t);
				if (t != 0 && in_place(c, ar, S(c, c->ctls[t].height), 0)) {
					branch_to(c, tab + 2 * i, s, t);
				} else {
					/* a stub after the table moves the values */
					c->code[tab + 2 * i] = c->ncode - s;
					emit_br_cond(c, t);
				}
			}
			free(lab);
			cur->unreachable = true;
			break;
		}
		case 0x0f: /* return */
			if (skip)
				break;
			emit_return(c);
			cur->unreachable = true;
			break;
		case 0x10: /* call */
		{
			x = rd_u32(c);
			if (skip)
				break;
			const lw_functype *t = &m->types[m->funcs[x].type_idx];
			for (uint32_t i = c->h - t->nparams; i < c->h; i++)
				materialize(c, i);
			uint32_t base = S(c, c->h - t->nparams);
			pop(c, t->nparams);
			op(c, m->funcs[x].imported ? LW_OP_call_import : LW_OP_call);
			w(c, x);
			w(c, base);
			for (uint32_t i = 0; i < t->nresults; i++)
				push_slot(c);
			break;
		}
		case 0x11: /* call_indirect */
		{
			x = rd_u32(c);
			y = rd_u32(c);
			if (skip)
				break;
			const lw_functype *t = &m->types[x];
			uint32_t ei = use(c, c->h - 1);
			pop(c, 1);
			for (uint32_t i = c->h - t->nparams; i < c->h; i++)
				materialize(c, i);
			uint32_t base = S(c, c->h - t->nparams);
			pop(c, t->nparams);
			op(c, LW_OP_call_indirect_s);
			w(c, x);
			w(c, y);
			w(c, ei);
			w(c, base);
			for (uint32_t i = 0; i < t->nresults; i++)
				push_slot(c);
			break;
		}
		case 0x1a: /* drop */
			if (skip)
				break;
			pop(c, 1);
			break;
		case 0x1c: /* select t */
			x = rd_u32(c);
			for (uint32_t i = 0; i < x; i++)
				rd_byte(c);
			/* fall through */
		case 0x1b: /* select */
		{
			if (skip)
				break;
			uint32_t cs = use(c, c->h - 1);
			uint32_t bs = use(c, c->h - 2);
			uint32_t as = use(c, c->h - 3);
			pop(c, 3);
			uint32_t d = push_slot(c);
			op(c, LW_OP_select_s);
			c->last_dst = c->ncode;
			w(c, d);
			w(c, as);
			w(c, bs);
			w(c, cs);
			break;
		}
		case 0x20: /* local.get */
			x = rd_u32(c);
			if (skip)
				break;
		{
			uint64_t v = 0;
			bool k = known(c, x, &v);
			push(c, (ent){.kind = E_LOCAL, .known = k, .idx = x, .val = v});
			break;
		}
		case 0x21: /* local.set */
		case 0x22: /* local.tee */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t top = c->h - 1;
			uint64_t v = 0, old;
			bool kc = is_const(&c->st[top], &v);
			if (kc && known(c, x, &old) && old == v) {
				/* the local already holds this value */
			} else {
				for (uint32_t i = 0; c->nvirt && i < top; i++)
					if (c->st[i].kind == E_LOCAL && c->st[i].idx == x)
						materialize(c, i);
				ent *e = &c->st[top];
				if (e->kind == E_SLOT && c->last_dst >= 0 &&
				    c->code[c->last_dst] == S(c, top)) {
					c->code[c->last_dst] = x;
				} else if (kc) {
					emit_const(c, x, v);
				} else {
					uint32_t src = e->kind == E_LOCAL ? e->idx : S(c, top);
					if (src != x) {
						op(c, LW_OP_copy);
						w(c, x);
						w(c, src);
					}
				}
				c->kgen[x] = kc ? c->gen : 0;
				c->kval[x] = v;
			}
			c->last_dst = -1;
			pop(c, 1);
			if (b == 0x22)
				push(c, (ent){.kind = E_LOCAL, .known = kc, .idx = x, .val = v});
			break;
		}
		case 0x23: /* global.get */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t d = push_slot(c);
			op(c, LW_OP_global_get);
			c->last_dst = c->ncode;
			w(c, d);
			w(c, x);
			break;
		}
		case 0x24: /* global.set */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t s = use(c, c->h - 1);
			pop(c, 1);
			op(c, LW_OP_global_set_s);
			w(c, x);
			w(c, s);
			break;
		}
		case 0x25: /* table.get */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t i = use(c, c->h - 1);
			pop(c, 1);
			uint32_t d = push_slot(c);
			op(c, LW_OP_table_get);
			w(c, d);
			w(c, x);
			w(c, i);
			break;
		}
		case 0x26: /* table.set */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t v = use(c, c->h - 1);
			uint32_t i = use(c, c->h - 2);
			pop(c, 2);
			op(c, LW_OP_table_set);
			w(c, x);
			w(c, i);
			w(c, v);
			break;
		}
		case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
		case 0x2e: case 0x2f: case 0x30: case 0x31: case 0x32: case 0x33:
		case 0x34: case 0x35:
		{
			rd_u32(c); /* align */
			uint32_t off = rd_u32(c);
			if (skip)
				break;
			uint32_t a = use(c, c->h - 1);
			pop(c, 1);
			uint32_t d = push_slot(c);
			op(c, load_op(b));
			c->last_dst = c->ncode;
			w(c, d);
			w(c, a);
			w(c, off);
			break;
		}
		case 0x36: case 0x37: case 0x38: case 0x39: case 0x3a: case 0x3b:
		case 0x3c: case 0x3d: case 0x3e:
		{
			rd_u32(c);
			uint32_t off = rd_u32(c);
			if (skip)
				break;
			enum lw_op so = store_op(b);
			uint64_t cv;
			bool wide = so == LW_OP_i64_store_ss || so == LW_OP_f64_store_ss;
			if (is_const(&c->st[c->h - 1], &cv) &&
			    (!wide || (int64_t)cv == (int64_t)(int32_t)cv)) {
				/* a constant value: the immediate form (an f64 constant
				 * stores as its bits) */
				pop(c, 1);
				uint32_t a = use(c, c->h - 1);
				pop(c, 1);
				op(c, (enum lw_op)((wide ? LW_OP_i64_store_ss : so) + LW_SI));
				w(c, a);
				w(c, (uint32_t)cv);
				w(c, off);
				break;
			}
			uint32_t v = use(c, c->h - 1);
			uint32_t a = use(c, c->h - 2);
			pop(c, 2);
			op(c, so);
			w(c, a);
			w(c, v);
			w(c, off);
			break;
		}
		case 0x3f: /* memory.size */
		{
			rd_byte(c);
			if (skip)
				break;
			uint32_t d = push_slot(c);
			op(c, LW_OP_memory_size);
			w(c, d);
			break;
		}
		case 0x40: /* memory.grow */
		{
			rd_byte(c);
			if (skip)
				break;
			uint32_t n = use(c, c->h - 1);
			pop(c, 1);
			uint32_t d = push_slot(c);
			op(c, LW_OP_memory_grow);
			w(c, d);
			w(c, n);
			break;
		}
		case 0x41: /* i32.const */
		{
			uint32_t v = (uint32_t)rd_sleb(c);
			if (!skip)
				push(c, (ent){.kind = E_CONST, .val = v});
			break;
		}
		case 0x42: /* i64.const */
		{
			uint64_t v = (uint64_t)rd_sleb(c);
			if (!skip)
				push(c, (ent){.kind = E_CONST, .val = v});
			break;
		}
		case 0x43: /* f32.const */
		{
			uint32_t v = 0;
			if (c->end - c->p >= 4)
				memcpy(&v, c->p, 4);
			c->p += 4;
			if (!skip)
				push(c, (ent){.kind = E_CONST, .val = v});
			break;
		}
		case 0x44: /* f64.const */
		{
			uint64_t v = 0;
			if (c->end - c->p >= 8)
				memcpy(&v, c->p, 8);
			c->p += 8;
			if (!skip)
				push(c, (ent){.kind = E_CONST, .val = v});
			break;
		}
		case 0xd0: /* ref.null */
			rd_byte(c);
			if (!skip)
				push(c, (ent){.kind = E_CONST, .val = 0});
			break;
		case 0xd1: /* ref.is_null */
		{
			if (skip)
				break;
			uint32_t a = use(c, c->h - 1);
			pop(c, 1);
			uint32_t d = push_slot(c);
			op(c, LW_OP_i64_eqz_s);
			c->last_dst = c->ncode;
			w(c, d);
			w(c, a);
			break;
		}
		case 0xd2: /* ref.func */
		{
			x = rd_u32(c);
			if (skip)
				break;
			uint32_t d = push_slot(c);
			op(c, LW_OP_ref_func);
			w(c, d);
			w(c, x);
			break;
		}
		case 0xfc:
		{
			uint32_t sub = rd_u32(c);
			if (sub <= 7) {
				if (skip)
					break;
				uint32_t a = use(c, c->h - 1);
				pop(c, 1);
				uint32_t d = push_slot(c);
				static const uint16_t sat[8] = {
					LW_OP_i32_trunc_sat_f32_s, LW_OP_i32_trunc_sat_f32_u,
					LW_OP_i32_trunc_sat_f64_s_s, LW_OP_i32_trunc_sat_f64_u_s,
					LW_OP_i64_trunc_sat_f32_s, LW_OP_i64_trunc_sat_f32_u,
					LW_OP_i64_trunc_sat_f64_s_s, LW_OP_i64_trunc_sat_f64_u_s};
				op(c, (enum lw_op)sat[sub]);
				c->last_dst = c->ncode;
				w(c, d);
				w(c, a);
				break;
			}
			uint32_t i0 = 0, i1 = 0;
			switch (sub) {
			case 8: i0 = rd_u32(c); rd_byte(c); break;
			case 9: i0 = rd_u32(c); break;
			case 10: rd_byte(c); rd_byte(c); break;
			case 11: rd_byte(c); break;
			case 12: i0 = rd_u32(c); i1 = rd_u32(c); break; /* elem, table */
			case 13: i0 = rd_u32(c); break;
			case 14: i0 = rd_u32(c); i1 = rd_u32(c); break; /* dst, src */
			case 15: case 16: case 17: i0 = rd_u32(c); break;
			default:
				lw_error_set(err, LW_ERR_INVALID, 10, fidx, -1,
					     "compile: unknown 0xfc %u", sub);
				return -1;
			}
			if (skip)
				break;
			uint32_t s[3];
			uint32_t nin = 0;
			switch (sub) {
			case 8: case 10: case 11: case 12: case 14: case 17: nin = 3; break;
			case 15: nin = 2; break;
			}
			for (uint32_t k = 0; k < nin; k++)
				s[k] = use(c, c->h - nin + k);
			pop(c, nin);
			switch (sub) {
			case 8: op(c, LW_OP_memory_init); w(c, i0); w(c, s[0]); w(c, s[1]); w(c, s[2]); break;
			case 9: op(c, LW_OP_data_drop); w(c, i0); break;
			case 10: op(c, LW_OP_memory_copy); w(c, s[0]); w(c, s[1]); w(c, s[2]); break;
			case 11: op(c, LW_OP_memory_fill); w(c, s[0]); w(c, s[1]); w(c, s[2]); break;
			case 12: op(c, LW_OP_table_init); w(c, i1); w(c, i0); w(c, s[0]); w(c, s[1]); w(c, s[2]); break;
			case 13: op(c, LW_OP_elem_drop); w(c, i0); break;
			case 14: op(c, LW_OP_table_copy); w(c, i0); w(c, i1); w(c, s[0]); w(c, s[1]); w(c, s[2]); break;
			case 15: {
				uint32_t d = push_slot(c);
				op(c, LW_OP_table_grow); w(c, d); w(c, i0); w(c, s[0]); w(c, s[1]);
				break;
			}
			case 16: {
				uint32_t d = push_slot(c);
				op(c, LW_OP_table_size); w(c, d); w(c, i0);
				break;
			}
			case 17: op(c, LW_OP_table_fill); w(c, i0); w(c, s[0]); w(c, s[1]); w(c, s[2]); break;
			}
			break;
		}
		default:
		{
			numop n = numeric(b);
			if (n.kind == K_NONE) {
				lw_error_set(err, LW_ERR_INVALID, 10, fidx,
					     (int64_t)(c->p - 1 - m->bytes),
					     "compile: unsupported opcode 0x%02x", b);
				return -1;
			}
			if (skip || n.kind == K_NOP)
				break;
			if (n.kind == K_UN) {
				uint32_t a = use(c, c->h - 1);
				pop(c, 1);
				uint32_t d = push_slot(c);
				op(c, (enum lw_op)n.op);
				c->last_dst = c->ncode;
				w(c, d);
				w(c, a);
				break;
			}
			/* an immediate form when the right operand is a constant (or
			 * the left one, for a commutative operation): i64 immediates
			 * are sign-extended 32 bits, f64 ones take two words */
			bool isf = b >= 0xa0;
			bool is64 = (b >= 0x51 && b <= 0x5a) || (b >= 0x7c && b <= 0x8a);
			uint64_t cv = 0;
			int side = 0; /* 1: right constant, 2: left constant */
			if (n.imm) {
				if (is_const(&c->st[c->h - 1], &cv))
					side = 1;
				else if (n.comm && is_const(&c->st[c->h - 2], &cv))
					side = 2;
				if (side && is64 && (int64_t)cv != (int64_t)(int32_t)cv)
					side = 0;
			}
			if (side) {
				uint32_t a = use(c, c->h - (side == 1 ? 2 : 1));
				pop(c, 2);
				uint32_t d = push_slot(c);
				op(c, (enum lw_op)(n.imm - 1));
				c->last_dst = c->ncode;
				w(c, d);
				w(c, a);
				w(c, (uint32_t)cv);
				if (isf)
					w(c, (uint32_t)(cv >> 32));
				break;
			}
			uint32_t a = use(c, c->h - 2);
			uint32_t bb = use(c, c->h - 1);
			pop(c, 2);
			uint32_t d = push_slot(c);
			op(c, (enum lw_op)n.op);
			c->last_dst = c->ncode;
			w(c, d);
			w(c, a);
			w(c, bb);
			break;
		}
		}
	}
	if (c->oom) {
		lw_error_set(err, LW_ERR_NOMEM, 10, fidx, -1,
			     "out of memory compiling function %u", fidx);
		return -1;
	}
	lw_code *code = calloc(1, sizeof(*code));
	uint32_t *ops = malloc(c->ncode * sizeof(uint32_t));
	if (!code || !ops) {
		free(code);
		free(ops);
		lw_error_set(err, LW_ERR_NOMEM, 10, fidx, -1,
			     "out of memory compiling function %u", fidx);
		return -1;
	}
	int pr = lw_peephole(m, ft->nparams, c->code, c->ncode, c->starts, c->ops, c->nins,
			     c->words, &c->fuse);
	if (pr) {
		free(code);
		free(ops);
		lw_error_set(err, pr == -1 ? LW_ERR_NOMEM : LW_ERR_INVALID, 10, fidx, -1,
			     pr == -1 ? "out of memory compiling function %u"
				      : "compile: internal error: bad branch in function %u",
			     fidx);
		return -1;
	}
	memcpy(ops, c->code, c->ncode * sizeof(uint32_t));
	code->ops = ops;
	code->nops = c->ncode;
	code->nparams = ft->nparams;
	code->nresults = ft->nresults;
	code->nlocals = c->nlocals;
	/* results and call arguments never reach past the deepest stack */
	code->frame_size = c->nlocals + c->maxh + ft->nresults + 1;
	code->entry_fuel = c->code[enter + 3];
	fn->compiled = code;
	return 0;
}

int lw_compile(lw_module *m, lw_error *err)
{
	cc *c = calloc(1, sizeof(*c));
	if (!c) {
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return -1;
	}
	c->m = m;
	for (int i = 0; i < LW_OP_COUNT; i++)
		c->words[i] = lw_op_word((enum lw_op)i);
	lw_fusetab_init(&c->fuse);
	int rc = 0;
	for (uint32_t i = 0; i < m->nfuncs && rc == 0; i++)
		if (!m->funcs[i].imported)
			rc = compile_func(c, i, err);
	free(c->code);
	free(c->starts);
	free(c->ops);
	free(c->kgen);
	free(c->kval);
	free(c->st);
	free(c->ctls);
	free(c->pt);
	free(c);
	return rc;
}

void lw_compiled_free(void *compiled)
{
	lw_code *code = compiled;
	if (code) {
		free(code->ops);
		free(code);
	}
}
