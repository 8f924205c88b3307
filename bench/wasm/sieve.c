/* sieve.c - benchmark kernel: sieve of Eratosthenes up to 2e6, twice (byte loads
 * and stores, tight loops). */
#include "kernel.h"

#define SIEVE_N 2000000
static uint8_t composite[SIEVE_N + 1];

KERNEL(sieve)
{
	uint64_t total = 0;
	for (int rep = 0; rep < 2; rep++) {
		for (uint32_t i = 0; i <= SIEVE_N; i++)
			composite[i] = 0;
		uint32_t count = 0;
		for (uint32_t i = 2; i <= SIEVE_N; i++) {
			if (composite[i])
				continue;
			count++;
			for (uint64_t j = (uint64_t)i * i; j <= SIEVE_N; j += i)
				composite[j] = 1;
		}
		total += count;
	}
	return total;
}
