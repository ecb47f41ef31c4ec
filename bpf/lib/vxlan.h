/* Overlay mode, at the underlay device: a VXLAN packet from another node for a local pod is
 * decapsulated here and delivered, instead of climbing the node's IP and UDP stack to the VXLAN
 * device (and netfilter's hooks on the way) only to be handed to weft_from_overlay. Only the
 * common case takes the short cut: an outer IPv4 header without options or fragments, UDP to
 * the overlay's port with a zero checksum (what every Weft node sends, RFC 7348 5), our VNI, an
 * inner IPv4 or IPv6 packet for a local pod, and no GSO (a GRO-merged train of tunnel packets
 * is the kernel's to take apart). Everything else the kernel's VXLAN device receives as before;
 * nothing that was delivered before is lost, only a hop is saved. */
#ifndef WEFT_BPF_VXLAN_H
#define WEFT_BPF_VXLAN_H

#include "common.h"
#include "maps.h"
#include "endpoint.h"
#include "eth.h"
#include "l3.h"

#define VXLAN_FLAG_VNI 0x08000000 /* the I flag: the VNI field is valid */
/* What decapsulation removes after the outer Ethernet header: outer IPv4, UDP, VXLAN and the
 * inner Ethernet header (whose MACs the delivery writes anew into the outer one). */
#define VXLAN4_OUTER (IP4_HLEN + (int)sizeof(struct udphdr) + (int)sizeof(struct vxlanhdr) + ETH_HLEN)

/* The frame is VXLAN over IPv4 for this overlay: the inner EtherType (network order), else 0.
 * Every packet of the node's uplink passes here: the outer headers are copied out and judged
 * first, so that only tunnel packets ever have their headers pulled into the linear area. */
static __always_inline __be16 vxlan4_inner_proto(struct __sk_buff *skb, const struct weft_config *cfg)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
	} h;
	struct ethhdr *eth, *inner;
	struct vxlanhdr *vx;

	if (skb->protocol != bpf_htons(ETH_P_IP) || bpf_skb_load_bytes(skb, ETH_HLEN, &h, sizeof(h)) < 0)
		return 0;
	if (h.ip.version != 4 || h.ip.ihl != 5 || h.ip.protocol != IPPROTO_UDP || (h.ip.frag_off & bpf_htons(0x3fff)))
		return 0;
	if (h.udp.dest != cfg->vxlan_port || h.udp.check != 0)
		return 0;
	if (!pkt_pull(skb, ETH_HLEN + VXLAN4_OUTER))
		return 0;
	eth = PKT_DATA(skb);
	vx = (void *)eth + ETH_HLEN + sizeof(h);
	inner = (void *)(vx + 1);
	if ((void *)(inner + 1) > PKT_END(skb))
		return 0;
	if (!(vx->vx_flags & bpf_htonl(VXLAN_FLAG_VNI)) || vx->vx_vni != bpf_htonl(cfg->vni << 8))
		return 0;
	return inner->h_proto;
}

/* Strip the outer headers, keeping the outer Ethernet header with the inner EtherType. Packet
 * pointers are invalid afterwards. */
static __always_inline bool vxlan4_decap(struct __sk_buff *skb, __be16 inner_proto)
{
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO; /* the inner segment size does not change */
	struct ethhdr *eth;

	if (inner_proto == bpf_htons(ETH_P_IPV6))
		flags |= BPF_F_ADJ_ROOM_DECAP_L3_IPV6; /* skb->protocol follows */
	if (bpf_skb_adjust_room(skb, -VXLAN4_OUTER, BPF_ADJ_ROOM_MAC, flags) < 0)
		return false;
	eth = PKT_DATA(skb);
	if ((void *)(eth + 1) > PKT_END(skb))
		return false;
	eth->h_proto = inner_proto;
	return true;
}

static __always_inline int vxlan4_to_local_ipv4(struct __sk_buff *skb)
{
	const struct weft_endpoint *dst;
	struct ethhdr *eth;
	struct iphdr *ip;

	if (!pkt_pull(skb, ETH_HLEN + VXLAN4_OUTER + IP4_HLEN))
		return WEFT_CONTINUE;
	ip = PKT_DATA(skb) + ETH_HLEN + VXLAN4_OUTER;
	if ((void *)(ip + 1) > PKT_END(skb) || ip->version != 4 || ip->ihl < 5)
		return WEFT_CONTINUE;
	dst = ep_by_ip4(ip->daddr);
	if (!dst || ip->ttl <= 1)
		return WEFT_CONTINUE;
	if (!vxlan4_decap(skb, bpf_htons(ETH_P_IP)))
		return WEFT_CONTINUE;
	eth = PKT_DATA(skb);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > PKT_END(skb))
		return WEFT_CONTINUE;
	return ipv4_to_local(skb, eth, ip, dst);
}

static __always_inline int vxlan4_to_local_ipv6(struct __sk_buff *skb)
{
	const struct weft_endpoint *dst;
	struct ipv6hdr *ip6;
	struct ethhdr *eth;

	if (!pkt_pull(skb, ETH_HLEN + VXLAN4_OUTER + IP6_HLEN))
		return WEFT_CONTINUE;
	ip6 = PKT_DATA(skb) + ETH_HLEN + VXLAN4_OUTER;
	if ((void *)(ip6 + 1) > PKT_END(skb) || ip6->version != 6)
		return WEFT_CONTINUE;
	dst = ep_by_ip6(&ip6->daddr);
	if (!dst || ip6->hop_limit <= 1)
		return WEFT_CONTINUE;
	if (!vxlan4_decap(skb, bpf_htons(ETH_P_IPV6)))
		return WEFT_CONTINUE;
	eth = PKT_DATA(skb);
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > PKT_END(skb))
		return WEFT_CONTINUE;
	return ipv6_to_local(skb, eth, ip6, dst);
}

/* A verdict, or WEFT_CONTINUE: not ours to decapsulate (the packet is unchanged). */
static __always_inline int vxlan_to_local(struct __sk_buff *skb)
{
	const struct weft_config *cfg;
	__u32 zero = 0;
	__be16 proto;

	cfg = bpf_map_lookup_elem(&weft_config, &zero);
	if (!cfg || cfg->mode != WEFT_FABRIC_OVERLAY || !cfg->vxlan_port || skb->gso_segs > 1)
		return WEFT_CONTINUE;
	proto = vxlan4_inner_proto(skb, cfg);
	if (proto == bpf_htons(ETH_P_IP))
		return vxlan4_to_local_ipv4(skb);
	if (proto == bpf_htons(ETH_P_IPV6))
		return vxlan4_to_local_ipv6(skb);
	return WEFT_CONTINUE;
}

#endif
