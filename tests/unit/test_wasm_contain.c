/* test_wasm_contain.c - what keeps a hostile guest contained, through the
 * engine's public API on real modules (wabt's wat2wasm builds them at test
 * time): the per-instance memory budget (a table bomb, a memory bomb by its
 * declared minimum, grow loops, many data segments), the wall-clock
 * deadline and the interrupt flag (an infinite loop under a huge fuel
 * budget, a loop of huge memory.fill), and fuel proportional to work (bulk
 * operations per byte or element, a call per declared local), and the
 * guard pages that end the engine's operand stack and call frames (the
 * instance's internals, wasm/rt.h: a write one slot past either faults).
 * Every expected number is computed by hand in the comment above its
 * check. */
#include "test.h"
#include "wat_module.h"
#include "lockstep/wasm.h"
#include "wasm/rt.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static lw_engine *eng;

/* WAT text -> a module of this file's engine (wat_module.h) */
static lw_module *wat(const char *text)
{
	return wat_module(eng, text);
}

/* Instantiates under lim; on failure the message is in msg. */
static lw_instance *inst(lw_module *m, const lw_limits *lim, char *msg, size_t len)
{
	lw_instance *in = NULL;
	lw_error err = {0};
	msg[0] = 0;
	if (!m)
		return NULL;
	if (lw_instantiate(m, NULL, lim, &in, &err)) {
		snprintf(msg, len, "%s", err.message);
		CHECK_EQ_INT(err.kind, LW_ERR_LIMIT);
		return NULL;
	}
	return in;
}

static long maxrss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define MIB (1ull << 20)

/* ---- the memory budget ---------------------------------------------------------- */

/* Issue 14's bomb: 1000 tables of 1 Mi entries, each under the per-table
 * cap, 8 GiB together (1000 x 2^20 x 8 bytes = 7.8 GiB with the rest).
 * Refused before anything is allocated: the peak RSS does not move by
 * anything near one table (8 MiB). */
TEST(budget_refuses_a_table_bomb_before_allocating)
{
	size_t len = 1000 * 40 + 64;
	char *text = malloc(len), msg[256];
	size_t o = snprintf(text, len, "(module\n");
	for (int i = 0; i < 1000; i++)
		o += snprintf(text + o, len - o, " (table $t%d 1048576 funcref)\n", i);
	snprintf(text + o, len - o, ")\n");
	lw_module *m = wat(text);
	free(text);
	lw_limits lim = lw_limits_default();
	lim.memory_budget = 64 * MIB;
	long rss0 = maxrss_kib();
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	long rss1 = maxrss_kib();
	CHECK(m && !in);
	printf("# %s\n", msg);
	/* no single table is over: the total is named, with the largest item */
	CHECK(strstr(msg, "the instance needs 7.8 GiB in all") != NULL);
	CHECK(strstr(msg, "table 0: 1048576 elements \u00d7 8 bytes = 8 MiB") != NULL);
	CHECK(strstr(msg, "more than the instance memory budget of 64 MiB") != NULL);
	CHECK(rss1 - rss0 < 4096);
	lw_instance_free(in);
	lw_module_free(m);
}

/* One table of 10,000,000 elements (the per-table cap raised so that the
 * budget is what refuses it): 10^7 x 8 = 8 x 10^7 bytes = 76.29 MiB. */
TEST(budget_names_the_one_item_over_it)
{
	char msg[256];
	lw_module *m = wat("(module (table 10000000 funcref))");
	lw_limits lim = lw_limits_default();
	lim.max_table_elems = 1u << 26;
	lim.memory_budget = 64 * MIB;
	CHECK(m && !inst(m, &lim, msg, sizeof msg));
	CHECK_EQ_STR(msg, "table 0: 10000000 elements \u00d7 8 bytes = 76.3 MiB exceeds the "
			  "instance memory budget of 64 MiB");
	/* under a budget of 128 MiB it is allowed */
	lim.memory_budget = 128 * MIB;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	CHECK(in != NULL);
	lw_instance_free(in);
	lw_module_free(m);
}

