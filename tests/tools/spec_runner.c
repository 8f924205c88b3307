/* spec_runner.c - runs one wast2json output file of the WebAssembly spec test
 * suite against the engine, through the public wasm.h API only.
 *
 *   spec_runner [-v] build/spec/address.json
 *
 * Implements the `spectest` host module, `register`, and every command kind.
 * Each command except `register` is one check. Malformed *text* modules
 * (assert_malformed with module_type "text") test the text parser, which an
 * engine for binaries does not have: they count as passed and are reported
 * separately, as the spec's own practice for binary-only engines.
 * Likewise an assert_invalid/assert_malformed whose binary is byte for byte
 * the one an earlier checked such assertion in the file expects to fail in a
 * way no single error can match (another kind, or messages neither of which
 * is a prefix of the other): the converter lost what told them apart (wast2json
 * encodes `select (result)` as a plain `select`), so the binary cannot show
 * which one holds. It is reported as n/a, counted apart, never as a pass.
 * Prints one "# line N: ..." per failure and a final line
 *   RESULT <passed> <total> <text_skipped> <ambiguous>
 * Exit status 0 when every check passed, 1 otherwise, 2 on usage errors.
 */
#include "lockstep/wasm.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALS 64
#define MAX_INST 512

typedef struct named {
	char *name; /* NULL for anonymous */
	lw_instance *in;
	lw_module *mod;
} named;

typedef struct runner {
	lw_engine *eng;
	lw_imports *imp;
	named insts[MAX_INST];
	int ninst;
	lw_instance *cur;
	const char *dir;
	int verbose;
	int passed, total, text_skipped, ambiguous, failures_shown;
	/* binaries expected to fail so far: {bytes, kind, text, line} */
	struct expect {
		uint8_t *bytes;
		size_t len;
		lw_error_kind kind;
		char *text;
		int line;
	} *expects;
	size_t nexpects;
	int line;
	/* byte lengths of the "field" strings in file order: cJSON keeps the
	 * decoded bytes of a name with \u0000 but not its length */
	size_t *field_len;
	size_t nfield, next_field;
} runner;

