/* cmd_clock.c - `lockstep clock`: runs the heartbeat on its own and prints
 * one line per beat (interval, delivery delay, the K <-> G mapping and its
 * uncertainty, steps, fail-safe), so an operator can see what the agent's
 * clock sync sees with a given guest-clock fault model and beat settings. */
#include "cli/cli.h"
#include "cli/opts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock/heartbeat.h"
#include "clock/options.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

enum { O_BEATS = 1, O_JSON };

static const struct ls_opt rows[] = {
    LS_OPT("beats", 0, "N", O_BEATS, "beats to run, 0 = until interrupted (default 10)"),
    LS_OPT("json", 'j', NULL, O_JSON, "one JSON object per beat"),
};

static const struct ls_cmd_spec spec = {
    .name = "clock",
    .synopsis = "[--beats N] [--json] [clock options]",
    .about = "Run the heartbeat alone (its own maps, nothing attached) and print, per\n"
	     "beat: the interval observed, the kernel -> user delivery delay, and the\n"
	     "estimated mapping G = (1 + rate) * K + offset with its uncertainty.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 29,
};

struct args {
	struct ls_clock_opts co;
	bool json;
	long beats;
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct args *a = ctx;
	char name[64];
	struct ls_err err;
	char *end;
	switch (o->id) {
	case O_JSON:
		a->json = true;
		return 0;
	case O_BEATS:
		a->beats = strtol(arg, &end, 10);
		if (end == arg || *end || a->beats < 0 || a->beats > 100000000) {
			fprintf(stderr, "lockstep clock: --beats '%s': give a whole number >= 0\n",
				arg);
			return 2;
		}
		return 0;
	default: /* LS_OPT_CLOCK */
		snprintf(name, sizeof(name), "--%s", o->name);
		if (ls_clock_opt(&a->co, name, arg, &err) < 0) {
			fprintf(stderr, "lockstep clock: %s\n", err.msg);
			return 2;
		}
		return 0;
	}
}

struct out {
	bool json;
	int beats;
	struct ls_heartbeat *hb;
};

static void on_beat(void *arg, const struct ls_hb_beat_info *in)
{
	struct out *o = arg;
	const struct ls_mapping *m = ls_hb_mapping(o->hb);
	const struct ls_estimator *e = ls_hb_estimator(o->hb);
	/* the offset G - K is the mapping's own figure, shown, never compared */
	int64_t off = m->valid ? m->ref_g.ns - m->ref_k.ns : 0; /* domains: offset */
	o->beats++;
	if (o->json) {
		printf("{\"seq\":%llu,\"planned_k\":%lld,\"fired_k\":%lld,\"delivery_ns\":%lld,"
		       "\"observed_interval_ns\":%lld,\"interval_mismatch\":%s,\"missed\":%llu,"
		       "\"pings_ok\":%d,\"good\":%s,\"offset_ns\":%lld,\"rate_ppm\":%.4f,"
		       "\"rate_unc_ppm\":%.4f,\"eps0_ns\":%lld,\"rtt_min_ns\":%lld,\"step\":%s,"
		       "\"step_ns\":%lld,\"wall_step\":%s}\n",
		       (unsigned long long)in->seq, (long long)in->planned_k.ns,
		       (long long)in->fired_k.ns, (long long)in->delivery_ns,
		       (long long)in->observed_interval_ns,
		       in->interval_mismatch ? "true" : "false", (unsigned long long)in->missed,
		       in->pings_ok, in->good ? "true" : "false", (long long)off, m->rate * 1e6,
		       m->rate_unc * 1e6, (long long)m->eps0_ns, (long long)e->min_delay_ns,
		       in->est.step ? "true" : "false", (long long)in->est.step_ns,
		       in->wall_step ? "true" : "false");
	} else {
		printf("beat %-5llu delivery %7.1f us  interval %8.3f ms%s  offset %+14.3f us  "
		       "rate %+9.3f ppm (+-%.3f)  eps %9.3f us%s\n",
		       (unsigned long long)in->seq, (double)in->delivery_ns / 1e3,
		       (double)in->observed_interval_ns / 1e6,
		       in->interval_mismatch ? " MISMATCH" : "", (double)off / 1e3, m->rate * 1e6,
		       m->rate_unc * 1e6, (double)m->eps0_ns / 1e3, in->est.step ? "  STEP" : "");
	}
	fflush(stdout);
}

int cmd_clock(int argc, char **argv)
{
	struct args a = {.beats = 10};
	ls_clock_opts_default(&a.co);
	struct ls_cmd_spec sp = spec;
	sp.lists[1] = ls_clock_opt_rows;
	int first, rc0 = ls_opts_parse(&sp, argc, argv, on_opt, &a, &first);
	if (rc0 >= 0)
		return rc0;
	struct ls_clock_opts co = a.co;
	struct out o = {.json = a.json};
	long beats = a.beats;
	struct ls_err err;
	if (co.no_clock_sync)
		fprintf(stderr, "lockstep clock: --no-clock-sync changes conversions only; the "
				"heartbeat below still measures\n");

	struct ls_gclock gc;
	ls_gclock_init(&gc, &co.guest, ls_k_now());
	struct ls_hb_config c = {
	    .interval_ns = co.beat_interval_ns,
	    .expect_interval_ns = co.check_interval_ns,
	    .detect_multiplier = co.detect_multiplier,
	    .failsafe_mode = co.failsafe_mode,
	    .gclock = &gc,
	};
	if (ls_hb_open(&o.hb, &c, &err) || ls_hb_start(o.hb, &err)) {
		fprintf(stderr, "lockstep clock: %s\n", err.msg);
		if (o.hb)
			ls_hb_close(o.hb);
		return 1;
	}
	ls_hb_set_observer(o.hb, on_beat, &o);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && (beats == 0 || o.beats < beats)) {
		int rc = ls_hb_poll(o.hb, 200);
		if (rc < 0 && rc != -4 /* EINTR */) {
			fprintf(stderr, "lockstep clock: polling the ring buffer: %s\n",
				strerror(-rc));
			ls_hb_close(o.hb);
			return 1;
		}
	}
	ls_hb_close(o.hb);
	return 0;
}
