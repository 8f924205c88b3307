/* cmd_inspect.c - `lockstep inspect --pcap FILE`: runs every frame of a
 * capture through the real data plane program in the kernel
 * (BPF_PROG_TEST_RUN) and prints one JSON line per event (docs/events.md);
 * with --policy, the policy's verdicts; with --default-verdict hold, what
 * the hold did to each packet (inspect_hold.h). */
#include "cli/cli.h"
#include "cli/opts.h"
#include "base/args.h"
#include "base/names.h"
#include "cli/inspect_hold.h"
#include "cli/inspect_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "dataplane/event_json.h"
#include "dataplane/pcap_read.h"
#include "dataplane/testrun.h"

#define STR_(x) #x
#define STR(x) STR_(x)

enum {
	O_PCAP = 1,
	O_DPI_PACKETS,
	O_TC,
	O_STATS,
	O_POLICY,
	O_POLICY_CONFIG,
	O_FUEL,
	O_MAX_MEMORY_PAGES,
	O_PRINT,
	O_DEFAULT_VERDICT,
	O_GUEST_MEMORY,
	O_GUEST_DEADLINE,
	O_LOG_LEVEL,
};

static const struct ls_opt rows[] = {
    LS_OPT("pcap", 0, "FILE", O_PCAP, "the capture to inspect (required)"),
    LS_OPT("dpi-packets", 0, "N", O_DPI_PACKETS,
	   "payload packets inspected per flow (1-255, default " STR(LS_DPI_MAX_PKTS_DEFAULT) ")"),
    LS_OPT_ALIAS("dpi-pkts", "N", O_DPI_PACKETS, "dpi-packets"),
    LS_OPT("tc", 0, NULL, O_TC, "use the TC program instead of XDP (same logic)"),
    LS_OPT("stats", 0, NULL, O_STATS, "print the data plane counters on stderr at the end"),
    LS_OPT("policy", 0, "FILE.wasm", O_POLICY,
	   "run every event through this policy (docs/abi.md) and\n"
	   "print its verdicts as JSON lines instead of the events"),
    LS_OPT("policy-config", 0, "STR|@FILE", O_POLICY_CONFIG,
	   "configuration string for the policy's init"),
    LS_OPT("fuel", 0, "N", O_FUEL, "instruction budget per policy callback"),
    LS_OPT("max-memory-pages", 0, "N", O_MAX_MEMORY_PAGES, "policy memory cap (64 KiB pages)"),
    LS_OPT("guest-memory", 0, "BYTES", O_GUEST_MEMORY,
	   "memory budget of the policy instance (default 64M)"),
    LS_OPT("guest-deadline", 0, "DUR", O_GUEST_DEADLINE,
	   "wall-clock limit per policy callback (default 20ms)"),
    LS_OPT("print", 0, "KINDS", O_PRINT,
	   "what stdout carries: a comma list of event kinds and\n"
	   "verdict, hold, rule; -KIND leaves one out; all, none\n"
	   "(default: the events, or with --policy its verdicts\n"
	   "and rules and the hold's lines)"),
    LS_OPT_ALIAS_VALUE("events", O_PRINT, "print", "all"),
    LS_OPT("log-level", 0, "L", O_LOG_LEVEL,
	   "the policy's log lines on stderr from this level on:\n"
	   "debug|info|warn|error (default info)"),
    LS_OPT("default-verdict", 0, "V", O_DEFAULT_VERDICT,
	   "pass|drop|hold|reject|reject-nxdomain for flows with no\n"
	   "verdict (default pass); hold also prints what the hold\n"
	   "did to each packet, in capture time (docs/dataplane.md)"),
};

static const struct ls_cmd_spec spec = {
    .name = "inspect",
    .synopsis = "--pcap FILE [options]",
    .about = "Runs every frame of FILE (pcap or pcapng, Ethernet) through the lockstep\n"
	     "data plane program in the kernel without attaching it, and prints one JSON\n"
	     "line per event on stdout (schema: docs/events.md).\n",
    .after = "Needs root (it loads a BPF program). Exit status: 0 ok, 1 the capture or\n"
	     "the kernel failed, 2 bad arguments.\n",
    .lists = {LS_OPT_LIST(rows)}, /* and the hold rows (cmd_inspect) */
    .col = 28,
};

