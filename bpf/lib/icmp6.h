/* ICMPv6 from a pod: router advertisements are dropped (RFC 6105 RA-Guard: a pod is never a
 * router), neighbour discovery may only claim the pod's own addresses, and a solicitation for
 * the gateway fe80::1 is answered here with an advertisement built in BPF (RFC 4861 7.2.4). */
#ifndef WEFT_BPF_ICMP6_H
#define WEFT_BPF_ICMP6_H

#include "common.h"
#include "eth.h"

#define ICMP6_ROUTER_ADV   134
#define ICMP6_NEIGH_SOLICIT 135
#define ICMP6_NEIGH_ADVERT 136
#define IP6_NH_ICMP6       58

#define ND_OPT_SOURCE_LLADDR 1
#define ND_OPT_TARGET_LLADDR 2
/* Real NS/NA carry one or two options (link-layer address, RFC 7527 nonce). More than this
 * many cannot be checked within the verifier's budget, so such a packet is called malformed
 * rather than let through unchecked. */
#define ND_MAX_OPTS 8

/* fe80::1, the pods' IPv6 gateway (a permanent neighbour entry in each pod names the host
 * veth's MAC for it). */
static __always_inline bool ip6_is_gateway(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == bpf_htonl(0xfe800000) && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == 0 && a->in6_u.u6_addr32[3] == bpf_htonl(1);
}

static __always_inline void ip6_set_gateway(struct in6_addr *a)
{
	a->in6_u.u6_addr32[0] = bpf_htonl(0xfe800000);
	a->in6_u.u6_addr32[1] = 0;
	a->in6_u.u6_addr32[2] = 0;
	a->in6_u.u6_addr32[3] = bpf_htonl(1);
}

static __always_inline bool ip6_is_linklocal(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xfe && (a->in6_u.u6_addr8[1] & 0xc0) == 0x80;
}

static __always_inline bool ip6_is_unspec(const struct in6_addr *a)
{
	return (a->in6_u.u6_addr32[0] | a->in6_u.u6_addr32[1] | a->in6_u.u6_addr32[2] |
		a->in6_u.u6_addr32[3]) == 0;
}

/* The endpoint's address (a 4-aligned __u8[16] in the map value) against a in the packet. */
static __always_inline bool ip6_eq_ep(const struct in6_addr *a, const struct weft_endpoint *ep)
{
	const __u32 *b = (const __u32 *)ep->ipv6;

	return ((a->in6_u.u6_addr32[0] ^ b[0]) | (a->in6_u.u6_addr32[1] ^ b[1]) |
		(a->in6_u.u6_addr32[2] ^ b[2]) | (a->in6_u.u6_addr32[3] ^ b[3])) == 0;
}

/* Addresses a pod may claim as its own: its address, and any link-local except the gateway's
 * (its link-local is derived from its MAC or chosen at random, so we cannot know it exactly;
 * link-local addresses only mean something on the pod's own veth anyway). */
static __always_inline bool ip6_pod_may_claim(const struct in6_addr *a, const struct weft_endpoint *ep)
{
	if ((ep->flags & WEFT_EP_HAS_IPV6) && ip6_eq_ep(a, ep))
		return true;
	return ip6_is_linklocal(a) && !ip6_is_gateway(a);
}

