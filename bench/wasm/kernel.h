/* kernel.h - how a benchmark kernel is declared, so the same C file builds
 * natively (into bench/wasm_bench.c, as kernel_NAME) and to wasm32 (as a
 * module exporting `bench`, no imports, no entry point). A kernel takes no
 * argument (its size is fixed in the file, so native and wasm do the same
 * work) and returns a checksum that both builds must agree on. */
#ifndef LS_BENCH_KERNEL_H
#define LS_BENCH_KERNEL_H

#include <stdint.h>

#ifdef __wasm__
#define KERNEL(name) __attribute__((export_name("bench"))) uint64_t bench(void)
#else
#define KERNEL(name) uint64_t kernel_##name(void)
#endif

#endif
