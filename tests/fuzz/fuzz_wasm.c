/* fuzz_wasm.c - libFuzzer target for the wasm engine: decode -> validate ->
 * instantiate (every import satisfied by a stub of the right type) -> call
 * every exported function with zero/null arguments, under a small fuel
 * budget and small memory/table caps. Any crash or sanitizer report is a
 * bug; inputs that found one live in tests/wasm/regress/.
 *
 * Uses only the engine's public API. The public API does not describe the
 * types of a module's imports, so this file reads them from the (already
 * validated) type and import sections itself.
 *
 *   make fuzz && build/fuzz/fuzz_wasm CORPUS_DIR SEED_DIR...
 */
#include "lockstep/wasm.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_FUEL 20000
#define FUZZ_PAGES 16
#define FUZZ_TABLE 10000
#define MAX_TYPES 4096
#define MAX_SIG 64

/* ---- a minimal reader for the type and import sections --------------- */

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint8_t rd_u8(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

static uint64_t rd_leb(struct rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b = rd_u8(r);
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

/* copies a name into a NUL-terminated heap string */
static char *rd_name(struct rd *r)
{
	uint64_t n = rd_leb(r);
	if (r->bad || n > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		return NULL;
	}
	char *s = malloc(n + 1);
	if (!s) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, r->p, n);
	s[n] = 0;
	r->p += n;
	return s;
}

static char type_letter(uint8_t t)
{
	switch (t) {
	case 0x7f: return 'i';
	case 0x7e: return 'I';
	case 0x7d: return 'f';
	case 0x7c: return 'F';
	case 0x70: return 'r';
	case 0x6f: return 'x';
	default: return '?';
	}
}

static lw_valtype letter_type(char c)
{
	switch (c) {
	case 'i': return LW_I32;
	case 'I': return LW_I64;
	case 'f': return LW_F32;
	case 'F': return LW_F64;
	case 'r': return LW_FUNCREF;
	default: return LW_EXTERNREF;
	}
}

struct fuzz_ctx {
	char (*sigs)[MAX_SIG]; /* per type index */
	uint32_t ntypes;
	char **strings;        /* names to free */
	size_t nstrings;
};

static void keep(struct fuzz_ctx *c, char *s)
{
	char **n = realloc(c->strings, (c->nstrings + 1) * sizeof(char *));
	if (!n) {
		free(s);
		return;
	}
	c->strings = n;
	c->strings[c->nstrings++] = s;
}

/* Stub for every imported function: results are zeros of the right type. */
static lw_call_result stub(lw_instance *in, void *user, const lw_value *args, lw_value *results)
{
	const char *sig = user;
	const char *r = strchr(sig, ')');
	for (size_t i = 0; r && r[i + 1]; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		results[i].type = letter_type(r[i + 1]);
	}
	return LW_OK;
}

static void read_types(struct rd *r, struct fuzz_ctx *c)
{
	uint64_t n = rd_leb(r);
	if (n > MAX_TYPES)
		n = MAX_TYPES;
	c->sigs = calloc(n ? n : 1, MAX_SIG);
	if (!c->sigs)
		return;
	c->ntypes = (uint32_t)n;
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		char *s = c->sigs[i];
		size_t k = 0;
		rd_u8(r); /* 0x60 */
		s[k++] = '(';
		for (int part = 0; part < 2; part++) {
			uint64_t cnt = rd_leb(r);
			for (uint64_t j = 0; j < cnt && !r->bad; j++) {
				char l = type_letter(rd_u8(r));
				if (k < MAX_SIG - 3)
					s[k++] = l;
				else
					s[0] = '!'; /* too long for this fuzzer: skip */
			}
			if (part == 0)
				s[k++] = ')';
		}
		s[k] = 0;
	}
}

static void read_limits(struct rd *r, uint32_t *min, uint32_t *max)
{
	uint8_t flags = rd_u8(r);
	*min = (uint32_t)rd_leb(r);
	*max = (flags & 1) ? (uint32_t)rd_leb(r) : UINT32_MAX;
}

