/* cmd_report.c - `lockstep report TRACE.json -o report.html`: the trace of
 * `lockstep run --trace` as one self-contained HTML page (obs/report.h). */
#include "cli/cli.h"
#include "cli/opts.h"
#include "base/file.h"
#include "obs/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_OUTPUT = 1 };

static const struct ls_opt rows[] = {
    LS_OPT("output", 'o', "FILE", O_OUTPUT, "where to write the page (default: stdout)"),
};

static const struct ls_cmd_spec spec = {
    .name = "report",
    .synopsis = "[--output FILE] TRACE.json",
    .about = "Turn a trace written by `lockstep run --trace` (or `lockstep trace dump`)\n"
	     "into one self-contained HTML page: offset and round trip over time, events\n"
	     "and verdicts over time, latency histograms, fail-safe periods and alarms.\n"
	     "It needs no network access to view.\n",
    .lists = {LS_OPT_LIST(rows)},
    .col = 22,
    .max_operands = 1,
};

static int on_opt(void *ctx, const struct ls_opt *o, const char *arg)
{
	*(const char **)ctx = arg; /* O_OUTPUT, the only option */
	return 0;
}

int cmd_report(int argc, char **argv)
{
	const char *out = NULL;
	int first, rc0 = ls_opts_parse(&spec, argc, argv, on_opt, &out, &first);
	if (rc0 >= 0)
		return rc0;
	if (first != argc - 1) {
		ls_opts_usage(&spec, stderr);
		return 2;
	}
	char *text;
	const char *in = argv[first];
	size_t len;
	struct ls_err e;
	/* a trace of a long run is large, but not this large */
	if (ls_read_file(in, (size_t)2 << 30, &text, &len, &e)) {
		fprintf(stderr, "lockstep report: %s\n", e.msg);
		return 1;
	}
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "lockstep report: %s: %s\n", out, strerror(errno));
		free(text);
		return 1;
	}
	struct ls_report_summary s;
	int rc = ls_report_html(text, f, in, &s, &e);
	free(text);
	if (out && fclose(f) && !rc)
		rc = ls_errf(&e, -errno, "writing %s: %s", out, strerror(errno));
	if (rc) {
		fprintf(stderr, "lockstep report: %s: %s\n", in, e.msg);
		if (out)
			remove(out);
		return 1;
	}
	fprintf(stderr,
		"lockstep report: %s: %.3f s, %zu events, %zu verdicts, %zu beats, %zu alarms, "
		"%zu fail-safe periods%s%s\n",
		in, s.span_s, s.events, s.verdicts, s.beats, s.alarms, s.failsafe_periods,
		out ? " -> " : "", out ? out : "");
	return 0;
}
