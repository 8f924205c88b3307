/* compile_pending.c - PLACEHOLDER until wasm-exec's compile.c lands on main:
 * lw_compile translates nothing and lw_compiled_free has nothing to free.
 * wasm-exec deletes this file when src/wasm/compile.c lands. */
#include "wasm/module.h"

int lw_compile(lw_module *m, lw_error *err)
{
	(void)m;
	(void)err;
	return 0;
}

void lw_compiled_free(void *compiled)
{
	(void)compiled;
}
