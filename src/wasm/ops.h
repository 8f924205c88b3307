/* ops.h - the interpreter's operation set: every internal operation, its
 * operand layout and where each operand is read from. Shared by compile.c
 * (which emits them), peephole.c (which picks operand forms and fuses
 * pairs), exec.c (one handler each) and ops.c (the description table and
 * the dumper). Internal to src/wasm/.
 *
 * Adding an operation: the checklist
 * ----------------------------------
 * Say the Wasm instruction `i32.foo` (ii:i) is missing. In order:
 *
 *  1. opcodes.h: one row in LW_WASM_OPS (LW_WASM_FC_OPS behind 0xfc):
 *       X(0x.., i32_foo, "i32.foo", "ii:i", BINARY_I, 0, NONE, i32_foo_ss)
 *     That alone makes decode.c skip its immediates and validate.c check
 *     its types (every class but CONTROL, PARAMETRIC, VARIABLE and
 *     REFERENCE is validated from the signature and the immediates kind).
 *  2. This file: the internal operation(s), in the family whose forms it
 *     has: LW_IARITH (integer binary, ten forms: add `F(X, P, foo)`),
 *     LW_IUN (integer unary: _s _a _b), LW_FUN / LW_FBIN (f64), LW_PLAIN
 *     (slot operands only), ... The order inside a family is free, except
 *     LW_ICMP's (fuse_cmp() in compile.c negates a comparison by position).
 *  3. ops.c: its lw_ops[] entry (operand letters, destination, register it
 *     writes, register forms). A family's entries come from its I_* macro,
 *     so a new member of an existing family needs nothing here.
 *  4. exec.c: its handler(s), labelled L_<op>; one line for a family
 *     member (`BOTH(foo, r = ..., r = ...)` for LW_IARITH). The build
 *     fails on a handler missing for an operation declared here.
 *  5. compile.c: nothing when its class is one compile.c lowers already
 *     (UNARY, BINARY, BINARY_I, BINARY_F, NOP, LOAD, STORE, TABLE,
 *     MEMORY: instr() dispatches on the class and emits the row's `lw`);
 *     otherwise a case in the family's function (control(), variable(),
 *     parametric(), reference()).
 *  6. peephole.c: nothing (it reads lw_ops[]). A fused pair with it, if
 *     profiles ask for one: LW_FUSED below and an FZ() line in exec.c.
 *  7. Tests: the spec suite (tests/spec) covers every instruction of the
 *     standard; a new one needs its .wast there or a module under
 *     tests/wasm/. docs/wasm-exec.md follows i32.add through every step.
 *
 * Operand forms
 * -------------
 * An operation's name ends with one letter per source operand saying where
 * it is read from, like wasm3's _r/_s convention:
 *
 *   s  a frame slot:          fp[word]
 *   i  an immediate:          the word itself (i64: sign-extended; f64: two words)
 *   a  the integer register:  `acc`, which holds the result of the last
 *                             integer-valued operation (i32 zero-extended)
 *   b  the second one:        `acc2`, the integer result before that one
 *   f  the float register:    `fa`, the result of the last f64 operation
 *
 * Every operation that produces an integer writes its destination slot AND
 * acc, moving the previous acc to acc2; every f64 operation writes its slot
 * AND fa. So the registers only ever mirror slots (acc2 stops mirroring
 * when its slot is overwritten), and an `a`/`b`/`f` form keeps the slot's
 * word in place:
 * `i32_add_as d a b` reads acc instead of fp[a], knowing acc == fp[a]. That
 * makes the choice of forms a pure peephole (peephole.c) over finished code,
 * and lets a checking build (LW_CHECK_ACC) verify every register read
 * against the slot it stands for.
 *
 * Families keep their forms consecutive, in the order given by LW_F5 and
 * friends, so compile.c can go from the slot form to the immediate form by
 * arithmetic (`op + LW_SI`).
 */
