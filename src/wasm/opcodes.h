/* opcodes.h - the WebAssembly instruction set (2.0 without SIMD), one row
 * per opcode: the only place that knows opcode bytes. decode.c, validate.c
 * and compile.c name opcodes by the constants generated here (WASM_i32_add,
 * WASM_memory_init, ...) and read an opcode's facts from lw_wasm_ops[] /
 * lw_wasm_fc_ops[] (opcodes.c), like wasm3's one M3OP row per opcode.
 * Internal to src/wasm/; ops.h starts with the checklist for adding one.
 *
 * A row is X(code, name, text, sig, class, comm, imm, lw):
 *
 *   code   the opcode byte; in LW_WASM_FC_OPS, the u32 after the 0xfc prefix
 *   name   C name: WASM_<name> is the opcode's constant
 *   text   its name in the text format (error messages, dumps)
 *   sig    "operands:results", one letter per value: i i32, I i64, f f32,
 *          F f64, r funcref, R any reference, t the element type of the
 *          table named by the immediate. "*": the types depend on the
 *          immediates or on the context (the family's own code checks them)
 *   class  LW_WC_*: the family that validates and compiles it; for numeric
 *          operations also the shape compile.c gives it (see below)
 *   comm   1 when commutative: a constant left operand may take the
 *          immediate form as well as a constant right one
 *   imm    LW_IM_*: the immediates that follow the opcode
 *   lw     the internal operation (ops.h, LW_OP_<lw>) it compiles to, in
 *          its slot form; COUNT when the family's code chooses
 */
#ifndef LW_OPCODES_H
#define LW_OPCODES_H

#include <stddef.h>
#include <stdint.h>

/* Families (the spec's instruction groups) and compile shapes. */
enum lw_wasm_class {
	LW_WC_ILLEGAL,	  /* no such opcode */
	LW_WC_CONTROL,	  /* blocks, branches, calls */
	LW_WC_PARAMETRIC, /* drop, select */
	LW_WC_VARIABLE,	  /* local.*, global.* */
	LW_WC_TABLE,	  /* table.*, elem.drop: [d] indices sources */
	LW_WC_MEMORY,	  /* memory.*, data.drop: [d] indices sources */
	LW_WC_LOAD,	  /* [d addr offset] */
	LW_WC_STORE,	  /* [addr value offset] */
	LW_WC_CONST,	  /* t.const: a deferred constant */
	LW_WC_UNARY,	  /* [d a] */
	LW_WC_BINARY,	  /* [d a b], slot forms only */
	LW_WC_BINARY_I,	  /* integer: ten forms, immediate form at +LW_SI */
	LW_WC_BINARY_F,	  /* f64: five forms, immediate form at +LW_FSI */
	LW_WC_NOP,	  /* same bits in, same bits out: emits nothing */
	LW_WC_REFERENCE,  /* ref.* */
	LW_WC_PREFIX,	  /* 0xfc: the operation follows as a u32 */
};

/* Immediates. LW_IM_MEM1..MEM8 are memargs whose natural alignment is 1, 2,
 * 4, 8 bytes (log2 = imm - LW_IM_MEM1). */
enum lw_wasm_imm {
	LW_IM_NONE,
	LW_IM_BLOCK,	  /* block type */
	LW_IM_LABEL,	  /* label depth */
	LW_IM_LABELS,	  /* br_table: count, count + 1 depths */
	LW_IM_FUNC,	  /* function index */
	LW_IM_TYPE_TABLE, /* call_indirect: type index, table index */
	LW_IM_VALTYPES,	  /* select t: a vector of value types */
	LW_IM_LOCAL,	  /* local index */
	LW_IM_GLOBAL,	  /* global index */
	LW_IM_TABLE,	  /* table index */
	LW_IM_TABLE2,	  /* table.copy: destination, source table */
	LW_IM_ELEM,	  /* element segment */
	LW_IM_ELEM_TABLE, /* table.init: segment, table */
	LW_IM_DATA,	  /* data segment */
	LW_IM_DATA_MEM,	  /* memory.init: segment, memory (a zero byte) */
	LW_IM_MEMIDX,	  /* memory index (a zero byte) */
	LW_IM_MEMIDX2,	  /* memory.copy: two memory indices (zero bytes) */
	LW_IM_MEM1,	  /* memarg: alignment, offset */
	LW_IM_MEM2,
	LW_IM_MEM4,
	LW_IM_MEM8,
	LW_IM_I32,     /* signed LEB128, 32 bits */
	LW_IM_I64,     /* signed LEB128, 64 bits */
	LW_IM_F32,     /* 4 bytes, little-endian */
	LW_IM_F64,     /* 8 bytes */
	LW_IM_REFTYPE, /* a reference type */
};

