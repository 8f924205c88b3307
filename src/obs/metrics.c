/* metrics.c - the metrics registry and Prometheus text exposition
 * (metrics.h). Series are found by a linear scan of at most
 * LS_METRIC_MAX_SERIES label values: families are small and fixed by the
 * agent's code, never by traffic. */
#include "obs/metrics.h"
#include "obs/metric_table.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const double ls_metric_latency_buckets[] = {
	/* finer from 10 us to 1 ms, where the targets (100 us, 1 ms) are
	 * judged: a p99 of 110 us and one of 240 us are different news */
	1e-6, 2.5e-6, 5e-6, 1e-5, 2e-5, 3e-5, 5e-5, 7.5e-5, 1e-4, 1.5e-4, 2e-4, 2.5e-4,
	3.5e-4, 5e-4, 7.5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10,
};
const int ls_metric_latency_nbuckets =
	sizeof(ls_metric_latency_buckets) / sizeof(ls_metric_latency_buckets[0]);

struct series {
	char lv[LS_METRIC_LABEL_MAX];
	double value;                            /* counter/gauge; histogram sum */
	uint64_t count;                          /* histogram observations */
	uint64_t buckets[LS_METRIC_MAX_BUCKETS]; /* per bucket, not cumulative */
};

struct ls_metric {
	struct ls_metrics *reg;
	enum ls_metric_type type;
	char name[96];
	char help[160];
	char label[32]; /* "" when unlabelled */
	double bounds[LS_METRIC_MAX_BUCKETS];
	int nbounds;
	int nseries;
	struct series series[LS_METRIC_MAX_SERIES];
	struct ls_metric *next;
};

struct writer {
	ls_metrics_writer fn;
	void *ctx;
};

struct ls_metrics {
	struct ls_metric *head, *tail;
	struct ls_metric *dropped; /* lockstep_metrics_dropped_total */
	struct writer writers[4];
	int nwriters;
	char err[160];
};

static bool valid_name(const char *s, bool label)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (!label && c == ':');
		if (!alpha && !(p != s && c >= '0' && c <= '9'))
			return false;
	}
	if (label && s[0] == '_' && s[1] == '_')
		return false; /* reserved */
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static struct ls_metric *family(struct ls_metrics *reg, enum ls_metric_type type,
				const char *name, const char *help, const char *label)
{
	if (!valid_name(name, false) || strlen(name) >= sizeof(reg->head->name)) {
		snprintf(reg->err, sizeof(reg->err), "invalid metric name '%s'", name ? name : "");
		return NULL;
	}
	if (label && (!valid_name(label, true) || strlen(label) >= 32 || !strcmp(label, "le"))) {
		snprintf(reg->err, sizeof(reg->err), "invalid label name '%s' for %s", label, name);
		return NULL;
	}
	if (type == LS_METRIC_COUNTER && !ends_with(name, "_total")) {
		snprintf(reg->err, sizeof(reg->err), "counter %s must end in _total", name);
		return NULL;
	}
	if (type != LS_METRIC_COUNTER && ends_with(name, "_total")) {
		snprintf(reg->err, sizeof(reg->err), "only counters end in _total (%s)", name);
		return NULL;
	}
	for (struct ls_metric *m = reg->head; m; m = m->next)
		if (!strcmp(m->name, name)) {
			snprintf(reg->err, sizeof(reg->err), "metric %s registered twice", name);
			return NULL;
		}
	struct ls_metric *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(reg->err, sizeof(reg->err), "out of memory");
		return NULL;
	}
	m->reg = reg;
	m->type = type;
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->help, sizeof(m->help), "%s", help ? help : "");
	snprintf(m->label, sizeof(m->label), "%s", label ? label : "");
	if (reg->tail)
		reg->tail->next = m;
	else
		reg->head = m;
	reg->tail = m;
	return m;
}

struct ls_metrics *ls_metrics_new(void)
{
	struct ls_metrics *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return NULL;
	reg->dropped = ls_metric_counter(reg, "lockstep_metrics_dropped_total",
					 ls_metric_def("lockstep_metrics_dropped_total")->help, NULL);
	if (!reg->dropped) {
		free(reg);
		return NULL;
	}
	return reg;
}

