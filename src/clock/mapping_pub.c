/* mapping_pub.c - the seqlock around the published clock mapping
 * (mapping_pub.h). */
#include "clock/mapping_pub.h"

#include <string.h>

void ls_mapping_pub_init(struct ls_mapping_pub *pub)
{
	atomic_store_explicit(&pub->seq, 0, memory_order_relaxed);
	for (size_t i = 0; i < LS_MAPPING_WORDS; i++)
		atomic_store_explicit(&pub->w[i], 0, memory_order_relaxed);
	atomic_store_explicit(&pub->retries, 0, memory_order_relaxed);
}

void ls_mapping_publish(struct ls_mapping_pub *pub, const struct ls_mapping *m)
{
	uint64_t w[LS_MAPPING_WORDS] = {0};
	memcpy(w, m, sizeof(*m));
	uint32_t s = atomic_load_explicit(&pub->seq, memory_order_relaxed);
	/* odd: readers that start now retry, and so does a reader that sees
	 * any word stored below (each is a release store that carries this
	 * odd count to the reader's acquire load of it) */
	atomic_store_explicit(&pub->seq, s + 1, memory_order_relaxed);
	for (size_t i = 0; i < LS_MAPPING_WORDS; i++)
		atomic_store_explicit(&pub->w[i], w[i], memory_order_release);
	/* even again, after every word: a reader that loads it (acquire)
	 * sees every word of this mapping or a later one's */
	atomic_store_explicit(&pub->seq, s + 2, memory_order_release);
}

struct ls_mapping ls_mapping_read(const struct ls_mapping_pub *pub)
{
	struct ls_mapping_pub *mpub = (struct ls_mapping_pub *)pub; /* the retry count */
	uint64_t w[LS_MAPPING_WORDS];
	for (;;) {
		uint32_t s1 = atomic_load_explicit(&pub->seq, memory_order_acquire);
		/* acquire: the second read of seq below stays after these, and
		 * a word of a rewrite makes it see that rewrite's odd count */
		for (size_t i = 0; i < LS_MAPPING_WORDS; i++)
			w[i] = atomic_load_explicit(&pub->w[i], memory_order_acquire);
		uint32_t s2 = atomic_load_explicit(&pub->seq, memory_order_relaxed);
		if (!(s1 & 1) && s1 == s2)
			break;
		atomic_fetch_add_explicit(&mpub->retries, 1, memory_order_relaxed);
	}
	struct ls_mapping m;
	memcpy(&m, w, sizeof(m));
	return m;
}
