/* wasm_run.c - `lockstep wasm run [--fuel N] [--max-memory-pages N]
 * [--env K=V]... FILE.wasm [ARGS...]`: instantiates a WASI command module
 * with the preview1 subset (src/wasm/wasi.c), runs _start and turns the
 * outcome into an exit status (see cmd_wasm.c and docs/wasm-cli.md). A trap
 * is reported with its kind, message, function and wasm stack. */
#include "cli/wasm_cli.h"
#include "cli/opts.h"
#include "base/args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *trap_kind(lw_call_result k)
{
	static const char *const names[] = {
	    [LW_OK] = "ok",
	    [LW_TRAP_UNREACHABLE] = "unreachable",
	    [LW_TRAP_MEM_OOB] = "memory_out_of_bounds",
	    [LW_TRAP_TABLE_OOB] = "table_out_of_bounds",
	    [LW_TRAP_DIV_ZERO] = "divide_by_zero",
	    [LW_TRAP_INT_OVERFLOW] = "integer_overflow",
	    [LW_TRAP_INVALID_CONV] = "invalid_conversion",
	    [LW_TRAP_STACK_EXHAUSTED] = "stack_exhausted",
	    [LW_TRAP_INDIRECT_MISMATCH] = "indirect_call_mismatch",
	    [LW_TRAP_UNDEFINED_ELEM] = "undefined_element",
	    [LW_TRAP_UNINIT_ELEM] = "uninitialized_element",
	    [LW_TRAP_OUT_OF_FUEL] = "out_of_fuel",
	    [LW_TRAP_HOST] = "host",
	    [LW_TRAP_EXIT] = "exit",
	    [LW_TRAP_BAD_CALL] = "bad_call",
	    [LW_TRAP_DEADLINE] = "deadline",
	};
	if ((unsigned)k < sizeof(names) / sizeof(names[0]) && names[k])
		return names[k];
	return "unknown";
}

/* " (name)" from the module's name section, or "" */
static const char *fname(const lw_module *m, int64_t idx, char *buf, size_t len)
{
	const char *n =
	    idx >= 0 && idx <= UINT32_MAX ? lw_module_func_name(m, (uint32_t)idx) : NULL;
	if (!n)
		return "";
	snprintf(buf, len, " (%s)", n);
	return buf;
}

static void print_trap(const char *path, const lw_trap_info *t, const lw_module *m)
{
	char nb[160];
	fprintf(stderr, "%s: trap: %s (%s)", path,
		t->message[0] ? t->message : lw_trap_message(t->kind), trap_kind(t->kind));
	if (t->func_index >= 0)
		fprintf(stderr, " in function %" PRId64 "%s", t->func_index,
			fname(m, t->func_index, nb, sizeof nb));
	fprintf(stderr, "\n");
	if (t->stack_depth > 0) {
		fprintf(stderr, "wasm stack (innermost first):\n");
		for (int i = 0; i < t->stack_depth && i < LW_TRAP_STACK_MAX; i++)
			fprintf(stderr, "  #%d function %" PRIu32 "%s\n", i, t->stack[i],
				fname(m, t->stack[i], nb, sizeof nb));
	}
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = s ? strtoull(s, &end, 0) : 0;
	if (!s || !*s || *end || errno || s[0] == '-' || v > max) {
		fprintf(stderr, "lockstep wasm: %s needs a number up to %" PRIu64 "\n", opt, max);
		return -1;
	}
	*out = v;
	return 0;
}

enum { O_FUEL = 1, O_MAX_MEMORY_PAGES, O_ENV, O_GUEST_MEMORY, O_GUEST_DEADLINE };

static const struct ls_opt rows[] = {
    LS_OPT("fuel", 0, "N", O_FUEL, "instruction budget (default: unlimited)"),
    LS_OPT("max-memory-pages", 0, "N", O_MAX_MEMORY_PAGES,
	   "cap on linear memory, 64 KiB pages (default: the\n"
	   "engine's, lw_limits_default)"),
    LS_OPT_ALIAS("max-memory", "N", O_MAX_MEMORY_PAGES, "max-memory-pages"),
    LS_OPT("guest-memory", 0, "BYTES", O_GUEST_MEMORY,
	   "memory budget of the instance, all included (K/M/G;\n"
	   "default: none beyond --max-memory-pages)"),
    LS_OPT("guest-deadline", 0, "DUR", O_GUEST_DEADLINE,
	   "wall-clock limit of the run (default: none)"),
    LS_OPT("env", 0, "KEY=VALUE", O_ENV, "add a variable to the guest's environment (repeatable)"),
};