void ls_metrics_free(struct ls_metrics *reg)
{
	if (!reg)
		return;
	for (struct ls_metric *m = reg->head, *n; m; m = n) {
		n = m->next;
		free(m);
	}
	free(reg);
}

const char *ls_metrics_error(const struct ls_metrics *reg)
{
	return reg->err;
}

struct ls_metric *ls_metric_counter(struct ls_metrics *reg, const char *name,
				    const char *help, const char *label)
{
	return family(reg, LS_METRIC_COUNTER, name, help, label);
}

struct ls_metric *ls_metric_gauge(struct ls_metrics *reg, const char *name,
				  const char *help, const char *label)
{
	return family(reg, LS_METRIC_GAUGE, name, help, label);
}

struct ls_metric *ls_metric_histogram(struct ls_metrics *reg, const char *name,
				      const char *help, const char *label,
				      const double *bounds, int nbounds)
{
	if (nbounds < 1 || nbounds > LS_METRIC_MAX_BUCKETS) {
		snprintf(reg->err, sizeof(reg->err), "histogram %s: 1..%d bounds", name,
			 LS_METRIC_MAX_BUCKETS);
		return NULL;
	}
	for (int i = 0; i < nbounds; i++)
		if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1])) {
			snprintf(reg->err, sizeof(reg->err),
				 "histogram %s: bounds must be finite and increasing", name);
			return NULL;
		}
	struct ls_metric *m = family(reg, LS_METRIC_HISTOGRAM, name, help, label);
	if (!m)
		return NULL;
	memcpy(m->bounds, bounds, sizeof(double) * (size_t)nbounds);
	m->nbounds = nbounds;
	return m;
}

static struct series *find(const struct ls_metric *m, const char *lv)
{
	if (!lv)
		lv = "";
	for (int i = 0; i < m->nseries; i++)
		if (!strcmp(m->series[i].lv, lv))
			return (struct series *)&m->series[i];
	return NULL;
}

static struct series *get(struct ls_metric *m, const char *lv)
{
	if (!lv || !m->label[0])
		lv = "";
	struct series *s = find(m, lv);
	if (s)
		return s;
	if (m->nseries == LS_METRIC_MAX_SERIES) {
		if (m->reg->dropped && m != m->reg->dropped)
			ls_metric_add(m->reg->dropped, NULL, 1);
		return NULL;
	}
	s = &m->series[m->nseries++];
	memset(s, 0, sizeof(*s));
	snprintf(s->lv, sizeof(s->lv), "%s", lv);
	return s;
}

int ls_metric_add(struct ls_metric *m, const char *lv, double v)
{
	if (!m || m->type == LS_METRIC_HISTOGRAM || isnan(v))
		return -1;
	if (m->type == LS_METRIC_COUNTER && v < 0)
		return -1;
	struct series *s = get(m, lv);
	if (!s)
		return -1;
	s->value += v;
	return 0;
}

int ls_metric_set(struct ls_metric *m, const char *lv, double v)
{
	if (!m || m->type != LS_METRIC_GAUGE)
		return -1;
	struct series *s = get(m, lv);
	if (!s)
		return -1;
	s->value = v;
	return 0;
}

int ls_metric_observe(struct ls_metric *m, const char *lv, double v)
{
	if (!m || m->type != LS_METRIC_HISTOGRAM || isnan(v))
		return -1;
	struct series *s = get(m, lv);
	if (!s)
		return -1;
	int i = 0;
	while (i < m->nbounds && v > m->bounds[i])
		i++;
	if (i < m->nbounds)
		s->buckets[i]++;
	s->count++;
	s->value += v;
	return 0;
}

int ls_metric_set_total(struct ls_metric *m, const char *lv, double v)
{
	if (!m || m->type != LS_METRIC_COUNTER || isnan(v))
		return -1;
	struct series *s = get(m, lv);
	if (!s)
		return -1;
	if (v > s->value)
		s->value = v;
	return 0;
}

