/* gmetrics_write.c - guest-defined metrics (gmetrics.h) in the Prometheus
 * text exposition format, as lockstep_guest_<name>: one worker's set, or
 * several workers' sets merged series by series (docs/metrics.md, "Guest
 * metrics with N workers"). Label values are the guest's UTF-8, escaped
 * as the format says: \\, \" and \n. */
#include "policy/gmetrics.h"

#include <string.h>

void ls_gm_write_lvalue(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			fputs("\\\\", f);
		else if (s[i] == '"')
			fputs("\\\"", f);
		else if (s[i] == '\n')
			fputs("\\n", f);
		else
			fputc(s[i], f);
	}
}

/* {l1="v1",...,worker="w",le="x"}: the metric's labels with the values
 * packed in vals, then worker (>= 0) and le (non-NULL); nothing when none. */
static void write_labels(FILE *f, const struct ls_gmetric *m, const char *vals, int worker,
			 const char *le)
{
	const char *sep = "{";
	for (int i = 0; i < m->nlabels; i++) {
		size_t n = strlen(vals);
		fprintf(f, "%s%s=\"", sep, m->lname[i]);
		ls_gm_write_lvalue(f, vals, n);
		fputc('"', f);
		vals += n + 1;
		sep = ",";
	}
	if (worker >= 0) {
		fprintf(f, "%sworker=\"%d\"", sep, worker);
		sep = ",";
	}
	if (le) {
		fprintf(f, "%sle=\"%s\"", sep, le);
		sep = ",";
	}
	if (*sep == ',')
		fputc('}', f);
}

struct sample {
	double value;
	unsigned long long count, le[LS_GM_BUCKETS];
};

static void add_sample(struct sample *a, double value, unsigned long long count,
		       const unsigned long long *le)
{
	a->value += value;
	a->count += count;
	for (int b = 0; b < LS_GM_BUCKETS; b++)
		a->le[b] += le[b];
}

/* The sample lines of one series (vals: "" when unlabelled). */
static void write_sample(FILE *f, const struct ls_gmetric *m, const char *sfx, const char *vals,
			 int worker, const struct sample *s)
{
	const char *name = m->name;
	if (m->kind != LS_GM_HISTOGRAM) {
		fprintf(f, "lockstep_guest_%s%s", name, sfx);
		write_labels(f, m, vals, worker, NULL);
		fprintf(f, " %.17g\n", s->value);
		return;
	}
	unsigned long long cum = 0;
	char le[32];
	for (int b = 0; b < LS_GM_BUCKETS; b++) {
		cum += s->le[b];
		snprintf(le, sizeof(le), "%g", ls_gm_bucket_le[b]);
		fprintf(f, "lockstep_guest_%s_bucket", name);
		write_labels(f, m, vals, worker, le);
		fprintf(f, " %llu\n", cum);
	}
	fprintf(f, "lockstep_guest_%s_bucket", name);
	write_labels(f, m, vals, worker, "+Inf");
	fprintf(f, " %llu\nlockstep_guest_%s_sum", s->count, name);
	write_labels(f, m, vals, worker, NULL);
	fprintf(f, " %.17g\nlockstep_guest_%s_count", s->value, name);
	write_labels(f, m, vals, worker, NULL);
	fprintf(f, " %llu\n", s->count);
}

/* g's metric that merges with `first`: the same name, kind and label
 * names; NULL when g has none (or defines it otherwise). */
static const struct ls_gmetric *match(const struct ls_gmetrics *g, const struct ls_gmetric *first,
				      int *id)
{
	for (int i = 0; i < g->n; i++) {
		const struct ls_gmetric *m = &g->m[i];
		if (strcmp(m->name, first->name))
			continue;
		if (m->kind != first->kind || m->nlabels != first->nlabels)
			return NULL;
		for (int j = 0; j < m->nlabels; j++)
			if (strcmp(m->lname[j], first->lname[j]))
				return NULL;
		*id = i;
		return m;
	}
	return NULL;
}

