/* pool.h - fixed-size objects from slabs with a free list, for the
 * policy's flow table (flows.c): a node per flow, taken and given back at
 * the new-flow rate (docs/workers.md, "Where an event's time goes": a
 * malloc and the first-touch page faults of each node were a third of an
 * event's time). One pool per policy instance, i.e. per worker: no lock.
 *
 * Objects are carved from slabs mapped with their pages already present
 * (MAP_POPULATE: one system call faults a slab's pages in, instead of a
 * page fault per few nodes), and a released object goes on the free list
 * for the next one. The slabs hold at most `limit` objects in all (the
 * flows the data plane's table can hold); past that an object is malloc'd
 * and freed on release, so a pool never keeps more than its limit.
 *
 * Under AddressSanitizer an object on the free list is poisoned (all but
 * its first 8 bytes, the free list's link), so a use after release --
 * a node given back while still linked -- is reported. */
#ifndef LS_POLICY_POOL_H
#define LS_POLICY_POOL_H

#include <stdbool.h>
#include <stddef.h>

struct ls_pool_slab;

struct ls_pool {
	size_t size;		    /* of an object, rounded up to 16 */
	size_t limit;		    /* objects the slabs may hold in all */
	size_t carved;		    /* objects carved from the slabs so far */
	size_t nfree;		    /* on the free list */
	void *free;		    /* free list, linked through each object's first word */
	struct ls_pool_slab *slabs; /* newest first; the first has room left */
	size_t slab_used, slab_cap; /* objects carved from / room in the first */
	size_t heap;		    /* objects malloc'd past the limit, live */
};

/* A pool of objects of `size` bytes (>= 8), at most `limit` (>= 1) of
 * them from slabs. */
void ls_pool_init(struct ls_pool *p, size_t size, size_t limit);
/* Unmaps every slab: every object taken from it is gone with it. */
void ls_pool_fini(struct ls_pool *p);
/* An object (uninitialised), or NULL when out of memory. *pooled says
 * whether it came from a slab: give it to ls_pool_put with it. */
void *ls_pool_get(struct ls_pool *p, bool *pooled);
void ls_pool_put(struct ls_pool *p, void *obj, bool pooled);

#endif