double ls_metric_value(const struct ls_metric *m, const char *lv)
{
	const struct series *s = m ? find(m, lv) : NULL;
	if (!s)
		return 0;
	return m->type == LS_METRIC_HISTOGRAM ? (double)s->count : s->value;
}

double ls_metric_sum(const struct ls_metric *m, const char *lv)
{
	const struct series *s = m ? find(m, lv) : NULL;
	return s && m->type == LS_METRIC_HISTOGRAM ? s->value : 0;
}

double ls_metric_quantile(const struct ls_metric *m, const char *lv, double q)
{
	const struct series *s = m ? find(m, lv) : NULL;
	if (!s || m->type != LS_METRIC_HISTOGRAM || !s->count)
		return NAN;
	double rank = q * (double)s->count, cum = 0, lo = 0;
	for (int i = 0; i < m->nbounds; i++) {
		double b = (double)s->buckets[i];
		if (cum + b >= rank && b > 0)
			return lo + (m->bounds[i] - lo) * ((rank - cum) / b);
		cum += b;
		lo = m->bounds[i];
	}
	return m->bounds[m->nbounds - 1]; /* in +Inf: the highest finite bound */
}

void ls_metrics_add_writer(struct ls_metrics *reg, ls_metrics_writer fn, void *ctx)
{
	if (reg->nwriters < (int)(sizeof(reg->writers) / sizeof(reg->writers[0])))
		reg->writers[reg->nwriters++] = (struct writer){fn, ctx};
}

const char *ls_metric_fmt_value(char *buf, double v)
{
	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(buf, 32, "%.0f", v);
		return buf;
	}
	/* the shortest text that reads back as the same double */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

/* HELP text escapes \ and newline; label values also escape ". */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

static void put_labels(FILE *f, const struct ls_metric *m, const struct series *s,
		       const char *le)
{
	bool lab = m->label[0] != 0;
	if (!lab && !le)
		return;
	fputc('{', f);
	if (lab) {
		fprintf(f, "%s=\"", m->label);
		put_escaped(f, s->lv, true);
		fputc('"', f);
	}
	if (le)
		fprintf(f, "%sle=\"%s\"", lab ? "," : "", le);
	fputc('}', f);
}

int ls_metrics_write(const struct ls_metrics *reg, FILE *f)
{
	static const char *types[] = {"counter", "gauge", "histogram"};
	char v[32], le[32];
	for (const struct ls_metric *m = reg->head; m; m = m->next) {
		fprintf(f, "# HELP %s ", m->name);
		put_escaped(f, m->help, false);
		fprintf(f, "\n# TYPE %s %s\n", m->name, types[m->type]);
		/* an unlabelled family always shows its one sample, even at 0 */
		struct series zero = {0};
		int n = m->nseries;
		const struct series *ss = m->series;
		if (!n && !m->label[0]) {
			ss = &zero;
			n = 1;
		}
		for (int i = 0; i < n; i++) {
			const struct series *s = &ss[i];
			if (m->type != LS_METRIC_HISTOGRAM) {
				fputs(m->name, f);
				put_labels(f, m, s, NULL);
				fprintf(f, " %s\n", ls_metric_fmt_value(v, s->value));
				continue;
			}
			uint64_t cum = 0;
			for (int b = 0; b <= m->nbounds; b++) {
				if (b < m->nbounds) {
					cum += s->buckets[b];
					ls_metric_fmt_value(le, m->bounds[b]);
				} else {
					cum = s->count;
					strcpy(le, "+Inf");
				}
				fprintf(f, "%s_bucket", m->name);
				put_labels(f, m, s, le);
				fprintf(f, " %llu\n", (unsigned long long)cum);
			}
			fprintf(f, "%s_sum", m->name);
			put_labels(f, m, s, NULL);
			fprintf(f, " %s\n%s_count", ls_metric_fmt_value(v, s->value), m->name);
			put_labels(f, m, s, NULL);
			fprintf(f, " %llu\n", (unsigned long long)s->count);
		}
	}
	for (int i = 0; i < reg->nwriters; i++)
		reg->writers[i].fn(reg->writers[i].ctx, f);
	return ferror(f) ? -1 : 0;
}