struct args {
	const char *path;
	int use_tc, stats;
	struct inspect_policy_opts po;
	struct ls_config cfg;
	struct agent_hold_opts hold;
};

/* The test run's events go to the hold model, then to the policy or
 * stdout. */
struct sinks {
	struct inspect_hold *hold;
	struct inspect_policy *ip;
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	struct args *a = ctx;
	uint64_t num;
	switch (o->id) {
	case O_PCAP:
		a->path = arg;
		break;
	case O_DPI_PACKETS:
		if (ls_parse_uint(arg, 1, 255, &num)) {
			fprintf(stderr, "lockstep inspect: --%s wants 1..255, not '%s'\n", o->name,
				arg);
			return 2;
		}
		a->cfg.dpi_max_pkts = (__u32)num;
		break;
	case O_TC:
		a->use_tc = 1;
		break;
	case O_STATS:
		a->stats = 1;
		break;
	case O_POLICY:
		a->po.policy = arg;
		break;
	case O_POLICY_CONFIG:
		a->po.config = arg;
		break;
	case O_PRINT: {
		uint32_t m;
		char bad[80];
		if (ls_print_kinds_parse(arg, &m, bad, sizeof(bad))) {
			fprintf(stderr, "lockstep inspect: --print: unknown kind '%s' (one of %s)\n",
				bad, ls_print_kinds_names());
			return 2;
		}
		ls_print_filter(m);
		a->po.print_events = 1; /* with --policy: the filter says which */
		break;
	}
	case O_LOG_LEVEL:
		if (ls_log_level_parse(arg, &a->po.log_level)) {
			fprintf(stderr, "lockstep inspect: --log-level must be debug, info, warn or "
					"error, not '%s'\n", arg);
			return 2;
		}
		break;
	case O_DEFAULT_VERDICT: {
		uint32_t v;
		if (ls_verdict_parse(arg, &v)) {
			fprintf(
			    stderr,
			    "lockstep inspect: --default-verdict must be pass, drop, hold, reject "
			    "or reject-nxdomain, not '%s'\n",
			    arg);
			return 2;
		}
		a->cfg.default_verdict = v;
		break;
	}
	case AGENT_HOLD_OPT_MAX_PACKETS:
	case AGENT_HOLD_OPT_MAX_BYTES:
	case AGENT_HOLD_OPT_TIMEOUT:
	case AGENT_HOLD_OPT_FALLBACK:
		return agent_hold_parse(&a->hold, o->id, arg);
	case O_FUEL:
		if (ls_parse_uint(arg, 1000, UINT64_MAX / 2, &a->po.fuel)) {
			fprintf(stderr,
				"lockstep inspect: --fuel must be a number >= 1000, not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_MAX_MEMORY_PAGES:
		if (ls_parse_uint(arg, 1, 65536, &num)) {
			fprintf(stderr,
				"lockstep inspect: --max-memory-pages must be 1-65536, not '%s'\n",
				arg);
			return 2;
		}
		a->po.max_memory_pages = (uint32_t)num;
		break;
	case O_GUEST_MEMORY:
		if (ls_parse_bytes(arg, &a->po.memory_budget) || a->po.memory_budget < (1u << 20)) {
			fprintf(stderr,
				"lockstep inspect: --guest-memory must be a number of bytes >= 1M "
				"(e.g. 64M), not '%s'\n",
				arg);
			return 2;
		}
		break;
	case O_GUEST_DEADLINE:
		if (ls_parse_duration_ns(arg, &a->po.deadline_ns) || a->po.deadline_ns < 100000 ||
		    a->po.deadline_ns > 60000000000ull) {
			fprintf(stderr,
				"lockstep inspect: --guest-deadline must be a duration from 100us "
				"to 60s, not '%s'\n",
				arg);
			return 2;
		}
		break;
	}
	return 0;
}

static void on_event(void *ctx, const struct ls_event *ev)
{
	struct sinks *s = ctx;
	if (s->hold)
		inspect_hold_event(s->hold, ev);
	if (s->ip)
		inspect_policy_event(s->ip, ev);
	else
		ls_event_json_print(stdout, ev);
}

int cmd_inspect(int argc, char **argv)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	a.po.log_level = 1; /* info: the guest's info lines show by default */
	struct inspect_policy *ip = NULL;
	struct ls_cmd_spec sp = spec;
	sp.lists[1] = ls_hold_opt_rows;
	int first, rc0 = ls_opts_parse(&sp, argc, argv, on_opt, &a, &first);
	if (rc0 >= 0)
		return rc0;
	const char *path = a.path;
	int use_tc = a.use_tc, stats = a.stats;
	struct inspect_policy_opts po = a.po;
	struct ls_config cfg = a.cfg;
	if (!path) {
		fprintf(stderr, "lockstep inspect: --pcap FILE is required\n");
		ls_opts_usage(&sp, stderr);
		return 2;
	}

	if (!po.policy && (po.config || po.fuel || po.max_memory_pages || po.memory_budget ||
			   po.deadline_ns)) { /* --print filters the events alone too */
		fprintf(stderr, "lockstep inspect: policy options need --policy FILE.wasm\n");
		return 2;
	}
	int holding = cfg.default_verdict == LS_VERDICT_HOLD;
	if (a.hold.given && !holding) {
		fprintf(stderr, "lockstep inspect: --hold-* options need --default-verdict hold\n");
		return 2;
	}
	if (holding) {
		agent_hold_config(&a.hold, &cfg);
		/* capture time is not the kernel's: the model times holds out,
		 * the kernel must never find one abandoned however slowly the
		 * capture runs */
		cfg.hold_stale_ns = UINT64_MAX / 2;
	}
	if (po.policy && inspect_policy_open(&ip, &po))
		return 1;
	struct sinks sinks = {.ip = ip};

	struct ls_err err;
	struct ls_pcap *pc;
	if (ls_pcap_open(&pc, path, &err)) {
		fprintf(stderr, "lockstep inspect: %s\n", err.msg);
		inspect_policy_close(ip);
		return 1;
	}
	struct ls_testrun *t;
	if (ls_testrun_open(&t, &cfg, on_event, &sinks, &err)) {
		fprintf(stderr, "lockstep inspect: %s\n", err.msg);
		ls_pcap_close(pc);
		inspect_policy_close(ip);
		return 1;
	}
	if (holding && inspect_hold_open(&sinks.hold, t, &a.hold)) {
		ls_testrun_close(t);
		ls_pcap_close(pc);
		inspect_policy_close(ip);
		return 1;
	}
	if (ip)
		inspect_policy_set_testrun(ip, t);
	if (ip && sinks.hold)
		inspect_policy_on_verdict(ip, inspect_hold_verdict, sinks.hold);
	const uint8_t *data;
	uint32_t caplen, wirelen, action;
	int rc, status = 0;
	uint64_t skipped = 0;
	while ((rc = ls_pcap_next(pc, &data, &caplen, &wirelen, &err)) == 1) {
		if (sinks.hold)
			inspect_hold_frame_begin(sinks.hold, ls_pcap_frame(pc), ls_pcap_ts_ns(pc));
		if (ls_testrun_packet(t, use_tc ? LS_TR_TC : LS_TR_XDP, data, caplen, &action))
			skipped++; /* shorter than an Ethernet header: the kernel refuses it */
		else if (sinks.hold)
			inspect_hold_frame_end(sinks.hold, caplen);
	}
	inspect_hold_close(sinks.hold); /* what is still held times out */
	if (rc < 0) {
		fprintf(stderr, "lockstep inspect: %s\n", err.msg);
		status = 1;
	}
	fflush(stdout);
	if (stats) {
		fprintf(stderr, "{\"frames\":%llu,\"skipped\":%llu",
			(unsigned long long)ls_pcap_frame(pc), (unsigned long long)skipped);
		for (unsigned i = 0; i < LS_CNT__MAX; i++)
			if (ls_counter_name(i))
				fprintf(stderr, ",\"%s\":%llu", ls_counter_name(i),
					(unsigned long long)ls_testrun_counter(t, i));
		fprintf(stderr, "}\n");
	}
	inspect_policy_close(ip);
	ls_testrun_close(t);
	ls_pcap_close(pc);
	return status;
}
