/* gmetrics.c - guest-defined metrics (gmetrics.h): definitions, the
 * validation of names, label names and label values, updates, and the
 * bounded store of labelled series. Rendering is gmetrics_write.c. */
#include "policy/gmetrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

const double ls_gm_bucket_le[LS_GM_BUCKETS] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2,
					       1e-1, 1,	   1e1,	 1e2,  1e3};

/* [a-zA-Z_][a-zA-Z0-9_]*: a metric name without ':' (reserved for
 * recording rules), and a label name */
static int name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

bool ls_gm_utf8_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false; /* a continuation byte, 0xc0/0xc1, 0xf5.. */
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* Splits a packed list (each item NUL-terminated, len covering the last
 * NUL) into at most max items; the number of items, or -1 when malformed
 * (bytes after the last NUL) or over max. */
static int split(const char *list, size_t len, const char **item, size_t *ilen, int max)
{
	int k = 0;
	size_t start = 0;
	if (len && list[len - 1] != '\0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (list[i])
			continue;
		if (k == max)
			return -1;
		item[k] = list + start;
		ilen[k++] = i - start;
		start = i + 1;
	}
	return k;
}

/* The label-name list of a definition, checked; its count or an LS_GM_ status. */
static int parse_lnames(int kind, const char *labels, size_t len,
			char out[LS_GM_LABELS_MAX][LS_GM_LABEL_NAME_MAX + 1])
{
	const char *item[LS_GM_LABELS_MAX];
	size_t il[LS_GM_LABELS_MAX];
	if (len > LS_GM_LNAMES_MAX)
		return LS_GM_ETOOBIG;
	int k = split(labels, len, item, il, LS_GM_LABELS_MAX);
	if (k < 0)
		return LS_GM_EINVAL;
	for (int i = 0; i < k; i++) {
		if (!name_ok(item[i], il[i], LS_GM_LABEL_NAME_MAX))
			return LS_GM_EINVAL;
		if (il[i] >= 2 && item[i][0] == '_' && item[i][1] == '_')
			return LS_GM_EINVAL; /* __name__ and the like: Prometheus' own */
		if (il[i] == 6 && !memcmp(item[i], "worker", 6))
			return LS_GM_EINVAL; /* the agent's, on gauges with N workers */
		if (kind == LS_GM_HISTOGRAM && il[i] == 2 && !memcmp(item[i], "le", 2))
			return LS_GM_EINVAL; /* the bucket's */
		for (int j = 0; j < i; j++)
			if (il[j] == il[i] && !memcmp(item[j], item[i], il[i]))
				return LS_GM_EINVAL;
		memcpy(out[i], item[i], il[i]);
		out[i][il[i]] = '\0';
	}
	return k;
}

int ls_gm_define_l(struct ls_gmetrics *g, int kind, const char *name, size_t name_len,
		   const char *help, size_t help_len, const char *labels, size_t labels_len)
{
	char ln[LS_GM_LABELS_MAX][LS_GM_LABEL_NAME_MAX + 1] = {{0}};
	if (kind < LS_GM_COUNTER || kind > LS_GM_HISTOGRAM ||
	    !name_ok(name, name_len, LS_GM_NAME_MAX))
		return LS_GM_EINVAL;
	int nl = parse_lnames(kind, labels, labels_len, ln);
	if (nl < 0)
		return nl;
	for (int i = 0; i < g->n; i++) {
		struct ls_gmetric *m = &g->m[i];
		if (strlen(m->name) != name_len || memcmp(m->name, name, name_len))
			continue;
		/* again (a reload, another instance): the same kind and labels */
		if (m->kind != kind || m->nlabels != nl)
			return LS_GM_EINVAL;
		for (int j = 0; j < nl; j++)
			if (strcmp(m->lname[j], ln[j]))
				return LS_GM_EINVAL;
		return i;
	}
	if (g->n == LS_GM_MAX)
		return LS_GM_EFULL;
	struct ls_gmetric *m = &g->m[g->n];
	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, name_len);
	if (help_len > LS_GM_HELP_MAX)
		help_len = LS_GM_HELP_MAX;
	/* keep the help printable on one line */
	for (size_t i = 0; i < help_len; i++)
		m->help[i] = (help[i] >= 32 && help[i] < 127 && help[i] != '\\') ? help[i] : ' ';
	m->kind = kind;
	m->nlabels = nl;
	memcpy(m->lname, ln, sizeof(ln));
	g->gen++;
	return g->n++;
}

