/* cmd_run.c - `lockstep run`: the command line of the running agent. It
 * parses the options into struct agent_opts and hands them to agent_run()
 * (agent/agent.h), which attaches the data plane (or adopts the one left
 * pinned by a previous agent) and prints its events live, one JSON line each
 * on stdout; status lines go to stderr. */
#include "cli/cli.h"
#include "agent/agent.h"
#include "agent/control.h"
#include "agent/hold.h"
#include "agent/rt.h"
#include "base/args.h"
#include "cli/config_file.h"
#include "cli/opts.h"
#include "cli/run_preflight.h"
#include "cli/wasm_cli.h"
#include "base/names.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)

enum {
	O_IFACE = 1,
	O_DEFAULT_VERDICT,
	O_DPI_PACKETS,
	O_EXPIRY,
	O_PIN_DIR,
	O_XDP_MODE,
	O_TC,
	O_TC_ORDER,
	O_TC_LINK,
	O_RINGBUF_SIZE,
	O_DETACH,
	O_CONTROL_SOCKET,
	O_POLICY,
	O_POLICY_CONFIG,
	O_FUEL,
	O_MAX_MEMORY_PAGES,
	O_GUEST_MEMORY,
	O_GUEST_DEADLINE,
	O_TICK_INTERVAL,
	O_HEARTBEAT,
	O_CONFIG,
	O_CHECK,
	O_WORKERS,
	O_SHARD_BY,
	O_STATE_DIR,
	O_BUSY_POLL,
	O_RT,
	O_SCHED_SLICE,
	O_NICE,
	O_CPU_LATENCY,
};

