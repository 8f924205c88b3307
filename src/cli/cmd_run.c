/* cmd_run.c - `lockstep run`: attach the data plane to an interface (or
 * adopt the one left pinned by a previous agent) and print its events live,
 * one JSON line each on stdout; status lines go to stderr.
 *
 * Everything runs from one epoll loop: ring buffer, a 1 s housekeeping
 * timer, and SIGTERM/SIGINT/SIGHUP through a signalfd. By default leaving
 * the agent (signal or crash) leaves the program attached and pinned so the
 * next agent adopts it; --detach-on-exit removes it on SIGTERM/SIGINT. */
#include "cli/cli.h"
#include "base/args.h"
#include "base/names.h"
#include "agent/run_clock.h"
#include "agent/run_control.h"
#include "agent/run_obs.h"
#include "agent/run_policy.h"
#include "dataplane/dataplane.h"
#include "dataplane/event_json.h"
#include "agent/loop.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct run {
	struct ls_dp *dp;
	struct ls_loop *loop;
	bool detach_on_exit;
	uint64_t events;     /* delivered to stdout */
	uint64_t last_bad;   /* ls_dp_events_bad already reported */
	int exit_signal;     /* what stopped us, 0 when stopped otherwise */
	struct run_policy *rp; /* the Wasm policy, when --policy was given */
	struct run_obs *ro;    /* metrics, log, trace, alarms */
	struct run_control ctl; /* the control socket (status, trace, reload) */
	bool clock_on;         /* the heartbeat runs (--heartbeat, clock options) */
	struct ls_sync sync;   /* G, heartbeat, mapping, when clock_on */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lockstep run --iface IF [options]\n"
		"\n"
		"Attach the lockstep data plane to IF and print its events as JSON lines\n"
		"on stdout (status on stderr). If the pin directory already holds a data\n"
		"plane attached to IF, it is adopted: nothing is detached or re-attached.\n"
		"\n"
		"options:\n"
		"  -i, --iface IF              interface to attach to (required)\n"
		"  -d, --default-verdict V     pass|drop for flows with no verdict\n"
		"                              (default: pass; kept from the pins when adopting)\n"
		"      --dpi-packets N         payload packets inspected per flow (1-255, default %d)\n"
		"      --expiry MODE           what an expired verdict leaves a flow that has passed:\n"
		"                              sticky (keeps passing until the policy decides again;\n"
		"                              default) or strict (the default verdict, like a new\n"
		"                              flow); kept from the pins when adopting\n"
		"  -p, --pin-dir DIR           bpffs pin directory (default: $LS_PIN_DIR or %s)\n"
		"  -m, --xdp-mode MODE         auto|native|generic (default auto: native,\n"
		"                              falling back to generic)\n"
		"      --tc                    also attach at TC egress so replies are seen (and\n"
		"                              so the end of a connection: docs/operations.md)\n"
		"      --ringbuf-size BYTES    kernel -> agent events ring (power of two, page size\n"
		"                              to 1G; K/M/G suffixes; default 4M). A pinned ring\n"
		"                              is adopted at its own size\n"
		"      --detach-on-exit        on SIGTERM/SIGINT detach and remove the pins\n"
		"                              (default: leave attached so a restart adopts)\n"
		"      --control-socket PATH   for `lockstep status|trace|reload` (default\n"
		"                              $LS_CONTROL_SOCK or /run/lockstep/control.sock)\n"
		"\n"
		"policy (docs/abi.md):\n"
		"      --policy FILE.wasm      run this policy module on the events; its\n"
		"                              verdicts are written to the data plane\n"
		"                              (`lockstep reload` or SIGHUP reloads it)\n"
		"      --policy-config STR|@FILE  configuration string handed to its init\n"
		"      --fuel N                instruction budget per callback (default 10000000)\n"
		"      --max-memory-pages N    memory cap, 64 KiB pages (default 256)\n"
		"      --tick-interval DUR     on_tick period (default 1s)\n",
		LS_DPI_MAX_PKTS_DEFAULT, LS_PIN_DIR);
	run_obs_usage(f);
	fprintf(f, "  -h, --help                  this text\n");
	run_clock_usage(f);
}

static int on_event(void *ctx, const struct ls_event *ev)
{
	struct run *r = ctx;
	if (ls_event_json_print(stdout, ev) == 0)
		r->events++;
	run_obs_event(r->ro, ev);
	if (r->clock_on)
		ls_hb_handle_event(r->sync.hb, ev);
	if (r->rp)
		run_policy_event(r->rp, ev);
	return 0;
}

