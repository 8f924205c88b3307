/* cmd_report.c - `lockstep report TRACE.json -o report.html`: the trace of
 * `lockstep run --trace` as one self-contained HTML page (obs/report.h). */
#include "cli/cli.h"
#include "cli/opts.h"
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

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 20, n = 0, r;
	char *buf = malloc(cap);
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			if (cap >= (1ul << 31)) {
				snprintf(err, errlen, "%s: larger than 2 GiB", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	buf[n] = 0;
	return buf;
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
	char err[512];
	const char *in = argv[first];
	char *text = slurp(in, err, sizeof(err));
	if (!text) {
		fprintf(stderr, "lockstep report: %s\n", err);
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
	fprintf(stderr,
		"lockstep report: %s: %.3f s, %zu events, %zu verdicts, %zu beats, %zu alarms, "
		"%zu fail-safe periods%s%s\n",
		in, s.span_s, s.events, s.verdicts, s.beats, s.alarms, s.failsafe_periods,
		out ? " -> " : "", out ? out : "");
	return 0;
}
