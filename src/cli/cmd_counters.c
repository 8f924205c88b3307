/* cmd_counters.c - `lockstep counters`: the data plane's counters, summed
 * over CPUs, by their stable names. */
#include "cli/cli.h"
#include "dataplane/dataplane.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lockstep counters [--json] [--pin-dir DIR]\n"
		"\n"
		"Print the data plane's counters (packets, verdicts, unparsed packets by\n"
		"reason, DPI results, lost events ...) summed over all CPUs.\n"
		"\n"
		"options:\n"
		"  -j, --json          one JSON object\n"
		"  -p, --pin-dir DIR   bpffs pin directory (default: $LS_PIN_DIR or %s)\n"
		"  -h, --help          this text\n",
		LS_PIN_DIR);
}

int cmd_counters(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"pin-dir", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *dir = NULL;
	bool json = false;
	int o;

	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, ":jp:h", opts, NULL)) != -1) {
		switch (o) {
		case 'j': json = true; break;
		case 'p': dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "lockstep counters: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "lockstep counters: unknown option '%s' (see lockstep counters --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockstep counters: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	struct ls_dp *dp;
	struct ls_err err;
	uint64_t c[LS_CNT__MAX];
	if (ls_dp_open_pins(&dp, dir, &err) || ls_dp_counters_read(dp, c, &err)) {
		fprintf(stderr, "lockstep counters: %s\n", err.msg);
		ls_dp_close(dp);
		return 1;
	}
	ls_dp_close(dp);
	const char *sep = "{";
	for (unsigned i = 0; i < LS_CNT__MAX; i++) {
		if (!ls_counter_name(i))
			continue;
		if (json)
			printf("%s\"%s\":%llu", sep, ls_counter_name(i), (unsigned long long)c[i]);
		else
			printf("%-20s %llu\n", ls_counter_name(i), (unsigned long long)c[i]);
		sep = ",";
	}
	if (json)
		printf("}\n");
	return 0;
}
