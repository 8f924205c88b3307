/* kv.c - the guests' key-value store (kv.h): a chained hash table that
 * doubles when it fills, with a cap on entries and bytes so that a guest
 * cannot make the host grow without bound. One store may be shared by the
 * instances of several policy workers (docs/abi.md, "Workers"): each call
 * holds its mutex, and the last reference frees it. */
#include "policy/kv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct kv_ent {
	struct kv_ent *next;
	uint32_t hash;
	uint16_t klen;
	uint16_t vlen;
	uint8_t data[]; /* key then value */
};

struct ls_kv {
	struct kv_ent **b;
	size_t nb, n, bytes;
	pthread_mutex_t mu; /* every call, whoever shares the store */
	unsigned refs;	    /* under mu */
	uint64_t gen;	    /* under mu: changes so far (the state file's dirty mark) */
};

static uint32_t kv_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

struct ls_kv *ls_kv_new(void)
{
	struct ls_kv *kv = calloc(1, sizeof(*kv));
	if (!kv)
		return NULL;
	kv->nb = 64;
	kv->b = calloc(kv->nb, sizeof(*kv->b));
	if (!kv->b) {
		free(kv);
		return NULL;
	}
	pthread_mutex_init(&kv->mu, NULL);
	kv->refs = 1;
	return kv;
}

struct ls_kv *ls_kv_ref(struct ls_kv *kv)
{
	pthread_mutex_lock(&kv->mu);
	kv->refs++;
	pthread_mutex_unlock(&kv->mu);
	return kv;
}

void ls_kv_free(struct ls_kv *kv)
{
	if (!kv)
		return;
	pthread_mutex_lock(&kv->mu);
	unsigned left = --kv->refs;
	pthread_mutex_unlock(&kv->mu);
	if (left)
		return;
	pthread_mutex_destroy(&kv->mu);
	for (size_t i = 0; i < kv->nb; i++)
		for (struct kv_ent *e = kv->b[i], *nx; e; e = nx) {
			nx = e->next;
			free(e);
		}
	free(kv->b);
	free(kv);
}

static struct kv_ent **kv_find(const struct ls_kv *kv, const void *key,
			       size_t klen, uint32_t h)
{
	struct kv_ent **pp = &kv->b[h & (kv->nb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->klen == klen &&
		    !memcmp((*pp)->data, key, klen))
			return pp;
	return pp;
}

static long get_unlocked(const struct ls_kv *kv, const void *key, size_t klen, void *val,
	       size_t cap)
{
	if (klen > LS_KV_KEY_MAX)
		return -1;
	struct kv_ent *e = *kv_find(kv, key, klen, kv_hash(key, klen));
	if (!e)
		return -1;
	memcpy(val, e->data + e->klen, e->vlen < cap ? e->vlen : cap);
	return e->vlen;
}

static void kv_grow(struct ls_kv *kv)
{
	size_t nb = kv->nb * 2;
	struct kv_ent **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* keep the longer chains; correctness is unaffected */
	for (size_t i = 0; i < kv->nb; i++)
		for (struct kv_ent *e = kv->b[i], *nx; e; e = nx) {
			nx = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(kv->b);
	kv->b = b;
	kv->nb = nb;
}

static int put_unlocked(struct ls_kv *kv, const void *key, size_t klen, const void *val,
	      size_t vlen)
{
	if (klen > LS_KV_KEY_MAX || vlen > LS_KV_VAL_MAX)
		return -1;
	uint32_t h = kv_hash(key, klen);
	struct kv_ent **pp = kv_find(kv, key, klen, h), *old = *pp;
	size_t oldsz = old ? old->klen + old->vlen : 0;
	if (!old && kv->n >= LS_KV_MAX_ENTRIES)
		return -2;
	if (kv->bytes - oldsz + klen + vlen > LS_KV_MAX_BYTES)
		return -2;
	struct kv_ent *e = malloc(sizeof(*e) + klen + vlen);
	if (!e)
		return -2;
	e->hash = h;
	e->klen = (uint16_t)klen;
	e->vlen = (uint16_t)vlen;
	memcpy(e->data, key, klen);
	if (vlen)
		memcpy(e->data + klen, val, vlen);
	if (old) {
		e->next = old->next;
		*pp = e;
		free(old);
		kv->bytes -= oldsz;
	} else {
		e->next = NULL;
		*pp = e;
		kv->n++;
	}
	kv->bytes += klen + vlen;
	kv->gen++;
	if (kv->n > kv->nb * 2)
		kv_grow(kv);
	return 0;
}

static int del_unlocked(struct ls_kv *kv, const void *key, size_t klen)
{
	if (klen > LS_KV_KEY_MAX)
		return -1;
	struct kv_ent **pp = kv_find(kv, key, klen, kv_hash(key, klen)), *e = *pp;
	if (!e)
		return -1;
	*pp = e->next;
	kv->bytes -= e->klen + e->vlen;
	kv->n--;
	kv->gen++;
	free(e);
	return 0;
}

/* The public calls: each one whole under the store's mutex. */
long ls_kv_get(const struct ls_kv *kv, const void *key, size_t klen, void *val, size_t cap)
{
	struct ls_kv *m = (struct ls_kv *)kv; /* the mutex, not the content */
	pthread_mutex_lock(&m->mu);
	long n = get_unlocked(kv, key, klen, val, cap);
	pthread_mutex_unlock(&m->mu);
	return n;
}

int ls_kv_put(struct ls_kv *kv, const void *key, size_t klen, const void *val, size_t vlen)
{
	pthread_mutex_lock(&kv->mu);
	int rc = put_unlocked(kv, key, klen, val, vlen);
	pthread_mutex_unlock(&kv->mu);
	return rc;
}

int ls_kv_del(struct ls_kv *kv, const void *key, size_t klen)
{
	pthread_mutex_lock(&kv->mu);
	int rc = del_unlocked(kv, key, klen);
	pthread_mutex_unlock(&kv->mu);
	return rc;
}

size_t ls_kv_count(const struct ls_kv *kv)
{
	struct ls_kv *m = (struct ls_kv *)kv;
	pthread_mutex_lock(&m->mu);
	size_t n = kv->n;
	pthread_mutex_unlock(&m->mu);
	return n;
}

uint64_t ls_kv_generation(const struct ls_kv *kv)
{
	struct ls_kv *m = (struct ls_kv *)kv;
	pthread_mutex_lock(&m->mu);
	uint64_t g = kv->gen;
	pthread_mutex_unlock(&m->mu);
	return g;
}

int ls_kv_each(const struct ls_kv *kv, ls_kv_each_fn fn, void *ctx, uint64_t *gen)
{
	struct ls_kv *m = (struct ls_kv *)kv;
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	if (gen)
		*gen = kv->gen;
	for (size_t i = 0; i < kv->nb && !rc; i++)
		for (const struct kv_ent *e = kv->b[i]; e && !rc; e = e->next)
			rc = fn(ctx, e->data, e->klen, e->data + e->klen, e->vlen);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

void ls_kv_swap(struct ls_kv *a, struct ls_kv *b)
{
	pthread_mutex_lock(&a->mu);
	pthread_mutex_lock(&b->mu);
	struct kv_ent **tb = a->b;
	size_t nb = a->nb, n = a->n, bytes = a->bytes;
	a->b = b->b, a->nb = b->nb, a->n = b->n, a->bytes = b->bytes;
	b->b = tb, b->nb = nb, b->n = n, b->bytes = bytes;
	a->gen++;
	b->gen++;
	pthread_mutex_unlock(&b->mu);
	pthread_mutex_unlock(&a->mu);
}
