/* test_wasm_wasi.c - the WASI layer (src/wasm/wasi.c) under an embedder's
 * virtual clock and output sink, through the public API only: time read by
 * the guest is the virtual clock, poll_oneoff sleeps on it (not on the
 * host's), random_get is reproducible with a seed, fd 1/2 reach the sink,
 * args/environ are the configured ones, proc_exit's code comes back.
 * The probe module is tests/wasm/unit/wasi_probe.wat, built by wasm.mk. */
#include "test.h"
#include "lockstep/wasm.h"

#include <stdlib.h>
#include <time.h>

#define PROBE "build/wasm/unit/wasi_probe.wasm"

struct vclock {
	uint64_t now_ns;
	uint64_t step_ns; /* added after every read */
	unsigned reads;
};

static int vclock_read(void *user, uint32_t id, uint64_t *ns)
{
	struct vclock *c = user;
	if (id > 1)
		return 28; /* EINVAL: only realtime and monotonic are virtual */
	*ns = c->now_ns + (id == 0 ? 1700000000000000000ull : 0);
	c->now_ns += c->step_ns;
	c->reads++;
	return 0;
}

struct sink {
	char out[64], err[64];
	size_t nout, nerr;
};

static void sink_write(void *user, int fd, const uint8_t *buf, size_t len)
{
	struct sink *s = user;
	char *dst = fd == 1 ? s->out : s->err;
	size_t *n = fd == 1 ? &s->nout : &s->nerr;
	for (size_t i = 0; i < len && *n < 63; i++)
		dst[(*n)++] = (char)buf[i];
}

struct probe {
	lw_engine *e;
	lw_module *m;
	lw_imports *imp;
	lw_instance *in;
	lw_wasi *w;
};

static int probe_open(struct probe *p, const lw_wasi_config *cfg)
{
	FILE *f = fopen(PROBE, "rb");
	if (!f) {
		printf("# %s missing (make tests-build)\n", PROBE);
		return -1;
	}
	static uint8_t buf[16384];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	lw_error err;
	lw_limits lim = lw_limits_default();
	p->e = lw_engine_new();
	p->w = lw_wasi_new(cfg);
	p->imp = lw_imports_new(p->e);
	if (!p->w || lw_wasi_link(p->w, p->imp) || lw_module_load(p->e, buf, n, &p->m, &err) ||
	    lw_instantiate(p->m, p->imp, &lim, &p->in, &err)) {
		printf("# probe setup failed\n");
		return -1;
	}
	return 0;
}

static void probe_close(struct probe *p)
{
	if (p->in)
		lw_instance_free(p->in);
	if (p->imp)
		lw_imports_free(p->imp);
	if (p->m)
		lw_module_free(p->m);
	lw_wasi_free(p->w);
	if (p->e)
		lw_engine_free(p->e);
}

static int64_t call_i64(struct probe *p, const char *name, const lw_value *args, size_t nargs)
{
	lw_value r[1] = {0};
	if (lw_call(p->in, name, args, nargs, r, 1) != LW_OK)
		return INT64_MIN;
	return r[0].type == LW_I64 ? r[0].of.i64 : r[0].of.i32;
}

static double real_now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

TEST(guest_reads_the_virtual_clock)
{
	struct vclock c = {.now_ns = 5000, .step_ns = 0};
	lw_wasi_config cfg = {.clock = vclock_read, .clock_user = &c, .clock_res_ns = 1000};
	struct probe p = {0};
	if (probe_open(&p, &cfg) == 0) {
		lw_value mono = LW_VI32(1), real = LW_VI32(0), bad = LW_VI32(2);
		CHECK_EQ_INT(call_i64(&p, "now", &mono, 1), 5000);
		CHECK_EQ_INT(call_i64(&p, "now", &real, 1), 1700000000000005000ll);
		/* the embedder's errno reaches the guest */
		CHECK_EQ_INT(call_i64(&p, "now", &bad, 1), -28);
		CHECK_EQ_INT(call_i64(&p, "res", NULL, 0), 1000);
	}
	probe_close(&p);
}

TEST(poll_oneoff_sleeps_on_the_guest_clock)
{
	/* a virtual clock that runs 100 ms per read: a 10 s guest sleep must
	 * take (almost) no real time, and end once the guest clock is there */
	struct vclock c = {.now_ns = 0, .step_ns = 100000000};
	lw_wasi_config cfg = {.clock = vclock_read, .clock_user = &c};
	struct probe p = {0};
	if (probe_open(&p, &cfg) == 0) {
		lw_value ns = LW_VI64(10000000000ll);
		double t0 = real_now_s();
		CHECK_EQ_INT(call_i64(&p, "sleep", &ns, 1), 1); /* errno 0, one event */
		double real_s = real_now_s() - t0;
		CHECK(real_s < 2.0);
		CHECK(c.now_ns >= 10000000000ull);
		CHECK(c.reads >= 100);
		CHECK_EQ_INT(call_i64(&p, "event_userdata", NULL, 0), 77);
		/* a zero timeout returns at once */
		lw_value zero = LW_VI64(0);
		CHECK_EQ_INT(call_i64(&p, "sleep", &zero, 1), 1);
	}
	probe_close(&p);
}