static void fail(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(runner *r, const char *fmt, ...)
{
	if (r->failures_shown++ >= 200 && !r->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("# line %d: ", r->line);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* ---- spectest ------------------------------------------------------------- */

static lw_call_result sp_print(lw_instance *in, void *user, const lw_value *a,
			       lw_value *res)
{
	(void)in, (void)user, (void)a, (void)res;
	return LW_OK;
}

static int add_spectest(runner *r)
{
	static const struct {
		const char *name, *sig;
	} fns[] = {
		{"print", "()"},          {"print_i32", "(i)"},
		{"print_i64", "(I)"},     {"print_f32", "(f)"},
		{"print_f64", "(F)"},     {"print_i32_f32", "(if)"},
		{"print_f64_f64", "(FF)"},
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (lw_imports_add_func(r->imp, "spectest", fns[i].name,
					fns[i].sig, sp_print, r))
			return -1;
	if (lw_imports_add_global(r->imp, "spectest", "global_i32", LW_VI32(666), false) ||
	    lw_imports_add_global(r->imp, "spectest", "global_i64", LW_VI64(666), false) ||
	    lw_imports_add_global(r->imp, "spectest", "global_f32", LW_VF32(666.6f), false) ||
	    lw_imports_add_global(r->imp, "spectest", "global_f64", LW_VF64(666.6), false) ||
	    lw_imports_add_table(r->imp, "spectest", "table", LW_FUNCREF, 10, 20) ||
	    lw_imports_add_memory(r->imp, "spectest", "memory", 1, 2))
		return -1;
	return 0;
}

/* ---- values -------------------------------------------------------------- */

static int parse_type(const char *s, lw_valtype *t)
{
	static const struct {
		const char *n;
		lw_valtype t;
	} tab[] = {{"i32", LW_I32}, {"i64", LW_I64}, {"f32", LW_F32},
		   {"f64", LW_F64}, {"funcref", LW_FUNCREF},
		   {"externref", LW_EXTERNREF}};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(s, tab[i].n)) {
			*t = tab[i].t;
			return 0;
		}
	return -1;
}

/* A concrete value from {"type": ..., "value": ...}; externref N is the
 * host pointer N+1 so that externref 0 is not null. */
static int parse_value(const cJSON *j, lw_value *v)
{
	const cJSON *ty = cJSON_GetObjectItem(j, "type");
	const cJSON *val = cJSON_GetObjectItem(j, "value");
	if (!cJSON_IsString(ty) || parse_type(ty->valuestring, &v->type))
		return -1;
	if (!cJSON_IsString(val))
		return -1;
	const char *s = val->valuestring;
	uint64_t x = strtoull(s, NULL, 10);
	switch (v->type) {
	case LW_I32: v->of.i32 = (int32_t)(uint32_t)x; break;
	case LW_I64: v->of.i64 = (int64_t)x; break;
	case LW_F32: v->of.f32_bits = (uint32_t)x; break;
	case LW_F64: v->of.f64_bits = x; break;
	case LW_FUNCREF:
	case LW_EXTERNREF:
		v->of.ref = !strcmp(s, "null") ? NULL : (void *)(uintptr_t)(x + 1);
		break;
	}
	return 0;
}

static void fmt_value(const lw_value *v, char *buf, size_t n)
{
	switch (v->type) {
	case LW_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v->of.i32); break;
	case LW_I64: snprintf(buf, n, "i64:%" PRIu64, (uint64_t)v->of.i64); break;
	case LW_F32: snprintf(buf, n, "f32:0x%08" PRIx32, v->of.f32_bits); break;
	case LW_F64: snprintf(buf, n, "f64:0x%016" PRIx64, v->of.f64_bits); break;
	default: snprintf(buf, n, "ref:%p", v->of.ref); break;
	}
}

/* Does an actual result match the expected JSON value (NaN patterns too)? */
static bool value_matches(const cJSON *exp, const lw_value *got)
{
	const cJSON *ty = cJSON_GetObjectItem(exp, "type");
	const cJSON *val = cJSON_GetObjectItem(exp, "value");
	lw_valtype t;
	if (!cJSON_IsString(ty) || parse_type(ty->valuestring, &t) ||
	    t != got->type)
		return false;
	const char *s = cJSON_IsString(val) ? val->valuestring : "";
	if (t == LW_F32 && !strncmp(s, "nan:", 4)) {
		uint32_t b = got->of.f32_bits;
		if ((b & 0x7f800000) != 0x7f800000 || !(b & 0x007fffff))
			return false;
		if (!strcmp(s, "nan:canonical"))
			return (b & 0x007fffff) == 0x00400000;
		return b & 0x00400000;
	}
	if (t == LW_F64 && !strncmp(s, "nan:", 4)) {
		uint64_t b = got->of.f64_bits;
		uint64_t exp_mask = 0x7ff0000000000000ull, frac = 0x000fffffffffffffull;
		uint64_t quiet = 0x0008000000000000ull;
		if ((b & exp_mask) != exp_mask || !(b & frac))
			return false;
		if (!strcmp(s, "nan:canonical"))
			return (b & frac) == quiet;
		return b & quiet;
	}
	if (t == LW_FUNCREF || t == LW_EXTERNREF) {
		if (!strcmp(s, "null"))
			return got->of.ref == NULL;
		if (t == LW_FUNCREF)
			return got->of.ref != NULL;
		return got->of.ref == (void *)(uintptr_t)(strtoull(s, NULL, 10) + 1);
	}
	lw_value want;
	if (parse_value(exp, &want))
		return false;
	switch (t) {
	case LW_I32: return want.of.i32 == got->of.i32;
	case LW_I64: return want.of.i64 == got->of.i64;
	case LW_F32: return want.of.f32_bits == got->of.f32_bits;
	case LW_F64: return want.of.f64_bits == got->of.f64_bits;
	default: return false;
	}
}

/* Decoded byte length of the JSON string starting after its opening quote. */
static size_t json_string_len(const char *p)
{
	size_t n = 0;
	while (*p && *p != '"') {
		if (*p != '\\') {
			n++, p++;
			continue;
		}
		p++;
		if (*p != 'u') {
			n++, p++;
			continue;
		}
		unsigned cp = (unsigned)strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
		p += 5;
		if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
			n += 4; /* surrogate pair: one supplementary code point */
			p += 6;
		} else {
			n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
		}
	}
	return n;
}

static void scan_field_lengths(runner *r, const char *text, size_t len)
{
	const char *end = text + len, *p = text;
	size_t cap = 0;
	while (p < end && (p = memmem(p, (size_t)(end - p), "\"field\"", 7))) {
		p += 7;
		while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t'))
			p++;
		if (p >= end || *p != '"')
			continue;
		if (r->nfield == cap) {
			cap = cap ? cap * 2 : 1024;
			size_t *nl = realloc(r->field_len, cap * sizeof(size_t));
			if (!nl)
				return;
			r->field_len = nl;
		}
		r->field_len[r->nfield++] = json_string_len(p + 1);
	}
}

/* The length of an action's field name: its strlen unless the raw JSON says
 * it holds NUL bytes. */
static size_t field_length(runner *r, const char *field)
{
	size_t n = strlen(field);
	if (r->next_field < r->nfield) {
		size_t raw = r->field_len[r->next_field++];
		if (raw > n)
			return raw;
	}
	return n;
}

/* ---- modules ------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (!got)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static bool exec_linked(void)
{
	return true; /* the execution half of the engine has landed */
}

