/* peephole.c - the last step of compiling a function: decides which
 * operands are read from the registers acc and fa instead of their slots
 * (see ops.h), over finished code.
 *
 * acc mirrors the destination slot of the last operation that wrote it,
 * acc2 the one before (until its slot is overwritten), fa the same for f64
 * results. Walking the instructions in order, the pass knows which slot
 * each register mirrors: a branch target (any instruction some branch lands
 * on) knows nothing, since it has several predecessors; an operation
 * writing a slot without updating the register that mirrors it ends the
 * mirror. An operand naming the mirrored slot switches to its register
 * form when the operation has one. The code layout never changes (only
 * operation words do), so the branch offsets stay valid and a trap or fuel
 * stop leaves a stream that reads the same either way.
 *
 * Calls pass one value each way in acc: a function starts with acc holding
 * its first parameter (the call, or `enter`, loads it), and after a call acc
 * holds the first result (`ret` loads it); acc2 and fa hold nothing known
 * after a call.
 */
#include "wasm/rt.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* Marks every branch target in lab[] (one byte per code word). Returns -1
 * when a target is outside the function or not an instruction start, which
 * the compiler never produces: the caller reports it as an internal error
 * instead of running a corrupt stream. */
static int mark_labels(const uint32_t *code, uint32_t ncode, const uint32_t *starts,
		       const uint16_t *ops, uint32_t nins, uint8_t *lab)
{
	/* lab[]: 1 = instruction start, 2 = start and branch target */
	memset(lab, 0, ncode + 1);
	for (uint32_t i = 0; i < nins; i++)
		lab[starts[i]] = 1;
	lab[ncode] = 1; /* the end, never a target in practice */
	for (uint32_t i = 0; i < nins; i++) {
		const uint32_t *w = code + starts[i];
		const lw_opinfo *oi = &lw_ops[ops[i]];
		uint32_t nt = 0, tg[1];
		const uint32_t *tab = NULL;
		if (ops[i] == LW_OP_br_table_s || ops[i] == LW_OP_br_table_a) {
			nt = w[2] + 1;
			tab = w + 3;
		} else {
			for (uint32_t k = 1; oi->fmt[k - 1]; k++)
				if (oi->fmt[k - 1] == 'j') {
					tg[0] = w[k];
					tab = tg;
					nt = 1;
				}
		}
		for (uint32_t j = 0; j < nt; j++) {
			uint32_t t = starts[i] + tab[tab == tg ? 0 : 2 * j];
			if (t >= ncode || !lab[t])
				return -1;
			lab[t] = 2;
		}
	}
	return 0;
}

/* Results of the function a call instruction calls. */
static uint32_t call_results(const lw_module *m, const uint32_t *w, enum lw_op op)
{
	if (op == LW_OP_call || op == LW_OP_call_import)
		return m->types[m->funcs[w[1]].type_idx].nresults;
	return m->types[w[1]].nresults; /* call_indirect: the type index */
}

static int cmp_pair(const void *a, const void *b)
{
	const uint16_t *x = a, *y = b;
	return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

void lw_fusetab_init(lw_fusetab *t)
{
	static const uint16_t all[][3] = {
#define LW_FZX(a, b) {LW_OP_##a, LW_OP_##b, LW_OP_##a##__##b},
		LW_FUSED(LW_FZX)
#undef LW_FZX
	};
	t->n = sizeof(all) / sizeof(all[0]);
	memcpy(t->pairs, all, sizeof(all));
	qsort(t->pairs, t->n, sizeof(t->pairs[0]), cmp_pair);
	memset(t->first, 0, sizeof(t->first));
	for (uint32_t i = t->n; i-- > 0;)
		t->first[t->pairs[i][0]] = (uint16_t)(i + 1);
}

/* The fused operation running a then b, or 0. */
static enum lw_op fused(const lw_fusetab *t, enum lw_op a, enum lw_op b)
{
	for (uint32_t i = t->first[a]; i && i <= t->n && t->pairs[i - 1][0] == a; i++)
		if (t->pairs[i - 1][1] == b)
			return (enum lw_op)t->pairs[i - 1][2];
	return (enum lw_op)0;
}

int lw_peephole(const lw_module *m, uint32_t nparams, uint32_t *code, uint32_t ncode,
		const uint32_t *starts, uint16_t *ops, uint32_t nins, const uint32_t *words,
		const lw_fusetab *ft)
{
	uint8_t *lab = malloc(ncode + 1);
	if (!lab)
		return -1;
	if (mark_labels(code, ncode, starts, ops, nins, lab)) {
		free(lab);
		return -2;
	}
	uint32_t acc = NONE, acc2 = NONE, fa = NONE;
	for (uint32_t i = 0; i < nins; i++) {
		uint32_t p = starts[i];
		if (lab[p] == 2 || i == 1)
			acc = acc2 = fa = NONE;
		/* where calls enter (see above), unless branches land there too */
		if (i == 1 && nparams && lab[p] != 2)
			acc = 0;
		enum lw_op op = (enum lw_op)ops[i];
		for (uint32_t k = 1; k < 5; k++) {
			const lw_opinfo *oi = &lw_ops[op];
			if (k > strlen(oi->fmt))
				break;
			if (oi->to_a[k] && acc != NONE && code[p + k] == acc)
				op = (enum lw_op)oi->to_a[k];
			else if (oi->to_b[k] && acc2 != NONE && code[p + k] == acc2)
				op = (enum lw_op)oi->to_b[k];
			else if (oi->to_f[k] && fa != NONE && code[p + k] == fa)
				op = (enum lw_op)oi->to_f[k];
		}
		if (op != ops[i]) {
			ops[i] = (uint16_t)op;
			code[p] = words[op];
		}
		const lw_opinfo *oi = &lw_ops[op];
		if (oi->clobber) {
			acc2 = fa = NONE;
			/* the argument base (the call's last word) holds the result */
			acc = call_results(m, code + p, op) ? code[p + oi->len - 1] : NONE;
		}
		if (oi->dst) {
			/* the slot written no longer matches any other mirror */
			uint32_t d = code[p + oi->dst];
			if (oi->wr == LW_W_ACC) {
				acc2 = acc; /* the handler moves acc to acc2 */
				acc = d;
			} else if (acc == d) {
				acc = NONE;
			}
			if (acc2 == d)
				acc2 = NONE;
			if (oi->wr == LW_W_FA)
				fa = d;
			else if (fa == d)
				fa = NONE;
		}
		/* after an unconditional transfer only a target can follow */
		if (op == LW_OP_br || op == LW_OP_ret || op == LW_OP_unreachable ||
		    op == LW_OP_br_table_s || op == LW_OP_br_table_a)
			acc = acc2 = fa = NONE;
	}
	/* fuse adjacent pairs, left to right, never across a branch target */
	for (uint32_t i = 0; i + 1 < nins; i++) {
		if (lab[starts[i + 1]] == 2)
			continue;
		enum lw_op f = fused(ft, (enum lw_op)ops[i], (enum lw_op)ops[i + 1]);
		if (f) {
			code[starts[i]] = words[f];
			ops[i] = (uint16_t)f;
			i++;
		}
	}
	free(lab);
	return 0;
}
