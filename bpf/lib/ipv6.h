/* IPv6 from a pod: header sanity, source address, the extension-header walk that finds the
 * upper-layer protocol (so an RA cannot hide behind extension headers, RFC 7113), ICMPv6 rules,
 * then the hop to a local pod (l3.h) or to another node through the fabric (fabric.h). */
#ifndef WEFT_BPF_IPV6_H
#define WEFT_BPF_IPV6_H

#include "common.h"
#include "eth.h"
#include "endpoint.h"
#include "icmp6.h"
#include "l3.h"
#include "fabric.h"

#define IP6_NH_HOP      0
#define IP6_NH_ROUTING  43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AH       51
#define IP6_NH_NONE     59
#define IP6_NH_DSTOPTS  60
/* Returned by ipv6_upper() for a non-first fragment, which carries no upper-layer header. */
#define IP6_NH_NOT_FIRST 256
/* A longer chain is not checked, it is dropped as malformed: legitimate pods send at most a
 * hop-by-hop header (MLD) or a fragment header. */
#define IP6_MAX_EXT 4

/* Walk the extension headers from the fixed header's nexthdr. Returns the upper-layer protocol
 * with *off at its header, or a negative WEFT_DROP_* reason. bpf_skb_load_bytes rather than
 * packet pointers: the offsets are variable, and the helper checks them against the packet so
 * the verifier need not prove bounds for every header length. */
static __always_inline int ipv6_upper(struct __sk_buff *skb, __u8 nexthdr, __u32 *off)
{
	__u32 o = ETH_HLEN + IP6_HLEN;
	struct {
		__u8 nexthdr;
		__u8 len;
		__be16 frag_off;
	} h;

#pragma unroll
	for (int i = 0; i < IP6_MAX_EXT; i++) {
		switch (nexthdr) {
		case IP6_NH_HOP:
		case IP6_NH_ROUTING:
		case IP6_NH_DSTOPTS:
		case IP6_NH_AH:
			if (bpf_skb_load_bytes(skb, o, &h, 2) < 0)
				return -WEFT_DROP_MALFORMED;
			/* RFC 8200 4.3: length in 8-octet units after the first 8; AH (RFC 4302 2.2)
			 * counts 4-octet units minus 2. */
			o += nexthdr == IP6_NH_AH ? (h.len + 2u) * 4 : (h.len + 1u) * 8;
			nexthdr = h.nexthdr;
			break;
		case IP6_NH_FRAGMENT:
			if (bpf_skb_load_bytes(skb, o, &h, 4) < 0)
				return -WEFT_DROP_MALFORMED;
			if (bpf_ntohs(h.frag_off) & 0xfff8) {
				*off = o;
				return IP6_NH_NOT_FIRST;
			}
			o += 8;
			nexthdr = h.nexthdr;
			break;
		default:
			*off = o;
			return nexthdr;
		}
	}
	return -WEFT_DROP_MALFORMED;
}

/* Sources a pod may use: its address; a link-local other than the gateway's (needed for ND);
 * and :: toward link-scope multicast, which is what DAD solicitations and the MLD reports sent
 * before a link-local exists look like (RFC 4862 5.4.2, RFC 3810 5.2.13). */
static __always_inline bool ipv6_src_ok(const struct ipv6hdr *ip6, const struct weft_endpoint *ep)
{
	if ((ep->flags & WEFT_EP_HAS_IPV6) && ip6_eq_ep(&ip6->saddr, ep))
		return true;
	if (ip6_is_linklocal(&ip6->saddr))
		return !ip6_is_gateway(&ip6->saddr);
	return ip6_is_unspec(&ip6->saddr) && ip6->daddr.in6_u.u6_addr8[0] == 0xff &&
	       ip6->daddr.in6_u.u6_addr8[1] == 0x02;
}

static __always_inline int ipv6_from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep)
{
	const struct weft_endpoint *dst;
	struct ipv6hdr *ip6;
	struct ethhdr *eth;
	__u32 plen, len, l4 = 0;
	bool src_unspec;
	int proto, ret;

	if (!pkt_pull(skb, ETH_HLEN + IP6_HLEN))
		return -WEFT_DROP_MALFORMED;
	eth = PKT_DATA(skb);
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	if (ip6->version != 6)
		return -WEFT_DROP_MALFORMED;
	plen = bpf_ntohs(ip6->payload_len);
	len = skb->len - ETH_HLEN - IP6_HLEN;
	/* payload_len 0 is a jumbogram / BIG TCP GSO packet over 64 KiB: real only if it is. */
	if (plen == 0 ? len <= 0xffff : plen > len)
		return -WEFT_DROP_MALFORMED;
	if (!ipv6_src_ok(ip6, ep))
		return -WEFT_DROP_SPOOF_IP6;
	src_unspec = ip6_is_unspec(&ip6->saddr);

	proto = ipv6_upper(skb, ip6->nexthdr, &l4);
	if (proto < 0)
		return proto;
	if (proto == IP6_NH_ICMP6) {
		ret = icmp6_from_pod(skb, ep, l4, ETH_HLEN + IP6_HLEN + (plen ? plen : len), src_unspec);
		if (ret != WEFT_CONTINUE)
			return ret;
	}

	/* Verifier: eth and ip6 are still valid (bpf_skb_load_bytes does not move packet data), but
	 * keeping them live across the calls above costs registers the compiler then spills; reload
	 * and re-check, which is cheap and keeps the proof local. */
	eth = PKT_DATA(skb);
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	dst = ep_by_ip6(&ip6->daddr);
	if (dst)
		return ipv6_to_local(skb, eth, ip6, dst);
	/* Another node's pod, or the kernel's: the node itself, elsewhere, multicast. */
	return fabric_ipv6(skb, eth, ip6);
}

#endif
