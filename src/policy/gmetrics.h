/* gmetrics.h - metrics that policy guests define (counter, gauge, histogram).
 * Owned by the policy host so that values survive instance restarts and
 * reloads: defining a name again returns the same id. With N policy
 * workers each worker's policy has its own set; the agent publishes a copy
 * of each (ls_gm_copy) and renders them merged (ls_gm_write_merged:
 * docs/metrics.md, "Guest metrics with N workers"). */
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

enum { LS_GM_COUNTER = 1, LS_GM_GAUGE = 2, LS_GM_HISTOGRAM = 3 };

struct ls_gmetric {
	char name[LS_GM_NAME_MAX + 1];
	char help[LS_GM_HELP_MAX + 1];
	int kind;
	double value;			      /* counter / gauge; histogram sum */
	unsigned long long count;	      /* histogram observations */
	unsigned long long le[LS_GM_BUCKETS]; /* per bucket; cumulated when rendered */
};

struct ls_gmetrics {
	struct ls_gmetric m[LS_GM_MAX];
	int n;
	uint64_t gen; /* bumped by every define and every change of a value */
};

/* Returns the id, -1 (bad name/kind, or redefined with another kind), -2 full. */
int ls_gm_define(struct ls_gmetrics *g, int kind, const char *name, size_t name_len,
		 const char *help, size_t help_len);
/* 0, or -1 bad id / op not valid for its kind / NaN. */
int ls_gm_add(struct ls_gmetrics *g, int id, double v);
int ls_gm_set(struct ls_gmetrics *g, int id, double v);
int ls_gm_observe(struct ls_gmetrics *g, int id, double v);
void ls_gm_write(const struct ls_gmetrics *g, FILE *f);
/* Copies src's defined metrics into dst (which starts zeroed, or as a
 * previous copy) unless dst already holds src's generation; true when it
 * copied. Only the n defined entries are copied. */
bool ls_gm_copy(struct ls_gmetrics *dst, const struct ls_gmetrics *src);
/* Renders nparts sets (one per worker, index = worker) as one: a name is
 * the union over the parts, its kind the first part's that defines it
 * (a part defining it with another kind is left out of it); counters and
 * histograms (sum, count, every bucket) are summed; a gauge is one series
 * per part that defines it, labelled worker="i" -- unlabelled when
 * nparts == 1, which is then exactly ls_gm_write. */
void ls_gm_write_merged(const struct ls_gmetrics *const *parts, int nparts, FILE *f);
const struct ls_gmetric *ls_gm_find(const struct ls_gmetrics *g, const char *name);

#endif