/* clang-format off */
#define LW_WASM_OPS(X) \
	X(0x00, unreachable, "unreachable", "*", CONTROL, 0, NONE, COUNT) \
	X(0x01, nop, "nop", ":", CONTROL, 0, NONE, COUNT) \
	X(0x02, block, "block", "*", CONTROL, 0, BLOCK, COUNT) \
	X(0x03, loop, "loop", "*", CONTROL, 0, BLOCK, COUNT) \
	X(0x04, if, "if", "*", CONTROL, 0, BLOCK, COUNT) \
	X(0x05, else, "else", "*", CONTROL, 0, NONE, COUNT) \
	X(0x0b, end, "end", "*", CONTROL, 0, NONE, COUNT) \
	X(0x0c, br, "br", "*", CONTROL, 0, LABEL, COUNT) \
	X(0x0d, br_if, "br_if", "*", CONTROL, 0, LABEL, COUNT) \
	X(0x0e, br_table, "br_table", "*", CONTROL, 0, LABELS, COUNT) \
	X(0x0f, return, "return", "*", CONTROL, 0, NONE, COUNT) \
	X(0x10, call, "call", "*", CONTROL, 0, FUNC, COUNT) \
	X(0x11, call_indirect, "call_indirect", "*", CONTROL, 0, TYPE_TABLE, COUNT) \
	X(0x1a, drop, "drop", "*", PARAMETRIC, 0, NONE, COUNT) \
	X(0x1b, select, "select", "*", PARAMETRIC, 0, NONE, select_s) \
	X(0x1c, select_t, "select", "*", PARAMETRIC, 0, VALTYPES, select_s) \
	X(0x20, local_get, "local.get", "*", VARIABLE, 0, LOCAL, COUNT) \
	X(0x21, local_set, "local.set", "*", VARIABLE, 0, LOCAL, COUNT) \
	X(0x22, local_tee, "local.tee", "*", VARIABLE, 0, LOCAL, COUNT) \
	X(0x23, global_get, "global.get", "*", VARIABLE, 0, GLOBAL, COUNT) \
	X(0x24, global_set, "global.set", "*", VARIABLE, 0, GLOBAL, COUNT) \
	X(0x25, table_get, "table.get", "i:t", TABLE, 0, TABLE, table_get) \
	X(0x26, table_set, "table.set", "it:", TABLE, 0, TABLE, table_set) \
	X(0x28, i32_load, "i32.load", "i:i", LOAD, 0, MEM4, i32_load_s) \
	X(0x29, i64_load, "i64.load", "i:I", LOAD, 0, MEM8, i64_load_s) \
	X(0x2a, f32_load, "f32.load", "i:f", LOAD, 0, MEM4, i32_load_s) \
	X(0x2b, f64_load, "f64.load", "i:F", LOAD, 0, MEM8, f64_load_s) \
	X(0x2c, i32_load8_s, "i32.load8_s", "i:i", LOAD, 0, MEM1, i32_load8_s_s) \
	X(0x2d, i32_load8_u, "i32.load8_u", "i:i", LOAD, 0, MEM1, i32_load8_u_s) \
	X(0x2e, i32_load16_s, "i32.load16_s", "i:i", LOAD, 0, MEM2, i32_load16_s_s) \
	X(0x2f, i32_load16_u, "i32.load16_u", "i:i", LOAD, 0, MEM2, i32_load16_u_s) \
	X(0x30, i64_load8_s, "i64.load8_s", "i:I", LOAD, 0, MEM1, i64_load8_s_s) \
	X(0x31, i64_load8_u, "i64.load8_u", "i:I", LOAD, 0, MEM1, i64_load8_u_s) \
	X(0x32, i64_load16_s, "i64.load16_s", "i:I", LOAD, 0, MEM2, i64_load16_s_s) \
	X(0x33, i64_load16_u, "i64.load16_u", "i:I", LOAD, 0, MEM2, i64_load16_u_s) \
	X(0x34, i64_load32_s, "i64.load32_s", "i:I", LOAD, 0, MEM4, i64_load32_s_s) \
	X(0x35, i64_load32_u, "i64.load32_u", "i:I", LOAD, 0, MEM4, i64_load32_u_s) \
	X(0x36, i32_store, "i32.store", "ii:", STORE, 0, MEM4, i32_store_ss) \
	X(0x37, i64_store, "i64.store", "iI:", STORE, 0, MEM8, i64_store_ss) \
	X(0x38, f32_store, "f32.store", "if:", STORE, 0, MEM4, i32_store_ss) \
	X(0x39, f64_store, "f64.store", "iF:", STORE, 0, MEM8, f64_store_ss) \
	X(0x3a, i32_store8, "i32.store8", "ii:", STORE, 0, MEM1, store8_ss) \
	X(0x3b, i32_store16, "i32.store16", "ii:", STORE, 0, MEM2, store16_ss) \
	X(0x3c, i64_store8, "i64.store8", "iI:", STORE, 0, MEM1, store8_ss) \
	X(0x3d, i64_store16, "i64.store16", "iI:", STORE, 0, MEM2, store16_ss) \
	X(0x3e, i64_store32, "i64.store32", "iI:", STORE, 0, MEM4, i32_store_ss) \
	X(0x3f, memory_size, "memory.size", ":i", MEMORY, 0, MEMIDX, memory_size) \
	X(0x40, memory_grow, "memory.grow", "i:i", MEMORY, 0, MEMIDX, memory_grow) \
	X(0x41, i32_const, "i32.const", ":i", CONST, 0, I32, COUNT) \
	X(0x42, i64_const, "i64.const", ":I", CONST, 0, I64, COUNT) \
	X(0x43, f32_const, "f32.const", ":f", CONST, 0, F32, COUNT) \
	X(0x44, f64_const, "f64.const", ":F", CONST, 0, F64, COUNT) \
	X(0x45, i32_eqz, "i32.eqz", "i:i", UNARY, 0, NONE, i32_eqz_s) \
	X(0x46, i32_eq, "i32.eq", "ii:i", BINARY_I, 1, NONE, i32_eq_ss) \
	X(0x47, i32_ne, "i32.ne", "ii:i", BINARY_I, 1, NONE, i32_ne_ss) \
	X(0x48, i32_lt_s, "i32.lt_s", "ii:i", BINARY_I, 0, NONE, i32_lt_s_ss) \
	X(0x49, i32_lt_u, "i32.lt_u", "ii:i", BINARY_I, 0, NONE, i32_lt_u_ss) \
	X(0x4a, i32_gt_s, "i32.gt_s", "ii:i", BINARY_I, 0, NONE, i32_gt_s_ss) \
	X(0x4b, i32_gt_u, "i32.gt_u", "ii:i", BINARY_I, 0, NONE, i32_gt_u_ss) \
	X(0x4c, i32_le_s, "i32.le_s", "ii:i", BINARY_I, 0, NONE, i32_le_s_ss) \
	X(0x4d, i32_le_u, "i32.le_u", "ii:i", BINARY_I, 0, NONE, i32_le_u_ss) \
	X(0x4e, i32_ge_s, "i32.ge_s", "ii:i", BINARY_I, 0, NONE, i32_ge_s_ss) \
	X(0x4f, i32_ge_u, "i32.ge_u", "ii:i", BINARY_I, 0, NONE, i32_ge_u_ss) \
	X(0x50, i64_eqz, "i64.eqz", "I:i", UNARY, 0, NONE, i64_eqz_s) \
	X(0x51, i64_eq, "i64.eq", "II:i", BINARY_I, 1, NONE, i64_eq_ss) \
	X(0x52, i64_ne, "i64.ne", "II:i", BINARY_I, 1, NONE, i64_ne_ss) \
	X(0x53, i64_lt_s, "i64.lt_s", "II:i", BINARY_I, 0, NONE, i64_lt_s_ss) \
	X(0x54, i64_lt_u, "i64.lt_u", "II:i", BINARY_I, 0, NONE, i64_lt_u_ss) \
	X(0x55, i64_gt_s, "i64.gt_s", "II:i", BINARY_I, 0, NONE, i64_gt_s_ss) \
	X(0x56, i64_gt_u, "i64.gt_u", "II:i", BINARY_I, 0, NONE, i64_gt_u_ss) \
	X(0x57, i64_le_s, "i64.le_s", "II:i", BINARY_I, 0, NONE, i64_le_s_ss) \
	X(0x58, i64_le_u, "i64.le_u", "II:i", BINARY_I, 0, NONE, i64_le_u_ss) \
	X(0x59, i64_ge_s, "i64.ge_s", "II:i", BINARY_I, 0, NONE, i64_ge_s_ss) \
	X(0x5a, i64_ge_u, "i64.ge_u", "II:i", BINARY_I, 0, NONE, i64_ge_u_ss) \
	X(0x5b, f32_eq, "f32.eq", "ff:i", BINARY, 0, NONE, f32_eq) \
	X(0x5c, f32_ne, "f32.ne", "ff:i", BINARY, 0, NONE, f32_ne) \
	X(0x5d, f32_lt, "f32.lt", "ff:i", BINARY, 0, NONE, f32_lt) \
	X(0x5e, f32_gt, "f32.gt", "ff:i", BINARY, 0, NONE, f32_gt) \
	X(0x5f, f32_le, "f32.le", "ff:i", BINARY, 0, NONE, f32_le) \
	X(0x60, f32_ge, "f32.ge", "ff:i", BINARY, 0, NONE, f32_ge) \
	X(0x61, f64_eq, "f64.eq", "FF:i", BINARY, 0, NONE, f64_eq_ss) \
	X(0x62, f64_ne, "f64.ne", "FF:i", BINARY, 0, NONE, f64_ne_ss) \
	X(0x63, f64_lt, "f64.lt", "FF:i", BINARY, 0, NONE, f64_lt_ss) \
	X(0x64, f64_gt, "f64.gt", "FF:i", BINARY, 0, NONE, f64_gt_ss) \
	X(0x65, f64_le, "f64.le", "FF:i", BINARY, 0, NONE, f64_le_ss) \
	X(0x66, f64_ge, "f64.ge", "FF:i", BINARY, 0, NONE, f64_ge_ss) \
	X(0x67, i32_clz, "i32.clz", "i:i", UNARY, 0, NONE, i32_clz_s) \
	X(0x68, i32_ctz, "i32.ctz", "i:i", UNARY, 0, NONE, i32_ctz_s) \
	X(0x69, i32_popcnt, "i32.popcnt", "i:i", UNARY, 0, NONE, i32_popcnt_s) \
	X(0x6a, i32_add, "i32.add", "ii:i", BINARY_I, 1, NONE, i32_add_ss) \
	X(0x6b, i32_sub, "i32.sub", "ii:i", BINARY_I, 0, NONE, i32_sub_ss) \
	X(0x6c, i32_mul, "i32.mul", "ii:i", BINARY_I, 1, NONE, i32_mul_ss) \
	X(0x6d, i32_div_s, "i32.div_s", "ii:i", BINARY_I, 0, NONE, i32_div_s_ss) \
	X(0x6e, i32_div_u, "i32.div_u", "ii:i", BINARY_I, 0, NONE, i32_div_u_ss) \
	X(0x6f, i32_rem_s, "i32.rem_s", "ii:i", BINARY_I, 0, NONE, i32_rem_s_ss) \
	X(0x70, i32_rem_u, "i32.rem_u", "ii:i", BINARY_I, 0, NONE, i32_rem_u_ss) \
	X(0x71, i32_and, "i32.and", "ii:i", BINARY_I, 1, NONE, i32_and_ss) \
	X(0x72, i32_or, "i32.or", "ii:i", BINARY_I, 1, NONE, i32_or_ss) \
	X(0x73, i32_xor, "i32.xor", "ii:i", BINARY_I, 1, NONE, i32_xor_ss) \
	X(0x74, i32_shl, "i32.shl", "ii:i", BINARY_I, 0, NONE, i32_shl_ss) \
	X(0x75, i32_shr_s, "i32.shr_s", "ii:i", BINARY_I, 0, NONE, i32_shr_s_ss) \
	X(0x76, i32_shr_u, "i32.shr_u", "ii:i", BINARY_I, 0, NONE, i32_shr_u_ss) \
	X(0x77, i32_rotl, "i32.rotl", "ii:i", BINARY_I, 0, NONE, i32_rotl_ss) \
	X(0x78, i32_rotr, "i32.rotr", "ii:i", BINARY_I, 0, NONE, i32_rotr_ss) \
	X(0x79, i64_clz, "i64.clz", "I:I", UNARY, 0, NONE, i64_clz_s) \
	X(0x7a, i64_ctz, "i64.ctz", "I:I", UNARY, 0, NONE, i64_ctz_s) \
	X(0x7b, i64_popcnt, "i64.popcnt", "I:I", UNARY, 0, NONE, i64_popcnt_s) \
	X(0x7c, i64_add, "i64.add", "II:I", BINARY_I, 1, NONE, i64_add_ss) \
	X(0x7d, i64_sub, "i64.sub", "II:I", BINARY_I, 0, NONE, i64_sub_ss) \
	X(0x7e, i64_mul, "i64.mul", "II:I", BINARY_I, 1, NONE, i64_mul_ss) \
	X(0x7f, i64_div_s, "i64.div_s", "II:I", BINARY_I, 0, NONE, i64_div_s_ss) \
	X(0x80, i64_div_u, "i64.div_u", "II:I", BINARY_I, 0, NONE, i64_div_u_ss) \
	X(0x81, i64_rem_s, "i64.rem_s", "II:I", BINARY_I, 0, NONE, i64_rem_s_ss) \
	X(0x82, i64_rem_u, "i64.rem_u", "II:I", BINARY_I, 0, NONE, i64_rem_u_ss) \
	X(0x83, i64_and, "i64.and", "II:I", BINARY_I, 1, NONE, i64_and_ss) \
	X(0x84, i64_or, "i64.or", "II:I", BINARY_I, 1, NONE, i64_or_ss) \
	X(0x85, i64_xor, "i64.xor", "II:I", BINARY_I, 1, NONE, i64_xor_ss) \
	X(0x86, i64_shl, "i64.shl", "II:I", BINARY_I, 0, NONE, i64_shl_ss) \
	X(0x87, i64_shr_s, "i64.shr_s", "II:I", BINARY_I, 0, NONE, i64_shr_s_ss) \
	X(0x88, i64_shr_u, "i64.shr_u", "II:I", BINARY_I, 0, NONE, i64_shr_u_ss) \
	X(0x89, i64_rotl, "i64.rotl", "II:I", BINARY_I, 0, NONE, i64_rotl_ss) \
	X(0x8a, i64_rotr, "i64.rotr", "II:I", BINARY_I, 0, NONE, i64_rotr_ss) \
	X(0x8b, f32_abs, "f32.abs", "f:f", UNARY, 0, NONE, f32_abs) \
	X(0x8c, f32_neg, "f32.neg", "f:f", UNARY, 0, NONE, f32_neg) \
	X(0x8d, f32_ceil, "f32.ceil", "f:f", UNARY, 0, NONE, f32_ceil) \
	X(0x8e, f32_floor, "f32.floor", "f:f", UNARY, 0, NONE, f32_floor) \
	X(0x8f, f32_trunc, "f32.trunc", "f:f", UNARY, 0, NONE, f32_trunc) \
	X(0x90, f32_nearest, "f32.nearest", "f:f", UNARY, 0, NONE, f32_nearest) \
	X(0x91, f32_sqrt, "f32.sqrt", "f:f", UNARY, 0, NONE, f32_sqrt) \
	X(0x92, f32_add, "f32.add", "ff:f", BINARY, 0, NONE, f32_add) \
	X(0x93, f32_sub, "f32.sub", "ff:f", BINARY, 0, NONE, f32_sub) \
	X(0x94, f32_mul, "f32.mul", "ff:f", BINARY, 0, NONE, f32_mul) \
	X(0x95, f32_div, "f32.div", "ff:f", BINARY, 0, NONE, f32_div) \
	X(0x96, f32_min, "f32.min", "ff:f", BINARY, 0, NONE, f32_min) \
	X(0x97, f32_max, "f32.max", "ff:f", BINARY, 0, NONE, f32_max) \
	X(0x98, f32_copysign, "f32.copysign", "ff:f", BINARY, 0, NONE, f32_copysign) \
	X(0x99, f64_abs, "f64.abs", "F:F", UNARY, 0, NONE, f64_abs_s) \
	X(0x9a, f64_neg, "f64.neg", "F:F", UNARY, 0, NONE, f64_neg_s) \
	X(0x9b, f64_ceil, "f64.ceil", "F:F", UNARY, 0, NONE, f64_ceil_s) \
	X(0x9c, f64_floor, "f64.floor", "F:F", UNARY, 0, NONE, f64_floor_s) \
	X(0x9d, f64_trunc, "f64.trunc", "F:F", UNARY, 0, NONE, f64_trunc_s) \
	X(0x9e, f64_nearest, "f64.nearest", "F:F", UNARY, 0, NONE, f64_nearest_s) \
	X(0x9f, f64_sqrt, "f64.sqrt", "F:F", UNARY, 0, NONE, f64_sqrt_s) \
	X(0xa0, f64_add, "f64.add", "FF:F", BINARY_F, 1, NONE, f64_add_ss) \
	X(0xa1, f64_sub, "f64.sub", "FF:F", BINARY_F, 0, NONE, f64_sub_ss) \
	X(0xa2, f64_mul, "f64.mul", "FF:F", BINARY_F, 1, NONE, f64_mul_ss) \
	X(0xa3, f64_div, "f64.div", "FF:F", BINARY_F, 0, NONE, f64_div_ss) \
	X(0xa4, f64_min, "f64.min", "FF:F", BINARY_F, 0, NONE, f64_min_ss) \
	X(0xa5, f64_max, "f64.max", "FF:F", BINARY_F, 0, NONE, f64_max_ss) \
	X(0xa6, f64_copysign, "f64.copysign", "FF:F", BINARY_F, 0, NONE, f64_copysign_ss) \
	X(0xa7, i32_wrap_i64, "i32.wrap_i64", "I:i", UNARY, 0, NONE, i32_wrap_i64_s) \
	X(0xa8, i32_trunc_f32_s, "i32.trunc_f32_s", "f:i", UNARY, 0, NONE, i32_trunc_f32_s) \
	X(0xa9, i32_trunc_f32_u, "i32.trunc_f32_u", "f:i", UNARY, 0, NONE, i32_trunc_f32_u) \
	X(0xaa, i32_trunc_f64_s, "i32.trunc_f64_s", "F:i", UNARY, 0, NONE, i32_trunc_f64_s_s) \
	X(0xab, i32_trunc_f64_u, "i32.trunc_f64_u", "F:i", UNARY, 0, NONE, i32_trunc_f64_u_s) \
	X(0xac, i64_extend_i32_s, "i64.extend_i32_s", "i:I", UNARY, 0, NONE, i64_extend_i32_s_s) \
	X(0xad, i64_extend_i32_u, "i64.extend_i32_u", "i:I", NOP, 0, NONE, COUNT) \
	X(0xae, i64_trunc_f32_s, "i64.trunc_f32_s", "f:I", UNARY, 0, NONE, i64_trunc_f32_s) \
	X(0xaf, i64_trunc_f32_u, "i64.trunc_f32_u", "f:I", UNARY, 0, NONE, i64_trunc_f32_u) \
	X(0xb0, i64_trunc_f64_s, "i64.trunc_f64_s", "F:I", UNARY, 0, NONE, i64_trunc_f64_s_s) \
	X(0xb1, i64_trunc_f64_u, "i64.trunc_f64_u", "F:I", UNARY, 0, NONE, i64_trunc_f64_u_s) \
	X(0xb2, f32_convert_i32_s, "f32.convert_i32_s", "i:f", UNARY, 0, NONE, f32_convert_i32_s) \
	X(0xb3, f32_convert_i32_u, "f32.convert_i32_u", "i:f", UNARY, 0, NONE, f32_convert_i32_u) \
	X(0xb4, f32_convert_i64_s, "f32.convert_i64_s", "I:f", UNARY, 0, NONE, f32_convert_i64_s) \
	X(0xb5, f32_convert_i64_u, "f32.convert_i64_u", "I:f", UNARY, 0, NONE, f32_convert_i64_u) \
	X(0xb6, f32_demote_f64, "f32.demote_f64", "F:f", UNARY, 0, NONE, f32_demote_f64_s) \
	X(0xb7, f64_convert_i32_s, "f64.convert_i32_s", "i:F", UNARY, 0, NONE, f64_convert_i32_s_s) \
	X(0xb8, f64_convert_i32_u, "f64.convert_i32_u", "i:F", UNARY, 0, NONE, f64_convert_i32_u_s) \
	X(0xb9, f64_convert_i64_s, "f64.convert_i64_s", "I:F", UNARY, 0, NONE, f64_convert_i64_s_s) \
	X(0xba, f64_convert_i64_u, "f64.convert_i64_u", "I:F", UNARY, 0, NONE, f64_convert_i64_u_s) \
	X(0xbb, f64_promote_f32, "f64.promote_f32", "f:F", UNARY, 0, NONE, f64_promote_f32) \
	X(0xbc, i32_reinterpret_f32, "i32.reinterpret_f32", "f:i", NOP, 0, NONE, COUNT) \
	X(0xbd, i64_reinterpret_f64, "i64.reinterpret_f64", "F:I", NOP, 0, NONE, COUNT) \
	X(0xbe, f32_reinterpret_i32, "f32.reinterpret_i32", "i:f", NOP, 0, NONE, COUNT) \
	X(0xbf, f64_reinterpret_i64, "f64.reinterpret_i64", "I:F", NOP, 0, NONE, COUNT) \
	X(0xc0, i32_extend8_s, "i32.extend8_s", "i:i", UNARY, 0, NONE, i32_extend8_s_s) \
	X(0xc1, i32_extend16_s, "i32.extend16_s", "i:i", UNARY, 0, NONE, i32_extend16_s_s) \
	X(0xc2, i64_extend8_s, "i64.extend8_s", "I:I", UNARY, 0, NONE, i64_extend8_s_s) \
	X(0xc3, i64_extend16_s, "i64.extend16_s", "I:I", UNARY, 0, NONE, i64_extend16_s_s) \
	X(0xc4, i64_extend32_s, "i64.extend32_s", "I:I", UNARY, 0, NONE, i64_extend32_s_s) \
	X(0xd0, ref_null, "ref.null", "*", REFERENCE, 0, REFTYPE, COUNT) \
	X(0xd1, ref_is_null, "ref.is_null", "R:i", REFERENCE, 0, NONE, i64_eqz_s) \
	X(0xd2, ref_func, "ref.func", ":r", REFERENCE, 0, FUNC, ref_func) \
	X(0xfc, prefix_fc, "0xfc", "*", PREFIX, 0, NONE, COUNT)

