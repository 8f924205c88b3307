/* test_wasm_exec.c - the execution half of the engine through its public
 * API, on real modules: each test's WebAssembly text is turned into a binary
 * by wabt's wat2wasm at test time. Covers results, traps (kind, message,
 * function, stack), fuel exhaustion and resume, call depth, memory.grow under
 * the embedder's cap, host functions (incl. re-entry and traps), shared
 * memories and globals between instances. The spec suite covers the rules
 * instruction by instruction. */
#include "test.h"
#include "wat_module.h"
#include "lockstep/wasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static lw_engine *eng;

/* WAT text -> a module of this file's engine (wat_module.h) */
static lw_module *wat(const char *text) { return wat_module(eng, text); }

static lw_instance *inst(lw_module *m, lw_imports *imp, const lw_limits *lim)
{
	lw_instance *in = NULL;
	lw_error err;
	if (!m || lw_instantiate(m, imp, lim, &in, &err)) {
		printf("# instantiate: %s\n", m ? err.message : "no module");
		return NULL;
	}
	return in;
}

static int32_t call_i32(lw_instance *in, const char *name, int32_t a, lw_call_result *r)
{
	lw_value arg = LW_VI32(a), res = {0};
	*r = lw_call(in, name, &arg, 1, &res, 1);
	return res.of.i32;
}

TEST(arithmetic_loops_and_recursion)
{
	lw_module *m =
	    wat("(module\n"
		" (func $fib (export \"fib\") (param i32) (result i32)\n"
		"  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))\n"
		"   (then (local.get 0))\n"
		"   (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))\n"
		"                  (call $fib (i32.sub (local.get 0) (i32.const 2)))))))\n"
		" (func (export \"sum\") (param i32) (result i32) (local i32 i32)\n"
		"  (block $done (loop $l\n"
		"   (br_if $done (i32.ge_s (local.get 1) (local.get 0)))\n"
		"   (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
		"   (local.set 2 (i32.add (local.get 2) (local.get 1)))\n"
		"   (br $l)))\n"
		"  (local.get 2))\n"
		" (func (export \"swap\") (param i64 f64) (result f64 i64)\n"
		"  (local.get 1) (local.get 0))\n"
		" (func (export \"fdiv\") (param f64 f64) (result f64)\n"
		"  (f64.div (local.get 0) (local.get 1))))\n");
	lw_instance *in = inst(m, NULL, NULL);
	if (!in)
		return;
	lw_call_result r;
	CHECK_EQ_INT(call_i32(in, "fib", 20, &r), 6765);
	CHECK_EQ_INT(r, LW_OK);
	CHECK_EQ_INT(call_i32(in, "sum", 1000, &r), 500500);
	lw_value args[2] = {LW_VI64(-5), LW_VF64(2.5)}, res[2];
	CHECK_EQ_INT(lw_call(in, "swap", args, 2, res, 2), LW_OK);
	CHECK(res[0].type == LW_F64 && res[0].of.f64 == 2.5);
	CHECK(res[1].type == LW_I64 && res[1].of.i64 == -5);
	lw_value fa[2] = {LW_VF64(1.0), LW_VF64(4.0)};
	CHECK_EQ_INT(lw_call(in, "fdiv", fa, 2, res, 1), LW_OK);
	CHECK(res[0].of.f64 == 0.25);
	/* wrong argument count / type / name are refused, not run */
	CHECK_EQ_INT(lw_call(in, "fib", NULL, 0, res, 1), LW_TRAP_BAD_CALL);
	lw_value bad = LW_VI64(1);
	CHECK_EQ_INT(lw_call(in, "fib", &bad, 1, res, 1), LW_TRAP_BAD_CALL);
	CHECK_EQ_INT(lw_call(in, "nope", NULL, 0, NULL, 0), LW_TRAP_BAD_CALL);
	lw_stats st;
	lw_instance_stats(in, &st);
	CHECK_EQ_INT(st.calls, 4); /* refused calls do not count */
	lw_instance_free(in);
	lw_module_free(m);
}

