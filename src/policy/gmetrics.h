/* gmetrics.h - metrics that policy guests define (counter, gauge, histogram),
 * unlabelled or with label names fixed at definition (docs/abi.md, "Logs and
 * metrics"). Owned by the policy host so that values survive instance
 * restarts and reloads: defining a name again returns the same id. With N
 * policy workers each worker's policy has its own set; the agent publishes a
 * copy of each (ls_gm_copy) and renders them merged (ls_gm_write_merged:
 * docs/metrics.md, "Guest metrics with N workers").
 *
 * Labelled series are bounded: at most LS_GM_SERIES_PER_METRIC per metric
 * and LS_GM_SERIES_MAX per set; a new series past either is refused
 * (LS_GM_EFULL), never allocated. A set's memory is at most
 * sizeof(struct ls_gmetrics) + LS_GM_SERIES_MAX series + the index. */
#ifndef LS_POLICY_GMETRICS_H
#define LS_POLICY_GMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LS_GM_MAX 64
#define LS_GM_NAME_MAX 64
#define LS_GM_HELP_MAX 128
#define LS_GM_BUCKETS 10 /* 1e-6 .. 1e3 by factors of 10 */

#define LS_GM_LABELS_MAX 8	     /* label names of one metric */
#define LS_GM_LABEL_NAME_MAX 64	     /* bytes of one label name */
#define LS_GM_LNAMES_MAX 520	     /* a packed name list: 8 x (64 + NUL) */
#define LS_GM_LVALUE_MAX 128	     /* bytes of one label value (its NUL not counted) */
#define LS_GM_LVALUES_MAX 256	     /* a series' packed values, NULs included */
#define LS_GM_SERIES_PER_METRIC 1000 /* labelled series of one metric */
#define LS_GM_SERIES_MAX 4000	     /* labelled series of one set (one instance) */
#define LS_GM_IDX_SIZE 8192	     /* hash index slots: a power of 2 > 2 x SERIES_MAX */

/* status of the functions below (host_abi.c maps them to LSG_E_*) */
enum {
	LS_GM_EINVAL = -1,   /* bad name, list, kind, id, value, or a clash */
	LS_GM_EFULL = -2,    /* metric table full, or a series cap reached */
	LS_GM_ETOOBIG = -3,  /* a list or a label value over its limit */
	LS_GM_ENOTFOUND = -4 /* delete: no such series */
};

/* the histogram buckets' upper bounds (le) */
extern const double ls_gm_bucket_le[LS_GM_BUCKETS];

enum { LS_GM_COUNTER = 1, LS_GM_GAUGE = 2, LS_GM_HISTOGRAM = 3 };

struct ls_gmetric {
	char name[LS_GM_NAME_MAX + 1];
	char help[LS_GM_HELP_MAX + 1];
	int kind;
	/* the unlabelled series (nlabels == 0) */
	double value;			      /* counter / gauge; histogram sum */
	unsigned long long count;	      /* histogram observations */
	unsigned long long le[LS_GM_BUCKETS]; /* per bucket; cumulated when rendered */
	/* label names, given at definition; their series are in ls_gmetrics.s */
	int nlabels;
	int nseries; /* live labelled series */
	char lname[LS_GM_LABELS_MAX][LS_GM_LABEL_NAME_MAX + 1];
};

/* One labelled series' key: the metric it belongs to and its label
 * values, in the metric's label order, each NUL-terminated (as the guest
 * packs them). Its values are apart (struct ls_gsvalue, same index), so
 * that a worker's publish copies the keys only when series came or went. */
struct ls_gseries {
	int metric;
	uint32_t vlen; /* bytes of vals, the NULs included */
	char vals[LS_GM_LVALUES_MAX];
};

struct ls_gsvalue {
	double value; /* counter / gauge; histogram sum */
	unsigned long long count;
	unsigned long long le[LS_GM_BUCKETS];
};

struct ls_gmetrics {
	struct ls_gmetric m[LS_GM_MAX];
	int n;
	uint64_t gen; /* bumped by every define and every change of a value */
	/* labelled series: ns live ones, keys in s[0..ns) and values in
	 * v[0..ns) (a delete moves the last into the hole), found by idx:
	 * open addressing, linear probing, slot = series index + 1, 0 empty.
	 * Allocated on first use. sgen is bumped when a series is created or
	 * deleted (the keys and idx changed). */
	struct ls_gseries *s;
	struct ls_gsvalue *v;
	int ns, scap;
	uint32_t *idx;
	uint32_t seed; /* the index's hash seed, random: a guest cannot aim
			* its label values at one chain of probes */
	uint64_t sgen;
};

