/* sort.c - benchmark kernel: quicksort (median of three, insertion sort for
 * small ranges) of 200k pseudo-random integers. */
#include "kernel.h"

#define N 200000
static int32_t v[N];

static void insertion(int32_t *a, int n)
{
	for (int i = 1; i < n; i++) {
		int32_t x = a[i];
		int j = i - 1;
		while (j >= 0 && a[j] > x) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = x;
	}
}

static void quicksort(int32_t *a, int n)
{
	while (n > 16) {
		int32_t x = a[0], y = a[n / 2], z = a[n - 1];
		int32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		int i = 0, j = n - 1;
		for (;;) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i >= j)
				break;
			int32_t t = a[i];
			a[i++] = a[j];
			a[j--] = t;
		}
		/* recurse into the smaller half, loop on the larger */
		if (j + 1 < n - j - 1) {
			quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quicksort(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion(a, n);
}

KERNEL(sort)
{
	uint64_t acc = 0;
	uint32_t s = 42;
	for (int rep = 0; rep < 1; rep++) {
		for (int i = 0; i < N; i++) {
			s ^= s << 13;
			s ^= s >> 17;
			s ^= s << 5;
			v[i] = (int32_t)s;
		}
		quicksort(v, N);
		for (int i = 1; i < N; i++)
			if (v[i - 1] > v[i])
				return 0; /* not sorted: a checksum no build will match */
		acc += (uint64_t)v[N / 3] + (uint64_t)v[N - 1];
	}
	return acc;
}