TEST(traps_have_spec_messages_and_a_stack)
{
	lw_module *m =
	    wat("(module (memory 1)\n"
		" (type $t (func (result i32)))\n"
		" (table 2 funcref) (elem (i32.const 0) $div)\n"
		" (func $div (export \"div\") (param i32) (result i32)\n"
		"  (i32.div_s (i32.const 7) (local.get 0)))\n"
		" (func $inner (param i32) (result i32) (call $div (local.get 0)))\n"
		" (func (export \"outer\") (param i32) (result i32) (call $inner (local.get 0)))\n"
		" (func (export \"load\") (param i32) (result i32)\n"
		"  (i32.load offset=0xfffffff0 (local.get 0)))\n"
		" (func (export \"load_end\") (param i32) (result i32)\n"
		"  (i32.load (local.get 0)))\n"
		" (func (export \"unreach\") (param i32) (result i32) unreachable)\n"
		" (func (export \"trunc\") (param i32) (result i32)\n"
		"  (i32.trunc_f64_s (f64.const 3e9)))\n"
		" (func (export \"indirect\") (param i32) (result i32)\n"
		"  (call_indirect (type $t) (local.get 0))))\n");
	lw_instance *in = inst(m, NULL, NULL);
	if (!in)
		return;
	lw_call_result r;
	call_i32(in, "div", 0, &r);
	CHECK_EQ_INT(r, LW_TRAP_DIV_ZERO);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "integer divide by zero");
	CHECK_EQ_INT(call_i32(in, "div", -1, &r), -7);
	CHECK_EQ_INT(r, LW_OK);
	CHECK_EQ_INT(call_i32(in, "outer", 0, &r), 0);
	CHECK_EQ_INT(r, LW_TRAP_DIV_ZERO);
	const lw_trap_info *t = lw_instance_trap(in);
	CHECK_EQ_INT(t->func_index, 0);
	CHECK_EQ_INT(t->stack_depth, 3);
	CHECK(t->stack[0] == 0 && t->stack[1] == 1 && t->stack[2] == 2);
	/* offset + address overflows 32 bits: still out of bounds */
	call_i32(in, "load", 0x20, &r);
	CHECK_EQ_INT(r, LW_TRAP_MEM_OOB);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "out of bounds memory access");
	call_i32(in, "load_end", 65532, &r);
	CHECK_EQ_INT(r, LW_OK);
	call_i32(in, "load_end", 65533, &r);
	CHECK_EQ_INT(r, LW_TRAP_MEM_OOB);
	call_i32(in, "unreach", 0, &r);
	CHECK_EQ_INT(r, LW_TRAP_UNREACHABLE);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "unreachable");
	call_i32(in, "trunc", 0, &r);
	CHECK_EQ_INT(r, LW_TRAP_INT_OVERFLOW);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "integer overflow");
	call_i32(in, "indirect", 0, &r);
	CHECK_EQ_INT(r, LW_TRAP_INDIRECT_MISMATCH);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "indirect call type mismatch");
	call_i32(in, "indirect", 1, &r);
	CHECK_EQ_INT(r, LW_TRAP_UNINIT_ELEM);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "uninitialized element");
	call_i32(in, "indirect", 2, &r);
	CHECK_EQ_INT(r, LW_TRAP_UNDEFINED_ELEM);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "undefined element");
	/* the instance stays usable after traps */
	CHECK_EQ_INT(call_i32(in, "div", 7, &r), 1);
	CHECK_EQ_INT(r, LW_OK);
	lw_stats st;
	lw_instance_stats(in, &st);
	CHECK_EQ_INT(st.traps, 9);
	lw_instance_free(in);
	lw_module_free(m);
}

static const char *loop_wat = "(module\n"
			      " (func (export \"spin\") (loop $l (br $l)))\n"
			      " (func (export \"count\") (param i32) (result i32) (local i32)\n"
			      "  (loop $l\n"
			      "   (local.set 1 (i32.add (local.get 1) (i32.const 3)))\n"
			      "   (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
			      "  (local.get 1)))\n";

TEST(fuel_exhaustion_and_resume)
{
	lw_module *m = wat(loop_wat);
	lw_limits lim = lw_limits_default();
	lim.fuel = 1000;
	lw_instance *in = inst(m, NULL, &lim);
	if (!in)
		return;
	CHECK_EQ_INT(lw_call(in, "spin", NULL, 0, NULL, 0), LW_TRAP_OUT_OF_FUEL);
	CHECK(lw_instance_fuel_left(in) < 10);
	/* refill and resume: still spinning, still out of fuel */
	lw_instance_set_fuel(in, 5000);
	CHECK_EQ_INT(lw_resume(in, NULL, 0), LW_TRAP_OUT_OF_FUEL);
	/* a new call abandons the suspended one; the budget refills */
	lw_call_result r;
	CHECK_EQ_INT(call_i32(in, "count", 10, &r), 30);
	CHECK_EQ_INT(r, LW_OK);
	CHECK(lw_instance_fuel_left(in) > 0 && lw_instance_fuel_left(in) < 1000);
	/* a long computation finishes across resumes with the right result */
	int resumes = 0;
	lw_value arg = LW_VI32(100000), res = {0};
	r = lw_call(in, "count", &arg, 1, &res, 1);
	while (r == LW_TRAP_OUT_OF_FUEL && resumes < 100000) {
		resumes++;
		lw_instance_set_fuel(in, 1000);
		r = lw_resume(in, &res, 1);
	}
	CHECK_EQ_INT(r, LW_OK);
	CHECK_EQ_INT(res.of.i32, 300000);
	CHECK(resumes > 100);
	/* nothing to resume now */
	CHECK_EQ_INT(lw_resume(in, &res, 1), LW_TRAP_BAD_CALL);
	lw_stats st;
	lw_instance_stats(in, &st);
	CHECK(st.fuel_used > 100000);
	lw_instance_free(in);
	lw_module_free(m);
}

