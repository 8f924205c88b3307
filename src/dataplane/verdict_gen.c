/* verdict_gen.c - the verdict generation (wire.h, `verdict_gen`): mapped
 * into this process and bumped after every verdict this process writes or
 * deletes, so that the data plane's per-CPU verdict cache drops what it
 * holds at the next packet. */
#include "dataplane/dp_internal.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

uint64_t *ls_vgen_map(int fd)
{
	if (fd < 0)
		return NULL;
	void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

void ls_vgen_unmap(uint64_t *gen)
{
	if (gen)
		munmap(gen, (size_t)sysconf(_SC_PAGESIZE));
}

void ls_vgen_bump(uint64_t *gen)
{
	/* After the map write has returned: a CPU that sees the new number
	 * also sees the new verdict. Without a mapping (an older data plane
	 * that does not cache) there is nothing to tell. */
	if (gen)
		__atomic_add_fetch(gen, 1, __ATOMIC_SEQ_CST);
}
