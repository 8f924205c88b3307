/* testrun.h - runs packets through the real data plane program in the kernel
 * without attaching it anywhere (BPF_PROG_TEST_RUN), draining the event ring
 * buffer after each packet. Used by `lockstep inspect`, the kernel tests, the
 * fuzzer and the benchmark. The program is loaded from the generated skeleton
 * with private, unpinned maps. */
#ifndef LS_DATAPLANE_TESTRUN_H
#define LS_DATAPLANE_TESTRUN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "lockstep/wire.h"

struct ls_testrun;
struct lockstep_bpf;

/* Called for every event drained from the ring buffer. */
typedef void (*ls_event_fn)(void *ctx, const struct ls_event *ev);

enum ls_testrun_prog { LS_TR_XDP = 0, LS_TR_TC = 1 };

/* Loads the program into *out. cfg may be NULL (defaults); fn may be NULL.
 * 0, or a negative errno with a message in err. */
int ls_testrun_open(struct ls_testrun **out, const struct ls_config *cfg, ls_event_fn fn, void *ctx,
		    struct ls_err *err);

/* Runs one frame through the XDP (or TC) program and drains the events.
 * Returns 0 and the program's return code in *action (XDP_PASS/XDP_DROP or
 * TC_ACT_OK/TC_ACT_SHOT), or -errno (the kernel refused the input, e.g. a
 * frame shorter than an Ethernet header). */
int ls_testrun_packet(struct ls_testrun *t, enum ls_testrun_prog prog, const void *frame,
		      uint32_t len, uint32_t *action);

/* Runs one frame `repeat` times without draining; *ns_per_run is the
 * kernel-measured mean. For benchmarks. */
int ls_testrun_repeat(struct ls_testrun *t, enum ls_testrun_prog prog, const void *frame,
		      uint32_t len, uint32_t repeat, uint64_t *ns_per_run);

/* Drains pending events; returns how many. */
int ls_testrun_drain(struct ls_testrun *t);

/* Writes the config map. */
int ls_testrun_set_config(struct ls_testrun *t, const struct ls_config *cfg);

/* Sum over CPUs of counter idx (enum ls_counter). */
uint64_t ls_testrun_counter(struct ls_testrun *t, unsigned idx);

/* Writes / deletes the verdict of key and bumps the verdict generation, as
 * every verdict writer must (wire.h). 0 or -errno. */
int ls_testrun_verdict_set(struct ls_testrun *t, const struct ls_flow_key *key,
			   const struct ls_verdict_rec *rec);
int ls_testrun_verdict_del(struct ls_testrun *t, const struct ls_flow_key *key);

/* The skeleton, for tests that read or write maps directly (a verdict
 * written that way, without the bump, is seen within a scheduler tick). */
struct lockstep_bpf *ls_testrun_skel(struct ls_testrun *t);

void ls_testrun_close(struct ls_testrun *t);

#endif