/* A loop of known length: n iterations of a body of 12 Wasm instructions
 * (counted by hand below: local.get .. br, the loop's `end` not one), left
 * by a br_if not taken until the last pass; `back` = 0 makes the same loop
 * close with a br_if taken back to its head instead (9 instructions). */
static void known_loop_wat(char *buf, size_t len, int n, int back)
{
	if (back)
		snprintf(buf, len,
			 "(module (func (export \"run\") (result i32) (local i32 i32)\n"
			 " (local.set 0 (i32.const %d))\n"
			 " (loop $l\n"
			 "  (local.set 1 (i32.add (local.get 1) (i32.const 3)))\n"
			 "  (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))\n"
			 " (local.get 1)))\n",
			 n);
	else
		snprintf(buf, len,
			 "(module (func (export \"run\") (result i32) (local i32 i32)\n"
			 " (local.set 0 (i32.const %d))\n"
			 " (block $b (loop $l\n"
			 "  (local.set 1 (i32.add (local.get 1) (i32.const 3)))\n"
			 "  (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
			 "  (br_if $b (i32.eqz (local.get 0)))\n"
			 "  (br $l)))\n"
			 " (local.get 1)))\n",
			 n);
}

/* The fuel one call of "run" uses (-1 on failure). */
static int64_t fuel_of(const char *text, int n)
{
	lw_module *m = wat(text);
	lw_limits lim = lw_limits_default();
	lim.fuel = 1000000000;
	lw_instance *in = inst(m, NULL, &lim);
	if (!in)
		return -1;
	lw_value res = {0};
	lw_call_result r = lw_call(in, "run", NULL, 0, &res, 1);
	lw_stats st;
	lw_instance_stats(in, &st);
	lw_instance_free(in);
	lw_module_free(m);
	return r == LW_OK && res.of.i32 == 3 * n ? (int64_t)st.fuel_used : -1;
}

/* Instructions wabt's interpreter executes for the module (wasm-interp
 * --trace prints one '#' line per instruction), or -1. */
static int wabt_steps(const char *text)
{
	char src[] = "/tmp/lw_trace_XXXXXX";
	int fd = mkstemp(src);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "wat2wasm %s -o %s.wasm && wasm-interp %s.wasm --run-all-exports --trace "
		 "| grep -c '^#'; rm -f %s.wasm",
		 src, src, src, src);
	FILE *p = popen(cmd, "r");
	int steps = -1;
	if (p) {
		if (fscanf(p, "%d", &steps) != 1)
			steps = -1;
		pclose(p);
	}
	unlink(src);
	return steps;
}

/* Fuel as an exact count (docs/wasm-exec.md, Fuel), by hand from the
 * documented rule: entry charges the opcodes outside loops -- i32.const,
 * local.set, block, loop, end, local.get, end: 7 for the first loop; 5 for
 * the second (no block) -- and one per declared local its frame zeroes
 * (`run` declares 2: 9 and 7), each backward branch taken charges its loop's
 * opcodes, the closing `end` included: 12 + 1 and 9 + 1; the first pass
 * through a loop is free. So run(n) costs exactly entry + (n - 1) * body.
 * The second opinion is wabt's wasm-interp, an independent interpreter: it
 * must execute exactly 12 more instructions per iteration of the first loop
 * (it executes no `end`; and it lowers a taken br_if into two of its
 * instructions, so the second loop's trace is not compared). */
TEST(fuel_is_an_exact_count_for_loops_of_known_length)
{
	static const int ns[] = {1, 2, 3, 10, 1000};
	static const int entry[2] = {7 + 2, 5 + 2}, body[2] = {13, 10};
	char text[1024];
	for (int back = 0; back < 2; back++) {
		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			known_loop_wat(text, sizeof text, ns[i], back);
			int64_t f = fuel_of(text, ns[i]);
			int64_t want = entry[back] + (int64_t)(ns[i] - 1) * body[back];
			if (f != want)
				printf("# loop %d, n = %d: fuel %lld, want %d + %d * %d\n", back,
				       ns[i], (long long)f, entry[back], ns[i] - 1, body[back]);
			CHECK_EQ_INT(f, want);
		}
	}
	/* the second opinion: wabt's count per iteration of the first loop */
	int t[3];
	for (int n = 1; n <= 3; n++) {
		known_loop_wat(text, sizeof text, n, 0);
		t[n - 1] = wabt_steps(text);
	}
	printf("# wasm-interp --trace: %d, %d, %d instructions for 1, 2, 3 iterations\n", t[0],
	       t[1], t[2]);
	CHECK(t[0] > 0);
	CHECK_EQ_INT(t[1] - t[0], body[0] - 1);
	CHECK_EQ_INT(t[2] - t[1], body[0] - 1);
}