/* Events handled per turn of the loop. A drain to the end never ends while
 * the kernel produces as fast as the agent consumes (per-packet tracing
 * under load, a backlog after a stall): the ticks, the heartbeat's beat
 * recovery, the control socket and the metrics would wait all that time.
 * So a turn takes at most this many (one policy batch) and the loop comes
 * back for the rest after serving whatever else is ready. */
#define RING_BUDGET 256

static void on_ring(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct run *r = data;
	bool more = false;
	int n = ls_dp_events_drain_max(r->dp, RING_BUDGET, &more);
	if (n < 0) {
		fprintf(stderr, "lockstep: draining events failed: %s\n", strerror(-n));
		ls_loop_stop(loop, 1);
	}
	run_obs_drained(r->ro, n);
	if (r->rp)
		run_policy_flush(r->rp);
	/* Beats sit in the ring behind the backlog: the heartbeat need not
	 * wait for it (a beat not handled for 1.5 intervals is taken from the
	 * kernel's beat map; the late event is then a duplicate). */
	if (more && r->clock_on)
		ls_hb_tick(r->sync.hb);
	fflush(stdout);
}

static void on_policy_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct run *r = data;
	run_policy_tick(r->rp);
	fflush(stdout);
}

static void on_control(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct run *r = data;
	run_control_serve(&r->ctl);
	fflush(stdout);
}

/* Beats the ring buffer did not deliver in time are found by polling. */
static void on_clock_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct run *r = data;
	ls_hb_tick(r->sync.hb);
}

static void on_metrics(struct ls_loop *loop, int fd, uint32_t events, void *data)
{
	struct run *r = data;
	run_obs_http(r->ro);
}

static void on_tick(struct ls_loop *loop, uint64_t missed, void *data)
{
	struct run *r = data;
	run_obs_tick(r->ro, run_policy_policy(r->rp));
	uint64_t bad = ls_dp_events_bad(r->dp);
	if (bad != r->last_bad) {
		fprintf(stderr, "lockstep: %llu malformed event records skipped (wire version or size mismatch)\n",
			(unsigned long long)(bad - r->last_bad));
		r->last_bad = bad;
	}
	if (!ls_dp_link_pinned(r->dp)) {
		fprintf(stderr, "lockstep: the data plane in %s was stopped from outside "
			"(its link pin is gone); exiting\n", ls_dp_pin_dir(r->dp));
		ls_loop_stop(loop, 0);
	}
}

static void print_counters(struct ls_dp *dp)
{
	uint64_t c[LS_CNT__MAX];
	struct ls_err err;
	if (ls_dp_counters_read(dp, c, &err)) {
		fprintf(stderr, "lockstep: %s\n", err.msg);
		return;
	}
	fprintf(stderr, "lockstep: counters:");
	for (unsigned i = 0; i < LS_CNT__MAX; i++)
		if (ls_counter_name(i) && c[i])
			fprintf(stderr, " %s=%llu", ls_counter_name(i), (unsigned long long)c[i]);
	fprintf(stderr, "\n");
}

static void on_signal(struct ls_loop *loop, int signo, void *data)
{
	struct run *r = data;
	if (signo == SIGHUP) {
		if (r->rp)
			run_policy_sighup(r->rp);
		else
			print_counters(r->dp);
		return;
	}
	r->exit_signal = signo;
	ls_loop_stop(loop, 0);
}

/* Fresh pins get a full config; adopted pins keep theirs except for what
 * was asked on this command line. */
static int apply_config(struct ls_dp *dp, int default_verdict, int dpi_pkts, int expiry,
			struct ls_err *err)
{
	struct ls_config cfg;
	int rc = ls_dp_config_read(dp, &cfg, err);
	if (rc)
		return rc;
	if (cfg.version != LS_WIRE_VERSION) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.version = LS_WIRE_VERSION;
		cfg.default_verdict = LS_VERDICT_PASS;
		cfg.dpi_max_pkts = LS_DPI_MAX_PKTS_DEFAULT;
		cfg.idle_timeout_ns = LS_IDLE_TIMEOUT_NS_DEFAULT;
	}
	if (default_verdict)
		cfg.default_verdict = (uint32_t)default_verdict;
	if (dpi_pkts)
		cfg.dpi_max_pkts = (uint32_t)dpi_pkts;
	if (expiry >= 0)
		cfg.expiry_mode = (uint8_t)expiry;
	rc = ls_dp_config_write(dp, &cfg, err);
	if (!rc)
		fprintf(stderr, "lockstep: config: default verdict %s, dpi packets %u, expiry %s\n",
			ls_verdict_name(cfg.default_verdict), cfg.dpi_max_pkts,
			cfg.expiry_mode == LS_EXPIRY_STRICT ? "strict" : "sticky");
	return rc;
}

