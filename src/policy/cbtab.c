/* cbtab.c - the handle tables of one callback (struct ls_cb: flow, verdict,
 * deadline, LS_CB_HANDLES_MAX entries each, 1.25 MiB in all) in one private
 * anonymous mapping rather than from calloc:
 *
 *   [ flow ... ][guard][ verdict ... ][guard][ deadline_k ... ][guard]
 *
 * A callback touches a few entries, so the mapping is reserved
 * (MAP_NORESERVE) and the kernel gives zeroed pages only as they are first
 * touched: a policy costs a mmap and three mprotects, not three large
 * zeroed chunks. Under ASan those chunks were most of ls_policy_new and
 * ls_policy_free (its allocator maps, poisons and quarantines every large
 * chunk; 17 % of fuzz_guest's time, which makes a policy per input). Each
 * table ends exactly at a PROT_NONE guard page, so an index past the end is
 * a fault where it happens, as ASan's redzone would have reported it. */
#include "policy/policy_int.h"

#include <sys/mman.h>
#include <unistd.h>

static size_t round_page(size_t n)
{
	long v = sysconf(_SC_PAGESIZE);
	size_t ps = v > 0 ? (size_t)v : 4096;
	return (n + ps - 1) / ps * ps;
}

/* the three tables' sizes, each rounded up to whole pages */
static void sizes(size_t len[3])
{
	len[0] = round_page(LS_CB_HANDLES_MAX * sizeof(struct ls_pflow *));
	len[1] = round_page(LS_CB_HANDLES_MAX * sizeof(uint32_t));
	len[2] = round_page(LS_CB_HANDLES_MAX * sizeof(uint64_t));
}

int ls_cb_map(struct ls_cb *cb)
{
	size_t len[3], guard = round_page(1), all = 0;
	sizes(len);
	for (int i = 0; i < 3; i++)
		all += len[i] + guard;
	uint8_t *base =
	    mmap(NULL, all, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	void *t[3];
	size_t bytes[3] = {LS_CB_HANDLES_MAX * sizeof(struct ls_pflow *),
			   LS_CB_HANDLES_MAX * sizeof(uint32_t),
			   LS_CB_HANDLES_MAX * sizeof(uint64_t)};
	uint8_t *at = base;
	for (int i = 0; i < 3; i++) {
		if (mprotect(at, len[i], PROT_READ | PROT_WRITE)) {
			munmap(base, all);
			return -1;
		}
		t[i] = at + len[i] - bytes[i]; /* ends at the guard page */
		at += len[i] + guard;
	}
	cb->flow = t[0];
	cb->verdict = t[1];
	cb->deadline_k = t[2];
	cb->map = base;
	cb->map_len = all;
	return 0;
}

void ls_cb_unmap(struct ls_cb *cb)
{
	if (cb->map)
		munmap(cb->map, cb->map_len);
	cb->map = NULL;
	cb->map_len = 0;
	cb->flow = NULL;
	cb->verdict = NULL;
	cb->deadline_k = NULL;
}
