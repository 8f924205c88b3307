/* reinject.bpf.c - the programs user space uses to put held frames back into
 * a device's receive path (src/dataplane/reinject.c), by one of two routes:
 *
 * ls_reinject (XDP): run through BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES and ingress_ifindex set, an XDP_PASS frame
 * becomes an skb received on that device, handed to its stack. It runs
 * after the data plane's XDP program (with native XDP the attached program
 * does not see it again), so it passes everything, untouched.
 * ls_reinject_probe (XDP): the same run with XDP_DROP, to learn whether
 * the kernel allows live frames at all without injecting anything.
 *
 * ls_reinject_lo (TC ingress of the loopback device): where live frames are
 * refused, user space sends the frame out of `lo` from an AF_PACKET socket
 * whose mark carries LS_REINJECT_MARK and the target ifindex; this
 * redirects it into that device's ingress (bpf_redirect BPF_F_INGRESS),
 * which again is past the device's native XDP hook. Everything else on lo
 * is left alone. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "lockstep/wire.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int ls_reinject(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int ls_reinj_probe(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int ls_reinject_lo(struct __sk_buff *skb)
{
	__u32 m = skb->mark;
	if ((m & LS_REINJECT_MARK_MASK) != LS_REINJECT_MARK)
		return TC_ACT_OK;
	skb->mark = 0;
	return bpf_redirect(m & ~LS_REINJECT_MARK_MASK, BPF_F_INGRESS);
}