/* A memory bomb by its declared minimum: 2000 pages x 64 KiB = 125 MiB,
 * under the page cap (65536) but not the budget. */
TEST(budget_refuses_a_memory_bomb_by_declared_min)
{
	char msg[256];
	lw_module *m = wat("(module (memory 2000))");
	lw_limits lim = lw_limits_default();
	lim.memory_budget = 64 * MIB;
	CHECK(m && !inst(m, &lim, msg, sizeof msg));
	CHECK_EQ_STR(msg, "memory 0: 2000 pages \u00d7 64 KiB = 125 MiB exceeds the instance "
			  "memory budget of 64 MiB");
	lw_module_free(m);
}

/* memory.grow 1 in a loop until it says -1 (as the spec says a refused
 * grow does; no trap), then the same for table.grow by 4096 elements. By
 * hand: a budget of 32 MiB is 512 pages; the operand stack (1 MiB, 16
 * pages) and the rest of the instance (frames, records, code: under 64 KiB)
 * take 17 of them, so memory ends at 512 - 17 = 495 pages. Then the table:
 * what is left is under a page (64 KiB = 2 x 4096 x 8 bytes), so at most
 * one grow of 4096 elements (32 KiB) fits. */
TEST(grow_loops_stop_at_the_budget)
{
	char msg[256];
	lw_module *m = wat("(module (memory 1) (table 0 funcref)\n"
			   " (func (export \"grow\") (result i32)\n"
			   "  (block $b (loop $l\n"
			   "   (br_if $b (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))\n"
			   "   (br $l)))\n"
			   "  (memory.size))\n"
			   " (func (export \"tgrow\") (result i32)\n"
			   "  (block $b (loop $l\n"
			   "   (br_if $b (i32.eq (table.grow 0 (ref.null func) (i32.const 4096))\n"
			   "                     (i32.const -1)))\n"
			   "   (br $l)))\n"
			   "  (table.size 0))\n"
			   " (func (export \"last\") (result i32)\n"
			   "  (i32.store (i32.const 32440316) (i32.const 7))\n"
			   "  (i32.load (i32.const 32440316))))\n");
	lw_limits lim = lw_limits_default();
	lim.memory_budget = 32 * MIB;
	lim.max_stack_bytes = 1 << 20;
	lim.max_call_depth = 100;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	CHECK(in != NULL);
	if (!in) {
		printf("# %s\n", msg);
		lw_module_free(m);
		return;
	}
	lw_value res = {0};
	CHECK_EQ_INT(lw_call(in, "grow", NULL, 0, &res, 1), LW_OK);
	CHECK_EQ_INT(res.of.i32, 495);
	CHECK_EQ_INT(lw_memory_size(in), 495ull * 65536);
	CHECK_EQ_INT(lw_call(in, "tgrow", NULL, 0, &res, 1), LW_OK);
	CHECK(res.of.i32 == 0 || res.of.i32 == 4096);
	/* the memory stays usable up to its last word (495 x 65536 - 4) */
	CHECK_EQ_INT(lw_call(in, "last", NULL, 0, &res, 1), LW_OK);
	CHECK_EQ_INT(res.of.i32, 7);
	lw_instance_free(in);
	lw_module_free(m);
}

/* 20000 passive data segments: the instance keeps 4 bytes of state per
 * segment, 80000 bytes = 78.1 KiB, the largest item (the stack made small);
 * with the memory's page (64 KiB) that is over a budget of 128 KiB. Under
 * 1 MiB it loads, and memory.init from the last segment works. */
