/* IPv4 from a pod: header sanity, source address, and the hop to a local pod (TTL decrement,
 * incremental header checksum, MAC rewrite, redirect into its namespace). */
#ifndef WEFT_BPF_IPV4_H
#define WEFT_BPF_IPV4_H

#include "common.h"
#include "eth.h"
#include "endpoint.h"

#define IP4_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))

static __always_inline int ipv4_from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep)
{
	const struct weft_endpoint *dst;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u32 tot, len;
	__be16 old, new;

	if (!pkt_pull(skb, ETH_HLEN + IP4_HLEN))
		return -WEFT_DROP_MALFORMED;
	eth = PKT_DATA(skb);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return -WEFT_DROP_MALFORMED;
	tot = bpf_ntohs(ip->tot_len);
	len = skb->len - ETH_HLEN;
	/* tot_len 0 is how BIG TCP (Linux 6.3+) marks a GSO packet over 64 KiB; accept it only
	 * when the packet really is that big. Otherwise the header must fit in what arrived. */
	if (tot == 0 ? len <= 0xffff : (tot < ip->ihl * 4u || tot > len))
		return -WEFT_DROP_MALFORMED;

	if (!(ep->flags & WEFT_EP_HAS_IPV4) || ip->saddr != *(const __be32 *)ep->ipv4)
		return -WEFT_DROP_SPOOF_IP4;

	dst = ep_by_ip4(ip->daddr);
	if (!dst)
		return TC_ACT_OK; /* the node itself or elsewhere: the kernel routes it */
	/* The kernel would answer with ICMP time exceeded; a hop between two pods on one node is
	 * not worth building that in BPF, and traceroute stops here either way. */
	if (ip->ttl <= 1)
		return -WEFT_DROP_TTL_EXCEEDED;

	eth_rewrite(eth, dst);
	/* TTL shares a 16-bit checksum word with the protocol: replace the word, not the byte. */
	old = *(__be16 *)&ip->ttl;
	ip->ttl--;
	new = *(__be16 *)&ip->ttl;
	/* Last packet access: the helper invalidates eth and ip (verifier: "invalid mem access"
	 * on any later use). */
	if (bpf_l3_csum_replace(skb, IP4_CSUM_OFF, old, new, sizeof(new)) < 0)
		return -WEFT_DROP_MALFORMED;
	return ep_deliver(skb, dst);
}

#endif
