/* time.c - clock reads (see time.h). */
#include "base/time.h"

int64_t ls_clock_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts))
		return -1;
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

uint64_t ls_now_k(void)
{
	/* CLOCK_BOOTTIME cannot fail on the kernels lockstep runs on (it
	 * needs eBPF with bpf_ktime_get_boot_ns, 5.8+) */
	return (uint64_t)ls_clock_ns(CLOCK_BOOTTIME);
}
