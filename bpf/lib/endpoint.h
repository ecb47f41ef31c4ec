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

/* Keys are hashed as raw bytes: the whole key, padding included, starts at zero. */
static __always_inline const struct weft_endpoint *ep_by_ip4(__be32 addr)
{
	struct weft_ip_key key;

	__builtin_memset(&key, 0, sizeof(key));
	key.family = 4;
	__builtin_memcpy(key.addr, &addr, 4);
	return bpf_map_lookup_elem(&weft_ep_ip, &key);
}

static __always_inline const struct weft_endpoint *ep_by_ip6(const struct in6_addr *addr)
{
	struct weft_ip_key key;

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
