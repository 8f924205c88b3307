/* report.c - trace -> self-contained HTML report (report.h). */
#include "obs/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define W 1100.0 /* plot width and height, px */
#define H 220.0
#define ML 70.0  /* left margin for the y axis */
#define MB 28.0  /* bottom margin for the x axis */

struct pt {
	double t, v; /* seconds since the trace start, value */
};

struct series {
	struct pt *p;
	size_t n, cap;
};

static void push(struct series *s, double t, double v)
{
	if (!isfinite(t) || !isfinite(v))
		return; /* a record without its time or value is not drawn */
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct pt *np = realloc(s->p, cap * sizeof(*np));
		if (!np)
			return;
		s->p = np;
		s->cap = cap;
	}
	s->p[s->n++] = (struct pt){t, v};
}

static int by_time(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

/* A trace's records are in the order their sources flushed them, and the
 * event -> verdict pairs come out of a sort by flow id: a line drawn in that
 * order zigzags back in time. Every series is drawn in time order. */
static void time_order(struct series *s)
{
	if (s->n > 1)
		qsort(s->p, s->n, sizeof(*s->p), by_time);
}

/* The tick step a reader can add up: 1, 2 or 5 times a power of ten, the
 * smallest giving at most n intervals over range. */
static double nice_step(double range, int n)
{
	if (!(range > 0) || !isfinite(range))
		return 1;
	double raw = range / n, p = pow(10, floor(log10(raw)));
	double f = raw / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* decimals that show a multiple of step exactly (0.25 -> 2; 5 -> 0) */
static int step_decimals(double step)
{
	int d = 0;
	while (d < 9 && fabs(step * pow(10, d) - round(step * pow(10, d))) > 1e-6 * step * pow(10, d))
		d++;
	return d;
}

struct marks {
	struct series fs_enter, fs_leave, alarms;
	char (*alarm_names)[48];
	size_t nalarm_names;
	double t_end;
};

struct flowend {
	double s, f;
	long long id;
};

static int by_id(const void *a, const void *b)
{
	const struct flowend *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static double xpos(double t, double span)
{
	return ML + (span > 0 ? t / span : 0) * (W - ML - 10);
}

/* The y axis runs from ymin to ymax, widened to whole multiples of a
 * round step (nice_step) so that every tick is a round number; the bounds
 * used are handed back for the data to be placed against them. The x axis,
 * time from the trace's start, gets round ticks too. */
static void frame(FILE *o, const char *id, const char *title, const char *ylabel, double *ymin,
		  double *ymax, double span, bool log_x_hist)
{
	double ys = nice_step(*ymax - *ymin, 4);
	*ymin = floor(*ymin / ys + 1e-9) * ys;
	*ymax = ceil(*ymax / ys - 1e-9) * ys;
	if (*ymax <= *ymin)
		*ymax = *ymin + ys;
	fprintf(o, "<h2>%s</h2>\n<svg id=\"%s\" class=\"plot\" width=\"%.0f\" height=\"%.0f\" "
		   "viewBox=\"0 0 %.0f %.0f\" preserveAspectRatio=\"xMinYMin meet\" "
		   "xmlns=\"http://www.w3.org/2000/svg\" data-span=\"%g\" "
		   "data-ymin=\"%.9g\" data-ymax=\"%.9g\">\n",
		title, id, W, H, W, H, span, *ymin, *ymax);
	fprintf(o, "<rect x=\"%.0f\" y=\"5\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" "
		   "stroke=\"#ccc\"/>\n", ML, W - ML - 10, H - MB - 5);
	int yd = step_decimals(ys);
	int nyt = (int)llround((*ymax - *ymin) / ys);
	for (int i = 0; i <= nyt; i++) {
		double v = *ymin + ys * i;
		double y = 5 + (H - MB - 5) * (1 - (v - *ymin) / (*ymax - *ymin));
		if (fabs(v) < ys * 1e-9)
			v = 0; /* never "-0" */
		fprintf(o, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
			   "<text x=\"%.0f\" y=\"%.1f\" class=\"ax tick-y\" text-anchor=\"end\">%.*f</text>\n",
			ML, W - 10, y, y, ML - 4, y + 4, yd, v);
	}
	fprintf(o, "<text x=\"12\" y=\"%.0f\" class=\"ax\" transform=\"rotate(-90 12 %.0f)\" "
		   "text-anchor=\"middle\">%s</text>\n", (H - MB) / 2, (H - MB) / 2, ylabel);
	if (!log_x_hist && span > 0) {
		double xs = nice_step(span, 8);
		int xd = step_decimals(xs);
		for (int i = 0; xs * i <= span * (1 + 1e-9); i++)
			fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" class=\"ax tick-x\" "
				   "text-anchor=\"middle\">%.*f s</text>\n",
				xpos(xs * i, span), H - 10, xd, xs * i);
	}
}

static double yv(double v, double ymin, double ymax)
{
	if (ymax <= ymin)
		ymax = ymin + 1;
	double f = (v - ymin) / (ymax - ymin);
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return 5 + (H - MB - 5) * (1 - f);
}

static void marks_draw(FILE *o, const struct marks *m, double span)
{
	/* fail-safe periods: from each enter to the next leave (or the end) */
	for (size_t i = 0; i < m->fs_enter.n; i++) {
		double t0 = m->fs_enter.p[i].t, t1 = m->t_end;
		for (size_t j = 0; j < m->fs_leave.n; j++)
			if (m->fs_leave.p[j].t >= t0) {
				t1 = m->fs_leave.p[j].t;
				break;
			}
		double x0 = xpos(t0, span), x1 = xpos(t1, span);
		fprintf(o, "<rect class=\"failsafe\" x=\"%.1f\" y=\"5\" width=\"%.1f\" height=\"%.0f\" "
			   "fill=\"#f4a261\" fill-opacity=\"0.3\"><title>fail-safe %.3f s .. %.3f s</title></rect>\n",
			x0, x1 - x0 < 1 ? 1 : x1 - x0, H - MB - 5, t0, t1);
	}
	for (size_t i = 0; i < m->alarms.n; i++) {
		double x = xpos(m->alarms.p[i].t, span);
		fprintf(o, "<line class=\"alarm\" x1=\"%.1f\" x2=\"%.1f\" y1=\"5\" y2=\"%.0f\" "
			   "stroke=\"#d62828\" stroke-width=\"1.5\"><title>%s at %.3f s</title></line>\n",
			x, x, H - MB, m->alarm_names[i], m->alarms.p[i].t);
	}
}

static double smax(const struct series *s)
{
	double m = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->p[i].v > m)
			m = s->p[i].v;
	return m;
}

static void line(FILE *o, const struct series *s, double span, double ymin, double ymax,
		 const char *color, const char *name)
{
	if (!s->n)
		return;
	fprintf(o, "<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\" "
		   "stroke-width=\"1.5\" points=\"", name, color);
	for (size_t i = 0; i < s->n; i++)
		fprintf(o, "%.1f,%.1f ", xpos(s->p[i].t, span), yv(s->p[i].v, ymin, ymax));
	fprintf(o, "\"/>\n");
	for (size_t i = 0; i < s->n && s->n <= 400; i++)
		fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"><title>%s %.9g at %.3f s</title></circle>\n",
			xpos(s->p[i].t, span), yv(s->p[i].v, ymin, ymax), color, name, s->p[i].v, s->p[i].t);
}