static void report_open(const struct ls_dp_opts *o, const struct ls_dp_status *st)
{
	const char *mode = ls_xdp_mode_name(st->xdp_mode);
	if (st->adopted_link) {
		fprintf(stderr, "lockstep: adopted the data plane pinned in %s: %d maps, XDP link on %s "
			"(%s mode), nothing re-attached\n", st->pin_dir, st->maps_adopted, o->ifname, mode);
		if (st->prog_replaced)
			fprintf(stderr, "lockstep: the attached program was another build or used other "
				"maps; replaced it in place (atomic link update)\n");
	} else {
		if (o->xdp_mode == LS_XDP_AUTO && st->xdp_mode == LS_XDP_GENERIC)
			fprintf(stderr, "lockstep: native XDP is not available on %s; fell back to "
				"generic mode\n", o->ifname);
		fprintf(stderr, "lockstep: attached XDP to %s in %s mode; pins in %s%s\n", o->ifname,
			mode, st->pin_dir, st->adopted_maps ? " (existing maps adopted)" : "");
	}
	if (o->tc_egress)
		fprintf(stderr, "lockstep: TC egress on %s %s\n", o->ifname,
			st->tc_adopted ? "adopted (filter replaced in place)" : "attached");
	if (st->ringbuf_kept)
		fprintf(stderr, "lockstep: --ringbuf-size %u not applied: the pinned ring buffer in %s "
			"has %u bytes and is adopted as is (it cannot be resized while the data plane "
			"stays attached; `lockstep stop` first to change it)\n",
			o->ringbuf_size, st->pin_dir, st->ringbuf_bytes);
	else if (o->ringbuf_size || st->ringbuf_bytes != LS_RINGBUF_SIZE_DEFAULT)
		fprintf(stderr, "lockstep: events ring buffer %u bytes\n", st->ringbuf_bytes);
}

