/* gmetrics_bench.c - the cost of labelled guest metrics (policy/gmetrics.h)
 * against the unlabelled ones they extend, in one run:
 *   - an update: ls_gm_add on an unlabelled counter (the baseline) against
 *     ls_gm_add_l on a series of two labels (validation, UTF-8 check, hash
 *     lookup), with 10 and with 4,000 series held;
 *   - a worker's publish (ls_gm_copy after a change): 10 unlabelled
 *     metrics (the baseline) against the same plus 4,000 labelled series;
 *   - a scrape's rendering (ls_gm_write_merged of two workers' copies).
 * Medians of 5 rounds; times are printed, never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/gmetrics.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

#define ROUNDS 5

/* a set with 10 unlabelled counters and, when nseries, one labelled
 * metric per 1,000 of them ("host", "verdict") */
static void fill(struct ls_gmetrics *g, int nseries, int *plain, int *lab)
{
	char name[16], vals[64];
	for (int i = 0; i < 10; i++) {
		int n = snprintf(name, sizeof name, "plain%d", i);
		*plain = ls_gm_define(g, LS_GM_COUNTER, name, (size_t)n, "", 0);
	}
	for (int m = 0; m * 1000 < (nseries ? nseries : 1); m++) {
		int n = snprintf(name, sizeof name, "lab%d", m);
		lab[m] =
		    ls_gm_define_l(g, LS_GM_COUNTER, name, (size_t)n, "", 0, "host\0verdict", 13);
		for (int i = 0; i < 1000 && m * 1000 + i < nseries; i++) {
			int k = snprintf(vals, sizeof vals, "h%d.example.com%cpass", i, 0);
			ls_gm_add_l(g, lab[m], vals, (size_t)k + 1, 1);
		}
	}
}

int main(void)
{
	static struct ls_gmetrics small, big, copy, copy2;
	int plain, lab_small[1], lab_big[4];
	fill(&small, 10, &plain, lab_small);
	fill(&big, 4000, &plain, lab_big);
	const int N = 1000000;
	double t_plain[ROUNDS], t_l10[ROUNDS], t_l4000[ROUNDS];
	static const char v[] = "h7.example.com\0pass";
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_s();
		for (int i = 0; i < N; i++)
			ls_gm_add(&small, plain, 1);
		double t1 = now_s();
		for (int i = 0; i < N; i++)
			ls_gm_add_l(&small, lab_small[0], v, sizeof(v), 1);
		double t2 = now_s();
		for (int i = 0; i < N; i++)
			ls_gm_add_l(&big, lab_big[0], v, sizeof(v), 1);
		double t3 = now_s();
		t_plain[r] = (t1 - t0) / N * 1e9;
		t_l10[r] = (t2 - t1) / N * 1e9;
		t_l4000[r] = (t3 - t2) / N * 1e9;
	}
	double p = median(t_plain, ROUNDS), l10 = median(t_l10, ROUNDS),
	       l4k = median(t_l4000, ROUNDS);
	printf("update, ns: unlabelled %.1f | labelled, 10 series %.1f (x%.1f) | 4,000 series "
	       "%.1f (x%.1f)\n",
	       p, l10, l10 / p, l4k, l4k / p);

	/* publish: a change, then a copy (what a worker does after a batch) */
	static struct ls_gmetrics base;
	int bplain, blab[1];
	for (int i = 0; i < 10; i++) {
		char name[16];
		int n = snprintf(name, sizeof name, "plain%d", i);
		bplain = ls_gm_define(&base, LS_GM_COUNTER, name, (size_t)n, "", 0);
	}
	(void)blab;
	static struct ls_gmetrics bcopy;
	double c_base[ROUNDS], c_big[ROUNDS];
	const int C = 2000;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_s();
		for (int i = 0; i < C; i++) {
			ls_gm_add(&base, bplain, 1);
			ls_gm_copy(&bcopy, &base);
		}
		double t1 = now_s();
		for (int i = 0; i < C; i++) {
			ls_gm_add(&big, plain, 1);
			ls_gm_copy(&copy, &big);
		}
		double t2 = now_s();
		c_base[r] = (t1 - t0) / C * 1e6;
		c_big[r] = (t2 - t1) / C * 1e6;
	}
	double cb = median(c_base, ROUNDS), cg = median(c_big, ROUNDS);
	printf("publish (change + copy), us: 10 unlabelled %.2f | + 4,000 series %.2f (x%.0f)\n",
	       cb, cg, cg / cb);

	/* a guest with the full 64 unlabelled metrics: each metric's entry
	 * carries its label names' room now (sizeof printed) */
	static struct ls_gmetrics full, fcopy;
	int fid = -1;
	for (int i = 0; i < LS_GM_MAX; i++) {
		char name[16];
		int n = snprintf(name, sizeof name, "m%d", i);
		fid = ls_gm_define(&full, LS_GM_GAUGE, name, (size_t)n, "", 0);
	}
	double c_full[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_s();
		for (int i = 0; i < C; i++) {
			ls_gm_set(&full, fid, i);
			ls_gm_copy(&fcopy, &full);
		}
		c_full[r] = (now_s() - t0) / C * 1e6;
	}
	printf("publish, 64 unlabelled metrics: %.2f us (an entry is %zu bytes, %zu of them label "
	       "names)\n",
	       median(c_full, ROUNDS), sizeof(struct ls_gmetric),
	       sizeof(((struct ls_gmetric *)0)->lname));

	/* a scrape of two workers' copies */
	ls_gm_copy(&copy2, &big);
	const struct ls_gmetrics *parts[2] = {&copy, &copy2};
	double s[ROUNDS];
	size_t bytes = 0;
	for (int r = 0; r < ROUNDS; r++) {
		char *text = NULL;
		size_t len = 0;
		double t0 = now_s();
		FILE *f = open_memstream(&text, &len);
		ls_gm_write_merged(parts, 2, f);
		fclose(f);
		s[r] = (now_s() - t0) * 1e3;
		bytes = len;
		free(text);
	}
	printf("scrape of 2 workers x 4,000 series: %.2f ms, %zu bytes\n", median(s, ROUNDS),
	       bytes);
	ls_gm_free(&small);
	ls_gm_free(&big);
	ls_gm_free(&copy);
	ls_gm_free(&copy2);
	ls_gm_free(&base);
	ls_gm_free(&bcopy);
	return 0;
}
