/* gmetrics.c - guest-defined metrics (gmetrics.h), rendered in the
 * Prometheus text format as lockstep_guest_<name>, one worker's set or
 * several workers' sets merged. */
#include "policy/gmetrics.h"

#include <math.h>
#include <string.h>

static const double bucket_le[LS_GM_BUCKETS] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2,
						1e-1, 1,    1e1,  1e2,	1e3};

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n > LS_GM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int ls_gm_define(struct ls_gmetrics *g, int kind, const char *name, size_t name_len,
		 const char *help, size_t help_len)
{
	if (kind < LS_GM_COUNTER || kind > LS_GM_HISTOGRAM || !name_ok(name, name_len))
		return -1;
	for (int i = 0; i < g->n; i++)
		if (strlen(g->m[i].name) == name_len && !memcmp(g->m[i].name, name, name_len))
			return g->m[i].kind == kind ? i : -1;
	if (g->n == LS_GM_MAX)
		return -2;
	struct ls_gmetric *m = &g->m[g->n];
	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, name_len);
	if (help_len > LS_GM_HELP_MAX)
		help_len = LS_GM_HELP_MAX;
	/* keep the help printable on one line */
	for (size_t i = 0; i < help_len; i++)
		m->help[i] = (help[i] >= 32 && help[i] < 127 && help[i] != '\\') ? help[i] : ' ';
	m->kind = kind;
	g->gen++;
	return g->n++;
}

static struct ls_gmetric *get(struct ls_gmetrics *g, int id, double v)
{
	if (id < 0 || id >= g->n || isnan(v) || isinf(v))
		return NULL;
	return &g->m[id];
}

int ls_gm_add(struct ls_gmetrics *g, int id, double v)
{
	struct ls_gmetric *m = get(g, id, v);
	if (!m || m->kind == LS_GM_HISTOGRAM || (m->kind == LS_GM_COUNTER && v < 0))
		return -1;
	m->value += v;
	g->gen++;
	return 0;
}

int ls_gm_set(struct ls_gmetrics *g, int id, double v)
{
	struct ls_gmetric *m = get(g, id, v);
	if (!m || m->kind != LS_GM_GAUGE)
		return -1;
	m->value = v;
	g->gen++;
	return 0;
}

int ls_gm_observe(struct ls_gmetrics *g, int id, double v)
{
	struct ls_gmetric *m = get(g, id, v);
	if (!m || m->kind != LS_GM_HISTOGRAM)
		return -1;
	m->value += v;
	m->count++;
	for (int i = 0; i < LS_GM_BUCKETS; i++)
		if (v <= bucket_le[i]) {
			m->le[i]++;
			break;
		}
	g->gen++;
	return 0;
}

bool ls_gm_copy(struct ls_gmetrics *dst, const struct ls_gmetrics *src)
{
	if (dst->gen == src->gen && dst->n == src->n)
		return false;
	memcpy(dst->m, src->m, (size_t)src->n * sizeof(src->m[0]));
	dst->n = src->n;
	dst->gen = src->gen;
	return true;
}

static const struct ls_gmetric *find(const struct ls_gmetrics *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->m[i].name, name))
			return &g->m[i];
	return NULL;
}

/* The name's first definition among parts before part p: rendered then. */
static bool seen_before(const struct ls_gmetrics *const *parts, int p, const char *name)
{
	for (int q = 0; q < p; q++)
		if (find(parts[q], name))
			return true;
	return false;
}

/* One name, merged over the parts from part p on (p: its first definer). */
static void write_one(const struct ls_gmetrics *const *parts, int nparts, int p,
		      const struct ls_gmetric *first, FILE *f)
{
	static const char *const type[] = {"", "counter", "gauge", "histogram"};
	const char *name = first->name;
	int kind = first->kind;
	/* Prometheus counters end in _total: a guest's that does not gets it */
	size_t nl = strlen(name);
	const char *sfx =
	    kind == LS_GM_COUNTER && (nl < 6 || strcmp(name + nl - 6, "_total")) ? "_total" : "";
	/* a guest that gave no help still gets one: Prometheus tools want it */
	fprintf(f, "# HELP lockstep_guest_%s%s %s\n# TYPE lockstep_guest_%s%s %s\n", name, sfx,
		first->help[0] ? first->help : "defined by the policy guest", name, sfx,
		type[kind]);
	if (kind == LS_GM_GAUGE) {
		for (int q = p; q < nparts; q++) {
			const struct ls_gmetric *m = find(parts[q], name);
			if (!m || m->kind != kind)
				continue;
			if (nparts == 1)
				fprintf(f, "lockstep_guest_%s %.17g\n", name, m->value);
			else
				fprintf(f, "lockstep_guest_%s{worker=\"%d\"} %.17g\n", name, q,
					m->value);
		}
		return;
	}
	double value = 0;
	unsigned long long count = 0, le[LS_GM_BUCKETS] = {0};
	for (int q = p; q < nparts; q++) {
		const struct ls_gmetric *m = find(parts[q], name);
		if (!m || m->kind != kind)
			continue;
		value += m->value;
		count += m->count;
		for (int b = 0; b < LS_GM_BUCKETS; b++)
			le[b] += m->le[b];
	}
	if (kind == LS_GM_COUNTER) {
		fprintf(f, "lockstep_guest_%s%s %.17g\n", name, sfx, value);
		return;
	}
	unsigned long long cum = 0;
	for (int b = 0; b < LS_GM_BUCKETS; b++) {
		cum += le[b];
		fprintf(f, "lockstep_guest_%s_bucket{le=\"%g\"} %llu\n", name, bucket_le[b], cum);
	}
	fprintf(f, "lockstep_guest_%s_bucket{le=\"+Inf\"} %llu\n", name, count);
	fprintf(f, "lockstep_guest_%s_sum %.17g\nlockstep_guest_%s_count %llu\n", name, value, name,
		count);
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

const struct ls_gmetric *ls_gm_find(const struct ls_gmetrics *g, const char *name)
{
	return find(g, name);
}
