/* Endpoint lookups (by host veth, by pod address) and delivery into a local pod. */
#ifndef WEFT_BPF_ENDPOINT_H
#define WEFT_BPF_ENDPOINT_H

#include "common.h"
#include "maps.h"
#include "drop.h"

/* The endpoint at this host veth: its slot when the slot is this veth's, else the hash. weftd
 * clears a slot before it changes the endpoint behind it, so a slot never outlives the hash
 * entry it copies. */
static __always_inline const struct weft_endpoint *ep_by_ifindex(__u32 ifindex)
{
	__u32 slot = ifindex & (WEFT_EP_SLOTS - 1);
	const struct weft_endpoint *ep = bpf_map_lookup_elem(&weft_ep_slot, &slot);

	if (ep && ep->ifindex == ifindex && ifindex) /* 0: a free slot, and no device */
		return ep;
	return bpf_map_lookup_elem(&weft_ep_if, &ifindex);
}

/* The address's slot first: valid for it, the endpoint; not shared, no local pod has it. Only
 * a shared slot sends the lookup on to the hash, whose keys are hashed as raw bytes: the whole
 * key, padding included, starts at zero. */
static __always_inline const struct weft_endpoint *ep_by_ip4(__be32 addr)
{
	const __u8 *b = (const __u8 *)&addr;
	__u32 slot = WEFT_IPSLOT(4, b);
	const struct weft_endpoint *ep = bpf_map_lookup_elem(&weft_ep_ipslot, &slot);
	struct weft_ip_key key;

	if (ep) {
		if ((ep->flags & WEFT_EP_HAS_IPV4) && *(const __be32 *)ep->ipv4 == addr)
			return ep;
		if (!(ep->flags & WEFT_EP_SLOT_SHARED))
			return NULL;
	}
	__builtin_memset(&key, 0, sizeof(key));
	key.family = 4;
	__builtin_memcpy(key.addr, &addr, 4);
	return bpf_map_lookup_elem(&weft_ep_ip, &key);
}

static __always_inline bool ip6_eq(const __u8 *a, const struct in6_addr *b)
{
	const __u32 *x = (const __u32 *)a;

	return x[0] == b->in6_u.u6_addr32[0] && x[1] == b->in6_u.u6_addr32[1] && x[2] == b->in6_u.u6_addr32[2] &&
	       x[3] == b->in6_u.u6_addr32[3];
}

static __always_inline const struct weft_endpoint *ep_by_ip6(const struct in6_addr *addr)
{
	__u32 slot = WEFT_IPSLOT(6, addr->in6_u.u6_addr8);
	const struct weft_endpoint *ep = bpf_map_lookup_elem(&weft_ep_ipslot, &slot);
	struct weft_ip_key key;

	if (ep) {
		if ((ep->flags & WEFT_EP_HAS_IPV6) && ip6_eq(ep->ipv6, addr))
			return ep;
		if (!(ep->flags & WEFT_EP_SLOT_SHARED))
			return NULL;
	}
	__builtin_memset(&key, 0, sizeof(key));
	key.family = 6;
	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&weft_ep_ip, &key);
}

/* Straight into the destination pod's namespace: bpf_redirect_peer hands the packet to the
 * ingress of the peer of dst's host veth, skipping the host veth's own transmit path and the
 * backlog queue. The MACs and TTL were rewritten by the caller. */
static __always_inline int ep_deliver(struct __sk_buff *skb, const struct weft_endpoint *dst)
{
	struct weft_counters *c = counters_get(dst->id);

	if (c) {
		c->to_pod_packets++;
		c->to_pod_bytes += skb->len;
	}
	return bpf_redirect_peer(dst->ifindex, 0);
}

#endif