static lw_instance *find_instance(runner *r, const cJSON *name)
{
	if (!cJSON_IsString(name))
		return r->cur;
	for (int i = r->ninst - 1; i >= 0; i--)
		if (r->insts[i].name && !strcmp(r->insts[i].name, name->valuestring))
			return r->insts[i].in;
	return NULL;
}

static bool msg_matches(const char *got, const char *want)
{
	size_t lw = strlen(want), lg = strlen(got);
	return !strncmp(got, want, lw) || (lg && !strncmp(want, got, lg));
}

static const char *kind_name(lw_error_kind k)
{
	switch (k) {
	case LW_ERR_NONE: return "none";
	case LW_ERR_MALFORMED: return "malformed";
	case LW_ERR_INVALID: return "invalid";
	case LW_ERR_UNLINKABLE: return "unlinkable";
	case LW_ERR_UNINSTANTIABLE: return "uninstantiable";
	case LW_ERR_LIMIT: return "limit";
	case LW_ERR_NOMEM: return "nomem";
	}
	return "?";
}

/* Loads (and for mode 1, instantiates) a module file. Returns 0 on success,
 * or fills err. */
static int load(runner *r, const char *file, lw_module **mod, lw_error *err)
{
	size_t len;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", r->dir, file);
	uint8_t *bytes = read_file(path, &len);
	if (!bytes) {
		snprintf(err->message, sizeof err->message, "cannot read %s: %s",
			 file, strerror(errno));
		err->kind = LW_ERR_NONE;
		return -1;
	}
	int rc = lw_module_load(r->eng, bytes, len, mod, err);
	free(bytes);
	return rc;
}

static bool cmd_module(runner *r, const cJSON *c)
{
	const cJSON *file = cJSON_GetObjectItem(c, "filename");
	lw_module *mod;
	lw_error err;
	if (!cJSON_IsString(file))
		return false;
	if (load(r, file->valuestring, &mod, &err)) {
		fail(r, "module %s: %s error: %s (offset %" PRId64 ")",
		     file->valuestring, kind_name(err.kind), err.message, err.offset);
		r->cur = NULL;
		return false;
	}
	if (!exec_linked()) {
		fail(r, "module %s: decoded and validated; instantiation not linked",
		     file->valuestring);
		lw_module_free(mod);
		r->cur = NULL;
		return false;
	}
	lw_limits lim = lw_limits_default();
	lw_instance *in;
	if (lw_instantiate(mod, r->imp, &lim, &in, &err)) {
		fail(r, "module %s: instantiate: %s: %s", file->valuestring,
		     kind_name(err.kind), err.message);
		lw_module_free(mod);
		r->cur = NULL;
		return false;
	}
	if (r->ninst == MAX_INST) {
		fail(r, "too many instances");
		lw_instance_free(in);
		lw_module_free(mod);
		return false;
	}
	const cJSON *name = cJSON_GetObjectItem(c, "name");
	named *n = &r->insts[r->ninst++];
	n->name = cJSON_IsString(name) ? strdup(name->valuestring) : NULL;
	n->in = in;
	n->mod = mod;
	r->cur = in;
	return true;
}

