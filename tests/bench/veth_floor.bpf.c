/* The veth floor, a reference for tests/bench/fabric and nothing else: the least a design with
 * a veth per pod and BPF at the host side can do to carry a packet between two nodes' pods.
 * One node, one pod. From the pod (tc ingress on its host veth): every IPv4 packet goes to the
 * other node (bpf_redirect_neigh, next hop fixed). From the underlay (tc ingress on the node's
 * device): IPv4 for the pod gets its MACs and goes into the pod (bpf_redirect_peer). No checks,
 * no counters, no lookups; ARP and the rest go to the kernel. Weft's native mode does the same
 * redirects after its checks, so native over this floor is what those checks cost, and this
 * floor over the raw underlay is what the veth pair and the redirects cost.
 * build/tools/veth_floor loads it, with the addresses set in .rodata. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK  0
#define ETH_P_IP   0x0800
#define AF_INET    2

const volatile __u32 uplink_ifindex;    /* the node's underlay device */
const volatile __be32 next_hop;         /* the other node's underlay address */
const volatile __u32 host_veth_ifindex; /* the pod's host veth */
const volatile __be32 pod_ip;
const volatile __u8 pod_mac[6];
const volatile __u8 host_mac[6];        /* the host veth's: the pod's gateway */

SEC("tc")
int floor_from_pod(struct __sk_buff *skb)
{
	struct ethhdr *eth = (void *)(long)skb->data;
	struct bpf_redir_neigh nh = { .nh_family = AF_INET };

	if ((void *)(eth + 1) > (void *)(long)skb->data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	nh.ipv4_nh = next_hop;
	return bpf_redirect_neigh(uplink_ifindex, &nh, sizeof(nh), 0);
}

SEC("tc")
int floor_from_netdev(struct __sk_buff *skb)
{
	struct ethhdr *eth = (void *)(long)skb->data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > (void *)(long)skb->data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->daddr != pod_ip)
		return TC_ACT_OK;
	for (int i = 0; i < 6; i++) {
		eth->h_dest[i] = pod_mac[i];
		eth->h_source[i] = host_mac[i];
	}
	return bpf_redirect_peer(host_veth_ifindex, 0);
}

char _license[] SEC("license") = "GPL";
