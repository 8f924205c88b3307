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
 *
 * Instructions are dispatched on their class in the opcode table
 * (opcodes.h) to one function per family: control() (which also runs in
 * unreachable code, to keep the frames), parametric(), variable(),
 * unary()/binary() for numeric operations, load(), store(), reference(), and
 * slots_op() for the table and memory operations, whose operands the row's
 * signature and immediates describe completely.
 */
#include "wasm/opcodes.h"
#include "wasm/rt.h"

#include <stdlib.h>
#include <string.h>

enum { E_SLOT, E_LOCAL, E_CONST };

typedef struct {
	uint8_t kind;
	bool known;   /* E_LOCAL: the local held the constant `val` when read */
	uint32_t idx; /* E_LOCAL: local index */
	uint64_t val; /* E_CONST (or a known E_LOCAL): bits */
} ent;

typedef struct {
	uint8_t op;	  /* WASM_block, _loop, _if; 0: the function */
	bool dead;	  /* opened in unreachable code: emits nothing */
	bool unreachable; /* the rest of this frame's body is unreachable */
	bool has_else;
	uint32_t height; /* stack height below the parameters */
	uint32_t nparams, nresults;
	uint32_t loop_pos; /* loop: its head */
	uint32_t fuel_at;  /* function: word holding the entry charge */
	uint32_t fuel_count;
	uint32_t fuel_owner;	   /* innermost loop/function frame */
	uint32_t else_at, else_op; /* if: branch to the else arm */
} ctl;