static void read_imports(struct rd *r, struct fuzz_ctx *c, lw_imports *imp)
{
	uint64_t n = rd_leb(r);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		char *mod = rd_name(r), *name = rd_name(r);
		if (!mod || !name) {
			free(mod);
			free(name);
			return;
		}
		keep(c, mod);
		keep(c, name);
		uint8_t kind = rd_u8(r);
		uint32_t min, max;
		switch (kind) {
		case 0: {
			uint64_t t = rd_leb(r);
			if (t < c->ntypes && c->sigs[t][0] == '(')
				lw_imports_add_func(imp, mod, name, c->sigs[t], stub, c->sigs[t]);
			break;
		}
		case 1: {
			uint8_t et = rd_u8(r);
			read_limits(r, &min, &max);
			lw_imports_add_table(imp, mod, name, et, min, max);
			break;
		}
		case 2:
			read_limits(r, &min, &max);
			if (min <= FUZZ_PAGES)
				lw_imports_add_memory(imp, mod, name, min, max);
			break;
		case 3: {
			uint8_t t = rd_u8(r);
			bool mut = rd_u8(r) & 1;
			lw_value v;
			memset(&v, 0, sizeof(v));
			v.type = t;
			lw_imports_add_global(imp, mod, name, v, mut);
			break;
		}
		default:
			return;
		}
	}
}

/* Walks the sections of a module that already loaded (so it is valid). */
static void stub_imports(const uint8_t *data, size_t size, struct fuzz_ctx *c, lw_imports *imp)
{
	struct rd r = {data + 8, data + size, false};
	while (r.p < r.end && !r.bad) {
		uint8_t id = rd_u8(&r);
		uint64_t len = rd_leb(&r);
		if (r.bad || len > (uint64_t)(r.end - r.p))
			return;
		struct rd s = {r.p, r.p + len, false};
		if (id == 1)
			read_types(&s, c);
		else if (id == 2 && c->sigs)
			read_imports(&s, c, imp);
		r.p += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lw_engine *e = lw_engine_new();
	if (!e)
		return 0;
	lw_module *m = NULL;
	lw_error err;
	if (lw_module_load(e, data, size, &m, &err)) {
		lw_engine_free(e);
		return 0;
	}
	struct fuzz_ctx c = {0};
	lw_imports *imp = lw_imports_new(e);
	if (imp)
		stub_imports(data, size, &c, imp);

	lw_limits lim = lw_limits_default();
	lim.fuel = FUZZ_FUEL;
	lim.max_memory_pages = FUZZ_PAGES;
	lim.max_table_elems = FUZZ_TABLE;
	lw_instance *in = NULL;
	if (imp && !lw_instantiate(m, imp, &lim, &in, &err)) {
		uint32_t n = lw_module_export_count(m);
		for (uint32_t i = 0; i < n && i < 64; i++) {
			const char *name;
			int kind;
			if (lw_module_export(m, i, &name, &kind) || kind != 0)
				continue;
			const char *sig = lw_module_export_sig(m, name);
			const char *close = sig ? strchr(sig, ')') : NULL;
			if (!close)
				continue;
			/* zero (or null) arguments of the right types */
			size_t nargs = (size_t)(close - sig - 1), nres = strlen(close + 1);
			lw_value args[16], res[16];
			if (nargs > 16 || nres > 16)
				continue;
			for (size_t a = 0; a < nargs; a++) {
				memset(&args[a], 0, sizeof(args[a]));
				args[a].type = letter_type(sig[1 + a]);
			}
			lw_call(in, name, args, nargs, res, nres);
			/* exercise the memory accessor on whatever the guest left */
			uint64_t msize = lw_memory_size(in);
			if (msize) {
				volatile uint8_t *p = lw_memory_ptr(in, msize - 1, 1);
				if (p)
					(void)*p;
			}
			if (lw_memory_ptr(in, msize, 1) || lw_memory_ptr(in, UINT64_MAX, 2))
				__builtin_trap(); /* the accessor let an out-of-bounds range through */
		}
		lw_instance_free(in);
	}
	if (imp)
		lw_imports_free(imp);
	for (size_t i = 0; i < c.nstrings; i++)
		free(c.strings[i]);
	free(c.strings);
	free(c.sigs);
	lw_module_free(m);
	lw_engine_free(e);
	return 0;
}