int ls_gm_define(struct ls_gmetrics *g, int kind, const char *name, size_t name_len,
		 const char *help, size_t help_len)
{
	return ls_gm_define_l(g, kind, name, name_len, help, help_len, NULL, 0);
}

/* ---- the series store ---------------------------------------------------- */

static uint32_t key_hash(uint32_t seed, int metric, const char *vals, size_t vlen)
{
	uint32_t h = (2166136261u ^ seed) ^ (uint32_t)metric; /* FNV-1a, seeded */
	h *= 16777619u;
	for (size_t i = 0; i < vlen; i++) {
		h ^= (unsigned char)vals[i];
		h *= 16777619u;
	}
	/* FNV's low bits (the slot) depend on the low bits alone: mixed in
	 * from the high ones (MurmurHash3's finaliser) */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The idx slot holding series `want` + 1, or the empty slot where a series
 * with this key would go (when want < 0: the key's series or that slot). */
static uint32_t probe(const struct ls_gmetrics *g, int metric, const char *vals, size_t vlen)
{
	uint32_t mask = LS_GM_IDX_SIZE - 1, i = key_hash(g->seed, metric, vals, vlen) & mask;
	for (;;) {
		uint32_t e = g->idx[i];
		if (!e)
			return i;
		const struct ls_gseries *s = &g->s[e - 1];
		if (s->metric == metric && s->vlen == vlen && !memcmp(s->vals, vals, vlen))
			return i;
		i = (i + 1) & mask;
	}
}

/* The series' index, or -1. */
static int series_find(const struct ls_gmetrics *g, int metric, const char *vals, size_t vlen)
{
	if (!g->idx)
		return -1;
	uint32_t e = g->idx[probe(g, metric, vals, vlen)];
	return e ? (int)e - 1 : -1;
}

int ls_gm_series_find(const struct ls_gmetrics *g, int metric, const char *vals, size_t vlen)
{
	return series_find(g, metric, vals, vlen);
}

/* Checks a value list against metric m: LS_GM_ status or 0. */
static int check_vals(const struct ls_gmetric *m, const char *vals, size_t vlen)
{
	const char *item[LS_GM_LABELS_MAX];
	size_t il[LS_GM_LABELS_MAX];
	if (vlen > LS_GM_LVALUES_MAX)
		return LS_GM_ETOOBIG;
	int k = split(vals, vlen, item, il, LS_GM_LABELS_MAX);
	if (k != m->nlabels)
		return LS_GM_EINVAL;
	for (int i = 0; i < k; i++) {
		if (il[i] > LS_GM_LVALUE_MAX)
			return LS_GM_ETOOBIG;
		if (!ls_gm_utf8_ok(item[i], il[i]))
			return LS_GM_EINVAL;
	}
	return 0;
}

/* The values of the series (id, vals), created when absent; NULL with *rc set. */
static struct ls_gsvalue *series_get(struct ls_gmetrics *g, int id, const char *vals, size_t vlen,
				     int *rc)
{
	struct ls_gmetric *m = &g->m[id];
	if ((*rc = check_vals(m, vals, vlen)))
		return NULL;
	if (!g->idx) {
		if (!(g->idx = calloc(LS_GM_IDX_SIZE, sizeof(*g->idx)))) {
			*rc = LS_GM_EFULL;
			return NULL;
		}
		/* an empty index: a new seed costs nothing to rehash */
		if (getrandom(&g->seed, sizeof(g->seed), GRND_NONBLOCK) != sizeof(g->seed))
			g->seed = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)g;
	}
	uint32_t slot = probe(g, id, vals, vlen);
	if (g->idx[slot])
		return &g->v[g->idx[slot] - 1];
	if (m->nseries >= LS_GM_SERIES_PER_METRIC || g->ns >= LS_GM_SERIES_MAX) {
		*rc = LS_GM_EFULL;
		return NULL;
	}
	if (g->ns == g->scap) {
		int cap = g->scap ? g->scap * 2 : 16;
		if (cap > LS_GM_SERIES_MAX)
			cap = LS_GM_SERIES_MAX;
		struct ls_gseries *s = realloc(g->s, (size_t)cap * sizeof(*s));
		if (s)
			g->s = s;
		struct ls_gsvalue *v = s ? realloc(g->v, (size_t)cap * sizeof(*v)) : NULL;
		if (!v) { /* the capacity stays the smaller one's */
			*rc = LS_GM_EFULL;
			return NULL;
		}
		g->v = v;
		g->scap = cap;
	}
	struct ls_gseries *s = &g->s[g->ns];
	s->metric = id;
	s->vlen = (uint32_t)vlen;
	memcpy(s->vals, vals, vlen);
	memset(&g->v[g->ns], 0, sizeof(g->v[0]));
	g->idx[slot] = (uint32_t)++g->ns;
	m->nseries++;
	g->gen++;
	g->sgen++;
	return &g->v[g->ns - 1];
}

/* Removes idx slot i by backward shifting (linear probing has no tombstones). */
static void idx_remove(struct ls_gmetrics *g, uint32_t i)
{
	uint32_t mask = LS_GM_IDX_SIZE - 1, j = i;
	g->idx[i] = 0;
	for (;;) {
		j = (j + 1) & mask;
		uint32_t e = g->idx[j];
		if (!e)
			return;
		const struct ls_gseries *s = &g->s[e - 1];
		uint32_t home = key_hash(g->seed, s->metric, s->vals, s->vlen) & mask;
		/* move e back into the hole unless its home lies in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			g->idx[i] = e;
			g->idx[j] = 0;
			i = j;
		}
	}
}

int ls_gm_delete_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen)
{
	if (id < 0 || id >= g->n)
		return LS_GM_EINVAL;
	int rc = check_vals(&g->m[id], vals, vlen);
	if (rc)
		return rc;
	if (!g->idx || !g->m[id].nlabels)
		return LS_GM_ENOTFOUND;
	uint32_t slot = probe(g, id, vals, vlen);
	if (!g->idx[slot])
		return LS_GM_ENOTFOUND;
	int k = (int)g->idx[slot] - 1, last = g->ns - 1;
	idx_remove(g, slot);
	if (k != last) { /* the last series fills the hole; its slot follows */
		struct ls_gseries *l = &g->s[last];
		uint32_t ls = probe(g, l->metric, l->vals, l->vlen);
		memcpy(&g->s[k], l, offsetof(struct ls_gseries, vals) + l->vlen);
		g->v[k] = g->v[last];
		g->idx[ls] = (uint32_t)k + 1;
	}
	g->ns--;
	g->m[id].nseries--;
	g->gen++;
	g->sgen++;
	return 0;
}

void ls_gm_free(struct ls_gmetrics *g)
{
	free(g->s);
	free(g->v);
	free(g->idx);
	g->s = NULL;
	g->v = NULL;
	g->idx = NULL;
	g->ns = g->scap = 0;
	for (int i = 0; i < g->n; i++)
		g->m[i].nseries = 0;
	g->gen++;
	g->sgen++;
}

/* ---- updates ---------------------------------------------------------------- */

/* What an update changes: the metric's own fields or a series'. */
struct vals {
	double *value;
	unsigned long long *count, *le;
	int kind;
};

/* Finds what (id, vals) updates; an unlabelled metric with list NULL. */
static int target(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, bool labelled,
		  double v, struct vals *out)
{
	if (id < 0 || id >= g->n || isnan(v) || isinf(v))
		return LS_GM_EINVAL;
	struct ls_gmetric *m = &g->m[id];
	out->kind = m->kind;
	if (!m->nlabels) {
		if (labelled && vlen) /* an unlabelled metric takes only the empty list */
			return LS_GM_EINVAL;
		out->value = &m->value, out->count = &m->count, out->le = m->le;
		return 0;
	}
	if (!labelled)
		return LS_GM_EINVAL; /* a labelled metric needs its values */
	int rc;
	struct ls_gsvalue *s;
	if (!(s = series_get(g, id, vals, vlen, &rc)))
		return rc;
	out->value = &s->value, out->count = &s->count, out->le = s->le;
	return 0;
}

static int kind_ok(struct ls_gmetrics *g, int id, int op, double v)
{
	if (id < 0 || id >= g->n)
		return 0;
	int k = g->m[id].kind;
	switch (op) {
	case 'a':
		return k != LS_GM_HISTOGRAM && !(k == LS_GM_COUNTER && v < 0);
	case 's':
		return k == LS_GM_GAUGE;
	default:
		return k == LS_GM_HISTOGRAM;
	}
}

/* The kind is checked before target(), so that a wrong op never creates a
 * series. */
static int update(struct ls_gmetrics *g, int op, int id, const char *vals, size_t vlen,
		  bool labelled, double v)
{
	struct vals t = {0};
	if (!kind_ok(g, id, op, v))
		return LS_GM_EINVAL;
	int rc = target(g, id, vals, vlen, labelled, v, &t);
	if (rc)
		return rc;
	switch (op) {
	case 'a':
		*t.value += v;
		break;
	case 's':
		*t.value = v;
		break;
	default:
		*t.value += v;
		(*t.count)++;
		for (int i = 0; i < LS_GM_BUCKETS; i++)
			if (v <= ls_gm_bucket_le[i]) {
				t.le[i]++;
				break;
			}
	}
	g->gen++;
	return 0;
}

int ls_gm_add(struct ls_gmetrics *g, int id, double v)
{
	return update(g, 'a', id, NULL, 0, false, v) ? -1 : 0;
}

int ls_gm_set(struct ls_gmetrics *g, int id, double v)
{
	return update(g, 's', id, NULL, 0, false, v) ? -1 : 0;
}

int ls_gm_observe(struct ls_gmetrics *g, int id, double v)
{
	return update(g, 'o', id, NULL, 0, false, v) ? -1 : 0;
}

int ls_gm_add_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, double v)
{
	return update(g, 'a', id, vals, vlen, true, v);
}

