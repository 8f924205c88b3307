/* metric_table.h - the one table of every metric family lockstep exports
 * (metric_table.c): what registers a family, what writes its HELP and
 * TYPE lines, and what writes docs/metrics.md's tables all read it, so the
 * three cannot drift apart.
 *
 *   struct ls_metric *m = ls_metric_std(reg, "lockstep_events_total", NULL, 0);
 *   ls_metric_head(f, "lockstep_policy_flows");  // # HELP ...\n# TYPE ...\n
 */
#ifndef LS_OBS_METRIC_TABLE_H
#define LS_OBS_METRIC_TABLE_H

#include <stdio.h>

#include "lockstep/wire.h"
#include "obs/metrics.h"

struct ls_metric_def {
	const char *section; /* docs/metrics.md's table it is in (metrics_doc) */
	const char *name;
	enum ls_metric_type type; /* LS_METRIC_ANY: a guest's (a doc row only) */
	/* the labels as the doc's column says them: "`kind`: a, b" -- label
	 * names in backquotes, then the values of the last one after ": " */
	const char *labels;
	const char *help; /* the exposition's HELP line */
	const char *doc;  /* the doc's meaning column */
};

extern const struct ls_metric_def ls_metric_table[];
extern const int ls_metric_table_n;

/* The kernel's counters (include/lockstep/wire.h, enum ls_counter), one
 * family per meaning: counter i is exported as family{label="lv"} (label
 * and lv NULL: an unlabelled family); family NULL: not exported on its own
 * (pkts is the sum of lockstep_packets_total; ringbuf_full is
 * lockstep_ringbuf_lost_total). */
struct ls_dp_counter_metric {
	const char *family, *label, *lv;
};
extern const struct ls_dp_counter_metric ls_dp_counter_metrics[LS_CNT__MAX];

/* The row of name, NULL when it has none. */
const struct ls_metric_def *ls_metric_def(const char *name);

/* Register name's family in reg from its row: type, HELP, its one label
 * (registry families have at most one), histogram bounds (NULL: the
 * latency buckets). NULL when the table has no such row or the registry
 * refuses it (ls_metrics_error says why). */
struct ls_metric *ls_metric_std(struct ls_metrics *reg, const char *name, const double *bounds,
				int nbounds);

/* "# HELP name ...\n# TYPE name ...\n" from name's row, for the families
 * written by hand (the policy's, the workers', process_*). */
void ls_metric_head(FILE *f, const char *name);

/* The label names of a row ("kind" / "worker,direction"), into buf. */
const char *ls_metric_def_label_names(const struct ls_metric_def *d, char *buf, size_t len);

#endif