static const struct ls_opt rows[] = {
    LS_OPT("config", 'c', "FILE", O_CONFIG,
	   "read options from a YAML file first (key: the option\n"
	   "without --); flags given here override it (docs/configuration.md)"),
    LS_OPT("check", 0, NULL, O_CHECK,
	   "validate the options (and the policy module), print\n"
	   "the result and exit: nothing is attached"),
    LS_OPT("iface", 'i', "IF", O_IFACE, "interface to attach to (required)"),
    LS_OPT("default-verdict", 'd', "V", O_DEFAULT_VERDICT,
	   "pass|drop|hold|reject|reject-nxdomain for flows with no\n"
	   "verdict; hold keeps their packets until the policy decides,\n"
	   "reject answers them from the kernel (docs/dataplane.md)\n"
	   "(default: pass; kept from the pins when adopting)"),
    LS_OPT("dpi-packets", 0, "N", O_DPI_PACKETS,
	   "payload packets inspected per flow (1-255, default " STR(LS_DPI_MAX_PKTS_DEFAULT) ")"),
    LS_OPT("expiry", 0, "MODE", O_EXPIRY,
	   "what an expired verdict leaves a flow that has passed:\n"
	   "sticky (keeps passing until the policy decides again;\n"
	   "default) or strict (the default verdict, like a new\n"
	   "flow); kept from the pins when adopting"),
    LS_OPT_PIN_DIR(O_PIN_DIR),
    LS_OPT("xdp-mode", 'm', "MODE", O_XDP_MODE,
	   "auto|native|generic (default auto: native,\n"
	   "falling back to generic)"),
    LS_OPT("tc", 0, NULL, O_TC,
	   "also attach at TC egress so replies are seen (and\n"
	   "so the end of a connection: docs/operations.md)"),
    LS_OPT("tc-order", 0, "WHERE", O_TC_ORDER,
	   "first|last or before=PROG, after=PROG (an id or a\n"
	   "name): where --tc puts lockstep among the programs at\n"
	   "TC egress (default first; docs/operations.md,\n"
	   "Neighbours)"),
    LS_OPT("tc-link", 0, "HOW", O_TC_LINK,
	   "auto|tcx|netlink how --tc attaches (default auto: a\n"
	   "TCX link where the kernel has them, Linux >= 6.6,\n"
	   "else a netlink filter)"),
    LS_OPT("ringbuf-size", 0, "BYTES", O_RINGBUF_SIZE,
	   "kernel -> agent events ring (power of two, page size\n"
	   "to 1G; K/M/G suffixes; default 4M). A pinned ring\n"
	   "is adopted at its own size"),
    LS_OPT("detach-on-exit", 0, NULL, O_DETACH,
	   "on SIGTERM/SIGINT detach and remove the pins\n"
	   "(default: leave attached so a restart adopts)"),
    LS_OPT("control-socket", 0, "PATH", O_CONTROL_SOCKET,
	   "for `lockstep status|trace|reload` (default\n"
	   "$LS_CONTROL_SOCK or " LS_CONTROL_PATH_DEFAULT ")"),
    LS_OPT_SECTION("policy (docs/abi.md):"),
    LS_OPT("policy", 0, "FILE.wasm", O_POLICY,
	   "run this policy module on the events; its\n"
	   "verdicts are written to the data plane\n"
	   "(`lockstep reload` or SIGHUP reloads it)"),
    LS_OPT("policy-config", 0, "STR|@FILE", O_POLICY_CONFIG,
	   "configuration string handed to its init"),
    LS_OPT("fuel", 0, "N", O_FUEL, "instruction budget per callback (default 10000000)"),
    LS_OPT("max-memory-pages", 0, "N", O_MAX_MEMORY_PAGES,
	   "memory cap, 64 KiB pages (default 256)"),
    LS_OPT("guest-memory", 0, "BYTES", O_GUEST_MEMORY,
	   "memory budget of one guest instance, all included:\n"
	   "memories, tables, stack, code (K/M/G; default 64M;\n"
	   "a module over it is refused at load and reload)"),
    LS_OPT("guest-deadline", 0, "DUR", O_GUEST_DEADLINE,
	   "wall-clock limit of one guest callback, reported\n"
	   "as fuel exhaustion (default 20ms; keep it well\n"
	   "under --beat-interval)"),
    LS_OPT("tick-interval", 0, "DUR", O_TICK_INTERVAL, "on_tick period (default 1s)"),
    LS_OPT("state-dir", 0, "DIR", O_STATE_DIR,
	   "keep the guests' key-value store in DIR/kv.state so\n"
	   "it survives an agent restart (written each second it\n"
	   "changed and on stop; a SIGKILL loses at most the last\n"
	   "second). Default: none, the store is in memory only\n"
	   "(the installed service: /var/lib/lockstep)"),
    LS_OPT_SECTION("workers (docs/workers.md):"),
    LS_OPT("workers", 0, "N|auto", O_WORKERS,
	   "policy workers, each a thread with its own instance\n"
	   "and event ring (1-64, or auto: one per online CPU\n"
	   "the agent may run on, the default; 1: one thread\n"
	   "does everything)"),
    LS_OPT("shard-by", 0, "KEY", O_SHARD_BY,
	   "flow|client: what keeps events on one worker (default\n"
	   "flow, the 5-tuple; client: all of a client's flows)"),
    LS_OPT("busy-poll", 0, "DUR", O_BUSY_POLL,
	   "after a batch a worker watches its ring this long\n"
	   "before sleeping, adaptively (default 50us; 0: never)"),
    LS_OPT("rt", 0, NULL, O_RT,
	   "real time: threads SCHED_FIFO 20, workers pinned one\n"
	   "per CPU, memory locked (needs CAP_SYS_NICE,\n"
	   "CAP_IPC_LOCK; trade-offs in docs/workers.md)"),
    LS_OPT("sched-slice", 0, "DUR", O_SCHED_SLICE,
	   "the agent's threads ask the kernel (EEVDF, 6.12+)\n"
	   "for slices this short, so a worker woken by events\n"
	   "preempts a CPU hog instead of queueing behind it\n"
	   "(100us-100ms, default 100us; 0: the kernel's default)"),
    LS_OPT("nice", 0, "N|keep", O_NICE,
	   "CPU weight without real time: the agent's threads,\n"
	   "and its autogroup when it leads its session (a\n"
	   "service), at nice N or lower (-20..19, default -10;\n"
	   "keep: as started; needs CAP_SYS_NICE)"),
    LS_OPT("cpu-latency-us", 0, "N", O_CPU_LATENCY,
	   "hold the CPUs' wake-up latency at N us while the\n"
	   "agent runs (/dev/cpu_dma_latency; 0: idle CPUs poll,\n"
	   "no halt to wake from; costs their idle power;\n"
	   "0-1000000, default: not held)"),
};

