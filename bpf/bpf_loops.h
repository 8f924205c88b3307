/* bpf_loops.h - open-coded numeric iterators (kernel >= 6.4 kfuncs) for the
 * byte loops of the payload inspectors. Unlike a plain bounded `for`, the
 * verifier checks an iterator body until its state converges (widening
 * imprecise counters) instead of once per iteration, so a 2 KiB scan costs a
 * few hundred verified instructions, not a million. */
#ifndef LS_BPF_LOOPS_H
#define LS_BPF_LOOPS_H

#include <bpf/bpf_helpers.h>

struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/* for (i = start; i < end; i++), as in the kernel's bpf_experimental.h */
#define ls_for(i, start, end)                                                          \
	for (struct bpf_iter_num ___it __attribute__((aligned(8),                     \
						      cleanup(bpf_iter_num_destroy))), \
	     *___p __attribute__((unused)) =                                           \
		     (bpf_iter_num_new(&___it, (start), (end)),                        \
		      (void)bpf_iter_num_destroy, (void *)0);                          \
	     ({                                                                        \
		     int *___t = bpf_iter_num_next(&___it);                            \
		     (___t && ((i) = *___t, (i) >= (start) && (i) < (end)));           \
	     });)

#endif
