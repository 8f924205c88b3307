/* malloc.c - WASI test program: malloc/realloc/free churn with content
 * checks, so allocator bugs or memory.grow problems show as wrong sums. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
#define ROUNDS 20000

static uint32_t rng = 12345;
static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

int main(void)
{
	static uint8_t *slot[SLOTS];
	static size_t len[SLOTS];
	uint64_t allocated = 0, frees = 0, reallocs = 0, bad = 0, peak = 0, live = 0;

	for (int r = 0; r < ROUNDS; r++) {
		int i = next() % SLOTS;
		uint32_t op = next() % 4;
		if (slot[i]) {
			/* verify the pattern written when it was filled */
			for (size_t k = 0; k < len[i]; k++)
				if (slot[i][k] != (uint8_t)(i + k))
					bad++;
			if (op == 0) {
				size_t nl = next() % 70000 + 1;
				uint8_t *p = realloc(slot[i], nl);
				if (!p) {
					printf("realloc failed\n");
					return 1;
				}
				for (size_t k = len[i]; k < nl; k++)
					p[k] = (uint8_t)(i + k);
				live = live + nl - len[i];
				slot[i] = p;
				len[i] = nl;
				reallocs++;
			} else {
				live -= len[i];
				free(slot[i]);
				slot[i] = NULL;
				frees++;
			}
		} else {
			size_t n = (op == 3) ? next() % 200000 + 1 : next() % 512 + 1;
			slot[i] = malloc(n);
			if (!slot[i]) {
				printf("malloc failed\n");
				return 1;
			}
			len[i] = n;
			for (size_t k = 0; k < n; k++)
				slot[i][k] = (uint8_t)(i + k);
			live += n;
			allocated++;
		}
		if (live > peak)
			peak = live;
	}
	uint64_t sum = 0;
	for (int i = 0; i < SLOTS; i++)
		if (slot[i]) {
			for (size_t k = 0; k < len[i]; k++)
				sum += slot[i][k];
			free(slot[i]);
		}
	void *big = malloc(8u << 20); /* 8 MiB: forces memory.grow */
	printf("big allocation: %s\n", big ? "ok" : "failed");
	if (big) {
		memset(big, 0xab, 8u << 20);
		free(big);
	}
	printf("allocs=%llu frees=%llu reallocs=%llu\n", (unsigned long long)allocated,
	       (unsigned long long)frees, (unsigned long long)reallocs);
	printf("peak live bytes=%llu final sum=%llu corrupt bytes=%llu\n",
	       (unsigned long long)peak, (unsigned long long)sum, (unsigned long long)bad);
	return bad != 0;
}