static const struct ls_opt clock_head[] = {
    LS_OPT_SECTION("clock (docs/clock.md); the heartbeat runs with --heartbeat or any of these:"),
    LS_OPT("heartbeat", 0, NULL, O_HEARTBEAT, "run the heartbeat, clock mapping and fail-safe"),
};

static const struct ls_opt obs_rows[] = {
    LS_OPT_SECTION("observability (docs/observability.md, docs/metrics.md):"),
    LS_OPT("metrics", 0, "HOST:PORT", OBS_LINK_OPT_METRICS,
	   "serve Prometheus metrics on http://HOST:PORT/metrics\n"
	   "(off by default; e.g. 127.0.0.1:9464; port 0 picks one)"),
    LS_OPT("log", 0, "FILE", OBS_LINK_OPT_LOG,
	   "structured log (JSON lines) to FILE (default stderr)"),
    LS_OPT("log-level", 0, "L", OBS_LINK_OPT_LOG_LEVEL, "debug|info|warn|error (default info)"),
    LS_OPT("print", 0, "KINDS", OBS_LINK_OPT_PRINT,
	   "what stdout carries: a comma list of event kinds and\n"
	   "verdict; -KIND leaves one out (all,-beat); all, none\n"
	   "(default all)"),
    LS_OPT("trace", 0, "FILE", OBS_LINK_OPT_TRACE,
	   "record a Chrome/Perfetto trace, written to FILE on\n"
	   "exit and on `lockstep trace dump`"),
    LS_OPT("trace-window", 0, "DUR", OBS_LINK_OPT_TRACE_WINDOW,
	   "keep the last DUR of trace (default 60s)"),
    LS_OPT("trace-level", 0, "K[,G]", OBS_LINK_OPT_TRACE_LEVEL,
	   "kernel per-packet / guest per-call tracing (default 0,0)"),
    LS_OPT("trace-port", 0, "N", OBS_LINK_OPT_TRACE_PORT,
	   "per-packet tracing only for flows with port N"),
    LS_OPT_MORE("alarm", 0, "NAME=VALUE", OBS_LINK_OPT_ALARM,
		"detector threshold (repeatable), defaults:", obs_link_alarm_defaults),
};

