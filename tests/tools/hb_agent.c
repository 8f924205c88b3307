/* hb_agent.c - a minimal agent running only the heartbeat, for the process
 * level clock tests (tests/clock/stall.sh): SIGSTOP it, kill it, restart it.
 *
 *   hb_agent --pin-dir DIR [--beat-interval 20ms] [--detect-multiplier 3]
 *            [--fail-safe pass|drop] [--guest-clock SPEC]
 * Prints "ready" once a good beat was recorded, then one JSON line per
 * fail-safe transition it sees. SIGTERM/SIGINT: stop the beat, remove the
 * pins, exit 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "clock/heartbeat.h"
#include "clock/options.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct ls_clock_opts o;
	ls_clock_opts_default(&o);
	const char *pin_dir = NULL;
	struct ls_err err;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc) {
			pin_dir = argv[++i];
			continue;
		}
		int tv = ls_clock_opt_takes_value(argv[i]);
		const char *val = tv == 1 && i + 1 < argc ? argv[i + 1] : NULL;
		int rc = ls_clock_opt(&o, argv[i], val, &err);
		if (rc <= 0) {
			fprintf(stderr, "hb_agent: %s\n", rc < 0 ? err.msg : "unknown option");
			return 2;
		}
		if (tv == 1)
			i++;
	}
	if (!pin_dir) {
		fprintf(stderr, "hb_agent: --pin-dir DIR is required (a private bpffs dir)\n");
		return 2;
	}
	struct ls_gclock gc;
	ls_gclock_init(&gc, &o.guest, ls_k_now());
	struct ls_hb_config c = {
		.interval_ns = o.beat_interval_ns,
		.expect_interval_ns = o.check_interval_ns,
		.detect_multiplier = o.detect_multiplier,
		.failsafe_mode = o.failsafe_mode,
		.pin_dir = pin_dir,
		.gclock = &gc,
	};
	struct ls_heartbeat *hb;
	if (ls_hb_open(&hb, &c, &err) || ls_hb_start(hb, &err)) {
		fprintf(stderr, "hb_agent: %s\n", err.msg);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int ready = 0;
	uint64_t enter = 0, leave = 0;
	while (!stop) {
		ls_hb_poll(hb, 100);
		const struct ls_hb_stats *st = ls_hb_stats(hb);
		if (!ready && st->good > 0) {
			printf("ready\n");
			ready = 1;
		}
		if (st->failsafe_enter != enter || st->failsafe_leave != leave) {
			enter = st->failsafe_enter;
			leave = st->failsafe_leave;
			printf("{\"failsafe_enter\":%llu,\"failsafe_leave\":%llu}\n",
			       (unsigned long long)enter, (unsigned long long)leave);
		}
		fflush(stdout);
	}
	ls_hb_stop(hb);
	ls_hb_unpin(hb);
	ls_hb_close(hb);
	return 0;
}
