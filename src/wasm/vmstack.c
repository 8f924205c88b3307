/* vmstack.c - an instance's operand stack and call frames, in one private
 * anonymous mapping of their own rather than from malloc:
 *
 *   [guard][ operand stack ... |stack_end][guard][ frames ... |frames+n][guard]
 *
 * The stack is 8 MiB by default and a call depth of 10000 needs 240 KiB of
 * frames, of which a callback touches a few pages: the mapping is reserved
 * (MAP_NORESERVE) and the kernel gives pages only as they are first
 * touched, so instantiating costs a mmap and two mprotects whatever the
 * sizes, under ASan too (whose allocator poisons and quarantines the shadow
 * of every large chunk: two thirds of an instantiation's time in the guest
 * fuzzer). Each region ends exactly at a PROT_NONE guard page, so an engine
 * bug that writes past the end of the stack or of the frames (or below the
 * stack, when its size is whole pages, as the default 8 MiB) is a hardware
 * fault where it happens, not silent corruption; the
 * interpreter's own checks (stack_end, max_call_depth) stay the limit a
 * guest meets. The memory budget (instance.c, budget_plan) counts both
 * regions in full, as before: it bounds what a guest can make the engine
 * touch, whatever the kernel has committed so far. */
#include "wasm/rt.h"

#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
	static size_t ps;
	if (!ps) {
		long v = sysconf(_SC_PAGESIZE);
		ps = v > 0 ? (size_t)v : 4096;
	}
	return ps;
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

int lw_vmstack_map(lw_instance *in, size_t nslots, size_t nframes)
{
	size_t ps = page_size();
	size_t sbytes = nslots * sizeof(uint64_t), fbytes = nframes * sizeof(lw_frame);
	if (nslots > SIZE_MAX / 2 / sizeof(uint64_t) || nframes > SIZE_MAX / 2 / sizeof(lw_frame))
		return -1;
	size_t slen = round_up(sbytes, ps), flen = round_up(fbytes, ps);
	size_t len = ps + slen + ps + flen + ps;
	uint8_t *base =
	    mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	uint8_t *s = base + ps, *f = s + slen + ps;
	if (mprotect(s, slen, PROT_READ | PROT_WRITE) ||
	    mprotect(f, flen, PROT_READ | PROT_WRITE)) {
		munmap(base, len);
		return -1;
	}
	in->vm_base = base;
	in->vm_len = len;
	/* each region ends at its guard page; zeroed by the kernel */
	in->stack = (uint64_t *)(s + slen - sbytes);
	in->stack_end = in->stack + nslots;
	in->frames = (lw_frame *)(f + flen - fbytes);
	return 0;
}

void lw_vmstack_unmap(lw_instance *in)
{
	if (in->vm_base)
		munmap(in->vm_base, in->vm_len);
	in->vm_base = NULL;
	in->vm_len = 0;
	in->stack = in->stack_end = in->stack_top = NULL;
	in->frames = NULL;
}
