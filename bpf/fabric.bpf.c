/* tc ingress on the node's fabric devices, i.e. packets from other nodes: on the underlay device
 * (native mode; and in overlay mode, where it decapsulates VXLAN itself) and on the VXLAN device
 * (overlay mode: what the kernel decapsulated). A packet for a local pod goes straight into its
 * namespace (bpf_redirect_peer, MACs as the pod expects them, TTL / hop limit down by one),
 * skipping the kernel's forwarding and netfilter as the sending side's from-pod program does;
 * anything else (the node itself, a pod weftd does not know, ARP, other hosts' traffic) goes to
 * the kernel. Nothing is dropped here: what the programs do not handle, the kernel judges. */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/endpoint.h"
#include "lib/eth.h"
#include "lib/l3.h"
#include "lib/vxlan.h"

#ifndef WEFT_BUILD_TAG
#define WEFT_BUILD_TAG 1
#endif

#define PACKET_HOST      0
#define PACKET_OTHERHOST 3

/* Into a local pod, or WEFT_CONTINUE when the packet is not for one (or is not IP, or its TTL
 * ends here: the kernel sends the time-exceeded error). A negative result is a delivery that
 * failed half way (the checksum helper refused); the MACs were already rewritten for the pod,
 * which the kernel's own forwarding redoes. */
static __always_inline int to_local_ipv4(struct __sk_buff *skb)
{
	const struct weft_endpoint *dst;
	struct ethhdr *eth;
	struct iphdr *ip;

	if (!pkt_pull(skb, ETH_HLEN + IP4_HLEN))
		return WEFT_CONTINUE;
	eth = PKT_DATA(skb);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > PKT_END(skb) || ip->version != 4 || ip->ihl < 5)
		return WEFT_CONTINUE;
	dst = ep_by_ip4(ip->daddr);
	if (!dst || ip->ttl <= 1)
		return WEFT_CONTINUE;
	return ipv4_to_local(skb, eth, ip, dst);
}

static __always_inline int to_local_ipv6(struct __sk_buff *skb)
{
	const struct weft_endpoint *dst;
	struct ipv6hdr *ip6;
	struct ethhdr *eth;

	if (!pkt_pull(skb, ETH_HLEN + IP6_HLEN))
		return WEFT_CONTINUE;
	eth = PKT_DATA(skb);
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > PKT_END(skb) || ip6->version != 6)
		return WEFT_CONTINUE;
	dst = ep_by_ip6(&ip6->daddr);
	if (!dst || ip6->hop_limit <= 1)
		return WEFT_CONTINUE;
	return ipv6_to_local(skb, eth, ip6, dst);
}

static __always_inline int to_local(struct __sk_buff *skb)
{
	struct ethhdr *eth;

	if (!pkt_pull(skb, ETH_HLEN))
		return WEFT_CONTINUE;
	eth = PKT_DATA(skb);
	if ((void *)(eth + 1) > PKT_END(skb))
		return WEFT_CONTINUE;
	switch (bpf_ntohs(eth->h_proto)) {
	case ETH_P_IP:
		return to_local_ipv4(skb);
	case ETH_P_IPV6:
		return to_local_ipv6(skb);
	}
	return WEFT_CONTINUE;
}

SEC("tc")
int weft_from_overlay(struct __sk_buff *skb)
{
	int ret;

	asm volatile("" : : "r"(WEFT_BUILD_TAG));
	ret = to_local(skb);
	if (ret >= 0 && ret != WEFT_CONTINUE)
		return ret;
	/* The sending node wrote its own VXLAN device's MAC as the inner destination (it cannot
	 * know ours), so the device classified the frame as for another host, and the IP layer
	 * would discard it. The kernel's path is for this node: say so. Broadcast and multicast
	 * stay. */
	if (skb->pkt_type == PACKET_OTHERHOST)
		bpf_skb_change_type(skb, PACKET_HOST);
	return TC_ACT_OK;
}

SEC("tc")
int weft_from_netdev(struct __sk_buff *skb)
{
	int ret;

	asm volatile("" : : "r"(WEFT_BUILD_TAG));
	/* The underlay device is the node's, shared with whatever else runs there: what is not
	 * ours goes on to the next program or filter at this hook (TC_ACT_OK would end the chain
	 * and skip them), and from there to the kernel. */
	/* Only frames addressed to this node's MAC (the other node's next hop is this node): a
	 * device in promiscuous mode also sees other hosts' traffic, which is none of ours. */
	if (skb->pkt_type != PACKET_HOST)
		return TC_ACT_UNSPEC;
	/* Overlay mode: VXLAN for a local pod, decapsulated here. Otherwise (and also in the rare
	 * case of a decapsulated packet whose inner header then failed a check: it is a plain
	 * packet now) a packet for a local pod as it is: native mode. */
	ret = vxlan_to_local(skb);
	if (ret == WEFT_CONTINUE)
		ret = to_local(skb);
	return ret >= 0 && ret != WEFT_CONTINUE ? ret : TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "Dual BSD/GPL";
