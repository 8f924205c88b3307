/* process.h - the metrics every Prometheus exporter is expected to carry
 * about itself: lockstep_build_info (what is running) and the standard
 * process_* family (CPU, memory, file descriptors, start time), named as
 * the Prometheus client libraries' process collector names them so that
 * existing dashboards and alerts work unchanged. */
#ifndef LS_OBS_PROCESS_H
#define LS_OBS_PROCESS_H

#include <stdio.h>

/* An ls_metrics_writer (metrics.h): appends both to an exposition. Reads
 * /proc/self at each scrape; a value it cannot read is left out, never
 * written as 0. */
void ls_process_metrics_write(void *ctx, FILE *f);

#endif