static bool cmd_register(runner *r, const cJSON *c)
{
	const cJSON *as = cJSON_GetObjectItem(c, "as");
	lw_instance *in = find_instance(r, cJSON_GetObjectItem(c, "name"));
	if (!in || !cJSON_IsString(as) || !exec_linked())
		return false;
	return lw_imports_add_instance(r->imp, as->valuestring, in) == 0;
}

/* Runs an action; returns the call result (LW_OK or a trap), with results. */
static int run_action(runner *r, const cJSON *act, lw_value *res, size_t *nres,
		      lw_call_result *cr, const char **trap_msg)
{
	const cJSON *type = cJSON_GetObjectItem(act, "type");
	const cJSON *field = cJSON_GetObjectItem(act, "field");
	/* consumed first so that the order stays in step on every path */
	size_t field_len = cJSON_IsString(field) ? field_length(r, field->valuestring) : 0;
	if (!exec_linked()) {
		fail(r, "action: execution not linked");
		return -1;
	}
	lw_instance *in = find_instance(r, cJSON_GetObjectItem(act, "module"));
	if (!in || !cJSON_IsString(type) || !cJSON_IsString(field)) {
		fail(r, "action: no such module instance");
		return -1;
	}
	*trap_msg = "";
	if (!strcmp(type->valuestring, "get")) {
		if (lw_global_get(in, field->valuestring, &res[0])) {
			fail(r, "get %s: no such global", field->valuestring);
			return -1;
		}
		*nres = 1;
		*cr = LW_OK;
		return 0;
	}
	lw_value args[MAX_VALS];
	size_t nargs = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(act, "args"))
	{
		if (nargs == MAX_VALS || parse_value(a, &args[nargs])) {
			fail(r, "invoke %s: bad argument", field->valuestring);
			return -1;
		}
		nargs++;
	}
	*cr = lw_call_n(in, field->valuestring, field_len, args, nargs, res,
			*nres);
	if (*cr != LW_OK) {
		const lw_trap_info *ti = lw_instance_trap(in);
		*trap_msg = ti ? ti->message : "";
	}
	return 0;
}

static size_t count_expected(const cJSON *c)
{
	return (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(c, "expected"));
}

static bool cmd_assert_return(runner *r, const cJSON *c, bool check)
{
	lw_value res[MAX_VALS];
	size_t nres = count_expected(c);
	lw_call_result cr;
	const char *tm;
	if (nres > MAX_VALS)
		return false;
	memset(res, 0, sizeof res);
	if (run_action(r, cJSON_GetObjectItem(c, "action"), res, &nres, &cr, &tm))
		return false;
	if (cr != LW_OK) {
		fail(r, "%s: trapped: %s",
		     cJSON_GetObjectItem(cJSON_GetObjectItem(c, "action"), "field")->valuestring,
		     tm);
		return false;
	}
	if (!check)
		return true;
	size_t i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(c, "expected"))
	{
		bool ok;
		const cJSON *alt = cJSON_GetObjectItem(e, "either");
		if (alt) { /* any of several values */
			ok = false;
			const cJSON *x;
			cJSON_ArrayForEach(x, alt) ok |= value_matches(x, &res[i]);
		} else {
			ok = value_matches(e, &res[i]);
		}
		if (!ok) {
			char got[64];
			fmt_value(&res[i], got, sizeof got);
			const cJSON *v = cJSON_GetObjectItem(e, "value");
			fail(r, "%s: result %zu: got %s, expected %s",
			     cJSON_GetObjectItem(cJSON_GetObjectItem(c, "action"), "field")->valuestring,
			     i, got, cJSON_IsString(v) ? v->valuestring : "?");
			return false;
		}
		i++;
	}
	return true;
}

