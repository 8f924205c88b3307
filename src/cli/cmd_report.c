/* cmd_report.c - `lockstep report TRACE.json -o report.html`: the trace of
 * `lockstep run --trace` as one self-contained HTML page (obs/report.h). */
#include "cli/cli.h"
#include "base/file.h"
#include "obs/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: lockstep report TRACE.json [-o report.html]\n"
		   "\n"
		   "Turn a trace written by `lockstep run --trace` (or `lockstep trace dump`)\n"
		   "into one self-contained HTML page: offset and round trip over time, events\n"
		   "and verdicts over time, latency histograms, fail-safe periods and alarms.\n"
		   "It needs no network access to view.\n"
		   "\n"
		   "  -o, --output FILE   where to write the page (default: stdout)\n"
		   "  -h, --help          this text\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *out = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "lockstep report: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "lockstep report: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	char err[512], *text;
	const char *in = argv[optind];
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
	int rc = ls_report_html(text, f, in, &s, err, sizeof(err));
	free(text);
	if (out && fclose(f) && !rc) {
		snprintf(err, sizeof(err), "writing %s: %s", out, strerror(errno));
		rc = -1;
	}
	if (rc) {
		fprintf(stderr, "lockstep report: %s: %s\n", in, err);
		if (out)
			remove(out);
		return 1;
	}
	fprintf(stderr, "lockstep report: %s: %.3f s, %zu events, %zu verdicts, %zu beats, %zu alarms, "
		"%zu fail-safe periods%s%s\n",
		in, s.span_s, s.events, s.verdicts, s.beats, s.alarms, s.failsafe_periods,
		out ? " -> " : "", out ? out : "");
	return 0;
}