/* Operations behind the 0xfc prefix. */
#define LW_WASM_FC_OPS(X) \
	X(0, i32_trunc_sat_f32_s, "i32.trunc_sat_f32_s", "f:i", UNARY, 0, NONE, i32_trunc_sat_f32_s) \
	X(1, i32_trunc_sat_f32_u, "i32.trunc_sat_f32_u", "f:i", UNARY, 0, NONE, i32_trunc_sat_f32_u) \
	X(2, i32_trunc_sat_f64_s, "i32.trunc_sat_f64_s", "F:i", UNARY, 0, NONE, i32_trunc_sat_f64_s_s) \
	X(3, i32_trunc_sat_f64_u, "i32.trunc_sat_f64_u", "F:i", UNARY, 0, NONE, i32_trunc_sat_f64_u_s) \
	X(4, i64_trunc_sat_f32_s, "i64.trunc_sat_f32_s", "f:I", UNARY, 0, NONE, i64_trunc_sat_f32_s) \
	X(5, i64_trunc_sat_f32_u, "i64.trunc_sat_f32_u", "f:I", UNARY, 0, NONE, i64_trunc_sat_f32_u) \
	X(6, i64_trunc_sat_f64_s, "i64.trunc_sat_f64_s", "F:I", UNARY, 0, NONE, i64_trunc_sat_f64_s_s) \
	X(7, i64_trunc_sat_f64_u, "i64.trunc_sat_f64_u", "F:I", UNARY, 0, NONE, i64_trunc_sat_f64_u_s) \
	X(8, memory_init, "memory.init", "iii:", MEMORY, 0, DATA_MEM, memory_init) \
	X(9, data_drop, "data.drop", ":", MEMORY, 0, DATA, data_drop) \
	X(10, memory_copy, "memory.copy", "iii:", MEMORY, 0, MEMIDX2, memory_copy) \
	X(11, memory_fill, "memory.fill", "iii:", MEMORY, 0, MEMIDX, memory_fill) \
	X(12, table_init, "table.init", "iii:", TABLE, 0, ELEM_TABLE, table_init) \
	X(13, elem_drop, "elem.drop", ":", TABLE, 0, ELEM, elem_drop) \
	X(14, table_copy, "table.copy", "iii:", TABLE, 0, TABLE2, table_copy) \
	X(15, table_grow, "table.grow", "ti:i", TABLE, 0, TABLE, table_grow) \
	X(16, table_size, "table.size", ":i", TABLE, 0, TABLE, table_size) \
	X(17, table_fill, "table.fill", "iti:", TABLE, 0, TABLE, table_fill)