#ifndef LW_OPS_H
#define LW_OPS_H

#include <stdint.h>

/* Integer binary operations: 10 comparisons, then 15 arithmetic operations.
 * Each exists for i32 and i64. The order of the comparisons matters
 * (fuse_cmp() in compile.c negates one by its position); the opcode table
 * (opcodes.h) names each operation, so no other order does. */
#define LW_ICMP(F, X, P)                                                       \
	F(X, P, eq) F(X, P, ne) F(X, P, lt_s) F(X, P, lt_u) F(X, P, gt_s)      \
	F(X, P, gt_u) F(X, P, le_s) F(X, P, le_u) F(X, P, ge_s) F(X, P, ge_u)
#define LW_IARITH(F, X, P)                                                     \
	F(X, P, add) F(X, P, sub) F(X, P, mul) F(X, P, div_s) F(X, P, div_u)   \
	F(X, P, rem_s) F(X, P, rem_u) F(X, P, and) F(X, P, or) F(X, P, xor)    \
	F(X, P, shl) F(X, P, shr_s) F(X, P, shr_u) F(X, P, rotl) F(X, P, rotr)
#define LW_IBIN(F, X, P) LW_ICMP(F, X, P) LW_IARITH(F, X, P)

/* Integer unary operations producing an integer (forms s, a). */
#define LW_IUN(F, X, P)                                                        \
	F(X, P, i32_eqz) F(X, P, i32_clz) F(X, P, i32_ctz)                     \
	F(X, P, i32_popcnt) F(X, P, i32_extend8_s) F(X, P, i32_extend16_s)     \
	F(X, P, i64_eqz) F(X, P, i64_clz) F(X, P, i64_ctz)                     \
	F(X, P, i64_popcnt) F(X, P, i64_extend8_s) F(X, P, i64_extend16_s)     \
	F(X, P, i64_extend32_s) F(X, P, i32_wrap_i64)                          \
	F(X, P, i64_extend_i32_s)

/* Integer loads (forms s, a for the address; result to acc). */
#define LW_ILOAD(F, X, P)                                                      \
	F(X, P, i32_load) F(X, P, i64_load) F(X, P, i32_load8_s)               \
	F(X, P, i32_load8_u) F(X, P, i32_load16_s) F(X, P, i32_load16_u)       \
	F(X, P, i64_load8_s) F(X, P, i64_load8_u) F(X, P, i64_load16_s)        \
	F(X, P, i64_load16_u) F(X, P, i64_load32_s) F(X, P, i64_load32_u)

/* Integer stores of the low 32/64/8/16 bits. */
#define LW_ISTORE(F, X, P)                                                     \
	F(X, P, i32_store) F(X, P, i64_store) F(X, P, store8) F(X, P, store16)

/* Conditional branches on one integer (forms s, a). */
#define LW_BR1(F, X, P)                                                        \
	F(X, P, br_if) F(X, P, br_unless) F(X, P, br_nez64) F(X, P, br_eqz64)

/* Operations with one integer source that may come from acc (forms s, a),
 * producing something that is not an integer (or not a value). */
#define LW_IMISC(F, X, P)                                                      \
	F(X, P, br_table) F(X, P, select) F(X, P, global_set)                  \
	F(X, P, call_indirect) F(X, P, f64_convert_i32_s)                      \
	F(X, P, f64_convert_i32_u) F(X, P, f64_convert_i64_s)                  \
	F(X, P, f64_convert_i64_u) F(X, P, f64_load)

/* f64 operations with one f64 source (forms s, f): unary operations
 * producing f64, and conversions producing an integer. */
#define LW_FUN(F, X, P)                                                        \
	F(X, P, f64_abs) F(X, P, f64_neg) F(X, P, f64_ceil) F(X, P, f64_floor) \
	F(X, P, f64_trunc) F(X, P, f64_nearest) F(X, P, f64_sqrt)              \
	F(X, P, f32_demote_f64)
