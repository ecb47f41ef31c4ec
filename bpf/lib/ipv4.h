/* IPv4 from a pod: header sanity, source address, then the hop to a local pod (l3.h) or to
 * another node through the fabric (fabric.h). */
#ifndef WEFT_BPF_IPV4_H
#define WEFT_BPF_IPV4_H

#include "common.h"
#include "eth.h"
#include "endpoint.h"
#include "l3.h"
#include "fabric.h"

static __always_inline int ipv4_from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep)
{
	const struct weft_endpoint *dst;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u32 tot, len;

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
	if (dst)
		return ipv4_to_local(skb, eth, ip, dst);
	/* Another node's pod, or else the kernel's: the node itself, the outside world. */
	return fabric_ipv4(skb, eth, ip);
}

#endif