static bool cmd_assert_trap(runner *r, const cJSON *c, bool exhaustion)
{
	lw_value res[MAX_VALS];
	size_t nres = count_expected(c);
	lw_call_result cr;
	const char *tm;
	const cJSON *text = cJSON_GetObjectItem(c, "text");
	const char *want = cJSON_IsString(text) ? text->valuestring : "";
	if (nres > MAX_VALS)
		return false;
	if (run_action(r, cJSON_GetObjectItem(c, "action"), res, &nres, &cr, &tm))
		return false;
	if (cr == LW_OK) {
		fail(r, "expected trap \"%s\", returned normally", want);
		return false;
	}
	if (exhaustion ? cr != LW_TRAP_STACK_EXHAUSTED : !msg_matches(tm, want)) {
		fail(r, "expected trap \"%s\", got \"%s\"", want, tm);
		return false;
	}
	return true;
}

/* The index of an earlier, checked assertion in the file that expects
 * these same bytes to fail in a way no one error can also satisfy
 * `kind`/`want`; -1 if none. Otherwise records this one (it will be checked)
 * for the next. */
static long contradicted(runner *r, const char *file, lw_error_kind kind,
			 const char *want)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof path, "%s/%s", r->dir, file);
	uint8_t *bytes = read_file(path, &len);
	if (!bytes)
		return -1; /* load() reports it */
	long hit = -1;
	for (size_t i = 0; i < r->nexpects && hit < 0; i++) {
		const struct expect *e = &r->expects[i];
		if (e->len == len && !memcmp(e->bytes, bytes, len) &&
		    (e->kind != kind || !msg_matches(e->text, want)))
			hit = (long)i;
	}
	if (hit >= 0) {
		free(bytes);
		return hit;
	}
	struct expect *grown = realloc(r->expects, (r->nexpects + 1) * sizeof(*grown));
	char *t = strdup(want);
	if (!grown || !t) {
		free(grown == r->expects ? NULL : grown);
		free(t);
		free(bytes);
		return hit;
	}
	r->expects = grown;
	r->expects[r->nexpects++] = (struct expect){bytes, len, kind, t, r->line};
	return hit;
}

static bool cmd_assert_module(runner *r, const cJSON *c, lw_error_kind want_kind)
{
	const cJSON *file = cJSON_GetObjectItem(c, "filename");
	const cJSON *text = cJSON_GetObjectItem(c, "text");
	const cJSON *mt = cJSON_GetObjectItem(c, "module_type");
	const char *want = cJSON_IsString(text) ? text->valuestring : "";
	if (cJSON_IsString(mt) && !strcmp(mt->valuestring, "text")) {
		r->text_skipped++;
		return true;
	}
	if (!cJSON_IsString(file))
		return false;
	if (want_kind == LW_ERR_MALFORMED || want_kind == LW_ERR_INVALID) {
		long i = contradicted(r, file->valuestring, want_kind, want);
		if (i >= 0) {
			const struct expect *e = &r->expects[i];
			printf("# n/a line %d: converter produced an identical binary for a "
			       "different assertion (line %d expects %s \"%s\", this one %s \"%s\")\n",
			       r->line, e->line, kind_name(e->kind), e->text,
			       kind_name(want_kind), want);
			r->ambiguous++;
			return true;
		}
	}
	lw_module *mod;
	lw_error err;
	memset(&err, 0, sizeof err);
	int rc = load(r, file->valuestring, &mod, &err);
	if (want_kind == LW_ERR_MALFORMED || want_kind == LW_ERR_INVALID) {
		if (!rc) {
			lw_module_free(mod);
			fail(r, "%s: expected %s \"%s\", loaded fine",
			     file->valuestring, kind_name(want_kind), want);
			return false;
		}
		if (err.kind != want_kind || !msg_matches(err.message, want)) {
			fail(r, "%s: expected %s \"%s\", got %s \"%s\" (offset %" PRId64 ")",
			     file->valuestring, kind_name(want_kind), want,
			     kind_name(err.kind), err.message, err.offset);
			return false;
		}
		return true;
	}
	if (rc) {
		fail(r, "%s: load failed: %s", file->valuestring, err.message);
		return false;
	}
	if (!exec_linked()) {
		lw_module_free(mod);
		fail(r, "%s: instantiation not linked", file->valuestring);
		return false;
	}
	lw_limits lim = lw_limits_default();
	lw_instance *in;
	rc = lw_instantiate(mod, r->imp, &lim, &in, &err);
	if (!rc) {
		/* keep it: an instance may have been registered elsewhere */
		if (r->ninst < MAX_INST) {
			r->insts[r->ninst].name = NULL;
			r->insts[r->ninst].in = in;
			r->insts[r->ninst++].mod = mod;
		}
		fail(r, "%s: expected %s \"%s\", instantiated fine",
		     file->valuestring, kind_name(want_kind), want);
		return false;
	}
	lw_module_free(mod);
	if (err.kind != want_kind || !msg_matches(err.message, want)) {
		fail(r, "%s: expected %s \"%s\", got %s \"%s\"", file->valuestring,
		     kind_name(want_kind), want, kind_name(err.kind), err.message);
		return false;
	}
	return true;
}

