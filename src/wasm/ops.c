/* ops.c - the description of every internal operation (lw_ops, see ops.h):
 * operand layout, destination, register mirrored, forms reading acc/fa.
 * peephole.c works from this table only, so an operation's handler in
 * exec.c and its entry here are the two places that must agree; a checking
 * build (LW_CHECK_ACC) verifies the register claims at run time. Also the
 * dumper of compiled code, for debugging and the docs.
 */
#include "wasm/ops.h"
#include "wasm/rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define O(n) LW_OP_##n
/* name, operand letters, destination word, register written */
#define E(n, f, d, w, ...) [O(n)] = {#n, f, sizeof(f), d, w, __VA_ARGS__}
#define NA LW_W_NONE
#define AC LW_W_ACC
#define FA LW_W_FA

/* The ten forms of a family whose two sources may come from acc or acc2:
 * F is the format with "xy" standing for the two sources, K1/K2 their
 * words. */
#define I_TEN(N, fss, fsi, fas, fsa, fai, fbs, fsb, fbi, fab, fba, d, w, K1, K2) \
	E(N##_ss, fss, d, w, 0, .to_a = {[K1] = O(N##_as), [K2] = O(N##_sa)},  \
	  .to_b = {[K1] = O(N##_bs), [K2] = O(N##_sb)}),                       \
	E(N##_si, fsi, d, w, 0, .to_a = {[K1] = O(N##_ai)}, .to_b = {[K1] = O(N##_bi)}), \
	E(N##_as, fas, d, w, 0, .to_b = {[K2] = O(N##_ab)}),                   \
	E(N##_sa, fsa, d, w, 0, .to_b = {[K1] = O(N##_ba)}),                   \
	E(N##_ai, fai, d, w, 0), E(N##_bs, fbs, d, w, 0, .to_a = {[K2] = O(N##_ba)}), \
	E(N##_sb, fsb, d, w, 0, .to_a = {[K1] = O(N##_ab)}), E(N##_bi, fbi, d, w, 0), \
	E(N##_ab, fab, d, w, 0), E(N##_ba, fba, d, w, 0),
/* integer binary operations: [op d a b] */
#define I_IBIN(X, P, n)                                                        \
	I_TEN(P##_##n, "dss", "dsi", "das", "dsa", "dai", "dbs", "dsb", "dbi", \
	      "dab", "dba", 1, AC, 2, 3)
/* compare and branch: [op a b rel cost] */
#define I_BRC(X, P, n)                                                         \
	I_TEN(P##_##n, "ssjc", "sijc", "asjc", "sajc", "aijc", "bsjc", "sbjc", \
	      "bijc", "abjc", "bajc", 0, NA, 1, 2)
/* stores: [op addr value off] */
#define I_ISTORE(X, P, n)                                                      \
	I_TEN(n, "ssi", "sii", "asi", "sai", "aii", "bsi", "sbi", "bii", "abi", \
	      "bai", 0, NA, 1, 2)
/* one integer source: [op d a] / loads [op d a off] / [op cond rel cost] */
#define I_THREE(n, fs, fa, fb, d, w, K)                                        \
	E(n##_s, fs, d, w, 0, .to_a = {[K] = O(n##_a)}, .to_b = {[K] = O(n##_b)}), \
	E(n##_a, fa, d, w, 0), E(n##_b, fb, d, w, 0),
#define I_IUN(X, P, n) I_THREE(n, "ds", "da", "db", 1, AC, 2)
#define I_ILOAD(X, P, n) I_THREE(n, "dsi", "dai", "dbi", 1, AC, 2)
#define I_BR1(X, P, n) I_THREE(n, "sjc", "ajc", "bjc", 0, NA, 1)
/* one f64 source: [op d a] */
#define I_FUN(X, P, n)                                                         \
	E(n##_s, "ds", 1, FA, 0, .to_f = {[2] = O(n##_f)}), E(n##_f, "df", 1, FA, 0),
#define I_FTOI(X, P, n)                                                        \
	E(n##_s, "ds", 1, AC, 0, .to_f = {[2] = O(n##_f)}), E(n##_f, "df", 1, AC, 0),
/* f64 binary: [op d a b] and [op d a lo hi] */
#define I_FBIN(X, P, n)                                                        \
	E(f64_##n##_ss, "dss", 1, FA, 0, .to_f = {[2] = O(f64_##n##_fs), [3] = O(f64_##n##_sf)}), \
	E(f64_##n##_fs, "dfs", 1, FA, 0), E(f64_##n##_sf, "dsf", 1, FA, 0),   \
	E(f64_##n##_si, "dsII", 1, FA, 0, .to_f = {[2] = O(f64_##n##_fi)}),  \
	E(f64_##n##_fi, "dfII", 1, FA, 0),
#define I_FCMP(X, P, n)                                                        \
	E(f64_##n##_ss, "dss", 1, AC, 0, .to_f = {[2] = O(f64_##n##_fs), [3] = O(f64_##n##_sf)}), \
	E(f64_##n##_fs, "dfs", 1, AC, 0), E(f64_##n##_sf, "dsf", 1, AC, 0),
#define I_F32UN(n) E(n, "ds", 1, NA, 0),
#define I_F32BIN(n) E(n, "dss", 1, NA, 0),
#define I_F32CMP(n) E(n, "dss", 1, AC, 0),

const lw_opinfo lw_ops[LW_OP_COUNT] = {
	E(enter, "nnn", 0, NA, 0),
	E(unreachable, "", 0, NA, 0),
	E(br, "jc", 0, NA, 0),
	E(ret, "", 0, NA, 0),
	E(call, "xs", 0, NA, 1),
	E(call_import, "xs", 0, NA, 1),
	E(copy, "ds", 1, AC, 0),
	E(const32, "di", 1, AC, 0),
	E(const64, "dII", 1, AC, 0),
	E(global_get, "dx", 1, AC, 0),
	E(ref_func, "dx", 1, NA, 0),
	E(table_get, "dxs", 1, NA, 0),
	E(table_set, "xss", 0, NA, 0),
	E(table_size, "dx", 1, NA, 0),
	E(table_grow, "dxss", 1, NA, 0),
	E(table_fill, "xsss", 0, NA, 0),
	E(table_copy, "xxsss", 0, NA, 0),
	E(table_init, "xxsss", 0, NA, 0),
	E(elem_drop, "x", 0, NA, 0),
	E(memory_size, "d", 1, AC, 0),
	E(memory_grow, "ds", 1, AC, 0),
	E(memory_fill, "sss", 0, NA, 0),
	E(memory_copy, "sss", 0, NA, 0),
	E(memory_init, "xsss", 0, NA, 0),
	E(data_drop, "x", 0, NA, 0),
	I_F32CMP(f32_eq) I_F32CMP(f32_ne) I_F32CMP(f32_lt) I_F32CMP(f32_gt)
	I_F32CMP(f32_le) I_F32CMP(f32_ge)
	I_F32UN(f32_abs) I_F32UN(f32_neg) I_F32UN(f32_ceil) I_F32UN(f32_floor)
	I_F32UN(f32_trunc) I_F32UN(f32_nearest) I_F32UN(f32_sqrt)
	I_F32BIN(f32_add) I_F32BIN(f32_sub) I_F32BIN(f32_mul) I_F32BIN(f32_div)
	I_F32BIN(f32_min) I_F32BIN(f32_max) I_F32BIN(f32_copysign)
	E(i32_trunc_f32_s, "ds", 1, AC, 0), E(i32_trunc_f32_u, "ds", 1, AC, 0),
	E(i64_trunc_f32_s, "ds", 1, AC, 0), E(i64_trunc_f32_u, "ds", 1, AC, 0),
	E(i32_trunc_sat_f32_s, "ds", 1, AC, 0), E(i32_trunc_sat_f32_u, "ds", 1, AC, 0),
	E(i64_trunc_sat_f32_s, "ds", 1, AC, 0), E(i64_trunc_sat_f32_u, "ds", 1, AC, 0),
	I_F32UN(f32_convert_i32_s) I_F32UN(f32_convert_i32_u)
	I_F32UN(f32_convert_i64_s) I_F32UN(f32_convert_i64_u)
	E(f64_promote_f32, "ds", 1, FA, 0),

	LW_IBIN(I_IBIN, _, i32) LW_IBIN(I_IBIN, _, i64)
	LW_ICMP(I_BRC, _, bri32) LW_ICMP(I_BRC, _, bri64)
	LW_IUN(I_IUN, _, _) LW_ILOAD(I_ILOAD, _, _) LW_BR1(I_BR1, _, _)

	E(br_table_s, "sT", 0, NA, 0, .to_a = {[1] = O(br_table_a)}),
	E(br_table_a, "aT", 0, NA, 0),
	E(select_s, "dsss", 1, AC, 0, .to_a = {[4] = O(select_a)}),
	E(select_a, "dssa", 1, AC, 0),
	E(global_set_s, "xs", 0, NA, 0, .to_a = {[2] = O(global_set_a)}),
	E(global_set_a, "xa", 0, NA, 0),
	E(call_indirect_s, "xxss", 0, NA, 1, .to_a = {[3] = O(call_indirect_a)}),
	E(call_indirect_a, "xxas", 0, NA, 1),
	E(f64_convert_i32_s_s, "ds", 1, FA, 0, .to_a = {[2] = O(f64_convert_i32_s_a)}),
	E(f64_convert_i32_s_a, "da", 1, FA, 0),
	E(f64_convert_i32_u_s, "ds", 1, FA, 0, .to_a = {[2] = O(f64_convert_i32_u_a)}),
	E(f64_convert_i32_u_a, "da", 1, FA, 0),
	E(f64_convert_i64_s_s, "ds", 1, FA, 0, .to_a = {[2] = O(f64_convert_i64_s_a)}),
	E(f64_convert_i64_s_a, "da", 1, FA, 0),
	E(f64_convert_i64_u_s, "ds", 1, FA, 0, .to_a = {[2] = O(f64_convert_i64_u_a)}),
	E(f64_convert_i64_u_a, "da", 1, FA, 0),
	E(f64_load_s, "dsi", 1, FA, 0, .to_a = {[2] = O(f64_load_a)}),
	E(f64_load_a, "dai", 1, FA, 0),

	LW_ISTORE(I_ISTORE, _, _)
	LW_FUN(I_FUN, _, _)
	LW_FTOI(I_FTOI, _, _)
	LW_FBIN(I_FBIN, _, _)
	LW_FCMP(I_FCMP, _, _)

	E(f64_store_ss, "ssi", 0, NA, 0, .to_a = {[1] = O(f64_store_as)}, .to_f = {[2] = O(f64_store_sf)}),
	E(f64_store_as, "asi", 0, NA, 0, .to_f = {[2] = O(f64_store_af)}),
	E(f64_store_sf, "sfi", 0, NA, 0, .to_a = {[1] = O(f64_store_af)}),
	E(f64_store_af, "afi", 0, NA, 0),

#define I_FZ(a, b) [O(a##__##b)] = {#a "+" #b, NULL, 0, 0, 0, 0, .fz_a = O(a), .fz_b = O(b)},
	LW_FUSED(I_FZ)
};

uint32_t lw_op_len(const uint32_t *code, enum lw_op op)
{
	if (!lw_ops[op].fmt)
		op = (enum lw_op)lw_ops[op].fz_a; /* a fused pair: its first half */
	if (op == LW_OP_br_table_s || op == LW_OP_br_table_a)
		return 3 + 2 * (code[2] + 1);
	return lw_ops[op].len;
}

/* ---- dumper ------------------------------------------------------------------ */

static int cmp_word(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return (*x >> 16) < (*y >> 16) ? -1 : (*x >> 16) > (*y >> 16);
}

int lw_code_dump(FILE *out, const lw_code *code)
{
	/* handler word -> operation, sorted for bsearch */
	uint64_t map[LW_OP_COUNT];
	uint32_t words[LW_OP_COUNT];
	lw_op_words(words);
	for (int i = 0; i < LW_OP_COUNT; i++)
		map[i] = ((uint64_t)words[i] << 16) | (uint64_t)i;
	qsort(map, LW_OP_COUNT, sizeof(map[0]), cmp_word);
	fprintf(out, "  ; %u params, %u locals, frame %u slots, entry fuel %u\n",
		code->nparams, code->nlocals - code->nparams, code->frame_size,
		code->entry_fuel);
	for (uint32_t p = 0; p < code->nops;) {
		uint64_t key = (uint64_t)code->ops[p] << 16;
		const uint64_t *hit = bsearch(&key, map, LW_OP_COUNT, sizeof(map[0]), cmp_word);
		if (!hit) {
			fprintf(out, "  %5u ??? %08x\n", p, code->ops[p]);
			return -1;
		}
		enum lw_op op = (enum lw_op)(*hit & 0xffff);
		const lw_opinfo *oi = &lw_ops[op];
		const uint32_t *w = code->ops + p;
		fprintf(out, "  %5u %-22s", p, oi->name);
		if (!oi->fmt)
			oi = &lw_ops[oi->fz_a]; /* fused: the words are the first half's */
		for (uint32_t k = 1; oi->fmt[k - 1]; k++) {
			switch (oi->fmt[k - 1]) {
			case 'd': fprintf(out, " ->%u", w[k]); break;
			case 's': fprintf(out, " %u", w[k]); break;
			case 'a': fprintf(out, " acc(%u)", w[k]); break;
			case 'f': fprintf(out, " fa(%u)", w[k]); break;
			case 'I':
				fprintf(out, " #0x%llx", (unsigned long long)w[k] |
				       (unsigned long long)w[k + 1] << 32);
				k++;
				break;
			case 'b': fprintf(out, " acc2(%u)", w[k]); break;
			case 'j': fprintf(out, " @%u", p + w[k]); break;
			case 'c': if (w[k]) fprintf(out, " fuel %u", w[k]); break;
			case 'T':
				fprintf(out, " [");
				for (uint32_t j = 0; j <= w[k]; j++)
					fprintf(out, "%s@%u%s", j ? " " : "",
						p + w[k + 1 + 2 * j],
						w[k + 2 + 2 * j] ? "*" : "");
				fprintf(out, "]");
				break;
			default: fprintf(out, " #%d", (int32_t)w[k]); break;
			}
		}
		fputc('\n', out);
		p += lw_op_len(w, op);
	}
	return 0;
}