int ls_gm_set_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, double v)
{
	return update(g, 's', id, vals, vlen, true, v);
}

int ls_gm_observe_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, double v)
{
	return update(g, 'o', id, vals, vlen, true, v);
}

bool ls_gm_copy(struct ls_gmetrics *dst, const struct ls_gmetrics *src)
{
	if (dst->gen == src->gen && dst->n == src->n)
		return false;
	if (src->ns > dst->scap) {
		struct ls_gseries *s = realloc(dst->s, (size_t)src->scap * sizeof(*s));
		if (s)
			dst->s = s;
		struct ls_gsvalue *v = s ? realloc(dst->v, (size_t)src->scap * sizeof(*v)) : NULL;
		if (!v)
			return false;
		dst->v = v;
		dst->scap = src->scap;
	}
	if (src->idx && !dst->idx && !(dst->idx = calloc(LS_GM_IDX_SIZE, sizeof(*dst->idx))))
		return false;
	memcpy(dst->m, src->m, (size_t)src->n * sizeof(src->m[0]));
	/* the keys and the index: only when series came or went */
	if (dst->sgen != src->sgen || dst->ns != src->ns) {
		for (int i = 0; i < src->ns; i++)
			memcpy(&dst->s[i], &src->s[i],
			       offsetof(struct ls_gseries, vals) + src->s[i].vlen);
		if (src->idx)
			memcpy(dst->idx, src->idx, LS_GM_IDX_SIZE * sizeof(*dst->idx));
		else if (dst->idx)
			memset(dst->idx, 0, LS_GM_IDX_SIZE * sizeof(*dst->idx));
		dst->seed = src->seed;
		dst->sgen = src->sgen;
	}
	if (src->ns)
		memcpy(dst->v, src->v, (size_t)src->ns * sizeof(src->v[0]));
	dst->ns = src->ns;
	dst->n = src->n;
	dst->gen = src->gen;
	return true;
}

const struct ls_gmetric *ls_gm_find(const struct ls_gmetrics *g, const char *name)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->m[i].name, name))
			return &g->m[i];
	return NULL;
}
