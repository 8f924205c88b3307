/* opcodes.c - the per-opcode facts of opcodes.h as tables indexed by opcode
 * byte (and by the operation number after 0xfc), for the passes that read
 * instructions. A byte with no row is illegal (class LW_WC_ILLEGAL).
 */
#include "wasm/opcodes.h"
#include "wasm/ops.h"

#define ROW(code, name, text, sig, cls, comm, imm, lw)                                             \
	[code] = {text, sig, LW_WC_##cls, comm, LW_IM_##imm, LW_OP_##lw},

const lw_wasm_op lw_wasm_ops[256] = {LW_WASM_OPS(ROW)};
const lw_wasm_op lw_wasm_fc_ops[WASM_FC_COUNT] = {LW_WASM_FC_OPS(ROW)};