/* Calls charge their callee's entry every time (docs/wasm-exec.md, Fuel).
 * The loop of known_loop_wat (back = 0) with its add moved into $f: entry 7
 * + 2 locals as there; the loop body local.get, call, local.set (3 in place
 * of 4), so a taken `br` charges 12; each call charges $f's local.get,
 * i32.const, i32.add, end: 4 ($f declares no locals), the first pass's call
 * too. By hand run(n) costs exactly 9 + (n - 1) * 12 + 4 * n. Second opinion, wabt's wasm-interp:
 * per iteration 11 loop instructions and $f's 3, and its `end` lowered into two (drop_keep of the
 * parameter, return): 16 by its --trace. */
static void calls_wat(char *buf, size_t len, int n)
{
	snprintf(
	    buf, len,
	    "(module (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))\n"
	    " (func (export \"run\") (result i32) (local i32 i32)\n"
	    " (local.set 0 (i32.const %d))\n"
	    " (block $b (loop $l\n"
	    "  (local.set 1 (call $f (local.get 1)))\n"
	    "  (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
	    "  (br_if $b (i32.eqz (local.get 0)))\n"
	    "  (br $l)))\n"
	    " (local.get 1)))\n",
	    n);
}

TEST(fuel_charges_every_call_its_callee_entry)
{
	static const int ns[] = {1, 2, 3, 10, 1000};
	char text[1024];
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		calls_wat(text, sizeof text, ns[i]);
		int64_t f = fuel_of(text, ns[i]);
		int64_t want = 9 + (int64_t)(ns[i] - 1) * 12 + 4 * (int64_t)ns[i];
		if (f != want)
			printf("# %d calls: fuel %lld, want %lld\n", ns[i], (long long)f,
			       (long long)want);
		CHECK_EQ_INT(f, want);
	}
	int t[3];
	for (int n = 1; n <= 3; n++) {
		calls_wat(text, sizeof text, n);
		t[n - 1] = wabt_steps(text);
	}
	printf("# wasm-interp --trace: %d, %d, %d instructions for 1, 2, 3 calls\n", t[0], t[1],
	       t[2]);
	CHECK(t[0] > 0);
	CHECK_EQ_INT(t[1] - t[0], 11 + 3 + 2);
	CHECK_EQ_INT(t[2] - t[1], 11 + 3 + 2);
}

TEST(call_depth_is_limited)
{
	lw_module *m = wat("(module\n"
			   " (func $down (export \"down\") (param i32) (result i32)\n"
			   "  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))\n"
			   "   (else (i32.add (i32.const 1)\n"
			   "     (call $down (i32.sub (local.get 0) (i32.const 1)))))))\n"
			   " (func $inf (export \"inf\") (call $inf)))\n");
	lw_limits lim = lw_limits_default();
	lim.max_call_depth = 500;
	lw_instance *in = inst(m, NULL, &lim);
	if (!in)
		return;
	lw_call_result r;
	CHECK_EQ_INT(call_i32(in, "down", 400, &r), 400);
	CHECK_EQ_INT(r, LW_OK);
	call_i32(in, "down", 600, &r);
	CHECK_EQ_INT(r, LW_TRAP_STACK_EXHAUSTED);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "call stack exhausted");
	CHECK_EQ_INT(lw_call(in, "inf", NULL, 0, NULL, 0), LW_TRAP_STACK_EXHAUSTED);
	CHECK_EQ_INT(lw_instance_trap(in)->stack_depth, 8);
	CHECK_EQ_INT(call_i32(in, "down", 10, &r), 10);
	lw_instance_free(in);
	/* a small operand stack runs out before the frame limit */
	lim = lw_limits_default();
	lim.max_stack_bytes = 4096;
	in = inst(m, NULL, &lim);
	if (in) {
		call_i32(in, "down", 5000, &r);
		CHECK_EQ_INT(r, LW_TRAP_STACK_EXHAUSTED);
		lw_instance_free(in);
	}
	lw_module_free(m);
}

