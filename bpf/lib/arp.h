/* ARP from a pod: the sender must be the pod (RFC 826 sender fields), and a request for the
 * gateway 169.254.1.1 is answered here, out of the same veth, so a pod whose permanent
 * neighbour entry was deleted recovers without the node answering or anything flooding. */
#ifndef WEFT_BPF_ARP_H
#define WEFT_BPF_ARP_H

#include "common.h"
#include "eth.h"

#define ARPHRD_ETHER_BE bpf_htons(1)
#define ARPOP_REQUEST_BE bpf_htons(1)
#define ARPOP_REPLY_BE bpf_htons(2)

/* The Ethernet/IPv4 body after struct arphdr. Byte arrays: sip sits at packet offset 28, and a
 * __be32 there would be a misaligned load. */
struct weft_arp_body {
	__u8 sha[ETH_ALEN];
	__u8 sip[4];
	__u8 tha[ETH_ALEN];
	__u8 tip[4];
};

/* The pods' IPv4 gateway, 169.254.1.1. Compared and written byte by byte rather than kept in
 * a const array, which would cost a .rodata map for four bytes. */
static __always_inline bool arp_ip_is_gateway(const __u8 *a)
{
	return a[0] == 169 && a[1] == 254 && a[2] == 1 && a[3] == 1;
}

static __always_inline bool arp_ip_eq(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

static __always_inline bool arp_ip_zero(const __u8 *a)
{
	return (a[0] | a[1] | a[2] | a[3]) == 0;
}

/* Turn the request in place into the gateway's reply and send it back to the pod. */
static __always_inline int arp_gateway_reply(struct ethhdr *eth, struct arphdr *arp,
					     struct weft_arp_body *body, const struct weft_endpoint *ep)
{
	__u8 sip[4];

	__builtin_memcpy(sip, body->sip, 4);
	eth_addr_copy(eth->h_dest, ep->pod_mac);
	eth_addr_copy(eth->h_source, ep->host_mac);
	arp->ar_op = ARPOP_REPLY_BE;
	eth_addr_copy(body->tha, ep->pod_mac);
	__builtin_memcpy(body->tip, sip, 4);
	eth_addr_copy(body->sha, ep->host_mac);
	body->sip[0] = 169;
	body->sip[1] = 254;
	body->sip[2] = 1;
	body->sip[3] = 1;
	/* Out of the host veth it came in on, i.e. into the pod. */
	return bpf_redirect(ep->ifindex, 0);
}

static __always_inline int arp_from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep)
{
	struct weft_arp_body *body;
	struct ethhdr *eth;
	struct arphdr *arp;

	if (!pkt_pull(skb, ETH_HLEN + sizeof(*arp) + sizeof(*body)))
		return -WEFT_DROP_MALFORMED;
	eth = PKT_DATA(skb);
	arp = (void *)(eth + 1);
	body = (void *)(arp + 1);
	if ((void *)(body + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	if (arp->ar_hrd != ARPHRD_ETHER_BE || arp->ar_pro != bpf_htons(ETH_P_IP) ||
	    arp->ar_hln != ETH_ALEN || arp->ar_pln != 4)
		return -WEFT_DROP_MALFORMED;

	if (!eth_addr_eq(body->sha, ep->pod_mac))
		return -WEFT_DROP_SPOOF_ARP;
	/* Sender 0.0.0.0 is an ARP probe (RFC 5227 2.1.1): the pod checking its address is free. */
	if (!arp_ip_zero(body->sip) &&
	    (!(ep->flags & WEFT_EP_HAS_IPV4) || !arp_ip_eq(body->sip, ep->ipv4)))
		return -WEFT_DROP_SPOOF_ARP;

	if (arp->ar_op == ARPOP_REQUEST_BE && arp_ip_is_gateway(body->tip) &&
	    !arp_ip_zero(body->sip))
		return arp_gateway_reply(eth, arp, body, ep);
	/* Anything else is the kernel's: ARP is never routed, so no pod is reached from here. */
	return TC_ACT_OK;
}

#endif