static int on_opt(void *ctx, const struct ls_opt *opt, const char *arg)
{
	struct agent_opts *a = ctx;
	struct ls_dp_opts *o = &a->dp;
	struct policy_link_opts *po = &a->policy;
	uint64_t num;

	switch (opt->id) {
	case O_CONFIG: /* applied before the command line (cmd_run) */
	case O_CHECK:
		break;
	case O_IFACE:
		o->ifname = arg;
		break;
	case O_PIN_DIR:
		o->pin_dir = arg;
		break;
	case O_TC:
		o->tc_egress = true;
		break;
	case O_TC_ORDER:
		o->tc_placed = true;
		if (ls_tc_order_parse(arg, &o->tc_order)) {
			fprintf(stderr,
				"lockstep run: --tc-order wants first, last, before=PROG or "
				"after=PROG (PROG a program id or name), not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_TC_LINK: {
		int l = ls_tc_link_parse(arg);
		o->tc_placed = true;
		if (l < 0) {
			fprintf(stderr,
				"lockstep run: --tc-link wants auto, tcx or netlink, not '%s'\n",
				arg);
			return 2;
		}
		o->tc_link = (enum ls_tc_link)l;
		break;
	}
	case O_RINGBUF_SIZE: {
		struct ls_err e;
		uint64_t bytes = 0;
		if (ls_parse_bytes(arg, &bytes)) {
			fprintf(stderr,
				"lockstep run: --ringbuf-size wants a number of bytes "
				"(e.g. 65536, 64K, 4M), not '%s'\n",
				arg);
			return 2;
		}
		if (ls_dp_ringbuf_size_check(bytes, &e)) {
			fprintf(stderr, "lockstep run: --ringbuf-size: %s\n", e.msg);
			return 2;
		}
		o->ringbuf_size = (uint32_t)bytes;
		break;
	}
	case O_DETACH:
		a->detach_on_exit = true;
		break;
	case O_POLICY:
		po->policy = arg;
		break;
	case O_POLICY_CONFIG:
		po->config = arg;
		break;
	case O_CONTROL_SOCKET:
		a->control_path = arg;
		break;
	case O_STATE_DIR:
		po->state_dir = arg;
		break;
	case O_FUEL:
		if (ls_parse_uint(arg, 1000, UINT64_MAX / 2, &po->fuel)) {
			fprintf(stderr, "lockstep run: --fuel must be a number >= 1000, not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_MAX_MEMORY_PAGES:
		if (ls_parse_uint(arg, 1, 65536, &num)) {
			fprintf(stderr,
				"lockstep run: --max-memory-pages must be 1-65536, not '%s'\n",
				arg);
			return 2;
		}
		po->max_memory_pages = (uint32_t)num;
		break;
	case O_GUEST_MEMORY:
		if (ls_parse_bytes(arg, &po->memory_budget) || po->memory_budget < (1u << 20)) {
			fprintf(stderr,
				"lockstep run: --guest-memory must be a number of bytes >= 1M "
				"(e.g. 64M), not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_GUEST_DEADLINE:
		if (ls_parse_duration_ns(arg, &po->deadline_ns) || po->deadline_ns < 100000 ||
		    po->deadline_ns > 60000000000ull) {
			fprintf(stderr,
				"lockstep run: --guest-deadline must be a duration from 100us to "
				"60s, not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_TICK_INTERVAL:
		if (ls_parse_duration_ns(arg, &po->tick_interval_ns) ||
		    po->tick_interval_ns < 1000000) {
			fprintf(
			    stderr,
			    "lockstep run: --tick-interval must be a duration >= 1ms, not '%s'\n",
			    arg);
			return 2;
		}
		break;
	case O_DEFAULT_VERDICT:
		if (!strcmp(arg, "pass"))
			a->default_verdict = LS_VERDICT_PASS;
		else if (!strcmp(arg, "drop"))
			a->default_verdict = LS_VERDICT_DROP;
		else if (!strcmp(arg, "hold"))
			a->default_verdict = LS_VERDICT_HOLD;
		else if (!strcmp(arg, "reject") || !strcmp(arg, "reject-nxdomain")) {
			/* answered by the kernel (bpf/reject.h), like a reject verdict */
			uint32_t v = 0;
			if (ls_verdict_parse(arg, &v))
				return 2;
			a->default_verdict = (int)v;
		} else {
			fprintf(
			    stderr,
			    "lockstep run: --default-verdict must be pass, drop, hold, reject or "
			    "reject-nxdomain, not '%s'\n",
			    arg);
			return 2;
		}
		break;
	case O_EXPIRY:
		if (!strcmp(arg, "sticky"))
			a->expiry = LS_EXPIRY_STICKY;
		else if (!strcmp(arg, "strict"))
			a->expiry = LS_EXPIRY_STRICT;
		else {
			fprintf(stderr,
				"lockstep run: --expiry must be sticky or strict, not '%s'\n", arg);
			return 2;
		}
		break;
	case O_DPI_PACKETS:
		if (ls_parse_uint(arg, 1, 255, &num)) {
			fprintf(stderr, "lockstep run: --dpi-packets must be 1-255, not '%s'\n",
				arg);
			return 2;
		}
		a->dpi_pkts = (int)num;
		break;
	case O_XDP_MODE: {
		int m = ls_xdp_mode_parse(arg);
		if (m < 0) {
			fprintf(
			    stderr,
			    "lockstep run: --xdp-mode must be auto, native or generic, not '%s'\n",
			    arg);
			return 2;
		}
		o->xdp_mode = (enum ls_xdp_mode)m;
		break;
	}
	case O_HEARTBEAT:
		a->clock.on = true;
		break;
	case O_WORKERS:
		if (!strcmp(arg, "auto")) {
			a->workers = AGENT_WORKERS_AUTO;
			break;
		}
		if (ls_parse_uint(arg, 1, LS_SHARDS_MAX, &num)) {
			fprintf(stderr, "lockstep run: --workers must be 1-%d or auto, not '%s'\n",
				LS_SHARDS_MAX, arg);
			return 2;
		}
		a->workers = (uint32_t)num;
		break;
	case O_BUSY_POLL:
		if (ls_parse_duration_ns(arg, &a->busy_poll_ns) || a->busy_poll_ns > 1000000) {
			fprintf(stderr,
				"lockstep run: --busy-poll must be a duration of 0-1ms, not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_RT:
		a->rt = true;
		break;
	case O_NICE:
		if (!strcmp(arg, "keep")) {
			a->nice_set = false;
			break;
		}
		{
			char *end;
			errno = 0;
			long v = strtol(arg, &end, 10);
			if (errno || end == arg || *end || v < -20 || v > 19) {
				fprintf(stderr,
					"lockstep run: --nice must be -20..19 or keep, not '%s'\n",
					arg);
				return 2;
			}
			a->nice = (int)v;
			a->nice_set = true;
		}
		break;
	case O_CPU_LATENCY: {
		char *end;
		errno = 0;
		long v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 0 || v > AGENT_CPU_LATENCY_MAX_US) {
			fprintf(stderr,
				"lockstep run: --cpu-latency-us must be 0-%ld (microseconds), not "
				"'%s'\n",
				AGENT_CPU_LATENCY_MAX_US, arg);
			return 2;
		}
		a->cpu_latency_us = v;
		break;
	}
	case O_SCHED_SLICE:
		if (ls_parse_duration_ns(arg, &a->sched_slice_ns) ||
		    (a->sched_slice_ns && (a->sched_slice_ns < AGENT_SLICE_MIN_NS ||
					   a->sched_slice_ns > AGENT_SLICE_MAX_NS))) {
			fprintf(
			    stderr,
			    "lockstep run: --sched-slice must be 0 or a duration of 100us-100ms, "
			    "not '%s'\n",
			    arg);
			return 2;
		}
		break;
	case O_SHARD_BY:
		if (!strcmp(arg, "flow"))
			a->shard_by = LS_SHARD_BY_FLOW;
		else if (!strcmp(arg, "client"))
			a->shard_by = LS_SHARD_BY_CLIENT;
		else {
			fprintf(stderr,
				"lockstep run: --shard-by must be flow or client, not '%s'\n", arg);
			return 2;
		}
		break;
	case LS_OPT_CLOCK: {
		char name[64];
		struct ls_err err;
		snprintf(name, sizeof(name), "--%s", opt->name);
		a->clock.on = true;
		if (ls_clock_opt(&a->clock.clock, name, arg, &err) <= 0) {
			fprintf(stderr, "lockstep run: %s\n", err.msg);
			return 2;
		}
		break;
	}
	case AGENT_HOLD_OPT_MAX_PACKETS:
	case AGENT_HOLD_OPT_MAX_BYTES:
	case AGENT_HOLD_OPT_TIMEOUT:
	case AGENT_HOLD_OPT_FALLBACK:
		return agent_hold_parse(&a->hold, opt->id, arg);
	default: /* the observability rows */
		return obs_link_parse(&a->obs, opt->id, arg);
	}
	return 0;
}

/* The options applied, in order, file first: what --check prints, so a key
 * of the file that did nothing would show. */
static char applied[4096];
/* The same key by key (agent/config_reload.h): at start, and each SIGHUP's
 * re-read into its own record. */
static struct agent_optrec rec_start;
static struct agent_optrec *rec_into = &rec_start;

static int on_opt_rec(void *ctx, const struct ls_opt *opt, const char *arg)
{
	size_t n = strlen(applied);
	if (opt->id == O_CONFIG || opt->id == O_CHECK)
		return on_opt(ctx, opt, arg);
	if (rec_into == &rec_start)
		snprintf(applied + n, sizeof(applied) - n, " --%s%s%s", opt->name, arg ? " " : "",
			 arg ? arg : "");
	agent_optrec_set(rec_into, opt->name, arg ? arg : "true", opt->id == OBS_LINK_OPT_ALARM);
	return on_opt(ctx, opt, arg);
}

/* The first pass over the command line: it must parse (so that --help and
 * a usage error come before the file is read), and it says which file to
 * read first and whether this is only a check, as the parser read them. */
struct first_pass {
	const char *config;
	bool check;
};

static int on_opt_first(void *ctx, const struct ls_opt *opt, const char *arg)
{
	struct first_pass *fp = ctx;
	if (opt->id == O_CONFIG)
		fp->config = arg;
	else if (opt->id == O_CHECK)
		fp->check = true;
	return 0;
}

/* What the options must say together (each alone was checked as parsed). */
static int run_validate(const struct agent_opts *a)
{
	const struct policy_link_opts *po = &a->policy;
	if (!a->dp.ifname) {
		fprintf(stderr, "lockstep run: --iface is required (see lockstep run --help)\n");
		return 2;
	}
	if (a->dp.tc_placed && !a->dp.tc_egress) {
		fprintf(stderr, "lockstep run: --tc-order and --tc-link need --tc\n");
		return 2;
	}
	if (!po->policy && (po->config || po->fuel || po->max_memory_pages || po->memory_budget ||
			    po->deadline_ns || po->tick_interval_ns)) {
		fprintf(stderr, "lockstep run: policy options need --policy FILE.wasm\n");
		return 2;
	}
	if (po->policy && access(po->policy, R_OK)) {
		fprintf(stderr, "lockstep run: --policy %s: %s\n", po->policy, strerror(errno));
		return 2;
	}
	return 0;
}

/* --check: what a start would refuse before attaching, without attaching
 * (run_preflight.c does the checks for both). */
static int run_check(const struct agent_opts *a, const char *config)
{
	int rc = run_preflight(a, false);
	if (!rc)
		printf("lockstep run: configuration ok%s%s; nothing attached; options in the order "
		       "applied:%s\n",
		       config ? " in " : "", config ? config : "", applied);
	return rc;
}

static const char *const not_in_file[] = {"config", "check", NULL};
static const struct ls_cmd_spec *run_spec;
static int run_argc;
static char **run_argv;

/* SIGHUP (agent/config_reload.h): the file, then the command line again,
 * through the same handler and checks as at start. */
static int reread(void *ctx, struct agent_opts *out, struct agent_optrec *rec, char *why,
		  size_t len)
{
	const char *path = ctx;
	int first, rc;
	agent_opts_init(out);
	rec_into = rec;
	rc = ls_config_file_apply(run_spec, path, on_opt_rec, out, not_in_file);
	if (rc)
		snprintf(why, len, "%s", ls_config_file_error());
	else if ((rc = ls_opts_parse(run_spec, run_argc, run_argv, on_opt_rec, out, &first)) >= 0)
		snprintf(why, len, "the command line no longer parses"), rc = 2;
	else if ((rc = run_validate(out)))
		snprintf(why, len, "the options do not hold together (the reason is on stderr)");
	rec_into = &rec_start;
	return rc;
}

int cmd_run(int argc, char **argv)
{
	const struct ls_cmd_spec spec = {
	    /* lives while the agent runs (reread) */
	    .name = "run",
	    .synopsis = "--iface IF [options]",
	    .about = "Attach the lockstep data plane to IF and print its events as JSON lines\n"
		     "on stdout (status on stderr). If the pin directory already holds a data\n"
		     "plane attached to IF, it is adopted: nothing is detached or re-attached.\n",
	    .lists = {LS_OPT_LIST(rows), LS_OPT_LIST(clock_head), ls_clock_opt_rows,
		      ls_hold_opt_rows, LS_OPT_LIST(obs_rows)},
	    .max_operands = 0,
	};
	struct agent_opts a;
	int first;

	agent_opts_init(&a);
	struct first_pass fp = {0};
	run_spec = &spec;
	run_argc = argc;
	run_argv = argv;
	int rc = ls_opts_parse(&spec, argc, argv, on_opt_first, &fp, &first);
	if (rc >= 0) /* --help, or a command line that does not parse */
		return rc;
	if ((fp.config &&
	     (rc = ls_config_file_apply(&spec, fp.config, on_opt_rec, &a, not_in_file))) ||
	    (rc = ls_opts_parse(&spec, argc, argv, on_opt_rec, &a, &first)) >= 0) {
		ls_config_file_release();
		return rc;
	}
	rc = run_validate(&a);
	if (!rc && fp.check)
		rc = run_check(&a, fp.config);
	else if (!rc && !(rc = run_preflight(&a, true))) {
		a.config_path = fp.config;
		a.reread = fp.config ? reread : NULL;
		a.reread_ctx = (void *)fp.config;
		a.applied = &rec_start;
		rc = agent_run(&a);
	}
	ls_config_file_release();
	return rc;
}
