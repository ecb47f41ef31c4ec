/* The per-hop work of every forwarding path (to a local pod, into the overlay, out by native
 * routing): TTL / hop limit down by one, the IPv4 header checksum fixed incrementally, and the
 * hop into a local pod. Shared by the pod-veth and the overlay programs. */
#ifndef WEFT_BPF_L3_H
#define WEFT_BPF_L3_H

#include "common.h"
#include "eth.h"
#include "endpoint.h"

#define IP4_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))

/* TTL minus one. Callers checked ttl > 1. Verifier: the checksum helper invalidates every
 * packet pointer, so this is the caller's last packet access before its redirect. */
static __always_inline int ipv4_hop(struct __sk_buff *skb, struct iphdr *ip)
{
	__be16 old, new;

	/* TTL shares a 16-bit checksum word with the protocol: replace the word, not the byte. */
	old = *(__be16 *)&ip->ttl;
	ip->ttl--;
	new = *(__be16 *)&ip->ttl;
	if (bpf_l3_csum_replace(skb, IP4_CSUM_OFF, old, new, sizeof(new)) < 0)
		return -WEFT_DROP_MALFORMED;
	return WEFT_CONTINUE;
}

/* Into a local pod: MACs as the pod expects them from its gateway, TTL, redirect. */
static __always_inline int ipv4_to_local(struct __sk_buff *skb, struct ethhdr *eth, struct iphdr *ip,
					 const struct weft_endpoint *dst)
{
	int ret;

	/* The kernel would answer with ICMP time exceeded; a hop between two pods on one node is
	 * not worth building that in BPF, and traceroute stops here either way. */
	if (ip->ttl <= 1)
		return -WEFT_DROP_TTL_EXCEEDED;
	eth_rewrite(eth, dst);
	ret = ipv4_hop(skb, ip);
	if (ret != WEFT_CONTINUE)
		return ret;
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
