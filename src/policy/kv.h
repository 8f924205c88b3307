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

#endif
