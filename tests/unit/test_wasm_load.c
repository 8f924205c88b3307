/* test_wasm_load.c - decoder, validator and module API: error reports (kind,
 * section, function index, offset), introspection, the name section, two
 * independent engines, and robustness against every truncation and every
 * single-byte corruption of a valid module. (The spec suite in tests/spec
 * covers the rules themselves.) */
#include "test.h"
#include "wasm/module.h"

#include <stdlib.h>

/* (module
 *   (import "env" "log" (func (param i64)))
 *   (func $add (export "add") (param i32 i32) (result i32)
 *     local.get 0 local.get 1 i32.add)
 *   custom "name" section: function 1 is "add") */
static const uint8_t good[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	/* type: (i64)->(), (i32 i32)->i32 */
	0x01, 0x0b, 0x02, 0x60, 0x01, 0x7e, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01,
	0x7f,
	/* import env.log func type 0 */
	0x02, 0x0b, 0x01, 0x03, 'e', 'n', 'v', 0x03, 'l', 'o', 'g', 0x00, 0x00,
	/* function: type 1 */
	0x03, 0x02, 0x01, 0x01,
	/* export "add" func 1 */
	0x07, 0x07, 0x01, 0x03, 'a', 'd', 'd', 0x00, 0x01,
	/* code */
	0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
	/* name section, subsection 1 (function names): 1 -> "add" */
	0x00, 0x0d, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x06, 0x01, 0x01, 0x03, 'a',
	'd', 'd',
};
#define CODE_AT 47 /* offset of the code section id in good[] */

TEST(load_and_introspect)
{
	lw_engine *e = lw_engine_new();
	lw_module *m;
	lw_error err;
	CHECK(lw_module_load(e, good, sizeof good, &m, &err) == 0);
	if (!m)
		return;
	CHECK_EQ_INT(lw_module_import_count(m), 1);
	const char *mod, *name;
	int kind;
	CHECK(lw_module_import(m, 0, &mod, &name, &kind) == 0);
	CHECK(!strcmp(mod, "env") && !strcmp(name, "log") && kind == 0);
	CHECK(lw_module_import(m, 1, &mod, &name, &kind) != 0);
	CHECK_EQ_INT(lw_module_export_count(m), 1);
	CHECK(lw_module_export(m, 0, &name, &kind) == 0);
	CHECK(!strcmp(name, "add") && kind == 0);
	const char *sig = lw_module_export_sig(m, "add");
	CHECK(sig && !strcmp(sig, "(ii)i"));
	CHECK(lw_module_export_sig(m, "nope") == NULL);
	CHECK(!strcmp(m->types[0].sig, "(I)"));
	/* name section */
	CHECK(m->func_names && m->func_names[1] &&
	      !strcmp(m->func_names[1], "add"));
	CHECK(m->func_names && !m->func_names[0]);
	CHECK(lw_module_func_name(m, 1) && !strcmp(lw_module_func_name(m, 1), "add"));
	CHECK(lw_module_func_name(m, 0) == NULL);
	CHECK(lw_module_func_name(m, 2) == NULL);
	lw_module_free(m);
	lw_engine_free(e);
}

TEST(malformed_reports_where)
{
	lw_engine *e = lw_engine_new();
	lw_module *m;
	lw_error err;
	uint8_t bad[sizeof good];
	memcpy(bad, good, sizeof good);
	bad[1] = 'A';
	CHECK(lw_module_load(e, bad, sizeof bad, &m, &err) != 0);
	CHECK(m == NULL);
	CHECK_EQ_INT(err.kind, LW_ERR_MALFORMED);
	CHECK(!strcmp(err.message, "magic header not detected"));
	CHECK_EQ_INT(err.offset, 0);

	/* illegal opcode inside the body of function 1 */
	memcpy(bad, good, sizeof good);
	CHECK_EQ_INT(bad[CODE_AT + 9], 0x6a);
	bad[CODE_AT + 9] = 0xff;
	CHECK(lw_module_load(e, bad, sizeof bad, &m, &err) != 0);
	CHECK_EQ_INT(err.kind, LW_ERR_MALFORMED);
	CHECK(!strncmp(err.message, "illegal opcode", 14));
	CHECK_EQ_INT(err.section, 10);
	CHECK_EQ_INT(err.func_index, 1);
	CHECK_EQ_INT(err.offset, CODE_AT + 9);

	/* an overlong section size */
	memcpy(bad, good, sizeof good);
	bad[CODE_AT + 1] = 0x7f;
	CHECK(lw_module_load(e, bad, sizeof bad, &m, &err) != 0);
	CHECK(!strcmp(err.message, "length out of bounds"));
	lw_engine_free(e);
}

