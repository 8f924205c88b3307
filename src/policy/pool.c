/* pool.c - fixed-size objects from pre-faulted slabs with a free list
 * (pool.h). */
#include "policy/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define LS_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LS_POOL_ASAN 1
#endif
#endif
#ifdef LS_POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(a, n) ASAN_POISON_MEMORY_REGION(a, n)
#define UNPOISON(a, n) ASAN_UNPOISON_MEMORY_REGION(a, n)
#else
#define POISON(a, n) ((void)(a), (void)(n))
#define UNPOISON(a, n) ((void)(a), (void)(n))
#endif

/* Slabs start small (a policy with few flows maps little) and double, up
 * to this many bytes each. */
#define SLAB_FIRST 64
#define SLAB_MAX_BYTES (256u << 10)

struct ls_pool_slab {
	struct ls_pool_slab *next;
	size_t bytes; /* mapped, this header included */
	_Alignas(16) unsigned char obj[];
};

void ls_pool_init(struct ls_pool *p, size_t size, size_t limit)
{
	*p = (struct ls_pool){.size = ((size < 8 ? 8 : size) + 15) & ~(size_t)15,
			      .limit = limit ? limit : 1};
}

void ls_pool_fini(struct ls_pool *p)
{
	for (struct ls_pool_slab *s = p->slabs, *nx; s; s = nx) {
		nx = s->next;
		UNPOISON(s, s->bytes);
		munmap(s, s->bytes);
	}
	p->slabs = NULL;
	p->free = NULL;
	p->nfree = p->carved = p->slab_used = p->slab_cap = 0;
}

/* A new slab: twice the last one, within SLAB_MAX_BYTES and the limit. */
static bool new_slab(struct ls_pool *p)
{
	size_t left = p->limit - p->carved;
	size_t n = p->slab_cap ? p->slab_cap * 2 : SLAB_FIRST;
	size_t most = (SLAB_MAX_BYTES - sizeof(struct ls_pool_slab)) / p->size;
	if (n > most)
		n = most ? most : 1;
	if (n > left)
		n = left;
	size_t bytes = sizeof(struct ls_pool_slab) + n * p->size;
	/* present from the start: one fault-in for the whole slab */
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED)
		return false;
	struct ls_pool_slab *s = m;
	s->next = p->slabs;
	s->bytes = bytes;
	p->slabs = s;
	p->slab_used = 0;
	p->slab_cap = n;
	POISON(s->obj, n * p->size); /* carved objects are unpoisoned as taken */
	return true;
}

void *ls_pool_get(struct ls_pool *p, bool *pooled)
{
	void *o = p->free;
	if (o) {
		UNPOISON(o, p->size);
		p->free = *(void **)o;
		p->nfree--;
		*pooled = true;
		return o;
	}
	if (p->slab_used == p->slab_cap && (p->carved >= p->limit || !new_slab(p))) {
		/* past the limit (or no memory to map): the heap's, freed on release */
		*pooled = false;
		o = malloc(p->size);
		if (o)
			p->heap++;
		return o;
	}
	o = p->slabs->obj + p->slab_used++ * p->size;
	p->carved++;
	UNPOISON(o, p->size);
	*pooled = true;
	return o;
}

void ls_pool_put(struct ls_pool *p, void *obj, bool pooled)
{
	if (!obj)
		return;
	if (!pooled) {
		free(obj);
		p->heap--;
		return;
	}
	*(void **)obj = p->free;
	p->free = obj;
	p->nfree++;
	/* all but the link: touching a released object is reported */
	POISON((unsigned char *)obj + sizeof(void *), p->size - sizeof(void *));
}