TEST(poll_oneoff_on_the_host_clock_really_sleeps)
{
	struct probe p = {0};
	lw_wasi_config cfg = {0};
	if (probe_open(&p, &cfg) == 0) {
		lw_value ns = LW_VI64(30000000); /* 30 ms */
		double t0 = real_now_s();
		CHECK_EQ_INT(call_i64(&p, "sleep", &ns, 1), 1);
		CHECK(real_now_s() - t0 >= 0.029);
	}
	probe_close(&p);
}

TEST(slow_guest_clock_sleep_ends)
{
	/* a guest clock slower than real time (1 ms per read, read every
	 * 5 ms of real time at most): the sleep follows it and ends when the
	 * guest clock gets there. (The 10 s real-time bound for a frozen clock
	 * is too long for a unit test.) */
	struct vclock c = {.now_ns = 0, .step_ns = 1000000}; /* 1 ms per read */
	lw_wasi_config cfg = {.clock = vclock_read, .clock_user = &c};
	struct probe p = {0};
	if (probe_open(&p, &cfg) == 0) {
		lw_value ns = LW_VI64(20000000); /* 20 ms of guest time */
		CHECK_EQ_INT(call_i64(&p, "sleep", &ns, 1), 1);
		CHECK(c.now_ns >= 20000000);
	}
	probe_close(&p);
}

TEST(random_get_is_reproducible_with_a_seed)
{
	lw_wasi_config cfg = {.random_seed = 42};
	struct probe a = {0}, b = {0}, c = {0};
	lw_wasi_config cfg2 = {.random_seed = 43};
	if (probe_open(&a, &cfg) == 0 && probe_open(&b, &cfg) == 0 && probe_open(&c, &cfg2) == 0) {
		int64_t x1 = call_i64(&a, "rand", NULL, 0), x2 = call_i64(&a, "rand", NULL, 0);
		CHECK(x1 != x2);
		CHECK_EQ_INT(call_i64(&b, "rand", NULL, 0), x1);
		CHECK_EQ_INT(call_i64(&b, "rand", NULL, 0), x2);
		CHECK(call_i64(&c, "rand", NULL, 0) != x1);
	}
	probe_close(&a);
	probe_close(&b);
	probe_close(&c);
}

TEST(fd_write_reaches_the_sink_per_fd)
{
	struct sink s = {0};
	lw_wasi_config cfg = {.sink = sink_write, .sink_user = &s};
	struct probe p = {0};
	if (probe_open(&p, &cfg) == 0) {
		CHECK_EQ_INT(call_i64(&p, "write_both", NULL, 0), 0);
		CHECK_EQ_STR(s.out, "out\n");
		CHECK_EQ_STR(s.err, "err\n");
	}
	probe_close(&p);
}

TEST(args_and_environ_are_the_configured_ones)
{
	const char *argv[] = {"prog", "a", "bc"};
	const char *envp[] = {"K=V", "LONGER=value"};
	lw_wasi_config cfg = {.argc = 3, .argv = argv, .envc = 2, .envp = envp};
	struct probe p = {0};
	if (probe_open(&p, &cfg) == 0) {
		CHECK_EQ_INT(call_i64(&p, "argc", NULL, 0), 3);
		CHECK_EQ_INT(call_i64(&p, "environ", NULL, 0), 4 + 13);
		const char *env = lw_memory_ptr(p.in, 4096, 17);
		CHECK(env && !memcmp(env, "K=V\0LONGER=value\0", 17));
	}
	probe_close(&p);
}

TEST(proc_exit_code_comes_back)
{
	lw_wasi_config cfg = {0};
	struct probe p = {0};
	if (probe_open(&p, &cfg) == 0) {
		lw_trap_info t;
		CHECK_EQ_INT(lw_wasi_run_start(p.w, p.in, &t), 9);
		CHECK_EQ_INT(t.kind, LW_OK);
		/* the instance stays usable after the exit */
		lw_value mono = LW_VI32(1);
		CHECK(call_i64(&p, "now", &mono, 1) > 0);
	}
	probe_close(&p);
}

TEST(bad_config_is_refused)
{
	lw_wasi_config cfg = {.argc = 2, .argv = NULL};
	CHECK(lw_wasi_new(&cfg) == NULL);
	lw_wasi *w = lw_wasi_new(NULL);
	CHECK(w != NULL);
	lw_wasi_free(w);
}

int main(int argc, char **argv)
{
	test_args(argc, argv);
	RUN(guest_reads_the_virtual_clock);
	RUN(poll_oneoff_sleeps_on_the_guest_clock);
	RUN(poll_oneoff_on_the_host_clock_really_sleeps);
	RUN(slow_guest_clock_sleep_ends);
	RUN(random_get_is_reproducible_with_a_seed);
	RUN(fd_write_reaches_the_sink_per_fd);
	RUN(args_and_environ_are_the_configured_ones);
	RUN(proc_exit_code_comes_back);
	RUN(bad_config_is_refused);
	return test_done();
}
