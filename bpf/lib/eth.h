/* Ethernet: MAC comparison and the rewrite done when a packet is handed to another pod. */
#ifndef WEFT_BPF_ETH_H
#define WEFT_BPF_ETH_H

#include "common.h"

/* Byte by byte: MACs sit at 2-byte offsets in both the packet and struct weft_endpoint, and
 * wider loads would be misaligned there (the verifier refuses those where alignment is strict). */
static __always_inline bool eth_addr_eq(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(a[5] ^ b[5])) == 0;
}

static __always_inline void eth_addr_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, ETH_ALEN);
}

/* As the destination pod would see it from its gateway: from its host veth, to its own MAC. */
static __always_inline void eth_rewrite(struct ethhdr *eth, const struct weft_endpoint *dst)
{
	eth_addr_copy(eth->h_source, dst->host_mac);
	eth_addr_copy(eth->h_dest, dst->pod_mac);
}

#endif
