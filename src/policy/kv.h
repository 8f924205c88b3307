/* kv.h - the guests' key-value store: byte-string keys and values owned by
 * the host, so they outlive guest instances (crash restarts, reloads). */
#ifndef LS_POLICY_KV_H
#define LS_POLICY_KV_H

#include <stddef.h>
#include <stdint.h>

#define LS_KV_KEY_MAX 256
#define LS_KV_VAL_MAX 4096
#define LS_KV_MAX_ENTRIES 65536
#define LS_KV_MAX_BYTES (16u << 20)

struct ls_kv;

struct ls_kv *ls_kv_new(void);
/* Another reference to the store (one more policy shares it: workers);
 * ls_kv_free drops one, the last frees. Every call below is atomic. */
struct ls_kv *ls_kv_ref(struct ls_kv *kv);
void ls_kv_free(struct ls_kv *kv);
/* Returns the value's length (copying at most cap bytes), or -1 if absent. */
long ls_kv_get(const struct ls_kv *kv, const void *key, size_t klen, void *val,
	       size_t cap);
/* 0, -1 too big, -2 full. */
int ls_kv_put(struct ls_kv *kv, const void *key, size_t klen, const void *val,
	      size_t vlen);
/* 0, or -1 if absent. */
int ls_kv_del(struct ls_kv *kv, const void *key, size_t klen);
size_t ls_kv_count(const struct ls_kv *kv);
/* How many puts and deletes the store has taken (a save compares it with
 * the one it wrote: kv_state.h). */
uint64_t ls_kv_generation(const struct ls_kv *kv);
/* Calls fn for every entry, all under the store's lock (one consistent
 * snapshot; fn must not call back into the store), in no set order; a
 * non-zero return stops the walk and is returned. *gen (if not NULL) gets
 * the generation the snapshot is of. */
typedef int (*ls_kv_each_fn)(void *ctx, const void *key, size_t klen, const void *val,
			     size_t vlen);
/* Exchanges the contents of two stores (a load fills a private store and
 * swaps it in whole). Never call it with a and b the other way round at the
 * same time. */
void ls_kv_swap(struct ls_kv *a, struct ls_kv *b);
int ls_kv_each(const struct ls_kv *kv, ls_kv_each_fn fn, void *ctx, uint64_t *gen);

#endif