TEST(invalid_reports_where)
{
	lw_engine *e = lw_engine_new();
	lw_module *m;
	lw_error err;
	uint8_t bad[sizeof good];
	memcpy(bad, good, sizeof good);
	bad[CODE_AT + 9] = 0x7c; /* i64.add on two i32 */
	CHECK(lw_module_load(e, bad, sizeof bad, &m, &err) != 0);
	CHECK_EQ_INT(err.kind, LW_ERR_INVALID);
	CHECK(!strncmp(err.message, "type mismatch", 13));
	CHECK_EQ_INT(err.section, 10);
	CHECK_EQ_INT(err.func_index, 1);
	CHECK_EQ_INT(err.offset, CODE_AT + 9);

	memcpy(bad, good, sizeof good);
	bad[CODE_AT + 8] = 0x05; /* local.get 5: no such local */
	CHECK(lw_module_load(e, bad, sizeof bad, &m, &err) != 0);
	CHECK(!strcmp(err.message, "unknown local 5"));
	CHECK_EQ_INT(err.offset, CODE_AT + 7);
	lw_engine_free(e);
}

/* LEB128: a 5-byte (overlong but within limits) i32 is fine, 6 bytes is
 * too long, and unused bits of the last byte must be sign bits. */
TEST(leb128_limits)
{
	uint8_t mod[] = {
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
		0x03, 0x02, 0x01, 0x00,
		0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b,
	};
	lw_engine *e = lw_engine_new();
	lw_module *m;
	lw_error err;
	CHECK(lw_module_load(e, mod, sizeof mod, &m, &err) == 0);
	lw_module_free(m);
	mod[29] = 0x70; /* sign bits disagree with bit 31 */
	CHECK(lw_module_load(e, mod, sizeof mod, &m, &err) != 0);
	CHECK(!strcmp(err.message, "integer too large"));
	mod[29] = 0x80; /* sixth byte */
	CHECK(lw_module_load(e, mod, sizeof mod, &m, &err) != 0);
	CHECK(!strcmp(err.message, "integer representation too long"));
	lw_engine_free(e);
}

TEST(two_engines_independent)
{
	lw_engine *a = lw_engine_new(), *b = lw_engine_new();
	lw_module *ma, *mb;
	lw_error err;
	CHECK(lw_module_load(a, good, sizeof good, &ma, &err) == 0);
	CHECK(lw_module_load(b, good, sizeof good, &mb, &err) == 0);
	lw_module_free(ma);
	lw_engine_free(a);
	CHECK(!strcmp(lw_module_export_sig(mb, "add"), "(ii)i"));
	lw_module_free(mb);
	lw_engine_free(b);
}

/* Every truncation and every single-byte change of a valid module either
 * loads or fails with an error: never a crash, leak or sanitizer report. */
TEST(corruptions_are_errors)
{
	lw_engine *e = lw_engine_new();
	lw_module *m;
	lw_error err;
	int failed = 0, loaded = 0;
	for (size_t n = 0; n < sizeof good; n++) {
		if (lw_module_load(e, good, n, &m, &err) == 0) {
			loaded++;
			lw_module_free(m);
		} else {
			CHECK(err.kind == LW_ERR_MALFORMED);
			CHECK(err.message[0] != 0);
		}
	}
	/* a prefix ending right after a complete section is a valid module */
	CHECK(loaded >= 1);
	uint8_t bad[sizeof good];
	static const uint8_t vals[] = {0x00, 0x01, 0x0b, 0x40, 0x7f, 0x80, 0xff};
	for (size_t i = 0; i < sizeof good; i++) {
		for (size_t k = 0; k < sizeof vals; k++) {
			memcpy(bad, good, sizeof good);
			bad[i] = vals[k];
			if (lw_module_load(e, bad, sizeof bad, &m, &err) == 0)
				lw_module_free(m);
			else if (err.kind != LW_ERR_MALFORMED &&
				 err.kind != LW_ERR_INVALID)
				failed++;
		}
	}
	CHECK_EQ_INT(failed, 0);
	lw_engine_free(e);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(load_and_introspect);
	RUN(malformed_reports_where);
	RUN(invalid_reports_where);
	RUN(leb128_limits);
	RUN(two_engines_independent);
	RUN(corruptions_are_errors);
	return test_done();
}