/* Returns the id, LS_GM_EINVAL (bad name/kind, or redefined with another
 * kind or other label names), LS_GM_EFULL. */
int ls_gm_define(struct ls_gmetrics *g, int kind, const char *name, size_t name_len,
		 const char *help, size_t help_len);
/* The same with label names: `labels` is labels_len bytes, each name
 * NUL-terminated ("model\0verdict\0"); labels_len 0 is no label. Names
 * follow Prometheus' [a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix (reserved), no
 * duplicate, not "worker" (the agent adds it to gauges with N workers),
 * not "le" on a histogram; at most LS_GM_LABELS_MAX of LS_GM_LABEL_NAME_MAX
 * bytes: LS_GM_EINVAL, or LS_GM_ETOOBIG for a list over LS_GM_LNAMES_MAX. */
int ls_gm_define_l(struct ls_gmetrics *g, int kind, const char *name, size_t name_len,
		   const char *help, size_t help_len, const char *labels, size_t labels_len);
/* 0, or -1 bad id / op not valid for its kind / NaN / a labelled metric. */
int ls_gm_add(struct ls_gmetrics *g, int id, double v);
int ls_gm_set(struct ls_gmetrics *g, int id, double v);
int ls_gm_observe(struct ls_gmetrics *g, int id, double v);
/* The labelled forms: `vals` holds one value per label name, in the
 * definition's order, each NUL-terminated; valid UTF-8 of at most
 * LS_GM_LVALUE_MAX bytes. 0; LS_GM_EINVAL (bad id, op, value, list: wrong
 * count, no final NUL, invalid UTF-8); LS_GM_ETOOBIG (list over
 * LS_GM_LVALUES_MAX or a value over LS_GM_LVALUE_MAX); LS_GM_EFULL (a new
 * series past a cap: nothing changes). An unlabelled metric takes the empty
 * list. */
int ls_gm_add_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, double v);
int ls_gm_set_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, double v);
int ls_gm_observe_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen, double v);
/* Forgets a labelled series (it is no longer exported; a later update
 * starts it from zero): 0, LS_GM_ENOTFOUND, or a list error as above. */
int ls_gm_delete_l(struct ls_gmetrics *g, int id, const char *vals, size_t vlen);
void ls_gm_write(const struct ls_gmetrics *g, FILE *f);
/* Copies src's defined metrics and series into dst (which starts zeroed,
 * or as a previous copy of the same src) unless dst already holds src's
 * generation; true when it copied. The series' keys and index only when
 * series came or went since dst's copy (sgen). False, dst unchanged, when
 * it could not allocate. */
bool ls_gm_copy(struct ls_gmetrics *dst, const struct ls_gmetrics *src);
/* Frees what the set allocated (its series); it stays valid, empty of
 * series. */
void ls_gm_free(struct ls_gmetrics *g);
/* Renders nparts sets (one per worker, index = worker) as one: a name is
 * the union over the parts, its kind and label names the first part's that
 * defines it (a part defining it with another kind or other labels is left
 * out of it); counters and histograms (sum, count, every bucket) are summed
 * per label set; a gauge is one series per part and label set, labelled
 * worker="i" after the guest's labels -- no worker label when nparts == 1,
 * which is then exactly ls_gm_write. */
void ls_gm_write_merged(const struct ls_gmetrics *const *parts, int nparts, FILE *f);
/* The index in g->s of metric id's series with these values, or -1. */
int ls_gm_series_find(const struct ls_gmetrics *g, int metric, const char *vals, size_t vlen);
const struct ls_gmetric *ls_gm_find(const struct ls_gmetrics *g, const char *name);
/* Writes s as a Prometheus label value (backslash, double quote and line
 * feed escaped as \\, \" and \n; everything else as it is). */
void ls_gm_write_lvalue(FILE *f, const char *s, size_t n);
/* Is s[0..n) valid UTF-8 (no overlong form, no surrogate, <= U+10FFFF)? */
bool ls_gm_utf8_ok(const char *s, size_t n);

#endif
