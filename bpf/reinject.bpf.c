/* reinject.bpf.c - the program user space runs held frames through to put
 * them back into a device's receive path (src/dataplane/reinject.c):
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES and ingress_ifindex set
 * turns an XDP_PASS frame into an skb received on that device, which
 * enters its stack as if it had just arrived. It runs after the data
 * plane's XDP program (with native XDP the attached program does not see
 * it again), so it passes everything, untouched. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int ls_reinject(struct xdp_md *ctx)
{
	return XDP_PASS;
}