static void legend(FILE *o, int i, const char *color, const char *text)
{
	fprintf(o, "<rect x=\"%.0f\" y=\"10\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		   "<text x=\"%.0f\" y=\"19\" class=\"lg\">%s</text>\n",
		ML + 10 + i * 220, color, ML + 24 + i * 220, text);
}

static void empty_note(FILE *o, const char *text)
{
	fprintf(o, "<text x=\"%.0f\" y=\"%.0f\" class=\"note\" text-anchor=\"middle\">%s</text>\n",
		W / 2, H / 2, text);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Histogram over log-spaced bins from 1 us to 10 s, 4 per decade. */
static void histogram(FILE *o, const char *id, const char *title, const struct series *s,
		      const char *color)
{
	enum { NB = 29 };
	double counts[NB] = {0};
	for (size_t i = 0; i < s->n; i++) {
		double v = s->p[i].v;
		int b = v <= 1e-6 ? 0 : (int)floor((log10(v) + 6) * 4);
		if (b < 0)
			b = 0;
		if (b >= NB)
			b = NB - 1;
		counts[b]++;
	}
	double ymax = 0;
	for (int b = 0; b < NB; b++)
		if (counts[b] > ymax)
			ymax = counts[b];
	double y0 = 0, y1 = ymax ? ymax : 1;
	frame(o, id, title, "count", &y0, &y1, 0, true);
	ymax = y1;
	double bw = (W - ML - 10) / NB;
	for (int b = 0; b < NB; b++) {
		double lo = pow(10, b / 4.0 - 6);
		if (b % 4 == 0)
			fprintf(o, "<text x=\"%.1f\" y=\"%.0f\" class=\"ax\">%s</text>\n", ML + b * bw,
				H - 10, b == 0 ? "1us" : b == 4 ? "10us" : b == 8 ? "100us" : b == 12 ? "1ms" : b == 16 ? "10ms" : b == 20 ? "100ms" : b == 24 ? "1s" : "10s");
		if (!counts[b])
			continue;
		double y = yv(counts[b], 0, ymax);
		fprintf(o, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			   "fill=\"%s\"><title>%.0f in [%.3g s, %.3g s)</title></rect>\n",
			ML + b * bw + 1, y, bw - 2, H - MB - y, color, counts[b], lo, lo * pow(10, 0.25));
	}
	if (!s->n)
		empty_note(o, "no samples in this trace");
	else {
		/* percentiles */
		double *v = malloc(s->n * sizeof(double));
		if (v) {
			for (size_t i = 0; i < s->n; i++)
				v[i] = s->p[i].v;
			qsort(v, s->n, sizeof(double), cmp_double);
			fprintf(o, "<text x=\"%.0f\" y=\"22\" class=\"lg\" text-anchor=\"end\">n=%zu  p50 %.3g s  "
				   "p99 %.3g s  max %.3g s</text>\n",
				W - 16, s->n, v[s->n / 2], v[(size_t)((double)(s->n - 1) * 0.99)], v[s->n - 1]);
			free(v);
		}
	}
	fprintf(o, "</svg>\n");
}

static void rate(struct series *out, const struct series *in, double span, int bins)
{
	if (!span)
		span = 1;
	double w = span / bins;
	double *c = calloc((size_t)bins, sizeof(double));
	if (!c)
		return;
	for (size_t i = 0; i < in->n; i++) {
		double q = in->p[i].t / w; /* compared as a double: no int overflow */
		c[q < 0 ? 0 : q >= bins ? bins - 1 : (int)q]++;
	}
	for (int b = 0; b < bins; b++)
		push(out, (b + 0.5) * w, c[b] / w);
	free(c);
}

/* Text for HTML: & < > " escaped; truncated to fit. */
static char *html_escape(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
				  : *s == '"' ? "&quot;" : NULL;
		size_t n = rep ? strlen(rep) : 1;
		if (o + n >= len)
			break;
		if (rep)
			memcpy(buf + o, rep, n);
		else
			buf[o] = *s;
		o += n;
	}
	buf[o] = 0;
	return buf;
}