typedef struct {
	uint32_t at;	 /* word holding the offset */
	uint32_t op;	 /* start of the branch instruction */
	uint32_t target; /* ctl index */
	bool fuel;	 /* `at` is a backward branch's cost: the loop's */
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
	int64_t last_dst; /* word of the last instruction's destination */
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

static inline uint32_t S(cc *c, uint32_t h)
{
	return c->nlocals + h;
}

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

static uint32_t rd_u32(cc *c)
{
	return (uint32_t)rd_uleb(c);
}

static uint8_t rd_byte(cc *c)
{
	return c->p < c->end ? *c->p++ : 0;
}

static void rd_blocktype(cc *c, uint32_t *np, uint32_t *nr)
{
	uint8_t b = c->p < c->end ? *c->p : LW_BLOCKTYPE_EMPTY;
	if (b == LW_BLOCKTYPE_EMPTY) {
		c->p++;
		*np = *nr = 0;
	} else if (b == LW_I32 || b == LW_I64 || b == LW_F32 || b == LW_F64 || b == LW_FUNCREF ||
		   b == LW_EXTERNREF) {
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

static void add_patch(cc *c, uint32_t at, uint32_t opstart, uint32_t target, bool fuel)
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
	if (f->op == WASM_loop) {
		c->code[at] = f->loop_pos - opstart;
		add_patch(c, at + 1, opstart, t, true);
	} else {
		add_patch(c, at, opstart, t, false);
	}
}

static uint32_t label_arity(cc *c, uint32_t t)
{
	ctl *f = &c->ctls[t];
	return f->op == WASM_loop ? f->nparams : f->nresults;
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
	if (e->kind == E_SLOT && c->last_dst >= 0 && c->code[c->last_dst] == S(c, c->h - 1)) {
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
	f->fuel_owner = (o == WASM_loop || o == 0) ? c->nctl : c->ctls[c->nctl - 1].fuel_owner;
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

/* ---- immediates ----------------------------------------------------------------- */

typedef struct {
	uint32_t x, y; /* indices in binary order; a memarg's offset in x */
	uint64_t k;    /* a constant's bits */
} imms;

/* Reads the immediates of kind `imm` (opcodes.h). Block types and
 * br_table's labels are read by their instructions' own code. */
static void read_imms(cc *c, uint8_t imm, imms *im)
{
	im->x = im->y = 0;
	im->k = 0;
	switch (imm) {
	case LW_IM_LABEL:
	case LW_IM_FUNC:
	case LW_IM_LOCAL:
	case LW_IM_GLOBAL:
	case LW_IM_TABLE:
	case LW_IM_ELEM:
	case LW_IM_DATA:
		im->x = rd_u32(c);
		break;
	case LW_IM_TYPE_TABLE:
	case LW_IM_TABLE2:
	case LW_IM_ELEM_TABLE:
		im->x = rd_u32(c);
		im->y = rd_u32(c);
		break;
	case LW_IM_DATA_MEM:
		im->x = rd_u32(c);
		rd_byte(c);
		break;
	case LW_IM_MEMIDX2:
		rd_byte(c);
		/* fall through */
	case LW_IM_MEMIDX:
	case LW_IM_REFTYPE:
		rd_byte(c);
		break;
	case LW_IM_MEM1:
	case LW_IM_MEM2:
	case LW_IM_MEM4:
	case LW_IM_MEM8:
		rd_u32(c); /* alignment */
		im->x = rd_u32(c);
		break;
	case LW_IM_VALTYPES:
		for (uint32_t n = rd_u32(c); n; n--)
			rd_byte(c);
		break;
	case LW_IM_I32:
		im->k = (uint32_t)rd_sleb(c);
		break;
	case LW_IM_I64:
		im->k = (uint64_t)rd_sleb(c);
		break;
	case LW_IM_F32:
	case LW_IM_F64: {
		size_t n = imm == LW_IM_F32 ? 4 : 8;
		if ((size_t)(c->end - c->p) >= n)
			memcpy(&im->k, c->p, n);
		c->p += n;
		break;
	}
	}
}

/* How many index words an instruction of the table and memory families
 * carries after its destination: its immediates minus the memory indices. */
static uint32_t index_words(uint8_t imm)
{
	switch (imm) {
	case LW_IM_TABLE2:
	case LW_IM_ELEM_TABLE:
		return 2;
	case LW_IM_TABLE:
	case LW_IM_ELEM:
	case LW_IM_DATA:
	case LW_IM_DATA_MEM:
		return 1;
	}
	return 0;
}

/* ---- control instructions ------------------------------------------------------- */

static void c_block(cc *c, uint8_t b, bool skip)
{
	uint32_t np, nr;
	rd_blocktype(c, &np, &nr);
	if (skip) {
		push_ctl(c, b, np, nr, true);
		return;
	}
	flush(c);
	ctl *f = push_ctl(c, b, np, nr, false);
	if (b == WASM_loop && f) {
		/* a label: backward branches land here */
		f->loop_pos = c->ncode;
		c->last_dst = -1;
		forget_all(c);
	}
}

static void c_if(cc *c, bool skip)
{
	uint32_t np, nr;
	rd_blocktype(c, &np, &nr);
	if (skip) {
		push_ctl(c, WASM_if, np, nr, true);
		return;
	}
	/* the condition first, then everything else materialised */
	if (c->nvirt > (c->st[c->h - 1].kind != E_SLOT)) {
		ent cond = c->st[c->h - 1];
		pop(c, 1);
		flush(c);
		push(c, cond);
	}
	uint32_t at, s = cond_branch(c, true, &at);
	ctl *f = push_ctl(c, WASM_if, np, nr, false);
	if (f) {
		f->else_at = at;
		f->else_op = s;
	}
}

static void c_else(cc *c, ctl *cur)
{
	if (cur->dead)
		return;
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
}

static void c_end(cc *c)
{
	ctl f = c->ctls[c->nctl - 1];
	if (f.dead) {
		c->nctl--;
		return;
	}
	if (!f.unreachable)
		flush(c);
	if (f.op == WASM_if && !f.has_else) {
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
}

static void c_br_if(cc *c, uint32_t depth)
{
	uint32_t t = c->nctl - 1 - depth;
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
}

/* br_table: n + 1 label depths in lab[]. */
static void emit_br_table(cc *c, uint32_t n, const uint32_t *lab)
{
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
}

static void c_br_table(cc *c, bool skip)
{
	uint32_t n = rd_u32(c);
	uint32_t *lab = malloc((n + 1) * sizeof(uint32_t));
	if (!lab) {
		c->oom = true;
		return;
	}
	for (uint32_t i = 0; i <= n; i++)
		lab[i] = rd_u32(c);
	if (!skip) {
		emit_br_table(c, n, lab);
		c->ctls[c->nctl - 1].unreachable = true;
	}
	free(lab);
}

/* Arguments are materialised in consecutive slots: the callee's frame
 * starts at the first one. */
static uint32_t call_args(cc *c, const lw_functype *t)
{
	for (uint32_t i = c->h - t->nparams; i < c->h; i++)
		materialize(c, i);
	uint32_t base = S(c, c->h - t->nparams);
	pop(c, t->nparams);
	return base;
}

static void c_call(cc *c, uint32_t x)
{
	const lw_module *m = c->m;
	const lw_functype *t = &m->types[m->funcs[x].type_idx];
	uint32_t base = call_args(c, t);
	op(c, m->funcs[x].imported ? LW_OP_call_import : LW_OP_call);
	w(c, x);
	w(c, base);
	for (uint32_t i = 0; i < t->nresults; i++)
		push_slot(c);
}

static void c_call_indirect(cc *c, uint32_t type, uint32_t table)
{
	const lw_functype *t = &c->m->types[type];
	uint32_t ei = use(c, c->h - 1);
	pop(c, 1);
	uint32_t base = call_args(c, t);
	op(c, LW_OP_call_indirect_s);
	w(c, type);
	w(c, table);
	w(c, ei);
	w(c, base);
	for (uint32_t i = 0; i < t->nresults; i++)
		push_slot(c);
}

/* Control instructions run in unreachable code too: frames opened there
 * must be closed by their `end`. */
static void control(cc *c, uint8_t b, const imms *im)
{
	ctl *cur = &c->ctls[c->nctl - 1];
	bool skip = cur->unreachable;
	switch (b) {
	case WASM_block:
	case WASM_loop:
		c_block(c, b, skip);
		return;
	case WASM_if:
		c_if(c, skip);
		return;
	case WASM_else:
		c_else(c, cur);
		return;
	case WASM_end:
		c_end(c);
		return;
	case WASM_br_table:
		c_br_table(c, skip);
		return;
	}
	if (skip)
		return;
	switch (b) {
	case WASM_br_if:
		c_br_if(c, im->x);
		return;
	case WASM_call:
		c_call(c, im->x);
		return;
	case WASM_call_indirect:
		c_call_indirect(c, im->x, im->y);
		return;
	case WASM_unreachable:
		op(c, LW_OP_unreachable);
		break;
	case WASM_br:
		emit_br(c, c->nctl - 1 - im->x);
		break;
	case WASM_return:
		emit_return(c);
		break;
	default:
		return; /* nop */
	}
	cur->unreachable = true;
}

/* ---- parametric and variable instructions ---------------------------------------- */

static void parametric(cc *c, uint8_t b, const lw_wasm_op *o)
{
	if (b == WASM_drop) {
		pop(c, 1);
		return;
	}
	/* select, select t */
	uint32_t cs = use(c, c->h - 1);
	uint32_t bs = use(c, c->h - 2);
	uint32_t as = use(c, c->h - 3);
	pop(c, 3);
	uint32_t d = push_slot(c);
	op(c, (enum lw_op)o->lw);
	c->last_dst = c->ncode;
	w(c, d);
	w(c, as);
	w(c, bs);
	w(c, cs);
}

/* local.set and local.tee: retarget the instruction that computed the
 * value when it can, and track what the local is known to hold. */
static void local_set(cc *c, uint32_t x, bool tee)
{
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
		if (e->kind == E_SLOT && c->last_dst >= 0 && c->code[c->last_dst] == S(c, top)) {
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
	if (tee)
		push(c, (ent){.kind = E_LOCAL, .known = kc, .idx = x, .val = v});
}

static void variable(cc *c, uint8_t b, uint32_t x)
{
	switch (b) {
	case WASM_local_get: {
		uint64_t v = 0;
		bool k = known(c, x, &v);
		push(c, (ent){.kind = E_LOCAL, .known = k, .idx = x, .val = v});
		break;
	}
	case WASM_local_set:
	case WASM_local_tee:
		local_set(c, x, b == WASM_local_tee);
		break;
	case WASM_global_get: {
		uint32_t d = push_slot(c);
		op(c, LW_OP_global_get);
		c->last_dst = c->ncode;
		w(c, d);
		w(c, x);
		break;
	}
	case WASM_global_set: {
		uint32_t s = use(c, c->h - 1);
		pop(c, 1);
		op(c, LW_OP_global_set_s);
		w(c, x);
		w(c, s);
		break;
	}
	}
}

/* ---- numeric instructions --------------------------------------------------------- */

static void unary(cc *c, enum lw_op o)
{
	uint32_t a = use(c, c->h - 1);
	pop(c, 1);
	uint32_t d = push_slot(c);
	op(c, o);
	c->last_dst = c->ncode;
	w(c, d);
	w(c, a);
}

/* The immediate form when the right operand is a constant (or the left
 * one, for a commutative operation): i64 immediates are sign-extended 32
 * bits, f64 ones take two words. */
static void binary(cc *c, const lw_wasm_op *o)
{
	bool isf = o->cls == LW_WC_BINARY_F;
	bool is64 = o->cls == LW_WC_BINARY_I && o->sig[0] == 'I';
	uint64_t cv = 0;
	int side = 0; /* 1: right constant, 2: left constant */
	if (o->cls != LW_WC_BINARY) {
		if (is_const(&c->st[c->h - 1], &cv))
			side = 1;
		else if (o->comm && is_const(&c->st[c->h - 2], &cv))
			side = 2;
		if (side && is64 && (int64_t)cv != (int64_t)(int32_t)cv)
			side = 0;
	}
	if (side) {
		uint32_t a = use(c, c->h - (side == 1 ? 2 : 1));
		pop(c, 2);
		uint32_t d = push_slot(c);
		op(c, (enum lw_op)(o->lw + (isf ? LW_FSI : LW_SI)));
		c->last_dst = c->ncode;
		w(c, d);
		w(c, a);
		w(c, (uint32_t)cv);
		if (isf)
			w(c, (uint32_t)(cv >> 32));
		return;
	}
	uint32_t a = use(c, c->h - 2);
	uint32_t b = use(c, c->h - 1);
	pop(c, 2);
	uint32_t d = push_slot(c);
	op(c, (enum lw_op)o->lw);
	c->last_dst = c->ncode;
	w(c, d);
	w(c, a);
	w(c, b);
}

/* ---- memory, table and reference instructions -------------------------------------- */

static void load(cc *c, const lw_wasm_op *o, uint32_t off)
{
	uint32_t a = use(c, c->h - 1);
	pop(c, 1);
	uint32_t d = push_slot(c);
	op(c, (enum lw_op)o->lw);
	c->last_dst = c->ncode;
	w(c, d);
	w(c, a);
	w(c, off);
}

/* A constant value takes the immediate form (an f64 constant stores as its
 * bits, through i64.store). */
static void store(cc *c, const lw_wasm_op *o, uint32_t off)
{
	enum lw_op so = (enum lw_op)o->lw;
	uint64_t cv;
	bool wide = so == LW_OP_i64_store_ss || so == LW_OP_f64_store_ss;
	if (is_const(&c->st[c->h - 1], &cv) && (!wide || (int64_t)cv == (int64_t)(int32_t)cv)) {
		pop(c, 1);
		uint32_t a = use(c, c->h - 1);
		pop(c, 1);
		op(c, (enum lw_op)((wide ? LW_OP_i64_store_ss : so) + LW_SI));
		w(c, a);
		w(c, (uint32_t)cv);
		w(c, off);
		return;
	}
	uint32_t v = use(c, c->h - 1);
	uint32_t a = use(c, c->h - 2);
	pop(c, 2);
	op(c, so);
	w(c, a);
	w(c, v);
	w(c, off);
}

/* The table and memory families other than loads and stores:
 * [op (d) indices... sources...], the sources and the result as the
 * signature says, the indices as the binary has them. */
static void slots_op(cc *c, const lw_wasm_op *o, const imms *im)
{
	const char *colon = strchr(o->sig, ':');
	uint32_t nin = (uint32_t)(colon - o->sig), s[3];
	for (uint32_t k = 0; k < nin; k++)
		s[k] = use(c, c->h - nin + k);
	pop(c, nin);
	uint32_t d = colon[1] ? push_slot(c) : 0;
	op(c, (enum lw_op)o->lw);
	if (colon[1])
		w(c, d);
	uint32_t ni = index_words(o->imm);
	if (ni > 0)
		w(c, im->x);
	if (ni > 1)
		w(c, im->y);
	for (uint32_t k = 0; k < nin; k++)
		w(c, s[k]);
}

static void reference(cc *c, uint8_t b, const lw_wasm_op *o, uint32_t x)
{
	if (b == WASM_ref_null) {
		push(c, (ent){.kind = E_CONST, .val = 0});
	} else if (b == WASM_ref_is_null) {
		unary(c, (enum lw_op)o->lw); /* a null reference is 0 */
	} else {			     /* ref.func */
		uint32_t d = push_slot(c);
		op(c, LW_OP_ref_func);
		w(c, d);
		w(c, x);
	}
}

/* One instruction outside the control family, in reachable code. */
static void instr(cc *c, uint8_t b, const lw_wasm_op *o, const imms *im)
{
	switch (o->cls) {
	case LW_WC_PARAMETRIC:
		parametric(c, b, o);
		break;
	case LW_WC_VARIABLE:
		variable(c, b, im->x);
		break;
	case LW_WC_CONST:
		push(c, (ent){.kind = E_CONST, .val = im->k});
		break;
	case LW_WC_LOAD:
		load(c, o, im->x);
		break;
	case LW_WC_STORE:
		store(c, o, im->x);
		break;
	case LW_WC_TABLE:
	case LW_WC_MEMORY:
		slots_op(c, o, im);
		break;
	case LW_WC_REFERENCE:
		reference(c, b, o, im->x);
		break;
	case LW_WC_UNARY:
		unary(c, (enum lw_op)o->lw);
		break;
	case LW_WC_NOP:
		break;
	default:
		binary(c, o);
		break;
	}
}

/* ---- one function ------------------------------------------------------------ */

/* Resets the per-function state; declared locals start known to be 0. */
static int begin_func(cc *c, uint32_t fidx, const lw_functype *ft, lw_error *err)
{
	const lw_func *fn = &c->m->funcs[fidx];
	c->p = c->m->bytes + fn->body_off;
	c->end = c->m->bytes + fn->body_off + fn->body_len;
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
		c->kgen[i] = c->gen;
		c->kval[i] = 0;
	}
	return 0;
}

/* Picks the register forms and hands the code to the function. */
static int finish_func(cc *c, uint32_t fidx, const lw_functype *ft, uint32_t enter, lw_error *err)
{
	lw_code *code = calloc(1, sizeof(*code));
	uint32_t *ops = malloc(c->ncode * sizeof(uint32_t));
	if (!code || !ops) {
		free(code);
		free(ops);
		lw_error_set(err, LW_ERR_NOMEM, 10, fidx, -1, "out of memory compiling function %u",
			     fidx);
		return -1;
	}
	int pr = lw_peephole(c->m, ft->nparams, c->code, c->ncode, c->starts, c->ops, c->nins,
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
	/* a call also pays for the frame it sets up: one unit per declared
	 * local that `enter` (or the call) zeroes */
	c->code[enter + 3] += c->nlocals - ft->nparams;
	memcpy(ops, c->code, c->ncode * sizeof(uint32_t));
	code->ops = ops;
	code->nops = c->ncode;
	code->nparams = ft->nparams;
	code->nresults = ft->nresults;
	code->nlocals = c->nlocals;
	/* results and call arguments never reach past the deepest stack */
	code->frame_size = c->nlocals + c->maxh + ft->nresults + 1;
	code->entry_fuel = c->code[enter + 3];
	c->m->funcs[fidx].compiled = code;
	return 0;
}

static int compile_func(cc *c, uint32_t fidx, lw_error *err)
{
	const lw_module *m = c->m;
	const lw_functype *ft = &m->types[m->funcs[fidx].type_idx];
	if (begin_func(c, fidx, ft, err))
		return -1;
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
		int64_t at = c->p - m->bytes;
		uint8_t b = *c->p++;
		const lw_wasm_op *o = &lw_wasm_ops[b];
		if (b == WASM_prefix_fc) {
			uint32_t sub = rd_u32(c);
			if (!(o = lw_wasm_fc(sub))) {
				lw_error_set(err, LW_ERR_INVALID, 10, fidx, at,
					     "compile: unknown 0xfc %u", sub);
				return -1;
			}
		} else if (o->cls == LW_WC_ILLEGAL) {
			lw_error_set(err, LW_ERR_INVALID, 10, fidx, at,
				     "compile: unsupported opcode 0x%02x", b);
			return -1;
		}
		ctl *cur = &c->ctls[c->nctl - 1];
		c->ctls[cur->fuel_owner].fuel_count++;
		imms im;
		read_imms(c, o->imm, &im);
		if (o->cls == LW_WC_CONTROL)
			control(c, b, &im);
		else if (!cur->unreachable)
			instr(c, b, o, &im);
	}
	if (c->oom) {
		lw_error_set(err, LW_ERR_NOMEM, 10, fidx, -1, "out of memory compiling function %u",
			     fidx);
		return -1;
	}
	return finish_func(c, fidx, ft, enter, err);
}

int lw_compile(lw_module *m, lw_error *err)
{
	cc *c = calloc(1, sizeof(*c));
	if (!c) {
		lw_error_set(err, LW_ERR_NOMEM, -1, -1, -1, "out of memory");
		return -1;
	}
	c->m = m;
	lw_op_words(c->words);
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