TEST(memory_grow_respects_limits)
{
	lw_module *m =
	    wat("(module (memory (export \"mem\") 1)\n"
		" (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
		" (func (export \"size\") (param i32) (result i32) (memory.size))\n"
		" (func (export \"poke\") (param i32) (result i32)\n"
		"  (i32.store8 (local.get 0) (i32.const 42)) (i32.load8_u (local.get 0))))\n");
	lw_limits lim = lw_limits_default();
	lim.max_memory_pages = 4;
	lw_instance *in = inst(m, NULL, &lim);
	if (!in)
		return;
	lw_call_result r;
	CHECK_EQ_INT(call_i32(in, "grow", 2, &r), 1);
	CHECK_EQ_INT(call_i32(in, "grow", 2, &r), -1);
	CHECK_EQ_INT(call_i32(in, "grow", 1, &r), 3);
	CHECK_EQ_INT(call_i32(in, "grow", 1, &r), -1);
	CHECK_EQ_INT(call_i32(in, "grow", -1, &r), -1);
	CHECK_EQ_INT(call_i32(in, "size", 0, &r), 4);
	CHECK_EQ_INT(lw_memory_size(in), 4 * 65536);
	/* new pages are zeroed and usable; the host sees the same bytes */
	CHECK_EQ_INT(call_i32(in, "poke", 4 * 65536 - 1, &r), 42);
	uint8_t *p = lw_memory_ptr(in, 4 * 65536 - 1, 1);
	CHECK(p && *p == 42);
	CHECK(lw_memory_ptr(in, 4 * 65536 - 1, 2) == NULL);
	CHECK(lw_memory_ptr(in, UINT64_MAX, 2) == NULL);
	call_i32(in, "poke", 4 * 65536, &r);
	CHECK_EQ_INT(r, LW_TRAP_MEM_OOB);
	lw_instance_free(in);
	/* a module asking for more than the cap up front is refused */
	lim.max_memory_pages = 0x10;
	lw_module *big = wat("(module (memory 17))");
	lw_instance *bi = NULL;
	lw_error err;
	CHECK(big && lw_instantiate(big, NULL, &lim, &bi, &err) != 0);
	CHECK_EQ_INT(err.kind, LW_ERR_LIMIT);
	lw_module_free(big);
	lw_module_free(m);
}

/* Bulk operations of length 0 on an empty memory and an empty table: no
 * trap in bounds (0 + 0 <= 0), a trap one past (spec: bounds are checked
 * even for n = 0). The engine's bases are NULL then and must not be offset
 * even by 0: gcc's UBSan (this build) does not flag NULL + 0, clang's
 * does, so the guard is tests/wasm/regress/memory-init-zero-length-*
 * replayed by the clang-built fuzz_wasm (fuzz_short.sh), where it was
 * found. */
TEST(zero_length_bulk_ops_on_empty_memory_and_table)
{
	lw_module *m = wat("(module (memory 0) (table 0 funcref) (data \"\") (elem funcref)\n"
			   " (func (export \"f\") (param i32) (result i32)\n"
			   "  (memory.init 0 (local.get 0) (i32.const 0) (i32.const 0))\n"
			   "  (memory.copy (local.get 0) (i32.const 0) (i32.const 0))\n"
			   "  (memory.fill (local.get 0) (i32.const 7) (i32.const 0))\n"
			   "  (table.init 0 (local.get 0) (i32.const 0) (i32.const 0))\n"
			   "  (table.copy (i32.const 0) (i32.const 0) (i32.const 0))\n"
			   "  (i32.const 5)))\n");
	lw_instance *in = inst(m, NULL, NULL);
	if (!in)
		return;
	lw_call_result r;
	CHECK_EQ_INT(call_i32(in, "f", 0, &r), 5);
	CHECK_EQ_INT(r, LW_OK);
	call_i32(in, "f", 1, &r);
	CHECK_EQ_INT(r, LW_TRAP_MEM_OOB);
	lw_instance_free(in);
	lw_module_free(m);
}

static int host_calls;

static lw_call_result host_add3(lw_instance *in, void *user, const lw_value *a, lw_value *res)
{
	host_calls++;
	CHECK(user == &host_calls);
	res[0] = LW_VI32(a[0].of.i32 + a[1].of.i32 + a[2].of.i32);
	return LW_OK;
}

static lw_call_result host_sum_mem(lw_instance *in, void *user, const lw_value *a, lw_value *res)
{
	const uint8_t *p = lw_memory_ptr(in, (uint32_t)a[0].of.i32, (uint32_t)a[1].of.i32);
	if (!p) {
		lw_host_trap(in, "bad pointer %u+%u", (unsigned)a[0].of.i32, (unsigned)a[1].of.i32);
		return LW_TRAP_HOST;
	}
	int64_t s = 0;
	for (int32_t i = 0; i < a[1].of.i32; i++)
		s += p[i];
	res[0] = LW_VI64(s);
	return LW_OK;
}

/* calls back into the guest: re-entry on the same instance */
static lw_call_result host_reenter(lw_instance *in, void *user, const lw_value *a, lw_value *res)
{
	lw_value arg = LW_VI32(a[0].of.i32 * 2), out;
	lw_call_result r = lw_call(in, "twice", &arg, 1, &out, 1);
	if (r != LW_OK)
		return r;
	res[0] = out;
	return LW_OK;
}

