/* wasm_bench.c - lockstep's wasm engine against native code, in one run.
 *
 * Each kernel in bench/wasm/ is compiled twice from the same C file: natively
 * (gcc -O2, linked into this program) and to wasm32 (clang -O2, built by
 * tests/wasm/wasm.mk into build/wasm/bench/). For every kernel this program
 * runs both, checks they return the same checksum, and prints the time
 * ratio engine/native, the interpreter's instruction rate (instructions as
 * counted by the engine's fuel meter), and the geometric mean of the ratios.
 * When wabt's `wasm-interp` is installed it runs the same modules as a second
 * baseline (LS_BENCH_WABT=0 skips it: it is two orders of magnitude slower).
 * LS_BENCH_DEADLINE=1 runs the engine under a wall-clock deadline (one hour,
 * never reached) so that its clock check runs at every fuel slice: the
 * ratio against a run without it is the deadline's cost.
 *
 *   build/bench/wasm_bench [DIR]     DIR: the .wasm kernels (build/wasm/bench)
 * Exit 0, or 1 when a module fails to run or a checksum differs.
 */
#include "lockstep/wasm.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t kernel_fib(void);
uint64_t kernel_sieve(void);
uint64_t kernel_sha256(void);
uint64_t kernel_matmul(void);
uint64_t kernel_sort(void);
uint64_t kernel_coremark(void);
uint64_t kernel_nbody(void);

static const struct kernel {
	const char *name;
	uint64_t (*native)(void);
	const char *what;
} kernels[] = {
	{"fib", kernel_fib, "recursive fib(32)"},
	{"sieve", kernel_sieve, "sieve to 2e6, x2"},
	{"sha256", kernel_sha256, "SHA-256 of 1 MiB, x4"},
	{"matmul", kernel_matmul, "200x200 f64 matmul, x5"},
	{"sort", kernel_sort, "quicksort 200k ints"},
	{"coremark", kernel_coremark, "list/matrix/state/crc mix"},
	{"nbody", kernel_nbody, "n-body, 200k steps (f64)"},
};

#define NATIVE_REPS 5
#define ENGINE_REPS 3

/* CPU time of this thread: on a machine shared with other jobs, wall time
 * measures the scheduler as much as the code (both sides use the same
 * clock, so the ratios stay fair). */
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

struct engine_result {
	double best_s;
	uint64_t checksum;
	uint64_t instructions; /* per run */
};

static int run_engine(lw_engine *e, const char *path, struct engine_result *out)
{
	size_t len;
	uint8_t *bytes = slurp(path, &len);
	if (!bytes) {
		fprintf(stderr, "wasm_bench: cannot read %s (run `make wasm-tests`)\n", path);
		return -1;
	}
	lw_module *m = NULL;
	lw_instance *in = NULL;
	lw_error err;
	lw_imports *imp = lw_imports_new(e);
	lw_limits lim = lw_limits_default();
	/* a budget that never runs out but keeps the fuel meter counting */
	lim.fuel = 1ull << 62; /* below INT64_MAX, which the engine treats as unlimited */
	const char *dl = getenv("LS_BENCH_DEADLINE");
	if (dl && !strcmp(dl, "1"))
		lim.deadline_ns = 3600ull * 1000000000ull;
	int rc = -1;
	if (lw_module_load(e, bytes, len, &m, &err) || lw_instantiate(m, imp, &lim, &in, &err)) {
		fprintf(stderr, "wasm_bench: %s: %s\n", path, err.message);
		goto out;
	}
	out->best_s = INFINITY;
	for (int r = 0; r < ENGINE_REPS; r++) {
		lw_value res[1];
		lw_stats before, after;
		lw_instance_stats(in, &before);
		double t0 = now_s();
		lw_call_result cr = lw_call(in, "bench", NULL, 0, res, 1);
		double dt = now_s() - t0;
		lw_instance_stats(in, &after);
		if (cr != LW_OK) {
			const lw_trap_info *t = lw_instance_trap(in);
			fprintf(stderr, "wasm_bench: %s trapped: %s\n", path,
				t ? t->message : lw_trap_message(cr));
			goto out;
		}
		out->checksum = (uint64_t)res[0].of.i64;
		out->instructions = after.fuel_used - before.fuel_used;
		if (dt < out->best_s)
			out->best_s = dt;
	}
	rc = 0;
out:
	if (in)
		lw_instance_free(in);
	if (m)
		lw_module_free(m);
	if (imp)
		lw_imports_free(imp);
	free(bytes);
	return rc;
}

