/* The per-hop work of every forwarding path (to a local pod, into the overlay, out by native
 * routing): TTL / hop limit down by one, the IPv4 header checksum fixed incrementally, and the
 * hop into a local pod. Shared by the pod-veth and the overlay programs. */
#ifndef WEFT_BPF_L3_H
#define WEFT_BPF_L3_H

#include "common.h"
#include "eth.h"
#include "endpoint.h"

/* TTL minus one, the header checksum fixed incrementally (RFC 1624), as the kernel's own
 * ip_decrease_ttl does: the TTL is the high byte of its 16-bit word, so the word drops by
 * 0x0100 and the checksum rises by as much, with the end-around carry. Callers checked
 * ttl > 1. Plain stores, no helper: this runs on every forwarded IPv4 packet. */
static __always_inline void ipv4_hop(struct iphdr *ip)
{
	__u32 check = (__u32)ip->check + (__u32)bpf_htons(0x0100);

	ip->check = (__sum16)(check + (check >= 0xffff));
	ip->ttl--;
}

/* Into a local pod: MACs as the pod expects them from its gateway, TTL, redirect. */
static __always_inline int ipv4_to_local(struct __sk_buff *skb, struct ethhdr *eth, struct iphdr *ip,
					 const struct weft_endpoint *dst)
{
	/* The kernel would answer with ICMP time exceeded; a hop between two pods on one node is
	 * not worth building that in BPF, and traceroute stops here either way. */
	if (ip->ttl <= 1)
		return -WEFT_DROP_TTL_EXCEEDED;
	eth_rewrite(eth, dst);
	ipv4_hop(ip);
	return ep_deliver(skb, dst);
}

static __always_inline int ipv6_to_local(struct __sk_buff *skb, struct ethhdr *eth, struct ipv6hdr *ip6,
					 const struct weft_endpoint *dst)
{
	if (ip6->hop_limit <= 1)
		return -WEFT_DROP_TTL_EXCEEDED;
	eth_rewrite(eth, dst);
	ip6->hop_limit--; /* no header checksum in IPv6 */
	return ep_deliver(skb, dst);
}

#endif
