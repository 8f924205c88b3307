/* cmd_inspect.c - `lockstep inspect --pcap FILE`: runs every frame of a
 * capture through the real data plane program in the kernel
 * (BPF_PROG_TEST_RUN) and prints one JSON line per event (docs/events.md). */
#include "cli/cli.h"
#include "base/args.h"
#include "cli/inspect_policy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "dataplane/event_json.h"
#include "dataplane/pcap_read.h"
#include "dataplane/testrun.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lockstep inspect --pcap FILE [options]\n"
		"\n"
		"Runs every frame of FILE (pcap or pcapng, Ethernet) through the lockstep\n"
		"data plane program in the kernel without attaching it, and prints one JSON\n"
		"line per event on stdout (schema: docs/events.md).\n"
		"\n"
		"options:\n"
		"  --pcap FILE        the capture to inspect (required)\n"
		"  --dpi-pkts N       payload packets inspected per flow (default %d)\n"
		"  --tc               use the TC program instead of XDP (same logic)\n"
		"  --stats            print the data plane counters on stderr at the end\n"
		"  --policy FILE.wasm run every event through this policy (docs/abi.md) and\n"
		"                     print its verdicts as JSON lines instead of the events\n"
		"  --policy-config STR|@FILE  configuration string for the policy's init\n"
		"  --fuel N           instruction budget per policy callback\n"
		"  --max-memory-pages N  policy memory cap (64 KiB pages)\n"
		"  --events           with --policy, print the events too\n"
		"  -h, --help         this text\n"
		"\n"
		"Needs root (it loads a BPF program). Exit status: 0 ok, 1 the capture or\n"
		"the kernel failed, 2 bad arguments.\n",
		LS_DPI_MAX_PKTS_DEFAULT);
}

static void print_event(void *ctx, const struct ls_event *ev)
{
	(void)ctx;
	ls_event_json_print(stdout, ev);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pcap", required_argument, 0, 'p'}, {"dpi-pkts", required_argument, 0, 'd'},
		{"tc", no_argument, 0, 't'},         {"stats", no_argument, 0, 's'},
		{"help", no_argument, 0, 'h'},       {"policy", required_argument, 0, 'W'},
		{"policy-config", required_argument, 0, 'C'}, {"fuel", required_argument, 0, 'F'},
		{"max-memory-pages", required_argument, 0, 'M'}, {"events", no_argument, 0, 'E'},
		{0, 0, 0, 0},
	};
	const char *path = NULL;
	int use_tc = 0, stats = 0, c;
	struct inspect_policy_opts po = {0};
	struct inspect_policy *ip = NULL;
	uint64_t num;
	struct ls_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			path = optarg;
			break;
		case 'd': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 255) {
				fprintf(stderr, "lockstep inspect: --dpi-pkts wants 1..255, not '%s'\n",
					optarg);
				return 2;
			}
			cfg.dpi_max_pkts = (__u32)n;
			break;
		}
		case 't':
			use_tc = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'W': po.policy = optarg; break;
		case 'C': po.config = optarg; break;
		case 'E': po.print_events = 1; break;
		case 'F':
			if (ls_parse_uint(optarg, 1000, UINT64_MAX / 2, &po.fuel)) {
				fprintf(stderr, "lockstep inspect: --fuel must be a number >= 1000, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'M':
			if (ls_parse_uint(optarg, 1, 65536, &num)) {
				fprintf(stderr, "lockstep inspect: --max-memory-pages must be 1-65536, not '%s'\n", optarg);
				return 2;
			}
			po.max_memory_pages = (uint32_t)num;
			break;
		case ':':
			fprintf(stderr, "lockstep inspect: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "lockstep inspect: unknown option '%s'\n", argv[optind - 1]);
			fprintf(stderr, "try 'lockstep inspect --help'\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstep inspect: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!path) {
		fprintf(stderr, "lockstep inspect: --pcap FILE is required\n");
		usage(stderr);
		return 2;
	}

	if (!po.policy && (po.config || po.fuel || po.max_memory_pages || po.print_events)) {
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
	struct ls_testrun *t = ip ? ls_testrun_open(&cfg, inspect_policy_event, ip, err, sizeof(err))
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
