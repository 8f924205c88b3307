/* cmd_inspect.c - `lockstep inspect --pcap FILE`: runs every frame of a
 * capture through the real data plane program in the kernel
 * (BPF_PROG_TEST_RUN) and prints one JSON line per event (docs/events.md). */
#include "cli/cli.h"
#include "cli/opts.h"
#include "base/args.h"
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
	O_EVENTS,
	O_GUEST_MEMORY,
	O_GUEST_DEADLINE,
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
    LS_OPT("events", 0, NULL, O_EVENTS, "with --policy, print the events too"),
};

static const struct ls_cmd_spec spec = {
    .name = "inspect",
    .synopsis = "--pcap FILE [options]",
    .about = "Runs every frame of FILE (pcap or pcapng, Ethernet) through the lockstep\n"
	     "data plane program in the kernel without attaching it, and prints one JSON\n"
	     "line per event on stdout (schema: docs/events.md).\n",
    .after = "Needs root (it loads a BPF program). Exit status: 0 ok, 1 the capture or\n"
	     "the kernel failed, 2 bad arguments.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 28,
};

struct args {
	const char *path;
	int use_tc, stats;
	struct inspect_policy_opts po;
	struct ls_config cfg;
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
	case O_EVENTS:
		a->po.print_events = 1;
		break;
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

static void print_event(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	ls_event_json_print(stdout, ev);
}

int cmd_inspect(int argc, char **argv)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	struct inspect_policy *ip = NULL;
	int first, rc0 = ls_opts_parse(&spec, argc, argv, on_opt, &a, &first);
	if (rc0 >= 0)
		return rc0;
	const char *path = a.path;
	int use_tc = a.use_tc, stats = a.stats;
	struct inspect_policy_opts po = a.po;
	struct ls_config cfg = a.cfg;
	if (!path) {
		fprintf(stderr, "lockstep inspect: --pcap FILE is required\n");
		ls_opts_usage(&spec, stderr);
		return 2;
	}

	if (!po.policy && (po.config || po.fuel || po.max_memory_pages || po.memory_budget ||
			   po.deadline_ns || po.print_events)) {
		fprintf(stderr, "lockstep inspect: policy options need --policy FILE.wasm\n");
		return 2;
	}
	if (po.policy && inspect_policy_open(&ip, &po))
		return 1;

	char err[512];
	struct ls_pcap *pc = ls_pcap_open(path, err, sizeof(err));
	if (!pc) {
		fprintf(stderr, "lockstep inspect: %s\n", err);
		inspect_policy_close(ip);
		return 1;
	}
	struct ls_testrun *t =
	    ip ? ls_testrun_open(&cfg, inspect_policy_event, ip, err, sizeof(err))
	       : ls_testrun_open(&cfg, print_event, NULL, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "lockstep inspect: %s\n", err);
		ls_pcap_close(pc);
		inspect_policy_close(ip);
		return 1;
	}
	if (ip)
		inspect_policy_set_testrun(ip, t);
	const uint8_t *data;
	uint32_t caplen, wirelen, action;
	int rc, status = 0;
	uint64_t skipped = 0;
	while ((rc = ls_pcap_next(pc, &data, &caplen, &wirelen, err, sizeof(err))) == 1) {
		if (ls_testrun_packet(t, use_tc ? LS_TR_TC : LS_TR_XDP, data, caplen, &action))
			skipped++; /* shorter than an Ethernet header: the kernel refuses it */
	}
	if (rc < 0) {
		fprintf(stderr, "lockstep inspect: %s\n", err);
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