static int run_loop(struct run *r)
{
	struct ls_err err;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	int rc;

	r->loop = ls_loop_new();
	if (!r->loop) {
		fprintf(stderr, "lockstep: creating the event loop failed\n");
		return 1;
	}
	if ((rc = ls_dp_events_open(r->dp, on_event, r, &err))) {
		fprintf(stderr, "lockstep: %s\n", err.msg);
		return 1;
	}
	if ((rc = ls_loop_add_fd(r->loop, ls_dp_events_fd(r->dp), EPOLLIN, on_ring, r)) ||
	    (rc = ls_loop_add_signals(r->loop, sigs, 3, on_signal, r)) ||
	    (rc = ls_loop_add_timer(r->loop, 1000000000ull, on_tick, r)) < 0) {
		fprintf(stderr, "lockstep: setting up the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if ((rc = ls_loop_add_fd(r->loop, r->ctl.fd, EPOLLIN, on_control, r))) {
		fprintf(stderr, "lockstep: control socket in the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if (r->rp && (rc = ls_loop_add_timer(r->loop, run_policy_tick_ns(r->rp), on_policy_tick, r)) < 0) {
		fprintf(stderr, "lockstep: setting up the policy in the event loop: %s\n",
			strerror(-rc));
		return 1;
	}
	if (r->clock_on &&
	    (rc = ls_loop_add_timer(r->loop, (uint64_t)r->sync.opts.beat_interval_ns, on_clock_tick, r)) < 0) {
		fprintf(stderr, "lockstep: heartbeat in the event loop: %s\n", strerror(-rc));
		return 1;
	}
	if (run_obs_http_fd(r->ro) >= 0 &&
	    (rc = ls_loop_add_fd(r->loop, run_obs_http_fd(r->ro), EPOLLIN, on_metrics, r))) {
		fprintf(stderr, "lockstep: metrics endpoint in the event loop: %s\n", strerror(-rc));
		return 1;
	}
	fprintf(stderr, "lockstep: running (pid %d); SIGTERM/SIGINT %s\n", (int)getpid(),
		r->detach_on_exit ? "detach and remove the pins"
				  : "leave the data plane attached and pinned for the next agent");
	/* Events that arrived before we started listening. */
	ls_dp_events_drain(r->dp);
	fflush(stdout);
	/* everything is loaded: the beat may start (run_clock.h) */
	if (r->clock_on && run_clock_start(&r->sync))
		return 1;
	rc = ls_loop_run(r->loop);
	ls_dp_events_drain(r->dp);
	fflush(stdout);
	return rc < 0 ? 1 : rc;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"default-verdict", required_argument, NULL, 'd'},
		{"dpi-packets", required_argument, NULL, 'P'},
		{"expiry", required_argument, NULL, 'E'},
		{"pin-dir", required_argument, NULL, 'p'},
		{"xdp-mode", required_argument, NULL, 'm'},
		{"tc", no_argument, NULL, 't'},
		{"ringbuf-size", required_argument, NULL, 'R'},
		{"detach-on-exit", no_argument, NULL, 'D'},
		{"policy", required_argument, NULL, 'W'},
		{"policy-config", required_argument, NULL, 'C'},
		{"fuel", required_argument, NULL, 'F'},
		{"max-memory-pages", required_argument, NULL, 'M'},
		{"control-socket", required_argument, NULL, 'S'},
		{"tick-interval", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		RUN_OBS_LONG_OPTIONS,
		RUN_CLOCK_LONG_OPTIONS,
		{0},
	};
	struct ls_dp_opts o = {0};
	struct run r = {.ctl.fd = -1};
	const char *ctl_path = NULL;
	int default_verdict = 0, expiry = -1, c;
	uint64_t dpi = 0, num;
	struct run_policy_opts po = {0};
	struct run_obs_opts obs;
	struct run_clock_opts clk;

	run_obs_opts_init(&obs);
	run_clock_opts_init(&clk);

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:d:p:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'p': o.pin_dir = optarg; break;
		case 't': o.tc_egress = true; break;
		case 'R': {
			struct ls_err e;
			uint64_t bytes = 0;
			if (ls_parse_bytes(optarg, &bytes)) {
				fprintf(stderr, "lockstep run: --ringbuf-size wants a number of bytes "
					"(e.g. 65536, 64K, 4M), not '%s'\n", optarg);
				return 2;
			}
			if (ls_dp_ringbuf_size_check(bytes, &e)) {
				fprintf(stderr, "lockstep run: --ringbuf-size: %s\n", e.msg);
				return 2;
			}
			o.ringbuf_size = (uint32_t)bytes;
			break;
		}
		case 'D': r.detach_on_exit = true; break;
		case 'h': usage(stdout); return 0;
		case 'W': po.policy = optarg; break;
		case 'C': po.config = optarg; break;
		case 'S': ctl_path = optarg; break;
		case 'F':
			if (ls_parse_uint(optarg, 1000, UINT64_MAX / 2, &po.fuel)) {
				fprintf(stderr, "lockstep run: --fuel must be a number >= 1000, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'M':
			if (ls_parse_uint(optarg, 1, 65536, &num)) {
				fprintf(stderr, "lockstep run: --max-memory-pages must be 1-65536, not '%s'\n", optarg);
				return 2;
			}
			po.max_memory_pages = (uint32_t)num;
			break;
		case 'T':
			if (ls_parse_duration_ns(optarg, &po.tick_interval_ns) ||
			    po.tick_interval_ns < 1000000) {
				fprintf(stderr, "lockstep run: --tick-interval must be a duration >= 1ms, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (ls_verdict_parse(optarg, (uint32_t *)&default_verdict)) {
				fprintf(stderr, "lockstep run: --default-verdict must be pass or drop, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'E':
			if (!strcmp(optarg, "sticky"))
				expiry = LS_EXPIRY_STICKY;
			else if (!strcmp(optarg, "strict"))
				expiry = LS_EXPIRY_STRICT;
			else {
				fprintf(stderr, "lockstep run: --expiry must be sticky or strict, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'P':
			if (ls_parse_uint(optarg, 1, 255, &dpi)) {
				fprintf(stderr, "lockstep run: --dpi-packets must be 1-255, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm': {
			int m = ls_xdp_mode_parse(optarg);
			if (m < 0) {
				fprintf(stderr, "lockstep run: --xdp-mode must be auto, native or generic, not '%s'\n", optarg);
				return 2;
			}
			o.xdp_mode = (enum ls_xdp_mode)m;
			break;
		}
		case ':':
			fprintf(stderr, "lockstep run: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		case RUN_CLOCK_OPT_HEARTBEAT ... RUN_CLOCK_OPT_CHECK_INTERVAL:
			if (run_clock_parse(&clk, c, optarg))
				return 2;
			break;
		case RUN_OBS_OPT_METRICS ... RUN_OBS_OPT_ALARM:
			if (run_obs_parse(&obs, c, optarg))
				return 2;
			break;
		default:
			fprintf(stderr, "lockstep run: unknown option '%s' (see lockstep run --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstep run: unexpected argument '%s' (see lockstep run --help)\n", argv[optind]);
		return 2;
	}
	if (!o.ifname) {
		fprintf(stderr, "lockstep run: --iface is required (see lockstep run --help)\n");
		return 2;
	}
	if (!po.policy && (po.config || po.fuel || po.max_memory_pages || po.tick_interval_ns)) {
		fprintf(stderr, "lockstep run: policy options need --policy FILE.wasm\n");
		return 2;
	}
	if (po.policy && access(po.policy, R_OK)) {
		fprintf(stderr, "lockstep run: --policy %s: %s\n", po.policy, strerror(errno));
		return 2;
	}

	struct ls_dp_status st;
	struct ls_err err;
	if (ls_dp_open(&r.dp, &o, &st, &err)) {
		fprintf(stderr, "lockstep run: %s\n", err.msg);
		return 1;
	}
	report_open(&o, &st);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int rc = apply_config(r.dp, default_verdict, (int)dpi, expiry, &err);
	if (rc)
		fprintf(stderr, "lockstep run: %s\n", err.msg);
	else
		rc = run_obs_open(&r.ro, &obs, r.dp);
	if (!rc) {
		run_obs_set_attach(r.ro, &o, &st);
		rc = run_control_open(&r.ctl, ctl_path, r.ro);
	}
	if (!rc && clk.on) {
		rc = run_clock_open(&r.sync, &clk, r.dp);
		if (!rc) {
			r.clock_on = true;
			ls_hb_set_observer(r.sync.hb, run_obs_hb_observer, r.ro);
			run_obs_set_clock(r.ro, &clk.clock, ls_sync_live_mapping(&r.sync));
			po.sync = &r.sync;
		}
	} else if (!rc) {
		char msg[512];
		if (ls_hb_disarm_pinned(ls_dp_pin_dir(r.dp), msg, sizeof(msg)))
			fprintf(stderr, "lockstep run: %s\n", msg);
	}
	if (rc) {
	} else if (po.policy) {
		/* while the guest is unhealthy its flows get the data plane's
		 * default for undecided flows, from the config just written */
		struct ls_config dcfg;
		po.default_verdict = default_verdict ? (uint32_t)default_verdict : LS_VERDICT_PASS;
		if (!default_verdict && !ls_dp_config_read(r.dp, &dcfg, &err))
			po.default_verdict = dcfg.default_verdict;
		rc = run_policy_open(&r.rp, r.dp, &po);
		if (!rc) {
			run_policy_set_obs(r.rp, r.ro);
			/* a good beat also means the policy can run */
			if (r.clock_on)
				ls_hb_set_health(r.sync.hb, run_policy_health, r.rp);
			run_control_set_policy(&r.ctl, r.rp);
			run_obs_policy(r.ro, run_policy_policy(r.rp));
		}
	}
	if (!rc) {
		ls_obs_state(run_obs_hub(r.ro), "agent_start", "agent running",
			     "\"iface\":\"%s\",\"pid\":%d", o.ifname, (int)getpid());
	}
	if (!rc)
		rc = run_loop(&r);
	run_control_close(&r.ctl);
	run_policy_close(r.rp);
	if (r.ro)
		ls_obs_state(run_obs_hub(r.ro), "agent_stop", "agent stopping", NULL);
	if (r.clock_on)
		ls_sync_close(&r.sync); /* the pinned beat keeps the watchdog going */
	run_obs_close(r.ro); /* writes the trace */

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", ls_dp_pin_dir(r.dp));
	bool stopped_outside = !ls_dp_link_pinned(r.dp);
	ls_loop_free(r.loop);
	ls_dp_close(r.dp);
	if (r.detach_on_exit && r.exit_signal && !stopped_outside) {
		bool found;
		if (ls_dp_stop(dir, &found, &err)) {
			fprintf(stderr, "lockstep: detaching: %s\n", err.msg);
			return 1;
		}
		fprintf(stderr, "lockstep: %s: detached and removed the pins in %s\n",
			strsignal(r.exit_signal), dir);
	} else if (!stopped_outside) {
		fprintf(stderr, "lockstep: exiting; the data plane stays attached, pins in %s\n", dir);
	}
	return rc ? 1 : 0;
}