/* clang-format on */

/* WASM_<name>: the opcode byte */
enum lw_wasm_opcode {
#define LW_WASM_ENUM(code, name, ...) WASM_##name = code,
	LW_WASM_OPS(LW_WASM_ENUM)
};
/* WASM_<name>: the u32 after 0xfc */
enum lw_wasm_fc_opcode {
	LW_WASM_FC_OPS(LW_WASM_ENUM) WASM_FC_COUNT /* rows are in order: one past the last */
};
#undef LW_WASM_ENUM

/* Block type byte of a block without parameters or results. */
#define LW_BLOCKTYPE_EMPTY 0x40

/* What the passes know about an opcode (one row of the table). */
typedef struct lw_wasm_op {
	const char *text; /* "i32.add"; NULL: illegal */
	const char *sig;  /* "ii:i" */
	uint8_t cls;	  /* enum lw_wasm_class */
	uint8_t comm;	  /* commutative */
	uint8_t imm;	  /* enum lw_wasm_imm */
	uint16_t lw;	  /* enum lw_op (ops.h), LW_OP_COUNT if none */
} lw_wasm_op;

extern const lw_wasm_op lw_wasm_ops[256];	       /* by opcode byte */
extern const lw_wasm_op lw_wasm_fc_ops[WASM_FC_COUNT]; /* by 0xfc operation */

/* The row of an operation behind 0xfc, NULL when there is none. */
static inline const lw_wasm_op *lw_wasm_fc(uint32_t sub)
{
	return sub < WASM_FC_COUNT ? &lw_wasm_fc_ops[sub] : NULL;
}

#endif /* LW_OPCODES_H */
