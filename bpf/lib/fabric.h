/* To another node: a destination that is no local pod but lies in a remote pod CIDR of
 * weft_tunnel leaves through the fabric. Overlay mode sets a tunnel key (the owning node's
 * underlay address) and redirects to the collect-metadata VXLAN device, which encapsulates.
 * Native mode redirects out of the underlay device towards the node (bpf_redirect_neigh) where
 * weftd vouched that the kernel's route goes there (WEFT_TUNNEL_NEIGH); otherwise it asks the
 * kernel's FIB for the next hop and redirects with the neighbour's MAC (bpf_redirect_neigh
 * resolves it when the kernel has none yet). Anything
 * the fast path cannot do is handed to the kernel (TC_ACT_OK), whose routes weftd keeps too:
 * the packet still arrives, only slower, and the kernel sends the ICMP errors. */
#ifndef WEFT_BPF_FABRIC_H
#define WEFT_BPF_FABRIC_H

#include "common.h"
#include "maps.h"
#include "eth.h"
#include "l3.h"

#define AF_INET  2
#define AF_INET6 10
#define IP6_FLOWINFO_MASK bpf_htonl(0x0fffffff)

static __always_inline const struct weft_config *fabric_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&weft_config, &zero);
}

/* The 32-bit word w (0-3) of addr masked to a prefix of len bits, network order. */
static __always_inline __u32 prefix_word(const void *addr, __u32 w, __u32 len)
{
	__u32 v = ((const __u32 *)addr)[w];

	if (len >= 32 * (w + 1))
		return v;
	if (len <= 32 * w)
		return 0;
	return v & bpf_htonl(~0u << (32 * (w + 1) - len));
}

/* weft_tun_exact, the family's lengths longest first: the first hit is the longest match. */
static __always_inline const struct weft_tunnel *tunnel_exact(__u8 family, const void *addr,
							      const struct weft_tun_lens *l)
{
	__u32 words = family == 4 ? 1 : 4, bits = family == 4 ? 32 : 128;
	struct weft_tunnel_key key;
	const struct weft_tunnel *t;

	__builtin_memset(&key, 0, sizeof(key));
	key.family = family;
#pragma unroll
	for (int i = 0; i < WEFT_TUN_LENS_MAX; i++) {
		__u32 len = l->len[i];

		if (i >= l->n || len > bits)
			break;
		key.prefixlen = len;
#pragma unroll
		for (__u32 w = 0; w < 4; w++)
			if (w < words)
				((__u32 *)key.addr)[w] = prefix_word(addr, w, len);
		t = bpf_map_lookup_elem(&weft_tun_exact, &key);
		if (t)
			return t;
	}
	return NULL;
}

/* The node owning addr (4 or 16 bytes in network order), or NULL: from the
 * exact-prefix hash when weftd says it is whole, else from the trie. The trie's key starts
 * zeroed: it compares raw bits, the IPv4 tail included. */
static __always_inline const struct weft_tunnel *tunnel_lookup(__u8 family, const void *addr)
{
	struct weft_tunnel_key key;
	struct weft_tun_lens lens;
	const __u64 *word;
	__u32 idx = family == 4 ? 0 : 1;
	__u64 w;

	word = bpf_map_lookup_elem(&weft_tun_lens, &idx);
	if (word) {
		w = *(const volatile __u64 *)word; /* one load: weftd writes the list in one store */
		__builtin_memcpy(&lens, &w, sizeof(lens));
		if (lens.valid && lens.n <= WEFT_TUN_LENS_MAX)
			return tunnel_exact(family, addr, &lens);
	}

	__builtin_memset(&key, 0, sizeof(key));
	key.family = family;
	if (family == 4) {
		__builtin_memcpy(key.addr, addr, 4);
		key.prefixlen = WEFT_TUNNEL_KEY_BITS + 32;
	} else {
		__builtin_memcpy(key.addr, addr, 16);
		key.prefixlen = WEFT_TUNNEL_KEY_BITS + 128;
	}
	return bpf_map_lookup_elem(&weft_tunnel, &key);
}