TEST(host_functions)
{
	lw_module *m = wat(
	    "(module\n"
	    " (import \"env\" \"add3\" (func $add3 (param i32 i32 i32) (result i32)))\n"
	    " (import \"env\" \"sum\" (func $sum (param i32 i32) (result i64)))\n"
	    " (import \"env\" \"reenter\" (func $re (param i32) (result i32)))\n"
	    " (memory 1) (data (i32.const 100) \"\\01\\02\\03\\04\")\n"
	    " (func (export \"f\") (param i32) (result i32)\n"
	    "  (i32.mul (call $add3 (local.get 0) (i32.const 10) (i32.const 100)) (i32.const 2)))\n"
	    " (func (export \"sum\") (param i32 i32) (result i64) (call $sum (local.get 0) "
	    "(local.get 1)))\n"
	    " (func (export \"twice\") (param i32) (result i32) (i32.add (local.get 0) (local.get "
	    "0)))\n"
	    " (func (export \"re\") (param i32) (result i32) (i32.add (i32.const 1) (call $re "
	    "(local.get 0)))))\n");
	lw_imports *imp = lw_imports_new(eng);
	CHECK(lw_imports_add_func(imp, "env", "add3", "(iii)i", host_add3, &host_calls) == 0);
	CHECK(lw_imports_add_func(imp, "env", "sum", "(ii)I", host_sum_mem, NULL) == 0);
	CHECK(lw_imports_add_func(imp, "env", "reenter", "(i)i", host_reenter, NULL) == 0);
	CHECK(lw_imports_add_func(imp, "env", "bad", "(q)", host_reenter, NULL) != 0);
	lw_instance *in = inst(m, imp, NULL);
	if (!in) {
		lw_imports_free(imp);
		return;
	}
	lw_call_result r;
	host_calls = 0;
	CHECK_EQ_INT(call_i32(in, "f", 1, &r), 222);
	CHECK_EQ_INT(host_calls, 1);
	lw_value args[2] = {LW_VI32(100), LW_VI32(4)}, res;
	CHECK_EQ_INT(lw_call(in, "sum", args, 2, &res, 1), LW_OK);
	CHECK_EQ_INT(res.of.i64, 10);
	args[0] = LW_VI32(65535);
	CHECK_EQ_INT(lw_call(in, "sum", args, 2, &res, 1), LW_TRAP_HOST);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "bad pointer 65535+4");
	CHECK_EQ_INT(call_i32(in, "re", 5, &r), 21);
	CHECK_EQ_INT(r, LW_OK);
	lw_instance_free(in);
	lw_module_free(m);

	/* a missing import and a wrong signature do not link */
	lw_module *m2 = wat("(module (import \"env\" \"add3\" (func (param i32))))");
	lw_instance *i2 = NULL;
	lw_error err;
	CHECK(m2 && lw_instantiate(m2, imp, NULL, &i2, &err) != 0);
	CHECK_EQ_INT(err.kind, LW_ERR_UNLINKABLE);
	CHECK(!strncmp(err.message, "incompatible import type", 24));
	lw_module_free(m2);
	m2 = wat("(module (import \"env\" \"nope\" (func)))");
	CHECK(m2 && lw_instantiate(m2, imp, NULL, &i2, &err) != 0);
	CHECK(!strncmp(err.message, "unknown import", 14));
	lw_module_free(m2);
	lw_imports_free(imp);
}

/* The interpreter keeps recent results in registers (src/wasm/ops.h) and
 * passes the first argument and the first result of a call in one; these
 * shapes test where that must stop: a function whose first instruction is
 * a loop head (entered by the call and by the back edge), results of wasm,
 * host and indirect calls used at once, several results, f64 chains that
 * interleave with integer ones. The test build checks every register read
 * against its slot (LW_CHECK_ACC), so a wrong claim aborts here. */
