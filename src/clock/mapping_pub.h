/* mapping_pub.h - the clock mapping published to other threads: one writer
 * (the heartbeat, on the agent's main thread, after each beat) and any
 * number of readers (the policy workers, docs/workers.md) that translate
 * guest times with it while the writer rewrites it.
 *
 * A seqlock (the Linux kernel's seqcount, in C11 atomics): the writer makes
 * the sequence odd, stores the mapping, makes it even again; a reader
 * copies the mapping between two reads of the sequence and retries while
 * the sequence was odd or changed. A reader therefore gets one whole
 * mapping, never the new ref_k with the old ref_g (a torn read errs a
 * deadline by a whole step of G). The mapping is stored as words written with
 * release and read with acquire atomics (plain moves on x86), so concurrent
 * access is defined behaviour, ThreadSanitizer sees no race, and no
 * standalone fence is needed (H. Boehm, "Can seqlocks get along with
 * programming language memory models?", 2012). The writer never waits; a reader spins only while a
 * rewrite is in progress (a few stores).
 */
#ifndef LS_CLOCK_MAPPING_PUB_H
#define LS_CLOCK_MAPPING_PUB_H

#include <stdatomic.h>
#include <stdint.h>

#include "clock/estimator.h"

#define LS_MAPPING_WORDS ((sizeof(struct ls_mapping) + 7) / 8)

struct ls_mapping_pub {
	_Atomic uint32_t seq;		      /* odd while a rewrite is in progress */
	_Atomic uint64_t w[LS_MAPPING_WORDS]; /* the mapping, word by word */
	_Atomic uint64_t retries;	      /* reads that had to retry */
};

/* An all-zero pub reads as the invalid mapping (valid == false). */
void ls_mapping_pub_init(struct ls_mapping_pub *pub);

/* Writer side (one thread at a time): replace the published mapping. */
void ls_mapping_publish(struct ls_mapping_pub *pub, const struct ls_mapping *m);

/* Reader side (any thread): one consistent copy of the published mapping. */
struct ls_mapping ls_mapping_read(const struct ls_mapping_pub *pub);

#endif
