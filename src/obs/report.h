/* report.h - `lockstep report`: a trace file (trace.h, Chrome trace event
 * JSON) turned into one self-contained HTML page: inline SVG plots drawn
 * here, a few lines of inline JS for hover read-outs, no network access.
 * Plots: offset and round trip over time; events and verdicts over time;
 * kernel -> verdict latency and guest execution time histograms; fail-safe
 * periods shaded and alarms marked on every timeline. */
#ifndef LS_OBS_REPORT_H
#define LS_OBS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

struct ls_report_summary {
	size_t events, verdicts, guest_calls, beats, arrows, alarms, failsafe_periods;
	double span_s;
};

/* Reads the trace text (NUL-terminated), writes the page to out. 0, or
 * -EINVAL with err filled (not JSON, no traceEvents array). */
int ls_report_html(const char *trace_json, FILE *out, const char *title,
		   struct ls_report_summary *sum, struct ls_err *err);

#endif