TEST(many_data_segments_count_against_the_budget)
{
	size_t len = 20000 * 24 + 256;
	char *text = malloc(len), msg[256];
	size_t o = snprintf(text, len,
			    "(module (memory 1)\n"
			    " (func (export \"init_last\") (result i32)\n"
			    "  (memory.init 19999 (i32.const 100) (i32.const 0) (i32.const 2))\n"
			    "  (i32.load16_u (i32.const 100)))\n");
	for (int i = 0; i < 20000; i++)
		o += snprintf(text + o, len - o, " (data \"%c%c\")\n", 'a' + i % 26, 'A' + i % 26);
	snprintf(text + o, len - o, ")\n");
	lw_module *m = wat(text);
	free(text);
	lw_limits lim = lw_limits_default();
	lim.memory_budget = 128 * 1024;
	lim.max_stack_bytes = 4096;
	lim.max_call_depth = 10;
	CHECK(m && !inst(m, &lim, msg, sizeof msg));
	printf("# %s\n", msg);
	CHECK(strstr(msg, "data segments: 20000 \u00d7 4 bytes = 78.1 KiB") != NULL);
	lim.memory_budget = MIB;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	CHECK(in != NULL);
	if (in) {
		lw_value res = {0};
		CHECK_EQ_INT(lw_call(in, "init_last", NULL, 0, &res, 1), LW_OK);
		/* segment 19999: 19999 % 26 = 5: "fF", little-endian 0x4666 */
		CHECK_EQ_INT(res.of.i32, 0x4666);
	}
	lw_instance_free(in);
	lw_module_free(m);
}

/* ---- the deadline ------------------------------------------------------------------ */

static const char *const hostile_wat =
    "(module (memory 1024)\n"
    " (func (export \"spin\") (loop $l (br $l)))\n"
    " (func (export \"fill\")\n"
    "  (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 67108864)) (br $l)))\n"
    " (func (export \"one\") (result i32) (i32.const 1)))\n";

/* An infinite loop and a loop of 64 MiB fills, with fuel set very high
 * (10^15: hours of work): each stops with "deadline exceeded" after the
 * deadline of 20 ms and well before 20 ms + 150 ms (slack for a loaded
 * 2-core machine; one check is at most one fuel slice or one 256 KiB chunk,
 * tens of microseconds). The instance works afterwards. */
TEST(deadline_stops_an_infinite_loop_and_a_fill_loop)
{
	char msg[256];
	lw_module *m = wat(hostile_wat);
	lw_limits lim = lw_limits_default();
	lim.fuel = 1000000000000000ull;
	lim.deadline_ns = 20000000;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	CHECK(in != NULL);
	if (!in) {
		lw_module_free(m);
		return;
	}
	static const char *const names[] = {"spin", "fill"};
	for (int i = 0; i < 2; i++) {
		double t0 = now_ms(), c0 = cpu_ms();
		lw_call_result r = lw_call(in, names[i], NULL, 0, NULL, 0);
		double dt = now_ms() - t0, dc = cpu_ms() - c0;
		printf("# %s: stopped after %.1f ms (%.1f ms of CPU)\n", names[i], dt, dc);
		CHECK_EQ_INT(r, LW_TRAP_DEADLINE);
		CHECK_EQ_STR(lw_instance_trap(in)->message, "deadline exceeded");
		/* never before the deadline; stopped for its own work: at least
		 * half of it in CPU time, and not much more than it */
		CHECK(dt >= 20.0);
		CHECK(dc >= 10.0 && dc < 170.0);
		lw_value res = {0};
		CHECK_EQ_INT(lw_call(in, "one", NULL, 0, &res, 1), LW_OK);
		CHECK_EQ_INT(res.of.i32, 1);
		/* not resumable: a deadline is not a budget to refill */
		CHECK_EQ_INT(lw_resume(in, NULL, 0), LW_TRAP_BAD_CALL);
	}
	lw_instance_free(in);
	lw_module_free(m);
}

static lw_call_result h_interrupt(lw_instance *in, void *user, const lw_value *args,
				  lw_value *results)
{
	(void)user;
	(void)args;
	(void)results;
	lw_instance_interrupt(in);
	return LW_OK;
}

