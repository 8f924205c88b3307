/* cmd_run.c - `lockstep run`: the command line of the running agent. It
 * parses the options into struct agent_opts and hands them to agent_run()
 * (agent/agent.h), which attaches the data plane (or adopts the one left
 * pinned by a previous agent) and prints its events live, one JSON line each
 * on stdout; status lines go to stderr. */
#include "cli/cli.h"
#include "agent/agent.h"
#include "base/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(
	    f,
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
	obs_link_usage(f);
	fprintf(f, "  -h, --help                  this text\n");
	clock_link_usage(f);
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
	    OBS_LINK_LONG_OPTIONS,
	    CLOCK_LINK_LONG_OPTIONS,
	    {0},
	};
	struct agent_opts a;
	struct ls_dp_opts *o = &a.dp;
	struct policy_link_opts *po = &a.policy;
	int c;
	uint64_t dpi = 0, num;

	agent_opts_init(&a);

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:d:p:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 't':
			o->tc_egress = true;
			break;
		case 'R': {
			struct ls_dp_err e;
			uint64_t bytes = 0;
			if (ls_cli_bytes(optarg, &bytes)) {
				fprintf(stderr,
					"lockstep run: --ringbuf-size wants a number of bytes "
					"(e.g. 65536, 64K, 4M), not '%s'\n",
					optarg);
				return 2;
			}
			if (ls_dp_ringbuf_size_check(bytes, &e)) {
				fprintf(stderr, "lockstep run: --ringbuf-size: %s\n", e.msg);
				return 2;
			}
			o->ringbuf_size = (uint32_t)bytes;
			break;
		}
		case 'D':
			a.detach_on_exit = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'W':
			po->policy = optarg;
			break;
		case 'C':
			po->config = optarg;
			break;
		case 'S':
			a.control_path = optarg;
			break;
		case 'F':
			if (ls_cli_uint(optarg, 1000, UINT64_MAX / 2, &po->fuel)) {
				fprintf(stderr,
					"lockstep run: --fuel must be a number >= 1000, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'M':
			if (ls_cli_uint(optarg, 1, 65536, &num)) {
				fprintf(
				    stderr,
				    "lockstep run: --max-memory-pages must be 1-65536, not '%s'\n",
				    optarg);
				return 2;
			}
			po->max_memory_pages = (uint32_t)num;
			break;
		case 'T':
			if (ls_cli_duration_ns(optarg, &po->tick_interval_ns) ||
			    po->tick_interval_ns < 1000000) {
				fprintf(stderr,
					"lockstep run: --tick-interval must be a duration >= 1ms, "
					"not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			if (!strcmp(optarg, "pass"))
				a.default_verdict = LS_VERDICT_PASS;
			else if (!strcmp(optarg, "drop"))
				a.default_verdict = LS_VERDICT_DROP;
			else {
				fprintf(stderr,
					"lockstep run: --default-verdict must be pass or drop, not "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'E':
			if (!strcmp(optarg, "sticky"))
				a.expiry = LS_EXPIRY_STICKY;
			else if (!strcmp(optarg, "strict"))
				a.expiry = LS_EXPIRY_STRICT;
			else {
				fprintf(
				    stderr,
				    "lockstep run: --expiry must be sticky or strict, not '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'P':
			if (ls_cli_uint(optarg, 1, 255, &dpi)) {
				fprintf(stderr,
					"lockstep run: --dpi-packets must be 1-255, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'm': {
			int m = ls_xdp_mode_parse(optarg);
			if (m < 0) {
				fprintf(stderr,
					"lockstep run: --xdp-mode must be auto, native or generic, "
					"not '%s'\n",
					optarg);
				return 2;
			}
			o->xdp_mode = (enum ls_xdp_mode)m;
			break;
		}
		case ':':
			fprintf(stderr, "lockstep run: option '%s' needs a value\n",
				argv[optind - 1]);
			return 2;
		case CLOCK_LINK_OPT_HEARTBEAT ... CLOCK_LINK_OPT_CHECK_INTERVAL:
			if (clock_link_parse(&a.clock, c, optarg))
				return 2;
			break;
		case OBS_LINK_OPT_METRICS ... OBS_LINK_OPT_ALARM:
			if (obs_link_parse(&a.obs, c, optarg))
				return 2;
			break;
		default:
			fprintf(stderr,
				"lockstep run: unknown option '%s' (see lockstep run --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"lockstep run: unexpected argument '%s' (see lockstep run --help)\n",
			argv[optind]);
		return 2;
	}
	if (!o->ifname) {
		fprintf(stderr, "lockstep run: --iface is required (see lockstep run --help)\n");
		return 2;
	}
	if (!po->policy &&
	    (po->config || po->fuel || po->max_memory_pages || po->tick_interval_ns)) {
		fprintf(stderr, "lockstep run: policy options need --policy FILE.wasm\n");
		return 2;
	}
	if (po->policy && access(po->policy, R_OK)) {
		fprintf(stderr, "lockstep run: --policy %s: %s\n", po->policy, strerror(errno));
		return 2;
	}

	a.dpi_pkts = (int)dpi;
	return agent_run(&a);
}