/* ---- overlay ------------------------------------------------------------------------------- */

/* The tunnel key for tun's node. IPv4 outer packets go without a UDP checksum (RFC 7348 5: it
 * SHOULD be zero; the inner packet has its own), as the kernel's own VXLAN devices default to;
 * IPv6 needs one (RFC 8200 8.1). The key is set before the packet is touched, so a failure can
 * still hand the unchanged packet to the kernel's route. The helper does not move packet data:
 * the caller's packet pointers stay valid. */
static __always_inline int encap_key_set(struct __sk_buff *skb, const struct weft_config *cfg,
					 const struct weft_tunnel *tun)
{
	struct bpf_tunnel_key key;
	__u64 flags;

	__builtin_memset(&key, 0, sizeof(key));
	key.tunnel_id = cfg->vni;
	key.tunnel_ttl = WEFT_VXLAN_TTL;
	if (tun->family == 4) {
		key.remote_ipv4 = bpf_ntohl(*(const __u32 *)tun->addr); /* host order, as the helper wants */
		flags = BPF_F_ZERO_CSUM_TX;
	} else {
		__builtin_memcpy(key.remote_ipv6, tun->addr, 16);
		flags = BPF_F_TUNINFO_IPV6;
	}
	/* Kernel ABI: the size up to local_ipv4 is what every kernel since 4.x accepts (6.0 added
	 * the local address after it). */
	return bpf_skb_set_tunnel_key(skb, &key, offsetof(struct bpf_tunnel_key, local_ipv4), flags);
}

/* The inner frame as the VXLAN device would send it: from its MAC. The destination is its MAC
 * too; the receiving node's program ignores it (it rewrites MACs for the pod, or marks the
 * frame as for the host), and the kernel's own route through the device does the same. */
static __always_inline void encap_eth(struct ethhdr *eth, const struct weft_config *cfg)
{
	eth_addr_copy(eth->h_source, cfg->vxlan_mac);
	eth_addr_copy(eth->h_dest, cfg->vxlan_mac);
}

/* ---- native -------------------------------------------------------------------------------- */

/* Whether the node is a neighbour on the underlay device for this entry (weftd checked the
 * kernel's route when it wrote it), so the FIB need not be asked. */
static __always_inline bool neigh_direct(const struct weft_config *cfg, const struct weft_tunnel *tun)
{
	return (tun->flags & WEFT_TUNNEL_NEIGH) && cfg->ifindex;
}

/* Out of the underlay device towards the node: the kernel's neighbour code writes the MACs,
 * resolving the node's address first (the packet queued meanwhile) when it has no entry yet.
 * The entry's family is the packet's: weftd marks no other. */
static __always_inline int neigh_redirect(const struct weft_config *cfg, const struct weft_tunnel *tun)
{
	struct bpf_redir_neigh nh;

	__builtin_memset(&nh, 0, sizeof(nh));
	if (tun->family == 4) {
		nh.nh_family = AF_INET;
		__builtin_memcpy(&nh.ipv4_nh, tun->addr, 4);
	} else {
		nh.nh_family = AF_INET6;
		__builtin_memcpy(nh.ipv6_nh, tun->addr, 16);
	}
	return bpf_redirect_neigh(cfg->ifindex, &nh, sizeof(nh), 0);
}

/* After a successful lookup (or one that only lacks the neighbour), the redirect. */
static __always_inline int fib_redirect(struct bpf_fib_lookup *fib, int rc)
{
	struct bpf_redir_neigh nh;

	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		return bpf_redirect(fib->ifindex, 0);
	/* No neighbour entry yet: the kernel resolves it and sends the packet when it can. The
	 * lookup left the next hop (the gateway of the route) in the destination fields. */
	__builtin_memset(&nh, 0, sizeof(nh));
	nh.nh_family = fib->family;
	if (fib->family == AF_INET)
		nh.ipv4_nh = fib->ipv4_dst;
	else
		__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, 16);
	return bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
}