/* A host's own watchdog: lw_instance_interrupt (here from a host function
 * the guest calls before spinning) stops the loop with the deadline's trap,
 * without any deadline configured; the next call starts clear. */
TEST(interrupt_stops_a_guest_and_clears_on_the_next_call)
{
	lw_module *m = wat("(module (import \"h\" \"stop\" (func $stop))\n"
			   " (func (export \"spin\") (call $stop) (loop $l (br $l)))\n"
			   " (func (export \"one\") (result i32) (i32.const 1)))\n");
	lw_imports *imp = lw_imports_new(eng);
	lw_imports_add_func(imp, "h", "stop", "()", h_interrupt, NULL);
	lw_instance *in = NULL;
	lw_error err;
	CHECK(m && !lw_instantiate(m, imp, NULL, &in, &err));
	if (in) {
		CHECK_EQ_INT(lw_call(in, "spin", NULL, 0, NULL, 0), LW_TRAP_DEADLINE);
		lw_value res = {0};
		CHECK_EQ_INT(lw_call(in, "one", NULL, 0, &res, 1), LW_OK);
	}
	lw_instance_free(in);
	lw_imports_free(imp);
	lw_module_free(m);
}

/* ---- fuel proportional to work ------------------------------------------------------ */

/* The fuel of one call of `f` with argument n (-1 on failure). */
static int64_t fuel_of(lw_module *m, const char *f, int32_t n, lw_call_result want)
{
	char msg[256];
	lw_limits lim = lw_limits_default();
	lim.fuel = 1000000000;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	if (!in)
		return -1;
	lw_value arg = LW_VI32(n);
	lw_call_result r = lw_call(in, f, &arg, 1, NULL, 0);
	lw_stats st;
	lw_instance_stats(in, &st);
	lw_instance_free(in);
	return r == want ? (int64_t)st.fuel_used : -1;
}

/* Each function runs one bulk operation of n bytes or elements. By hand
 * (docs/wasm-exec.md, Fuel): entry charges its opcodes, the operation's
 * three operands (i32.const / ref.null / local.get), the operation, `end`:
 * 5 (for grow: ref.null, local.get, table.grow, drop, end: 5), plus one
 * unit per byte or element moved: 5 + n. */
TEST(bulk_operations_charge_per_byte_and_element)
{
	lw_module *m = wat("(module (memory 2) (table 70000 funcref)\n"
			   " (elem $e func $fill $fill $fill $fill $fill $fill $fill $fill)\n"
			   " (data $d \"0123456789\")\n"
			   " (func $fill (export \"fill\") (param i32)\n"
			   "  (memory.fill (i32.const 0) (i32.const 7) (local.get 0)))\n"
			   " (func (export \"copy\") (param i32)\n"
			   "  (memory.copy (i32.const 1) (i32.const 0) (local.get 0)))\n"
			   " (func (export \"init\") (param i32)\n"
			   "  (memory.init $d (i32.const 0) (i32.const 0) (local.get 0)))\n"
			   " (func (export \"tfill\") (param i32)\n"
			   "  (table.fill 0 (i32.const 0) (ref.null func) (local.get 0)))\n"
			   " (func (export \"tcopy\") (param i32)\n"
			   "  (table.copy 0 0 (i32.const 1) (i32.const 0) (local.get 0)))\n"
			   " (func (export \"tinit\") (param i32)\n"
			   "  (table.init 0 $e (i32.const 0) (i32.const 0) (local.get 0)))\n"
			   " (func (export \"tgrow\") (param i32)\n"
			   "  (drop (table.grow 0 (ref.null func) (local.get 0)))))\n");
	static const struct {
		const char *f;
		int32_t n;
	} cases[] = {{"fill", 0},  {"fill", 1},	     {"fill", 100},    {"fill", 131072},
		     {"copy", 0},  {"copy", 65536},  {"init", 10},     {"init", 3},
		     {"tfill", 0}, {"tfill", 70000}, {"tcopy", 69999}, {"tinit", 8},
		     {"tgrow", 0}, {"tgrow", 1000}};
	for (size_t i = 0; m && i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t f = fuel_of(m, cases[i].f, cases[i].n, LW_OK);
		if (f != 5 + (int64_t)cases[i].n)
			printf("# %s(%d): fuel %lld, want 5 + %d\n", cases[i].f, cases[i].n,
			       (long long)f, cases[i].n);
		CHECK_EQ_INT(f, 5 + (int64_t)cases[i].n);
	}
	/* a grow that cannot happen moves nothing and charges only its opcodes:
	 * 70000 + 2^31 elements is past the per-table cap (2^20) */
	CHECK_EQ_INT(fuel_of(m, "tgrow", INT32_MAX, LW_OK), 5);
	lw_module_free(m);
}