static const char *sval(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* A number of a record, NAN when absent or out of range: the file may
 * hold anything (1e999 parses as infinity), and a time or value beyond
 * 1e18 (us: 30,000 years) is no trace of ours. Kept in range, the spans,
 * steps and casts below stay finite and defined. */
#define NUM_MAX 1e18
static double nval(cJSON *o, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(o, k);
	return cJSON_IsNumber(v) && fabs(v->valuedouble) <= NUM_MAX ? v->valuedouble : NAN;
}

int ls_report_html(const char *trace_json, FILE *o, const char *title,
		   struct ls_report_summary *sum, struct ls_err *err)
{
	cJSON *root = cJSON_Parse(trace_json);
	if (!root)
		return ls_errf(err, -EINVAL, "not JSON (near byte %ld)",
			       cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - trace_json) : 0L);
	cJSON *evs = cJSON_IsArray(root) ? root : cJSON_GetObjectItem(root, "traceEvents");
	if (!cJSON_IsArray(evs)) {
		cJSON_Delete(root);
		return ls_errf(err, -EINVAL, "no traceEvents array: not a Chrome trace file");
	}
	double t0 = INFINITY, t1 = -INFINITY;
	cJSON *e;
	cJSON_ArrayForEach(e, evs)
	{
		double ts = nval(e, "ts");
		if (!isnan(ts) && strcmp(sval(e, "ph"), "M")) {
			t0 = fmin(t0, ts);
			t1 = fmax(t1, ts);
		}
	}
	if (!isfinite(t0))
		t0 = t1 = 0;
	double span = (t1 - t0) / 1e6;
	struct series offset = {0}, rtt = {0}, eps = {0}, kev = {0}, verd = {0}, gexec = {0},
		      lat = {0}, ev_rate = {0}, v_rate = {0};
	struct marks m = {0};
	struct flowend *fl = NULL;
	size_t nfl = 0, capfl = 0, beats = 0;
	m.t_end = span;
	size_t nalarms = (size_t)cJSON_GetArraySize(evs);
	m.alarm_names = calloc(nalarms ? nalarms : 1, sizeof(*m.alarm_names));
	cJSON_ArrayForEach(e, evs)
	{
		const char *ph = sval(e, "ph"), *name = sval(e, "name");
		double t = (nval(e, "ts") - t0) / 1e6, pid = nval(e, "pid"), tid = nval(e, "tid");
		if (!strcmp(ph, "C")) {
			double v = nval(cJSON_GetObjectItem(e, "args"), "value");
			if (!strcmp(name, "offset_us"))
				push(&offset, t, v);
			else if (!strcmp(name, "round_trip_us"))
				push(&rtt, t, v);
			else if (!strcmp(name, "uncertainty_us"))
				push(&eps, t, v);
		} else if (!strcmp(ph, "X")) {
			if (pid == 1 && tid == 1)
				push(&kev, t, 1);
			else if (pid == 2 && tid == 2)
				push(&verd, t, 1);
			else if (pid == 2 && tid == 1)
				push(&gexec, t, nval(e, "dur") / 1e6);
		} else if (!strcmp(ph, "i")) {
			if (!strcmp(name, "failsafe enter"))
				push(&m.fs_enter, t, 1);
			else if (!strcmp(name, "failsafe leave"))
				push(&m.fs_leave, t, 1);
			else if (!strncmp(name, "alarm_", 6) && m.alarm_names) {
				html_escape(m.alarm_names[m.alarms.n], 48, name + 6);
				push(&m.alarms, t, 1);
			} else if (!strcmp(name, "beat"))
				beats++;
		} else if (!strcmp(ph, "s") || !strcmp(ph, "f")) {
			if (nfl == capfl) {
				capfl = capfl ? capfl * 2 : 256;
				struct flowend *n = realloc(fl, capfl * sizeof(*fl));
				if (!n)
					break;
				fl = n;
			}
			double id = nval(e, "id");
			if (isnan(id))
				continue; /* an arrow end without an id ties nothing */
			fl[nfl++] = (struct flowend){ph[0] == 's' ? t : NAN, ph[0] == 'f' ? t : NAN,
						     (long long)id};
		}
	}
	if (nfl)
		qsort(fl, nfl, sizeof(*fl), by_id);
	size_t arrows = 0;
	for (size_t i = 0; i + 1 < nfl; i++)
		if (fl[i].id == fl[i + 1].id) {
			double s = isnan(fl[i].s) ? fl[i + 1].s : fl[i].s;
			double f = isnan(fl[i].f) ? fl[i + 1].f : fl[i].f;
			if (!isnan(s) && !isnan(f)) {
				push(&lat, f, f - s);
				arrows++;
			}
			i++;
		}
	time_order(&offset), time_order(&rtt), time_order(&eps), time_order(&lat);
	time_order(&m.fs_enter), time_order(&m.fs_leave);
	rate(&ev_rate, &kev, span, 120);
	rate(&v_rate, &verd, span, 120);

	char esc[512];
	fprintf(o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>lockstep report: %s</title>\n"
		   "<style>body{font:14px sans-serif;margin:20px;color:#222}h1{font-size:20px}"
		   "h2{font-size:15px;margin:18px 0 4px}svg.plot{display:block;width:100%%;max-width:%.0fpx;height:auto}.ax{font-size:10px;fill:#555}.lg{font-size:11px}"
		   ".note{font-size:13px;fill:#888}table{border-collapse:collapse}"
		   "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}"
		   "#readout{position:fixed;right:10px;top:10px;background:#fff;border:1px solid #ccc;"
		   "padding:4px 8px;font-size:12px}</style></head><body>\n",
		html_escape(esc, sizeof(esc), title), W);
	fprintf(o, "<h1>lockstep report</h1><p>%s — %.3f s of trace, %zu kernel events, %zu verdicts "
		   "(%zu linked to their event), %zu guest calls, %zu beats, %zu fail-safe periods, "
		   "%zu alarms.</p>\n<div id=\"readout\">hover a plot</div>\n",
		esc, span, kev.n, verd.n, arrows, gexec.n, beats, m.fs_enter.n, m.alarms.n);

	/* 1. the offset on its own axis, in ms, around where it is: a guest
	 * clock seconds off still shows its steps and its jitter */
	double omin = INFINITY, omax = -INFINITY;
	for (size_t i = 0; i < offset.n; i++) {
		offset.p[i].v /= 1e3;
		omin = fmin(omin, offset.p[i].v);
		omax = fmax(omax, offset.p[i].v);
	}
	if (!offset.n)
		omin = 0, omax = 1;
	double pad = fmax((omax - omin) * 0.1, fmax(fabs(omax) * 1e-7, 1e-4));
	double y0 = omin - pad, y1 = omax + pad;
	frame(o, "offset", "Clock: offset G−K over time", "ms", &y0, &y1, span, false);
	marks_draw(o, &m, span);
	line(o, &offset, span, y0, y1, "#1d3557", "offset ms");
	legend(o, 0, "#1d3557", "offset G−K (ms)");
	if (!offset.n)
		empty_note(o, "no heartbeat samples in this trace (the heartbeat did not run)");
	fprintf(o, "</svg>\n");

	/* 2. round trip and uncertainty */
	double ymax = fmax(smax(&rtt), smax(&eps));
	y0 = 0, y1 = ymax ? ymax * 1.05 : 1;
	frame(o, "heartbeat", "Heartbeat: ping round trip and mapping uncertainty over time", "µs",
	      &y0, &y1, span, false);
	marks_draw(o, &m, span);
	line(o, &rtt, span, y0, y1, "#2a9d8f", "round trip us");
	line(o, &eps, span, y0, y1, "#e9c46a", "uncertainty us");
	legend(o, 0, "#2a9d8f", "round trip (µs)");
	legend(o, 1, "#e9c46a", "uncertainty (µs)");
	if (!rtt.n && !eps.n)
		empty_note(o, "no heartbeat samples in this trace (the heartbeat did not run)");
	fprintf(o, "</svg>\n");

	/* 3. events and verdicts per second */
	ymax = fmax(smax(&ev_rate), smax(&v_rate));
	y0 = 0, y1 = ymax ? ymax * 1.05 : 1;
	frame(o, "rates", "Kernel events and verdicts per second", "per s", &y0, &y1, span, false);
	marks_draw(o, &m, span);
	line(o, &ev_rate, span, y0, y1, "#457b9d", "events/s");
	line(o, &v_rate, span, y0, y1, "#e76f51", "verdicts/s");
	legend(o, 0, "#457b9d", "kernel events / s");
	legend(o, 1, "#e76f51", "verdicts / s");
	legend(o, 2, "#d62828", "alarm (red line), fail-safe (orange)");
	if (!kev.n && !verd.n)
		empty_note(o, "no events in this trace");
	fprintf(o, "</svg>\n");

	/* 4. latency over time */
	ymax = smax(&lat) * 1e3;
	struct series lat_ms = {0};
	for (size_t i = 0; i < lat.n; i++)
		push(&lat_ms, lat.p[i].t, lat.p[i].v * 1e3);
	y0 = 0, y1 = ymax ? ymax * 1.05 : 1;
	frame(o, "latency_t", "Kernel event → verdict written, over time", "ms", &y0, &y1, span,
	      false);
	marks_draw(o, &m, span);
	line(o, &lat_ms, span, y0, y1, "#6a4c93", "latency ms");
	if (!lat.n)
		empty_note(o, "no event→verdict arrows in this trace");
	fprintf(o, "</svg>\n");

	/* 5, 6. histograms */
	histogram(o, "latency_hist", "Histogram: kernel event → verdict written", &lat, "#6a4c93");
	histogram(o, "guest_hist", "Histogram: time in the guest per call", &gexec, "#2a9d8f");

	/* alarms table */
	fprintf(o, "<h2>Alarms</h2>\n");
	if (!m.alarms.n)
		fprintf(o, "<p>None.</p>\n");
	else {
		fprintf(o, "<table><tr><th>time (s)</th><th>alarm</th></tr>\n");
		for (size_t i = 0; i < m.alarms.n && i < 200; i++)
			fprintf(o, "<tr><td>%.3f</td><td>%s</td></tr>\n", m.alarms.p[i].t, m.alarm_names[i]);
		fprintf(o, "</table>\n");
	}
	fprintf(o, "<script>\n"
		   "for (const s of document.querySelectorAll('svg.plot')) {\n"
		   "  s.addEventListener('mousemove', ev => {\n"
		   "    const r = s.getBoundingClientRect(), k = %.0f / r.width, span = +s.dataset.span;\n"
		   "    const ymin = +s.dataset.ymin, ymax = +s.dataset.ymax;\n"
		   "    const x = ((ev.clientX - r.left) * k - %.0f) / %.0f * span;\n"
		   "    const y = ymin + (1 - ((ev.clientY - r.top) * k - 5) / %.0f) * (ymax - ymin);\n"
		   "    document.getElementById('readout').textContent = s.id + ': ' +\n"
		   "      (span ? 't=' + x.toFixed(3) + ' s, ' : '') + 'y=' + y.toPrecision(7);\n"
		   "  });\n"
		   "}\n</script>\n</body></html>\n",
		   W, ML, W - ML - 10, H - MB - 5);
	if (sum)
		*sum = (struct ls_report_summary){kev.n, verd.n, gexec.n, beats, arrows, m.alarms.n,
						  m.fs_enter.n, span};
	free(offset.p), free(rtt.p), free(eps.p), free(kev.p), free(verd.p), free(gexec.p);
	free(lat.p), free(lat_ms.p), free(ev_rate.p), free(v_rate.p), free(fl);
	free(m.fs_enter.p), free(m.fs_leave.p), free(m.alarms.p), free(m.alarm_names);
	cJSON_Delete(root);
	return ferror(o) ? -1 : 0;
}