TEST(register_passing_across_calls_and_labels)
{
	lw_module *m =
	    wat("(module\n"
		" (import \"env\" \"add3\" (func $add3 (param i32 i32 i32) (result i32)))\n"
		" (type $un (func (param i32) (result i32)))\n"
		" (table 2 funcref) (elem (i32.const 0) $sq $down)\n"
		" (func $down (export \"down\") (param i32) (result i32) (local i32)\n"
		"  (loop $l\n"
		"   (local.set 1 (i32.add (local.get 1) (local.get 0)))\n"
		"   (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
		"   (br_if $l (local.get 0)))\n"
		"  (local.get 1))\n"
		" (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))\n"
		" (func $two (param i32) (result i32 i32) (local.get 0) (i32.add (local.get 0) "
		"(i32.const 1)))\n"
		" (func $none (result i32) (i32.const 7))\n"
		" (func $hyp (param f64 f64) (result f64)\n"
		"  (f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0)) (f64.mul (local.get 1) "
		"(local.get 1)))))\n"
		" (func (export \"mix\") (param i32) (result i32)\n"
		"  (i32.add\n"
		"   (i32.add (call $sq (local.get 0)) (call $sq (i32.add (local.get 0) (i32.const "
		"1))))\n"
		"   (i32.add (call $add3 (call $none) (local.get 0) (i32.const 100))\n"
		"    (i32.add (call_indirect (type $un) (local.get 0) (i32.const 1))\n"
		"     (call_indirect (type $un) (i32.const 5) (i32.const 0))))))\n"
		" (func (export \"pair\") (param i32) (result i32)\n"
		"  (call $two (local.get 0)) (i32.sub) (i32.mul (i32.const 1000)) (i32.add (call "
		"$none)))\n"
		" (func (export \"hyp\") (param i32) (result i32)\n"
		"  (i32.trunc_f64_s (f64.add (call $hyp (f64.convert_i32_s (local.get 0)) "
		"(f64.const 4))\n"
		"   (f64.convert_i32_s (call $sq (local.get 0)))))))\n");
	lw_imports *imp = lw_imports_new(eng);
	CHECK(lw_imports_add_func(imp, "env", "add3", "(iii)i", host_add3, &host_calls) == 0);
	lw_instance *in = inst(m, imp, NULL);
	if (!in) {
		lw_imports_free(imp);
		return;
	}
	lw_call_result r;
	CHECK_EQ_INT(call_i32(in, "down", 10, &r), 55);
	CHECK_EQ_INT(r, LW_OK);
	/* 9 + 16 + (7 + 3 + 100) + down(3) + sq(5) */
	CHECK_EQ_INT(call_i32(in, "mix", 3, &r), 9 + 16 + 110 + 6 + 25);
	CHECK_EQ_INT(r, LW_OK);
	CHECK_EQ_INT(call_i32(in, "pair", 41, &r), -1000 + 7);
	CHECK_EQ_INT(call_i32(in, "hyp", 3, &r), 5 + 9);
	lw_instance_free(in);
	lw_imports_free(imp);
	lw_module_free(m);
}

TEST(instances_share_memory_tables_and_globals)
{
	lw_module *ma =
	    wat("(module (memory (export \"mem\") 1 4)\n"
		" (global (export \"g\") (mut i32) (i32.const 7))\n"
		" (table (export \"tab\") 2 funcref)\n"
		" (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
		" (func (export \"size\") (param i32) (result i32) (memory.size))\n"
		" (func (export \"getg\") (param i32) (result i32) (global.get 0))\n"
		" (func (export \"call1\") (param i32) (result i32)\n"
		"  (call_indirect (param i32) (result i32) (local.get 0) (i32.const 1))))\n");
	lw_module *mb =
	    wat("(module (import \"a\" \"mem\" (memory 1))\n"
		" (import \"a\" \"g\" (global $g (mut i32)))\n"
		" (import \"a\" \"tab\" (table 2 funcref))\n"
		" (elem (i32.const 1) $triple)\n"
		" (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))\n"
		" (func (export \"poke\") (param i32) (result i32)\n"
		"  (i32.store8 (local.get 0) (i32.const 99))\n"
		"  (global.set $g (i32.const 8))\n"
		"  (memory.grow (i32.const 1))))\n");
	lw_instance *a = inst(ma, NULL, NULL);
	lw_imports *imp = lw_imports_new(eng);
	lw_imports_add_instance(imp, "a", a);
	lw_instance *b = a ? inst(mb, imp, NULL) : NULL;
	if (!a || !b)
		goto out;
	lw_call_result r;
	CHECK_EQ_INT(call_i32(b, "poke", 5, &r), 1);
	CHECK_EQ_INT(call_i32(a, "peek", 5, &r), 99);
	CHECK_EQ_INT(call_i32(a, "size", 0, &r), 2);
	CHECK_EQ_INT(call_i32(a, "getg", 0, &r), 8);
	CHECK_EQ_INT(call_i32(a, "call1", 5, &r), 15);
	lw_value v;
	CHECK(lw_global_get(a, "g", &v) == 0 && v.of.i32 == 8);
	CHECK(lw_global_set(a, "g", LW_VI32(11)) == 0);
	CHECK_EQ_INT(call_i32(a, "getg", 0, &r), 11);
	CHECK(lw_global_set(a, "g", LW_VI64(11)) != 0);
	CHECK_EQ_INT(lw_memory_size(b), 2 * 65536);
out:
	lw_instance_free(b);
	lw_instance_free(a);
	lw_imports_free(imp);
	lw_module_free(mb);
	lw_module_free(ma);
}

TEST(start_function_and_segment_traps)
{
	lw_module *m = wat("(module (memory 1) (global $g (mut i32) (i32.const 0))\n"
			   " (func $start (global.set $g (i32.const 5)))\n"
			   " (start $start)\n"
			   " (func (export \"g\") (param i32) (result i32) (global.get $g)))\n");
	lw_instance *in = inst(m, NULL, NULL);
	lw_call_result r;
	if (in)
		CHECK_EQ_INT(call_i32(in, "g", 0, &r), 5);
	lw_instance_free(in);
	lw_module_free(m);
	m = wat("(module (func $s unreachable) (start $s))");
	lw_error err;
	CHECK(m && lw_instantiate(m, NULL, NULL, &in, &err) != 0);
	CHECK_EQ_INT(err.kind, LW_ERR_UNINSTANTIABLE);
	CHECK_EQ_STR(err.message, "unreachable");
	lw_module_free(m);
	m = wat("(module (memory 1) (data (i32.const 65535) \"ab\"))");
	CHECK(m && lw_instantiate(m, NULL, NULL, &in, &err) != 0);
	CHECK_EQ_INT(err.kind, LW_ERR_UNINSTANTIABLE);
	CHECK_EQ_STR(err.message, "out of bounds memory access");
	lw_module_free(m);
}