/* Out of fuel before a bulk operation, nothing is written: fill(100)
 * needs 5 + 100 = 105; with 104 it stops with the memory untouched, and
 * resumed with more it completes. */
TEST(a_bulk_operation_out_of_fuel_writes_nothing_and_resumes)
{
	char msg[256];
	lw_module *m = wat("(module (memory (export \"mem\") 1)\n"
			   " (func (export \"fill\") (param i32)\n"
			   "  (memory.fill (i32.const 0) (i32.const 7) (local.get 0))))\n");
	lw_limits lim = lw_limits_default();
	lim.fuel = 104;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	CHECK(in != NULL);
	if (in) {
		lw_value arg = LW_VI32(100);
		CHECK_EQ_INT(lw_call(in, "fill", &arg, 1, NULL, 0), LW_TRAP_OUT_OF_FUEL);
		uint8_t *mem = lw_memory_data(in);
		CHECK_EQ_INT(mem[0], 0);
		CHECK_EQ_INT(mem[99], 0);
		lw_instance_set_fuel(in, 200);
		CHECK_EQ_INT(lw_resume(in, NULL, 0), LW_OK);
		CHECK_EQ_INT(mem[0], 7);
		CHECK_EQ_INT(mem[99], 7);
		CHECK_EQ_INT(mem[100], 0);
	}
	lw_instance_free(in);
	lw_module_free(m);
}

/* A call pays for its frame: one unit per declared local it zeroes. $f
 * declares 116 locals (4 + 6 + 10 + 6 x 16, counted in the text) and its
 * body is `end` alone; `run` calls it in a loop n times. By hand, with the
 * rule of docs/wasm-exec.md (Fuel): run's opcodes outside its loop are
 * block, loop, the block's end and the function's end: 4; its loop body,
 * charged per taken back-edge (n - 1 of them): call, local.get, i32.const,
 * i32.sub, local.tee, br_if and the loop's end: 7; each of the n calls
 * charges $f's entry: 1 (`end`) + 116 locals. So run(n) = 4 + 7 (n - 1) +
 * 117 n. */
TEST(a_call_charges_per_declared_local)
{
	/* 16 locals a line */
#define L16 " (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
	lw_module *m =
	    wat("(module\n"
		" (func $f (local i32 i64 f64 f32) (local i32 i32 i32 i32 i32 i32)\n"
		" (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)\n" L16 L16 L16 L16 L16 L16 ")\n"
		" (func (export \"run\") (param i32)\n"
		"  (block (loop (call $f)\n"
		"   (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))))\n");
	static const int ns[] = {1, 2, 10, 100};
	for (size_t i = 0; m && i < sizeof(ns) / sizeof(ns[0]); i++) {
		int64_t n = ns[i], want = 4 + 7 * (n - 1) + (1 + 116) * n;
		int64_t f = fuel_of(m, "run", ns[i], LW_OK);
		if (f != want)
			printf("# run(%lld): fuel %lld, want %lld\n", (long long)n, (long long)f,
			       (long long)want);
		CHECK_EQ_INT(f, want);
	}
	lw_module_free(m);
}

/* ---- the stack's guard pages ------------------------------------------------------ */

