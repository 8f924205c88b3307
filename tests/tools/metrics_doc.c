/* metrics_doc.c - writes docs/metrics.md's tables from the code's metric
 * table (src/obs/metric_table.c), so the doc cannot disagree with what is
 * registered and exported:
 *   metrics_doc DOC        prints DOC with every generated block replaced:
 *                          the lines between "<!-- metric-table SECTION -->"
 *                          and "<!-- /metric-table -->" become SECTION's
 *                          table; "<!-- metric-renames -->" ... the table of
 *                          the old lockstep_dataplane_total{counter} series
 *                          and the families that replaced them
 *   metrics_doc --write DOC   the same, in place (scripts/metrics_doc.sh)
 * tests/obs/metrics_doc.sh fails when `metrics_doc DOC` differs from DOC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "obs/metric_table.h"

static const char *const types[] = {"counter", "gauge", "histogram", "any"};

static void table(FILE *out, const char *section)
{
	fprintf(out, "| metric | type | labels | meaning |\n|---|---|---|---|\n");
	for (int i = 0; i < ls_metric_table_n; i++) {
		const struct ls_metric_def *d = &ls_metric_table[i];
		if (!strcmp(d->section, section))
			fprintf(out, "| `%s` | %s | %s | %s |\n", d->name, types[d->type],
				d->labels, d->doc);
	}
}

static void renames(FILE *out)
{
	fprintf(out, "| before (`lockstep_dataplane_total{counter=…}`) | now |\n|---|---|\n");
	fprintf(out, "| `counter=\"pkts\"` | `sum(lockstep_packets_total)` |\n");
	fprintf(out, "| `counter=\"ringbuf_full\"` | `lockstep_ringbuf_lost_total` |\n");
	for (int i = 0; i < LS_CNT__MAX; i++) {
		const struct ls_dp_counter_metric *m = &ls_dp_counter_metrics[i];
		if (!ls_counter_name(i) || !m->family)
			continue;
		if (m->lv)
			fprintf(out, "| `counter=\"%s\"` | `%s{%s=\"%s\"}` |\n", ls_counter_name(i),
				m->family, m->label, m->lv);
		else
			fprintf(out, "| `counter=\"%s\"` | `%s` |\n", ls_counter_name(i),
				m->family);
	}
	fprintf(out, "| `lockstep_heartbeat_interval_seconds{source=\"configured\"}` | "
		     "`lockstep_heartbeat_interval_seconds` |\n"
		     "| `lockstep_heartbeat_interval_seconds{source=\"observed\"}` | "
		     "`lockstep_heartbeat_observed_interval_seconds` |\n"
		     "| `lockstep_trace_level{side=\"kernel\"}` | `lockstep_trace_kernel_level` |\n"
		     "| `lockstep_trace_level{side=\"guest\"}` | `lockstep_trace_guest_level` |\n");
}

int main(int argc, char **argv)
{
	int write = argc == 3 && !strcmp(argv[1], "--write");
	if (argc != 2 + write) {
		fprintf(stderr, "usage: metrics_doc [--write] docs/metrics.md\n");
		return 2;
	}
	const char *path = argv[1 + write];
	FILE *in = fopen(path, "r");
	if (!in) {
		perror(path);
		return 1;
	}
	char *buf = NULL;
	size_t cap = 0;
	FILE *out = open_memstream(&buf, &cap);
	char line[8192], section[64];
	int skipping = 0, blocks = 0;
	while (fgets(line, sizeof(line), in)) {
		if (skipping) {
			if (!strncmp(line, "<!-- /metric-table -->", 22)) {
				fputs(line, out);
				skipping = 0;
			}
			continue;
		}
		fputs(line, out);
		if (sscanf(line, "<!-- metric-table %63[a-z] -->", section) == 1) {
			table(out, section);
			skipping = 1;
			blocks++;
		} else if (!strncmp(line, "<!-- metric-renames -->", 23)) {
			renames(out);
			skipping = 1;
		}
	}
	fclose(in);
	fclose(out);
	if (skipping || !blocks) {
		fprintf(stderr, "metrics_doc: %s: %s\n", path,
			skipping ? "a generated block is not closed (<!-- /metric-table -->)"
				 : "no <!-- metric-table SECTION --> block");
		free(buf);
		return 1;
	}
	FILE *o = write ? fopen(path, "w") : stdout;
	if (!o || fwrite(buf, 1, cap, o) != cap) {
		perror(path);
		return 1;
	}
	if (write)
		fclose(o);
	free(buf);
	return 0;
}