#define LW_FTOI(F, X, P)                                                       \
	F(X, P, i32_trunc_f64_s) F(X, P, i32_trunc_f64_u)                      \
	F(X, P, i64_trunc_f64_s) F(X, P, i64_trunc_f64_u)                      \
	F(X, P, i32_trunc_sat_f64_s) F(X, P, i32_trunc_sat_f64_u)              \
	F(X, P, i64_trunc_sat_f64_s) F(X, P, i64_trunc_sat_f64_u)

/* f64 binary operations producing f64 (forms ss fs sf si fi) and
 * comparisons producing an i32 (forms ss fs sf). */
#define LW_FBIN(F, X, P)                                                       \
	F(X, P, add) F(X, P, sub) F(X, P, mul) F(X, P, div) F(X, P, min)       \
	F(X, P, max) F(X, P, copysign)
#define LW_FCMP(F, X, P)                                                       \
	F(X, P, eq) F(X, P, ne) F(X, P, lt) F(X, P, gt) F(X, P, le) F(X, P, ge)

/* Operations with slot operands only. */
#define LW_PLAIN(X)                                                            \
	X(enter) X(unreachable) X(br) X(ret) X(call) X(call_import) X(copy)    \
	X(const32) X(const64) X(global_get) X(ref_func) X(table_get)           \
	X(table_set) X(table_size) X(table_grow) X(table_fill) X(table_copy)   \
	X(table_init) X(elem_drop) X(memory_size) X(memory_grow)               \
	X(memory_fill) X(memory_copy) X(memory_init) X(data_drop)              \
	X(f32_eq) X(f32_ne) X(f32_lt) X(f32_gt) X(f32_le) X(f32_ge)            \
	X(f32_abs) X(f32_neg) X(f32_ceil) X(f32_floor) X(f32_trunc)            \
	X(f32_nearest) X(f32_sqrt) X(f32_add) X(f32_sub) X(f32_mul)            \
	X(f32_div) X(f32_min) X(f32_max) X(f32_copysign)                       \
	X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i64_trunc_f32_s)               \
	X(i64_trunc_f32_u) X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u)       \
	X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) X(f32_convert_i32_s)     \
	X(f32_convert_i32_u) X(f32_convert_i64_s) X(f32_convert_i64_u)         \
	X(f64_promote_f32)