static void on_segv(int sig)
{
	(void)sig;
	_exit(42);
}

/* Writes a word at p in a child process: 0 when the write succeeded, 42
 * when it faulted (the child's own SIGSEGV handler; ASan's would report
 * and exit 1), else what the child exited with. */
static int poke(volatile uint64_t *p)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_segv};
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		*p = 0x5a5a5a5a5a5a5a5aull;
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* An operand stack of 1000 slots + 1 (8008 bytes, not a whole number of
 * pages) and a call depth of 100 (101 frames): the first and last slot and
 * frame are writable and zeroed; the slot at stack_end and the frame after
 * the last one fault, so an engine bug past either end is a crash where it
 * happens. With the default limits (8 MiB: whole pages) the slot before
 * the stack faults too. The software limits are unchanged: a recursion
 * stops with "call stack exhausted" at the depth. */
TEST(stack_and_frames_end_at_guard_pages)
{
	char msg[256];
	lw_module *m = wat("(module (func $f (export \"f\") (call $f)))");
	lw_limits lim = lw_limits_default();
	lim.max_stack_bytes = 1001 * 8;
	lim.max_call_depth = 100;
	lw_instance *in = inst(m, &lim, msg, sizeof msg);
	CHECK(in != NULL);
	if (in) {
		CHECK_EQ_INT(in->stack_end - in->stack, 1001);
		CHECK_EQ_INT(in->stack[0], 0);
		CHECK_EQ_INT(in->stack_end[-1], 0);
		CHECK(in->frames[100].fn == NULL);
		CHECK_EQ_INT(poke(&in->stack[0]), 0);
		CHECK_EQ_INT(poke(&in->stack_end[-1]), 0);
		CHECK_EQ_INT(poke((uint64_t *)&in->frames[0]), 0);
		CHECK_EQ_INT(poke((uint64_t *)&in->frames[100] + 2), 0);
		CHECK_EQ_INT(poke(in->stack_end), 42);
		CHECK_EQ_INT(poke((uint64_t *)&in->frames[101]), 42);
		CHECK(lw_call(in, "f", NULL, 0, NULL, 0) == LW_TRAP_STACK_EXHAUSTED);
		CHECK_EQ_STR(lw_instance_trap(in)->message, "call stack exhausted");
		lw_instance_free(in);
	}
	/* the defaults: 8 MiB / 8 = 1048576 slots, 10001 frames */
	in = inst(m, NULL, msg, sizeof msg);
	CHECK(in != NULL);
	if (in) {
		CHECK_EQ_INT(in->stack_end - in->stack, 1048576);
		CHECK_EQ_INT(poke(&in->stack[0]), 0);
		CHECK_EQ_INT(poke(&in->stack_end[-1]), 0);
		CHECK_EQ_INT(poke(in->stack - 1), 42);
		CHECK_EQ_INT(poke(in->stack_end), 42);
		CHECK_EQ_INT(poke((uint64_t *)&in->frames[10000] + 2), 0);
		CHECK_EQ_INT(poke((uint64_t *)&in->frames[10001]), 42);
		lw_instance_free(in);
	}
	lw_module_free(m);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	eng = lw_engine_new();
	RUN(budget_refuses_a_table_bomb_before_allocating);
	RUN(budget_names_the_one_item_over_it);
	RUN(budget_refuses_a_memory_bomb_by_declared_min);
	RUN(grow_loops_stop_at_the_budget);
	RUN(many_data_segments_count_against_the_budget);
	RUN(deadline_stops_an_infinite_loop_and_a_fill_loop);
	RUN(interrupt_stops_a_guest_and_clears_on_the_next_call);
	RUN(bulk_operations_charge_per_byte_and_element);
	RUN(a_bulk_operation_out_of_fuel_writes_nothing_and_resumes);
	RUN(a_call_charges_per_declared_local);
	RUN(stack_and_frames_end_at_guard_pages);
	lw_engine_free(eng);
	return test_done();
}