static __always_inline bool fib_usable(int rc)
{
	return rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/* A from-pod IPv4 packet for no local pod: WEFT_CONTINUE hands it on to the kernel (not the
 * fabric's), else a verdict or a drop reason. eth and ip are valid on entry. */
static __always_inline int fabric_ipv4(struct __sk_buff *skb, struct ethhdr *eth, struct iphdr *ip)
{
	const struct weft_config *cfg = fabric_config();
	const struct weft_tunnel *tun;
	struct bpf_fib_lookup fib;
	int rc;

	if (!cfg || cfg->mode == WEFT_FABRIC_OFF)
		return WEFT_CONTINUE;
	tun = tunnel_lookup(4, &ip->daddr);
	if (!tun)
		return WEFT_CONTINUE; /* the node, the outside world: the kernel's (and masquerade's) */
	if (ip->ttl <= 1)
		return WEFT_CONTINUE; /* the kernel sends the time-exceeded error */

	if (cfg->mode == WEFT_FABRIC_OVERLAY) {
		if (encap_key_set(skb, cfg, tun) < 0)
			return WEFT_CONTINUE;
		encap_eth(eth, cfg);
		ipv4_hop(ip);
		return bpf_redirect(cfg->ifindex, 0);
	}

	if (neigh_direct(cfg, tun)) {
		ipv4_hop(ip);
		return neigh_redirect(cfg, tun);
	}
	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	/* tot_len 0: the kernel checks the skb against the MTU itself, which knows GSO (a given
	 * length would be compared as is, and a 64 KiB TSO packet would "need fragmenting"). */
	fib.ifindex = skb->ingress_ifindex;
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (!fib_usable(rc))
		return WEFT_CONTINUE; /* unreachable, too big, forwarding off...: the kernel says so */
	/* Verifier: reload after the helper call rather than keep eth/ip live across it. */
	eth = PKT_DATA(skb);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		eth_addr_copy(eth->h_source, fib.smac);
		eth_addr_copy(eth->h_dest, fib.dmac);
	}
	ipv4_hop(ip);
	return fib_redirect(&fib, rc);
}

static __always_inline int fabric_ipv6(struct __sk_buff *skb, struct ethhdr *eth, struct ipv6hdr *ip6)
{
	const struct weft_config *cfg = fabric_config();
	const struct weft_tunnel *tun;
	struct bpf_fib_lookup fib;
	int rc;

	if (!cfg || cfg->mode == WEFT_FABRIC_OFF)
		return WEFT_CONTINUE;
	tun = tunnel_lookup(6, &ip6->daddr);
	if (!tun)
		return WEFT_CONTINUE;
	if (ip6->hop_limit <= 1)
		return WEFT_CONTINUE;

	if (cfg->mode == WEFT_FABRIC_OVERLAY) {
		if (encap_key_set(skb, cfg, tun) < 0)
			return WEFT_CONTINUE;
		encap_eth(eth, cfg);
		ip6->hop_limit--;
		return bpf_redirect(cfg->ifindex, 0);
	}
	if (neigh_direct(cfg, tun)) {
		ip6->hop_limit--;
		return neigh_redirect(cfg, tun);
	}

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = AF_INET6;
	fib.flowinfo = *(__be32 *)ip6 & IP6_FLOWINFO_MASK;
	fib.l4_protocol = ip6->nexthdr;
	fib.ifindex = skb->ingress_ifindex;
	__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (!fib_usable(rc))
		return WEFT_CONTINUE;
	eth = PKT_DATA(skb);
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		eth_addr_copy(eth->h_source, fib.smac);
		eth_addr_copy(eth->h_dest, fib.dmac);
	}
	ip6->hop_limit--;
	return fib_redirect(&fib, rc);
}

#endif