const struct ls_cmd_spec wasm_run_spec = {
    .name = "wasm run",
    .synopsis = "[options] FILE.wasm [ARGS...]",
    .about = "Runs a WASI (preview1) command module's _start; the guest sees\n"
	     "FILE.wasm ARGS... as argv and only the variables given with --env.\n",
    .after = "exit status: the guest's exit code; 1 if the module cannot be loaded or\n"
	     "instantiated; 2 on bad usage; 134 if the guest traps (incl. out of fuel).\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 28,
    .max_operands = -1,
    .stop_at_operand = 1,
};

struct run_opts {
	lw_limits lim;
	const char **env;
	int envc;
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct run_opts *r = ctx;
	uint64_t v;
	switch (o->id) {
	case O_FUEL:
		if (parse_u64("--fuel", arg, UINT64_MAX, &v))
			return 2;
		r->lim.fuel = v;
		break;
	case O_MAX_MEMORY_PAGES:
		if (parse_u64("--max-memory-pages", arg, 65536, &v))
			return 2;
		r->lim.max_memory_pages = (uint32_t)v;
		break;
	case O_GUEST_MEMORY:
		if (ls_parse_bytes(arg, &v) || v < (1u << 20)) {
			fprintf(stderr,
				"lockstep wasm: --guest-memory must be a number of bytes >= 1M "
				"(e.g. 64M), not '%s'\n",
				arg);
			return 2;
		}
		r->lim.memory_budget = v;
		break;
	case O_GUEST_DEADLINE:
		if (ls_parse_duration_ns(arg, &v) || v < 100000) {
			fprintf(stderr,
				"lockstep wasm: --guest-deadline must be a duration >= 100us, not "
				"'%s'\n",
				arg);
			return 2;
		}
		r->lim.deadline_ns = v;
		break;
	case O_ENV:
		if (!strchr(arg, '=') || arg[0] == '=') {
			fprintf(stderr, "lockstep wasm: --env needs KEY=VALUE\n");
			return 2;
		}
		r->env[r->envc++] = arg;
		break;
	}
	return 0;
}

int wasm_run(int argc, char **argv)
{
	struct run_opts o = {.lim = lw_limits_default()};
	int i, rc = 1;
	o.env = calloc((size_t)argc, sizeof(char *));
	if (!o.env)
		return 1;
	rc = ls_opts_parse(&wasm_run_spec, argc, argv, on_opt, &o, &i);
	if (rc >= 0) {
		free(o.env);
		return rc;
	}
	rc = 1;
	if (i >= argc) {
		fprintf(stderr, "lockstep wasm: run needs a FILE.wasm\n");
		goto bad_usage;
	}

	const char *path = argv[i];
	size_t len;
	uint8_t *bytes = wasm_read_file(path, &len);
	if (!bytes)
		goto out;
	lw_engine *e = lw_engine_new();
	lw_module *m = NULL;
	lw_imports *imp = NULL;
	lw_instance *in = NULL;
	lw_wasi *w = NULL;
	lw_error err = {.section = -1, .func_index = -1, .offset = -1};
	lw_wasi_config cfg = {
	    .argc = argc - i,
	    .argv = (const char *const *)argv + i,
	    .envc = o.envc,
	    .envp = o.env,
	};
	if (!e || !(w = lw_wasi_new(&cfg)) || !(imp = lw_imports_new(e)) || lw_wasi_link(w, imp)) {
		fprintf(stderr, "lockstep wasm: out of memory\n");
	} else if (lw_module_load(e, bytes, len, &m, &err) ||
		   lw_instantiate(m, imp, &o.lim, &in, &err)) {
		wasm_print_error(path, &err);
	} else if (!lw_module_export_sig(m, "_start")) {
		fprintf(stderr, "%s: not a WASI command: no exported function _start\n", path);
	} else {
		lw_trap_info t;
		int code = lw_wasi_run_start(w, in, &t);
		if (code < 0) {
			print_trap(path, &t, m);
			rc = WASM_EXIT_TRAP;
		} else {
			rc = code > 255 ? 255 : code;
		}
	}
	if (in)
		lw_instance_free(in);
	if (imp)
		lw_imports_free(imp);
	if (m)
		lw_module_free(m);
	lw_wasi_free(w);
	if (e)
		lw_engine_free(e);
	free(bytes);
out:
	free(o.env);
	return rc;
bad_usage:
	free(o.env);
	ls_opts_usage(&wasm_run_spec, stderr);
	return 2;
}