static __always_inline __u16 csum_fold32(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

/* The fixed part of NS and NA (RFC 4861 4.3, 4.4). */
struct weft_nd_msg {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be32 flags;
	struct in6_addr target;
};

/* What is checksummed: the pseudo-header (RFC 8200 8.1) followed by the NA itself. */
struct weft_nd_na {
	struct in6_addr src;
	struct in6_addr dst;
	__be32 len;
	__be32 nexthdr;
	struct weft_nd_msg na;
	__u8 opt_type;
	__u8 opt_len;
	__u8 opt_mac[ETH_ALEN];
};

#define ND_NA_LEN (sizeof(struct weft_nd_msg) + 8)
#define ND_NA_FLAGS bpf_htonl(0xe0000000) /* Router, Solicited, Override */

/* Replace the pod's solicitation for fe80::1 with the gateway's advertisement and send it back
 * into the pod: fe80::1 is at the host veth's MAC, exactly what the permanent neighbour entry
 * the plugin installs says. The packet is resized to the NA's length first; every store after
 * that goes through helpers (no packet pointers survive bpf_skb_change_tail). */
static __always_inline int nd_gateway_reply(struct __sk_buff *skb, const struct weft_endpoint *ep)
{
	struct weft_nd_na r;
	struct ipv6hdr ip6;
	struct ethhdr eth;

	__builtin_memset(&r, 0, sizeof(r));
	__builtin_memset(&ip6, 0, sizeof(ip6));
	if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct ipv6hdr, saddr), &r.dst, 16) < 0)
		return -WEFT_DROP_MALFORMED;
	ip6_set_gateway(&r.src);
	r.len = bpf_htonl(ND_NA_LEN);
	r.nexthdr = bpf_htonl(IP6_NH_ICMP6);
	r.na.type = ICMP6_NEIGH_ADVERT;
	r.na.flags = ND_NA_FLAGS;
	ip6_set_gateway(&r.na.target);
	r.opt_type = ND_OPT_TARGET_LLADDR;
	r.opt_len = 1;
	eth_addr_copy(r.opt_mac, ep->host_mac);
	/* bpf_csum_diff with no "from" is a plain one's-complement sum of "to" (a multiple of 4
	 * bytes); the sum is byte-order neutral, so the folded value is stored as is. */
	r.na.csum = csum_fold32((__u32)bpf_csum_diff(NULL, 0, (__be32 *)&r, sizeof(r), 0));

	eth_addr_copy(eth.h_dest, ep->pod_mac);
	eth_addr_copy(eth.h_source, ep->host_mac);
	eth.h_proto = bpf_htons(ETH_P_IPV6);
	ip6.version = 6;
	ip6.payload_len = bpf_htons(ND_NA_LEN);
	ip6.nexthdr = IP6_NH_ICMP6;
	ip6.hop_limit = 255; /* RFC 4861 7.1.2: receivers discard ND with any other hop limit */
	ip6.saddr = r.src;
	ip6.daddr = r.dst;

	/* Failures here mean the skb could not be resized or written (memory): count them. */
	if (bpf_skb_change_tail(skb, ETH_HLEN + IP6_HLEN + ND_NA_LEN, 0) < 0 ||
	    bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0) < 0 ||
	    bpf_skb_store_bytes(skb, ETH_HLEN, &ip6, sizeof(ip6), 0) < 0 ||
	    bpf_skb_store_bytes(skb, ETH_HLEN + IP6_HLEN, &r.na, ND_NA_LEN, 0) < 0)
		return -WEFT_DROP_MALFORMED;
	return bpf_redirect(ep->ifindex, 0);
}

/* NS/NA: l4 is the ICMPv6 header's offset, end where the message ends. src_unspec: the IPv6
 * source was :: (duplicate address detection, RFC 4862 5.4.2), where the target is the address
 * the pod is about to claim. In a NA the target is always a claim (RFC 4861 7.2.5). */
static __always_inline int nd_from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep,
				       __u32 l4, __u32 end, bool src_unspec)
{
	struct weft_nd_msg nd;
	__u32 off;

	if (l4 + sizeof(nd) > end || bpf_skb_load_bytes(skb, l4, &nd, sizeof(nd)) < 0)
		return -WEFT_DROP_MALFORMED;
	if ((nd.type == ICMP6_NEIGH_ADVERT || src_unspec) && !ip6_pod_may_claim(&nd.target, ep))
		return -WEFT_DROP_SPOOF_ND;

	/* Link-layer address options must name the pod's MAC (RFC 4861 4.6.1: length in units of
	 * 8 bytes, 0 is invalid; on Ethernet these options are exactly 8 bytes). */
	off = l4 + sizeof(nd);
#pragma unroll
	for (int i = 0; i < ND_MAX_OPTS; i++) {
		struct {
			__u8 type;
			__u8 len;
			__u8 mac[ETH_ALEN];
		} opt;

		if (off >= end)
			break;
		if (off + 2 > end || bpf_skb_load_bytes(skb, off, &opt, 2) < 0 || opt.len == 0)
			return -WEFT_DROP_MALFORMED;
		if (opt.type == ND_OPT_SOURCE_LLADDR || opt.type == ND_OPT_TARGET_LLADDR) {
			if (opt.len != 1 || off + 8 > end || bpf_skb_load_bytes(skb, off, &opt, 8) < 0)
				return -WEFT_DROP_MALFORMED;
			if (!eth_addr_eq(opt.mac, ep->pod_mac))
				return -WEFT_DROP_SPOOF_ND;
		}
		off += opt.len * 8u;
	}
	if (off < end)
		return -WEFT_DROP_MALFORMED;

	if (nd.type == ICMP6_NEIGH_SOLICIT && !src_unspec && ip6_is_gateway(&nd.target))
		return nd_gateway_reply(skb, ep);
	return WEFT_CONTINUE;
}

static __always_inline int icmp6_from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep,
					  __u32 l4, __u32 end, bool src_unspec)
{
	__u8 type;

	if (l4 + 4 > end || bpf_skb_load_bytes(skb, l4, &type, 1) < 0)
		return -WEFT_DROP_MALFORMED;
	switch (type) {
	case ICMP6_ROUTER_ADV:
		return -WEFT_DROP_ROUTER_ADV;
	case ICMP6_NEIGH_SOLICIT:
	case ICMP6_NEIGH_ADVERT:
		return nd_from_pod(skb, ep, l4, end, src_unspec);
	}
	return WEFT_CONTINUE;
}

#endif
