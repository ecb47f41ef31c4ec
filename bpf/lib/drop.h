/* Counters and the one exit for dropped packets: every drop in the data path ends in
 * drop_packet(), which counts the reason on the sending endpoint and emits a weft_drop_event
 * to the ring buffer. Reasons are the WEFT_DROP_* codes shared with weftctl. */
#ifndef WEFT_BPF_DROP_H
#define WEFT_BPF_DROP_H

#include "common.h"
#include "maps.h"

/* The endpoint's counters on this CPU. NULL only for an id beyond the array, which weftd never
 * hands out; the packet would still be handled, just not counted. */
static __always_inline struct weft_counters *counters_get(__u32 ep_id)
{
	return bpf_map_lookup_elem(&weft_counters, &ep_id);
}

/* Addresses for the event, read again from the packet (the parsers keep no copies on the fast
 * path). IPv4 and ARP fill 4 bytes, IPv6 16; a spoofed MAC reports the Ethernet source and
 * destination instead, since the MAC is what was wrong. A short packet leaves zeros. */
static __always_inline void drop_event_addrs(struct __sk_buff *skb, struct weft_drop_event *ev,
					     __u16 proto)
{
	if (ev->reason == WEFT_DROP_SPOOF_MAC) {
		bpf_skb_load_bytes(skb, 6, ev->src, ETH_ALEN);
		bpf_skb_load_bytes(skb, 0, ev->dst, ETH_ALEN);
		return;
	}
	switch (proto) {
	case ETH_P_IP:
		bpf_skb_load_bytes(skb, ETH_HLEN + 12, ev->src, 4);
		bpf_skb_load_bytes(skb, ETH_HLEN + 16, ev->dst, 4);
		break;
	case ETH_P_IPV6:
		bpf_skb_load_bytes(skb, ETH_HLEN + 8, ev->src, 16);
		bpf_skb_load_bytes(skb, ETH_HLEN + 24, ev->dst, 16);
		break;
	case ETH_P_ARP: /* sender and target protocol addresses */
		bpf_skb_load_bytes(skb, ETH_HLEN + 14, ev->src, 4);
		bpf_skb_load_bytes(skb, ETH_HLEN + 24, ev->dst, 4);
		break;
	}
}

static __always_inline int drop_packet(struct __sk_buff *skb, const struct weft_endpoint *ep,
				       struct weft_counters *c, __u32 reason)
{
	struct weft_drop_event *ev;
	__be16 proto = 0;
	__u64 r = reason;

	/* Verifier: r indexes drops[], so it needs a bound the verifier can see. Checking reason
	 * alone is not enough: clang compares a zero-extended copy and then indexes with the
	 * original register, whose bounds the verifier never learned ("R8 unbounded memory
	 * access"). The empty asm makes r one 64-bit register that is both checked and used.
	 * The check also keeps a bug elsewhere from writing past the array. */
	asm volatile("" : "+r"(r));
	if (r == 0 || r >= WEFT_DROP_MAX)
		r = WEFT_DROP_MALFORMED;
	if (c)
		c->drops[r]++;

	ev = bpf_ringbuf_reserve(&weft_events, sizeof(*ev), 0);
	if (ev) {
		__builtin_memset(ev, 0, sizeof(*ev));
		bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto));
		ev->ts_ns = bpf_ktime_get_ns();
		ev->ep_id = ep->id;
		ev->ifindex = skb->ingress_ifindex;
		ev->reason = r;
		ev->eth_proto = proto;
		ev->len = skb->len;
		drop_event_addrs(skb, ev, bpf_ntohs(proto));
		bpf_ringbuf_submit(ev, 0);
	}
	return TC_ACT_SHOT;
}

#endif