/* Form expanders: X receives the full operation name. */
#define LW_F2A(X, P, n) X(n##_s) X(n##_a)
#define LW_F3A(X, P, n) X(n##_s) X(n##_a) X(n##_b)
#define LW_F2F(X, P, n) X(n##_s) X(n##_f)
#define LW_F10(X, P, n)                                                        \
	X(P##_##n##_ss) X(P##_##n##_si) X(P##_##n##_as) X(P##_##n##_sa)        \
	X(P##_##n##_ai) X(P##_##n##_bs) X(P##_##n##_sb) X(P##_##n##_bi)        \
	X(P##_##n##_ab) X(P##_##n##_ba)
#define LW_F10S(X, P, n)                                                       \
	X(n##_ss) X(n##_si) X(n##_as) X(n##_sa) X(n##_ai) X(n##_bs) X(n##_sb)  \
	X(n##_bi) X(n##_ab) X(n##_ba)
#define LW_F5F(X, P, n) X(f64_##n##_ss) X(f64_##n##_fs) X(f64_##n##_sf) X(f64_##n##_si) X(f64_##n##_fi)
#define LW_F3F(X, P, n) X(f64_##n##_ss) X(f64_##n##_fs) X(f64_##n##_sf)

/* Every operation, as X(name). */
#define LW_OPS(X)                                                              \
	LW_PLAIN(X)                                                            \
	LW_IBIN(LW_F10, X, i32) LW_IBIN(LW_F10, X, i64)                        \
	LW_ICMP(LW_F10, X, bri32) LW_ICMP(LW_F10, X, bri64)                    \
	LW_IUN(LW_F3A, X, _) LW_ILOAD(LW_F3A, X, _) LW_BR1(LW_F3A, X, _)       \
	LW_IMISC(LW_F2A, X, _) LW_ISTORE(LW_F10S, X, _)                        \
	LW_FUN(LW_F2F, X, _) LW_FTOI(LW_F2F, X, _)                             \
	LW_FBIN(LW_F5F, X, _) LW_FCMP(LW_F3F, X, _)                            \
	X(f64_store_ss) X(f64_store_as) X(f64_store_sf) X(f64_store_af)

/* Fused pairs: one handler that runs two adjacent instructions A and B as
 * written, with no dispatch in between (peephole.c fuses them last; B keeps
 * its words and its own operation word, so the stream decodes the same and
 * a fuel stop at B resumes B alone). X(A, B) names LW_OP_A__B. The pairs
 * are the common shapes of compiled code: an address computed then used,
 * a counter stepped then tested, an f64 loaded then used, a result stored. */
#define LW_FZ_LOAD(X, H, n) X(H, n##_a)
#define LW_FZ_STORE(X, H, n) X(H, n##_as) X(H, n##_ai)
#define LW_FZ_BRC(X, H, n) X(H, bri32_##n##_ai) X(H, bri32_##n##_as) X(H, bri32_##n##_sa)
#define LW_FZ_FLOAD(X, L, n) X(L, f64_##n##_sf) X(L, f64_##n##_fs)
#define LW_FZ_FSTORE(X, P, n)                                                  \
	X(f64_##n##_ss, f64_store_sf) X(f64_##n##_sf, f64_store_sf)            \
	X(f64_##n##_fs, f64_store_sf) X(f64_##n##_ss, f64_store_af)            \
	X(f64_##n##_sf, f64_store_af) X(f64_##n##_fs, f64_store_af)
#define LW_FARITH(F, X, P) F(X, P, add) F(X, P, sub) F(X, P, mul) F(X, P, div)
#define LW_FZ_ADDS(F, X, P) F(X, i32_add_sa, P) F(X, i32_add_as, P) F(X, i32_add_ai, P) F(X, i32_add_bi, P)
#define LW_FZ_ADDLD(X, H, _)                                                   \
	X(H, i32_add_si) X(H, i32_load_a) X(H, i32_load8_u_a)                  \
	X(H, i32_load16_s_a) X(H, i32_load16_u_a) X(H, f64_load_a)
#define LW_FZ_BRADD(X, H, n) X(bri32_##n##_ai, i32_add_si) X(bri32_##n##_si, i32_add_si)
#define LW_FZ_STADD(X)                                                         \
	X(i32_store_ss, i32_add_si) X(i32_store_sa, i32_add_si)                \
	X(i32_store_si, i32_add_si) X(i32_store_ba, i32_add_si)                \
	X(i32_store_bs, i32_add_si) X(store8_si, i32_add_si)                   \
	X(store8_sa, i32_add_si) X(store8_ba, i32_add_si)                      \
	X(f64_store_sf, i32_add_si) X(f64_store_af, i32_add_si)
#define LW_FZ_FMUL1(X, H, n) X(H, f64_##n##_fs) X(H, f64_##n##_sf)
#define LW_FZ_FMUL(X)                                                          \
	LW_FZ_FMUL1(X, f64_mul_ss, add) LW_FZ_FMUL1(X, f64_mul_ss, sub)        \
	LW_FZ_FMUL1(X, f64_mul_ss, mul) LW_FZ_FMUL1(X, f64_mul_sf, add)        \
	LW_FZ_FMUL1(X, f64_mul_sf, sub) LW_FZ_FMUL1(X, f64_mul_sf, mul)        \
	LW_FZ_FMUL1(X, f64_mul_fs, add) LW_FZ_FMUL1(X, f64_mul_fs, sub)        \
	LW_FZ_FMUL1(X, f64_mul_fs, mul)
#define LW_FUSED(X)                                                            \
	LW_FZ_ADDS(LW_FZ_ADDLD, X, _) LW_ICMP(LW_FZ_BRADD, X, _)               \
	X(i32_add_ss, ret) X(i32_add_si, ret) X(i32_and_si, br_if_a)           \
	X(i32_and_si, br_unless_a) LW_FZ_STADD(X) X(i32_add_ss, i32_add_ss)    \
	X(i32_add_si, copy) LW_FZ_FMUL(X)                                      \
	LW_ILOAD(LW_FZ_LOAD, X, i32_add_si) X(i32_add_si, f64_load_a)          \
	LW_ILOAD(LW_FZ_LOAD, X, i32_add_ss) X(i32_add_ss, f64_load_a)          \
	LW_ISTORE(LW_FZ_STORE, X, i32_add_si) X(i32_add_si, f64_store_as)      \
	LW_ISTORE(LW_FZ_STORE, X, i32_add_ss) X(i32_add_ss, f64_store_as)      \
	LW_ICMP(LW_FZ_BRC, X, i32_add_si)                                      \
	X(i32_add_si, i32_add_si) X(i32_add_si, i32_add_ss)                    \
	X(i32_add_ss, i32_add_si) X(copy, copy)                                \
	LW_FARITH(LW_FZ_FLOAD, X, f64_load_s) LW_FARITH(LW_FZ_FLOAD, X, f64_load_a) \
	LW_FARITH(LW_FZ_FSTORE, X, _)

enum lw_op {
#define LW_OPX(n) LW_OP_##n,
#define LW_OPX2(a, b) LW_OP_##a##__##b,
	LW_OPS(LW_OPX)
	LW_FUSED(LW_OPX2)
#undef LW_OPX
#undef LW_OPX2
	LW_OP_COUNT
};

/* Offsets of the forms within a ten-form family (LW_F10, LW_F10S). */
enum { LW_SS = 0, LW_SI = 1, LW_AS = 2, LW_SA = 3, LW_AI = 4, LW_BS = 5,
       LW_SB = 6, LW_BI = 7, LW_AB = 8, LW_BA = 9, LW_NFORMS = 10 };
/* ... within an f64 family (LW_F5F / LW_F3F) */
enum { LW_FSS = 0, LW_FFS = 1, LW_FSF = 2, LW_FSI = 3, LW_FFI = 4 };

/* What the peephole and the dumper know about an operation. */
enum { LW_W_NONE, LW_W_ACC, LW_W_FA }; /* register mirroring the destination */
typedef struct lw_opinfo {
	const char *name;
	/* operand words after the operation word, one letter each:
	 * d destination slot, s source slot, a/b/f source slot read from
	 * acc/acc2/fa, i immediate, I 64-bit immediate (this word and the next),
	 * j branch offset (words, from the operation word), c fuel cost,
	 * x index (function, type, global, table, segment), n count;
	 * br_table is "sT": T is n, then n + 1 pairs of (j c). */
	const char *fmt;
	uint8_t len;     /* words including the operation word (br_table: 3) */
	uint8_t dst;     /* word index of the destination slot, 0 if none */
	uint8_t wr;      /* LW_W_*: register that mirrors the destination */
	uint8_t clobber; /* calls: acc and fa hold nothing known afterwards */
	uint16_t to_a[5]; /* to_a[k]: the form reading word k from acc, 0 if none */
	uint16_t to_b[5]; /* the same for acc2 */
	uint16_t to_f[5]; /* the same for fa */
	uint16_t fz_a, fz_b; /* a fused pair (fmt NULL): its two operations */
} lw_opinfo;

extern const lw_opinfo lw_ops[LW_OP_COUNT];

#endif /* LW_OPS_H */