static bool run_command(runner *r, const cJSON *c)
{
	const char *t = cJSON_GetObjectItem(c, "type")->valuestring;
	if (!strcmp(t, "module"))
		return cmd_module(r, c);
	if (!strcmp(t, "action"))
		return cmd_assert_return(r, c, false);
	if (!strcmp(t, "assert_return"))
		return cmd_assert_return(r, c, true);
	if (!strcmp(t, "assert_trap"))
		return cmd_assert_trap(r, c, false);
	if (!strcmp(t, "assert_exhaustion"))
		return cmd_assert_trap(r, c, true);
	if (!strcmp(t, "assert_malformed"))
		return cmd_assert_module(r, c, LW_ERR_MALFORMED);
	if (!strcmp(t, "assert_invalid"))
		return cmd_assert_module(r, c, LW_ERR_INVALID);
	if (!strcmp(t, "assert_unlinkable"))
		return cmd_assert_module(r, c, LW_ERR_UNLINKABLE);
	if (!strcmp(t, "assert_uninstantiable"))
		return cmd_assert_module(r, c, LW_ERR_UNINSTANTIABLE);
	fail(r, "unknown command %s", t);
	return false;
}

int main(int argc, char **argv)
{
	runner r;
	memset(&r, 0, sizeof r);
	int ai = 1;
	if (ai < argc && !strcmp(argv[ai], "-v")) {
		r.verbose = 1;
		ai++;
	}
	if (ai >= argc) {
		fprintf(stderr, "usage: spec_runner [-v] FILE.json\n");
		return 2;
	}
	const char *path = argv[ai];
	size_t len;
	char *dir = strdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	r.dir = dir;
	uint8_t *text = read_file(path, &len);
	if (!text) {
		fprintf(stderr, "spec_runner: cannot read %s\n", path);
		return 2;
	}
	cJSON *root = cJSON_ParseWithLength((const char *)text, len);
	scan_field_lengths(&r, (const char *)text, len);
	free(text);
	if (!root) {
		fprintf(stderr, "spec_runner: %s: bad JSON\n", path);
		return 2;
	}
	r.eng = lw_engine_new();
	if (exec_linked()) {
		r.imp = lw_imports_new(r.eng);
		if (!r.imp || add_spectest(&r)) {
			fprintf(stderr, "spec_runner: cannot set up spectest\n");
			return 2;
		}
	}
	const cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "commands"))
	{
		const cJSON *t = cJSON_GetObjectItem(c, "type");
		const cJSON *line = cJSON_GetObjectItem(c, "line");
		r.line = cJSON_IsNumber(line) ? line->valueint : 0;
		if (!cJSON_IsString(t))
			continue;
		if (!strcmp(t->valuestring, "register")) {
			if (!cmd_register(&r, c))
				fail(&r, "register failed");
			continue;
		}
		r.total++;
		if (run_command(&r, c))
			r.passed++;
	}
	printf("RESULT %d %d %d %d\n", r.passed, r.total, r.text_skipped, r.ambiguous);
	for (int i = r.ninst - 1; i >= 0; i--) {
		lw_instance_free(r.insts[i].in);
		lw_module_free(r.insts[i].mod);
		free(r.insts[i].name);
	}
	if (r.imp)
		lw_imports_free(r.imp);
	lw_engine_free(r.eng);
	cJSON_Delete(root);
	for (size_t i = 0; i < r.nexpects; i++) {
		free(r.expects[i].bytes);
		free(r.expects[i].text);
	}
	free(r.expects);
	free(r.field_len);
	free(dir);
	return r.passed == r.total ? 0 : 1;
}
