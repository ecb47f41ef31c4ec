/* tc ingress on the node's VXLAN device, i.e. packets from other nodes, already decapsulated:
 * a packet for a local pod goes straight into its namespace (bpf_redirect_peer, MACs as the pod
 * expects them, TTL / hop limit down by one); anything else (the node itself, a pod weftd does
 * not know, ARP) goes to the kernel, marked as addressed to this host. Nothing is dropped here:
 * what the program does not handle, the kernel judges. */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/endpoint.h"
#include "lib/eth.h"
#include "lib/l3.h"

#ifndef WEFT_BUILD_TAG
#define WEFT_BUILD_TAG 1
#endif

#define PACKET_HOST      0
#define PACKET_OTHERHOST 3

/* The sending node wrote its own VXLAN device's MAC as the inner destination (it cannot know
 * ours), so the device classified the frame as for another host, and the IP layer would
 * discard it. The kernel's path is for this node: say so. Broadcast and multicast stay. */
static __always_inline int to_kernel(struct __sk_buff *skb)
{
	if (skb->pkt_type == PACKET_OTHERHOST)
		bpf_skb_change_type(skb, PACKET_HOST);
	return TC_ACT_OK;
}

static __always_inline int from_overlay_ipv4(struct __sk_buff *skb)
{
	const struct weft_endpoint *dst;
	struct ethhdr *eth;
	struct iphdr *ip;

	if (!pkt_pull(skb, ETH_HLEN + IP4_HLEN))
		return to_kernel(skb);
	eth = PKT_DATA(skb);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > PKT_END(skb) || ip->version != 4 || ip->ihl < 5)
		return to_kernel(skb);
	dst = ep_by_ip4(ip->daddr);
	/* TTL 1: the kernel forwards it no further and sends the time-exceeded error. */
	if (!dst || ip->ttl <= 1)
		return to_kernel(skb);
	return ipv4_to_local(skb, eth, ip, dst);
}

static __always_inline int from_overlay_ipv6(struct __sk_buff *skb)
{
	const struct weft_endpoint *dst;
	struct ipv6hdr *ip6;
	struct ethhdr *eth;

	if (!pkt_pull(skb, ETH_HLEN + IP6_HLEN))
		return to_kernel(skb);
	eth = PKT_DATA(skb);
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > PKT_END(skb) || ip6->version != 6)
		return to_kernel(skb);
	dst = ep_by_ip6(&ip6->daddr);
	if (!dst || ip6->hop_limit <= 1)
		return to_kernel(skb);
	return ipv6_to_local(skb, eth, ip6, dst);
}

SEC("tc")
int weft_from_overlay(struct __sk_buff *skb)
{
	struct ethhdr *eth;
	__u16 proto;
	int ret;

	asm volatile("" : : "r"(WEFT_BUILD_TAG));
	if (!pkt_pull(skb, ETH_HLEN))
		return to_kernel(skb);
	eth = PKT_DATA(skb);
	if ((void *)(eth + 1) > PKT_END(skb))
		return to_kernel(skb);
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_IP)
		ret = from_overlay_ipv4(skb);
	else if (proto == ETH_P_IPV6)
		ret = from_overlay_ipv6(skb);
	else
		ret = to_kernel(skb);
	/* A delivery that failed half way (the checksum helper refused) is the kernel's too; the
	 * MACs were already rewritten for the pod, which the kernel's own forwarding redoes. */
	return ret < 0 ? to_kernel(skb) : ret;
}

char _license[] SEC("license") = "Dual BSD/GPL";
