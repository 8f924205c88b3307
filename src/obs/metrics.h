/* metrics.h - a small metrics registry and its Prometheus text exposition
 * (format 0.0.4). Families are counters, gauges or histograms, each with at
 * most one label (e.g. kind="flow_new") and a bounded number of series.
 * Names follow Prometheus conventions and are checked at registration:
 * counters end in _total, durations are _seconds. Single-threaded: the agent
 * updates and scrapes from its one event loop.
 *
 *   struct ls_metrics *reg = ls_metrics_new();
 *   struct ls_metric *ev = ls_metric_counter(reg, "lockstep_events_total",
 *                                            "kernel events by kind", "kind");
 *   ls_metric_add(ev, "flow_new", 1);
 *   ls_metrics_write(reg, stdout);
 */
#ifndef LS_OBS_METRICS_H
#define LS_OBS_METRICS_H

#include <stdbool.h>
#include <stdio.h>

/* LS_METRIC_ANY is the metric table's row for what guests define
 * (obs/metric_table.h); the registry refuses it. */
enum ls_metric_type { LS_METRIC_COUNTER, LS_METRIC_GAUGE, LS_METRIC_HISTOGRAM, LS_METRIC_ANY };

#define LS_METRIC_MAX_SERIES 48   /* label values per family */
#define LS_METRIC_MAX_BUCKETS 32  /* histogram bounds, excluding +Inf */
#define LS_METRIC_LABEL_MAX 48    /* bytes of a label value, incl. NUL */

struct ls_metrics;
struct ls_metric;

/* Extra text appended to the exposition (e.g. the policy's own metrics). */
typedef void (*ls_metrics_writer)(void *ctx, FILE *f);

struct ls_metrics *ls_metrics_new(void);
void ls_metrics_free(struct ls_metrics *reg);

/* Register a family. label is the label name or NULL for an unlabelled
 * family. NULL on a bad name (invalid characters, a counter not ending in
 * _total, a duplicate) or out of memory; the reason is in
 * ls_metrics_error(reg). Histogram bounds must be strictly increasing. */
struct ls_metric *ls_metric_counter(struct ls_metrics *reg, const char *name,
				    const char *help, const char *label);
struct ls_metric *ls_metric_gauge(struct ls_metrics *reg, const char *name,
				  const char *help, const char *label);
struct ls_metric *ls_metric_histogram(struct ls_metrics *reg, const char *name,
				      const char *help, const char *label,
				      const double *bounds, int nbounds);
const char *ls_metrics_error(const struct ls_metrics *reg);

/* Update the series of label value lv (NULL or "" for an unlabelled family).
 * A counter only goes up (negative v is ignored). Returns 0, or -1 when the
 * family is full (the update is counted in lockstep_metrics_dropped_total
 * instead) or the call does not fit the family's type. */
int ls_metric_add(struct ls_metric *m, const char *lv, double v);
int ls_metric_set(struct ls_metric *m, const char *lv, double v);
int ls_metric_observe(struct ls_metric *m, const char *lv, double v);
/* A counter mirrored from a cumulative source (kernel counters, the policy's
 * stats): takes v when it is not below the current value (a counter never
 * goes down; a source that restarted from 0 is ignored until it passes). */
int ls_metric_set_total(struct ls_metric *m, const char *lv, double v);

/* Value of a counter or gauge series (a histogram's count); 0 if absent. */
double ls_metric_value(const struct ls_metric *m, const char *lv);
/* A histogram series' sum. */
double ls_metric_sum(const struct ls_metric *m, const char *lv);
/* Estimated quantile q (0..1) of a histogram series from its buckets
 * (linear within a bucket, as Prometheus' histogram_quantile); NaN if
 * empty. */
double ls_metric_quantile(const struct ls_metric *m, const char *lv, double q);

void ls_metrics_add_writer(struct ls_metrics *reg, ls_metrics_writer fn, void *ctx);

/* The whole registry in the text exposition format. 0 or -1 (write error). */
int ls_metrics_write(const struct ls_metrics *reg, FILE *f);

/* Default latency buckets in seconds: 1 us .. 10 s, 1-2.5-5 steps. */
extern const double ls_metric_latency_buckets[];
extern const int ls_metric_latency_nbuckets;

/* Prometheus sample value text: integers exactly, +Inf/-Inf/NaN spelt as
 * the format wants, otherwise %.17g. buf must hold 32 bytes. */
const char *ls_metric_fmt_value(char *buf, double v);

#endif
