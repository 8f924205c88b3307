/* wat_module.h - the Wasm engine tests' one way to a module from WAT text:
 * wat2wasm (wabt, the reference toolchain) compiles it, the engine loads
 * the binary. Header-only, included by the test_wasm_* files that need it. */
#ifndef LS_TEST_WAT_MODULE_H
#define LS_TEST_WAT_MODULE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lockstep/wasm.h"

/* wat2wasm the text into a module of eng (NULL and a "# " diagnostic on
 * failure). Binaries up to 4 MiB. */
static lw_module *wat_module(lw_engine *eng, const char *text)
{
	char src[] = "/tmp/lw_wat_XXXXXX";
	int fd = mkstemp(src);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	char out[64], cmd[256];
	snprintf(out, sizeof out, "%s.wasm", src);
	snprintf(cmd, sizeof cmd, "wat2wasm %s -o %s", src, out);
	int rc = system(cmd);
	unlink(src);
	if (rc != 0) {
		printf("# wat2wasm failed\n");
		return NULL;
	}
	f = fopen(out, "rb");
	if (!f)
		return NULL;
	size_t cap = 4u << 20;
	uint8_t *buf = malloc(cap);
	size_t n = buf ? fread(buf, 1, cap, f) : 0;
	fclose(f);
	unlink(out);
	lw_module *m = NULL;
	lw_error err;
	if (!buf || lw_module_load(eng, buf, n, &m, &err)) {
		printf("# load: %s\n", buf ? err.message : "out of memory");
		m = NULL;
	}
	free(buf);
	return m;
}

#endif
