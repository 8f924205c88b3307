/* cmd_counters.c - `lockstep counters`: the data plane's counters, summed
 * over CPUs, by their stable names. */
#include "cli/cli.h"
#include "cli/opts.h"
#include "dataplane/dataplane.h"

#include <stdio.h>

static const struct ls_opt rows[] = {
    LS_OPT("json", 'j', NULL, LS_OPT_JSON, "one JSON object"),
    LS_OPT_PIN_DIR(LS_OPT_DIR),
};

static const struct ls_cmd_spec spec = {
    .name = "counters",
    .synopsis = "[--json] [--pin-dir DIR]",
    .about = "Print the data plane's counters (packets, verdicts, unparsed packets by\n"
	     "reason, DPI results, lost events ...) summed over all CPUs.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 22,
};

int cmd_counters(int argc, char **argv)
{
	struct ls_json_dir_args a = {0};
	int first, rc = ls_opts_parse(&spec, argc, argv, ls_opt_json_dir, &a, &first);
	if (rc >= 0)
		return rc;
	const char *dir = a.dir;
	bool json = a.json;
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
