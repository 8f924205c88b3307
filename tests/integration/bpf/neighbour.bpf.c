/* neighbour.bpf.c - another TC program for tests/integration/tc_neighbours.sh:
 * what a user's own TC program at the same hook as lockstep looks like. It
 * counts the IPv4 UDP packets it sees per destination port (nb_seen, keyed
 * by port) and drops those to port 7001, passing everything else on to the
 * hook's next program (TC_ACT_UNSPEC, TCX_NEXT). Built by the test with
 * clang; not part of lockstep (hence no ls_ prefix). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} nb_seen SEC(".maps");

SEC("tc")
int nb_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return TC_ACT_UNSPEC;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return TC_ACT_UNSPEC;
	__u32 port = bpf_ntohs(udp->dest);
	__u64 one = 1, *n = bpf_map_lookup_elem(&nb_seen, &port);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&nb_seen, &port, &one, BPF_ANY);
	return port == 7001 ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}