/* Does a part in [from, to) hold the series (first's name, vals)? */
static bool held_by(const struct ls_gmetrics *const *parts, int from, int to,
		    const struct ls_gmetric *first, const struct ls_gseries *s)
{
	for (int q = from; q < to; q++) {
		int id;
		if (match(parts[q], first, &id) &&
		    ls_gm_series_find(parts[q], id, s->vals, s->vlen) >= 0)
			return true;
	}
	return false;
}

/* One name, merged over the parts from part p on (p: its first definer). */
static void write_one(const struct ls_gmetrics *const *parts, int nparts, int p,
		      const struct ls_gmetric *first, FILE *f)
{
	static const char *const type[] = {"", "counter", "gauge", "histogram"};
	const char *name = first->name;
	int kind = first->kind, id;
	/* Prometheus counters end in _total: a guest's that does not gets it */
	size_t nl = strlen(name);
	const char *sfx =
	    kind == LS_GM_COUNTER && (nl < 6 || strcmp(name + nl - 6, "_total")) ? "_total" : "";
	/* a guest that gave no help still gets one: Prometheus tools want it */
	fprintf(f, "# HELP lockstep_guest_%s%s %s\n# TYPE lockstep_guest_%s%s %s\n", name, sfx,
		first->help[0] ? first->help : "defined by the policy guest", name, sfx,
		type[kind]);
	if (!first->nlabels) {
		struct sample sum = {0};
		for (int q = p; q < nparts; q++) {
			const struct ls_gmetric *m = match(parts[q], first, &id);
			if (!m)
				continue;
			struct sample one = {0};
			add_sample(&one, m->value, m->count, m->le);
			if (kind == LS_GM_GAUGE)
				write_sample(f, first, sfx, "", nparts == 1 ? -1 : q, &one);
			else
				add_sample(&sum, one.value, one.count, one.le);
		}
		if (kind != LS_GM_GAUGE)
			write_sample(f, first, sfx, "", -1, &sum);
		return;
	}
	for (int q = p; q < nparts; q++) {
		const struct ls_gmetrics *g = parts[q];
		if (!match(g, first, &id))
			continue;
		for (int i = 0; i < g->ns; i++) {
			const struct ls_gseries *s = &g->s[i];
			if (s->metric != id)
				continue;
			struct sample sum = {0};
			if (kind == LS_GM_GAUGE) {
				add_sample(&sum, g->v[i].value, g->v[i].count, g->v[i].le);
				write_sample(f, first, sfx, s->vals, nparts == 1 ? -1 : q, &sum);
				continue;
			}
			/* a label set is written once: where it first appears */
			if (held_by(parts, p, q, first, s))
				continue;
			for (int r = q; r < nparts; r++) {
				int rid, k;
				if (!match(parts[r], first, &rid) ||
				    (k = ls_gm_series_find(parts[r], rid, s->vals, s->vlen)) < 0)
					continue;
				const struct ls_gsvalue *o = &parts[r]->v[k];
				add_sample(&sum, o->value, o->count, o->le);
			}
			write_sample(f, first, sfx, s->vals, -1, &sum);
		}
	}
}

/* The name's first definition among parts before part p: rendered then. */
static bool seen_before(const struct ls_gmetrics *const *parts, int p, const char *name)
{
	for (int q = 0; q < p; q++)
		if (ls_gm_find(parts[q], name))
			return true;
	return false;
}

void ls_gm_write_merged(const struct ls_gmetrics *const *parts, int nparts, FILE *f)
{
	for (int p = 0; p < nparts; p++)
		for (int i = 0; i < parts[p]->n; i++) {
			const struct ls_gmetric *m = &parts[p]->m[i];
			if (!seen_before(parts, p, m->name))
				write_one(parts, nparts, p, m, f);
		}
}

void ls_gm_write(const struct ls_gmetrics *g, FILE *f)
{
	ls_gm_write_merged(&g, 1, f);
}
