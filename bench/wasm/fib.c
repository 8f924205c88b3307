/* fib.c - benchmark kernel: naive recursive Fibonacci (calls and returns). */
#include "kernel.h"

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* volatile: keeps the compiler from folding the whole call tree */
static volatile uint32_t fib_n = 32;

KERNEL(fib) { return fib(fib_n); }