/* lw_instance_func / lw_call_func: the same calls without the name lookup,
 * host functions included, the same argument checks, trap information
 * after a trap and none left over after the next good call */
TEST(calls_through_a_function_handle)
{
	lw_module *m =
	    wat("(module\n"
		" (import \"env\" \"add3\" (func $add3 (param i32 i32 i32) (result i32)))\n"
		" (func (export \"f\") (param i32) (result i32)\n"
		"  (call $add3 (local.get 0) (i32.const 10) (i32.const 100)))\n"
		" (func (export \"div\") (param i32) (result i32)\n"
		"  (i32.div_u (i32.const 7) (local.get 0)))\n"
		" (export \"add3\" (func $add3)))\n");
	lw_imports *imp = lw_imports_new(eng);
	CHECK(lw_imports_add_func(imp, "env", "add3", "(iii)i", host_add3, &host_calls) == 0);
	lw_instance *in = inst(m, imp, NULL);
	if (!in) {
		lw_imports_free(imp);
		return;
	}
	lw_fnref *f = lw_instance_func(in, "f"), *div = lw_instance_func(in, "div");
	lw_fnref *add3 = lw_instance_func(in, "add3");
	CHECK(f && div && add3);
	CHECK(lw_instance_func(in, "nope") == NULL);
	lw_value a = LW_VI32(1), res = {0};
	host_calls = 0;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(lw_call_func(in, f, &a, 1, &res, 1), LW_OK);
		CHECK_EQ_INT(res.of.i32, 111);
	}
	CHECK_EQ_INT(host_calls, 3);
	/* a re-exported import is called as itself */
	lw_value a3[3] = {LW_VI32(1), LW_VI32(2), LW_VI32(3)};
	CHECK_EQ_INT(lw_call_func(in, add3, a3, 3, &res, 1), LW_OK);
	CHECK_EQ_INT(res.of.i32, 6);
	/* wrong arguments are refused, not run */
	lw_value wrong = LW_VI64(1);
	CHECK_EQ_INT(lw_call_func(in, f, &wrong, 1, &res, 1), LW_TRAP_BAD_CALL);
	CHECK(strstr(lw_instance_trap(in)->message, "wrong type"));
	CHECK_EQ_INT(lw_call_func(in, f, NULL, 0, &res, 1), LW_TRAP_BAD_CALL);
	CHECK_EQ_INT(lw_call_func(in, NULL, &a, 1, &res, 1), LW_TRAP_BAD_CALL);
	/* a trap is described; the next good call leaves no trace of it */
	a = LW_VI32(0);
	CHECK_EQ_INT(lw_call_func(in, div, &a, 1, &res, 1), LW_TRAP_DIV_ZERO);
	CHECK_EQ_STR(lw_instance_trap(in)->message, "integer divide by zero");
	CHECK_EQ_INT(lw_instance_trap(in)->stack_depth, 1);
	a = LW_VI32(7);
	CHECK_EQ_INT(lw_call_func(in, div, &a, 1, &res, 1), LW_OK);
	CHECK_EQ_INT(res.of.i32, 1);
	const lw_trap_info *t = lw_instance_trap(in);
	CHECK_EQ_INT(t->kind, LW_OK);
	CHECK_EQ_STR(t->message, "");
	CHECK_EQ_INT(t->stack_depth, 0);
	CHECK_EQ_INT(t->func_index, -1);
	lw_instance_free(in);
	lw_module_free(m);
	lw_imports_free(imp);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	if (system("wat2wasm --version >/dev/null 2>&1") != 0) {
		return test_skip_all("wat2wasm (wabt) not installed");
	}
	eng = lw_engine_new();
	RUN(arithmetic_loops_and_recursion);
	RUN(traps_have_spec_messages_and_a_stack);
	RUN(fuel_exhaustion_and_resume);
	RUN(fuel_is_an_exact_count_for_loops_of_known_length);
	RUN(fuel_charges_every_call_its_callee_entry);
	RUN(call_depth_is_limited);
	RUN(memory_grow_respects_limits);
	RUN(zero_length_bulk_ops_on_empty_memory_and_table);
	RUN(host_functions);
	RUN(register_passing_across_calls_and_labels);
	RUN(calls_through_a_function_handle);
	RUN(instances_share_memory_tables_and_globals);
	RUN(start_function_and_segment_traps);
	lw_engine_free(eng);
	return test_done();
}
