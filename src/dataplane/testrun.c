/* testrun.c - BPF_PROG_TEST_RUN driver for the data plane (see testrun.h). */
#include "dataplane/testrun.h"
#include "dataplane/dp_internal.h"
#include "dataplane/udpi.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockstep.skel.h"

struct ls_testrun {
	struct lockstep_bpf *skel;
	struct ring_buffer *rb;
	ls_event_fn fn;
	void *ctx;
	int ncpu;
	uint64_t *verdict_gen; /* mapped: bumped after each verdict write */
	struct ls_udpi *udpi;  /* user-space DPI, as the agent's rings have */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct ls_testrun *t = ctx;
	struct ls_event ev;
	/* a whole record is passed as it lies in the ring: a HELD record's
	 * frame follows the event (wire.h) */
	if (size >= sizeof(ev)) {
		const struct ls_event *e = data;
		/* a payload for user-space DPI: delivered as its DPI event, as
		 * the agent's consumers do (ringbuf.c) */
		if (e->kind == LS_EV_FLOW_END)
			ls_udpi_forget(t->udpi, e->flow_id);
		int u = ls_udpi_take(t->udpi, e, size, &ev);
		if (u >= 0) {
			if (u == 1 && t->fn)
				t->fn(t->ctx, &ev);
			return 0;
		}
		if (e->kind != LS_EV_HELD || size >= sizeof(ev) + e->u.held.cap_len) {
			if (t->fn)
				t->fn(t->ctx, e);
			return 0;
		}
	}
	/* a short record would be a wire-format mismatch: pad, never overread */
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	if (t->fn)
		t->fn(t->ctx, &ev);
	return 0;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

int ls_testrun_set_config(struct ls_testrun *t, const struct ls_config *cfg)
{
	struct ls_config c;
	__u32 zero = 0;
	memset(&c, 0, sizeof(c));
	if (cfg)
		c = *cfg;
	c.version = LS_WIRE_VERSION;
	if (!c.default_verdict)
		c.default_verdict = LS_VERDICT_PASS;
	if (!c.dpi_max_pkts)
		c.dpi_max_pkts = LS_DPI_MAX_PKTS_DEFAULT;
	if (!c.idle_timeout_ns)
		c.idle_timeout_ns = LS_IDLE_TIMEOUT_NS_DEFAULT;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.ls_config), &zero, &c, BPF_ANY);
}

/* errno as the negative code of an ls_err; never 0, which would read as
 * success (a libbpf call that failed without setting errno) */
static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

int ls_testrun_open(struct ls_testrun **out, const struct ls_config *cfg, ls_event_fn fn, void *ctx,
		    struct ls_err *err)
{
	int rc;
	*out = NULL;
	struct ls_testrun *t = calloc(1, sizeof(*t));
	if (!t)
		return ls_errf(err, -ENOMEM, "out of memory");
	t->fn = fn;
	t->ctx = ctx;
	if (!(t->udpi = ls_udpi_new())) {
		free(t);
		return ls_errf(err, -ENOMEM, "out of memory");
	}
	t->ncpu = libbpf_num_possible_cpus();
	libbpf_print_fn_t old = libbpf_set_print(getenv("LS_BPF_DEBUG") ? NULL : silent);
	if (getenv("LS_BPF_DEBUG"))
		libbpf_set_print(old);
	t->skel = lockstep_bpf__open_and_load();
	libbpf_set_print(old);
	if (!t->skel) {
		rc = neg_errno();
		ls_udpi_free(t->udpi);
		free(t);
		return ls_errf(err, rc,
			       "cannot load the data plane program: %s (needs root and a kernel "
			       "with BPF; set LS_BPF_DEBUG=1 for the verifier log)",
			       strerror(-rc));
	}
	if (ls_testrun_set_config(t, cfg)) {
		rc = neg_errno();
		ls_errf(err, rc, "cannot write the config map: %s", strerror(-rc));
		goto fail;
	}
	t->verdict_gen = ls_vgen_map(bpf_map__fd(t->skel->maps.ls_verdict_gen));
	if (!t->verdict_gen) {
		rc = neg_errno();
		ls_errf(err, rc, "cannot map the verdict_gen map: %s", strerror(-rc));
		goto fail;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.ls_events), on_event, t, NULL);
	if (!t->rb) {
		rc = neg_errno();
		ls_errf(err, rc, "cannot open the event ring buffer: %s", strerror(-rc));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	ls_testrun_close(t);
	return rc;
}

static int prog_fd(struct ls_testrun *t, enum ls_testrun_prog prog)
{
	return bpf_program__fd(prog == LS_TR_TC ? t->skel->progs.ls_tc : t->skel->progs.ls_xdp);
}

int ls_testrun_drain(struct ls_testrun *t)
{
	return ring_buffer__consume(t->rb);
}

int ls_testrun_packet(struct ls_testrun *t, enum ls_testrun_prog prog, const void *frame,
		      uint32_t len, uint32_t *action)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = 1);
	int rc = bpf_prog_test_run_opts(prog_fd(t, prog), &o);
	if (rc)
		return -errno;
	*action = o.retval;
	ls_testrun_drain(t);
	return 0;
}

int ls_testrun_repeat(struct ls_testrun *t, enum ls_testrun_prog prog, const void *frame,
		      uint32_t len, uint32_t repeat, uint64_t *ns_per_run)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);
	int rc = bpf_prog_test_run_opts(prog_fd(t, prog), &o);
	if (rc)
		return -errno;
	*ns_per_run = o.duration;
	return 0;
}

uint64_t ls_testrun_counter(struct ls_testrun *t, unsigned idx)
{
	__u64 vals[t->ncpu > 0 ? t->ncpu : 1];
	__u32 key = idx;
	uint64_t sum = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ls_counters), &key, vals))
		return 0;
	for (int i = 0; i < t->ncpu; i++)
		sum += vals[i];
	return sum;
}

int ls_testrun_verdict_set(struct ls_testrun *t, const struct ls_flow_key *key,
			   const struct ls_verdict_rec *rec)
{
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.ls_verdicts), key, rec, BPF_ANY))
		return -errno;
	ls_vgen_bump(t->verdict_gen);
	return 0;
}

int ls_testrun_verdict_del(struct ls_testrun *t, const struct ls_flow_key *key)
{
	if (bpf_map_delete_elem(bpf_map__fd(t->skel->maps.ls_verdicts), key))
		return -errno;
	ls_vgen_bump(t->verdict_gen);
	return 0;
}

struct lockstep_bpf *ls_testrun_skel(struct ls_testrun *t)
{
	return t->skel;
}

void ls_testrun_close(struct ls_testrun *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	ls_udpi_free(t->udpi);
	ls_vgen_unmap(t->verdict_gen);
	lockstep_bpf__destroy(t->skel);
	free(t);
}
