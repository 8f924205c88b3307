/* qsort.c - WASI test program: qsort on integers and on structs keyed by
 * strings (comparators called through call_indirect), then bsearch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 20000

static uint32_t rng = 2024;
static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

struct rec {
	char name[12];
	int id;
};

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->id - y->id;
}

int main(void)
{
	static int v[N];
	int64_t sum = 0;
	for (int i = 0; i < N; i++) {
		v[i] = (int)(next() % 2000001) - 1000000;
		sum += v[i];
	}
	qsort(v, N, sizeof v[0], cmp_int);
	int sorted = 1;
	int64_t sum2 = 0;
	for (int i = 0; i < N; i++) {
		if (i && v[i - 1] > v[i])
			sorted = 0;
		sum2 += v[i];
	}
	printf("ints: n=%d sorted=%d sum_kept=%d min=%d median=%d max=%d\n", N, sorted,
	       sum == sum2, v[0], v[N / 2], v[N - 1]);
	int key = v[1234];
	int *hit = bsearch(&key, v, N, sizeof v[0], cmp_int);
	printf("bsearch(%d): %s\n", key, hit && *hit == key ? "found" : "missing");

	static struct rec r[2000];
	for (int i = 0; i < 2000; i++) {
		int len = 3 + next() % 8;
		for (int k = 0; k < len; k++)
			r[i].name[k] = 'a' + next() % 4;
		r[i].name[len] = 0;
		r[i].id = i;
	}
	qsort(r, 2000, sizeof r[0], cmp_rec);
	int ok = 1;
	for (int i = 1; i < 2000; i++)
		if (cmp_rec(&r[i - 1], &r[i]) > 0)
			ok = 0;
	printf("records sorted=%d\n", ok);
	for (int i = 0; i < 5; i++)
		printf("  %s #%d\n", r[i].name, r[i].id);
	printf("  ...\n  %s #%d\n", r[1999].name, r[1999].id);
	return !(sorted && ok);
}