/* CPU time used by waited-for child processes so far. */
static double children_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* wabt's interpreter as a second baseline: one run, whole process timed
 * (its start-up is negligible next to the kernel). Returns seconds, or a
 * negative value when it is not installed or did not produce the checksum. */
static double run_wabt(const char *path, uint64_t want)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "wasm-interp --run-all-exports '%s' 2>&1", path);
	double t0 = children_s();
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[256];
	uint64_t got = 0;
	bool seen = false;
	while (fgets(line, sizeof line, p)) {
		const char *s = strstr(line, "bench() => i64:");
		if (s) {
			got = strtoull(s + 15, NULL, 10);
			seen = true;
		}
	}
	int st = pclose(p);
	double dt = children_s() - t0;
	if (!seen || st != 0)
		return -1;
	if (got != want) {
		fprintf(stderr, "wasm_bench: wasm-interp disagrees on %s: %" PRIu64 "\n", path, got);
		return -1;
	}
	return dt;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/wasm/bench";
	const char *w = getenv("LS_BENCH_WABT");
	bool wabt = !(w && !strcmp(w, "0")) && system("command -v wasm-interp >/dev/null 2>&1") == 0;
	lw_engine *e = lw_engine_new();
	if (!e)
		return 1;

	printf("wasm engine vs native (gcc -O2) on the same C kernels (clang -O2 -> wasm32)\n");
	printf("CPU time, best of %d native runs, best of %d engine runs; wasm-interp (wabt) one run%s\n\n",
	       NATIVE_REPS, ENGINE_REPS, wabt ? "" : " [skipped]");
	printf("%-9s %-27s %9s %9s %8s %10s %9s %10s %9s\n", "kernel", "work", "native", "engine",
	       "ratio", "Minstr", "Minstr/s", "wabt", "wabt/nat");
	double log_sum = 0, log_sum_wabt = 0, total_instr = 0, total_engine_s = 0;
	int n = 0, n_wabt = 0, failed = 0;
	for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
		const struct kernel *K = &kernels[k];
		double best_native = INFINITY;
		uint64_t want = 0;
		for (int r = 0; r < NATIVE_REPS; r++) {
			double t0 = now_s();
			want = K->native();
			double dt = now_s() - t0;
			if (dt < best_native)
				best_native = dt;
		}
		char path[512];
		snprintf(path, sizeof path, "%s/%s.wasm", dir, K->name);
		struct engine_result er = {0};
		if (run_engine(e, path, &er)) {
			failed++;
			continue;
		}
		if (er.checksum != want) {
			printf("%-9s checksum MISMATCH: native %" PRIu64 ", engine %" PRIu64 "\n", K->name,
			       want, er.checksum);
			failed++;
			continue;
		}
		double ratio = er.best_s / best_native;
		log_sum += log(ratio);
		n++;
		total_instr += (double)er.instructions;
		total_engine_s += er.best_s;
		char wabt_s[32] = "-", wabt_r[32] = "-";
		if (wabt) {
			double wt = run_wabt(path, want);
			if (wt > 0) {
				snprintf(wabt_s, sizeof wabt_s, "%.1f ms", wt * 1e3);
				snprintf(wabt_r, sizeof wabt_r, "%.1fx", wt / best_native);
				log_sum_wabt += log(wt / best_native);
				n_wabt++;
			}
		}
		printf("%-9s %-27s %6.1f ms %6.1f ms %7.2fx %10.1f %9.0f %10s %9s\n", K->name, K->what,
		       best_native * 1e3, er.best_s * 1e3, ratio, (double)er.instructions / 1e6,
		       (double)er.instructions / er.best_s / 1e6, wabt_s, wabt_r);
		fflush(stdout);
	}
	if (n) {
		printf("\ngeometric mean engine/native: %.2fx over %d kernels\n", exp(log_sum / n), n);
		if (n_wabt)
			printf("geometric mean wasm-interp/native: %.2fx over %d kernels\n",
			       exp(log_sum_wabt / n_wabt), n_wabt);
		if (total_instr > 0)
			printf("interpreter: %.0f million instructions/s overall\n",
			       total_instr / total_engine_s / 1e6);
	}
	lw_engine_free(e);
	return failed ? 1 : 0;
}
