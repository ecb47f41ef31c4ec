/* tc ingress on each pod's host veth, i.e. packets leaving the pod: anti-spoofing, the gateway's
 * ARP and ND answers, and delivery to a local pod straight into its namespace. Everything else
 * (the node itself, other nodes) goes to the kernel, whose host routes carry it. */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/drop.h"
#include "lib/endpoint.h"
#include "lib/eth.h"
#include "lib/arp.h"
#include "lib/ipv4.h"
#include "lib/ipv6.h"

/* The upgrade test builds a second object that differs from this one only here
 * (BPF_EXTRA_CFLAGS=-DWEFT_BUILD_TAG=2), to see a restarted weftd replace the running program
 * with a really different one (another program tag). */
#ifndef WEFT_BUILD_TAG
#define WEFT_BUILD_TAG 1
#endif

static __always_inline int from_pod(struct __sk_buff *skb, const struct weft_endpoint *ep)
{
	struct ethhdr *eth;
	__u16 proto;

	if (!pkt_pull(skb, ETH_HLEN))
		return -WEFT_DROP_MALFORMED;
	eth = PKT_DATA(skb);
	if ((void *)(eth + 1) > PKT_END(skb))
		return -WEFT_DROP_MALFORMED;
	if (!eth_addr_eq(eth->h_source, ep->pod_mac))
		return -WEFT_DROP_SPOOF_MAC;
	/* A pod has no VLANs. The receive path strips one tag into skb metadata before tc runs;
	 * redirected into another pod it would land on that pod's VLAN device, so a tag, in the
	 * metadata or still in the frame (stacked tags), is refused. */
	if (skb->vlan_present)
		return -WEFT_DROP_MALFORMED;

	proto = bpf_ntohs(eth->h_proto);
	switch (proto) {
	case ETH_P_IP:
		return ipv4_from_pod(skb, ep);
	case ETH_P_IPV6:
		return ipv6_from_pod(skb, ep);
	case ETH_P_ARP:
		return arp_from_pod(skb, ep);
	case ETH_P_8021Q:
	case ETH_P_8021AD:
		return -WEFT_DROP_MALFORMED;
	}
	/* Other EtherTypes reach no pod from here; the kernel has no handler for them on a plain
	 * veth and discards them. */
	return TC_ACT_OK;
}

SEC("tc")
int weft_from_pod(struct __sk_buff *skb)
{
	const struct weft_endpoint *ep;
	struct weft_counters *c;
	int ret;

	/* ingress_ifindex rather than ifindex: the same at tc ingress, and BPF_PROG_TEST_RUN lets
	 * a test set it without a real device behind it. */
	/* One register load of the build tag: it changes the instructions, hence the program tag,
	 * and nothing else. */
	asm volatile("" : : "r"(WEFT_BUILD_TAG));
	ep = ep_by_ifindex(skb->ingress_ifindex);
	if (!ep)
		return TC_ACT_OK; /* not a pod veth we know: not ours to judge */

	c = counters_get(ep->id);
	if (c) {
		c->from_pod_packets++;
		c->from_pod_bytes += skb->len;
	}
	ret = from_pod(skb, ep);
	if (ret < 0)
		return drop_packet(skb, ep, c, -ret);
	/* WEFT_CONTINUE cannot escape the helpers above; this keeps it that way if one changes. */
	return ret == WEFT_CONTINUE ? TC_ACT_OK : ret;
}

char _license[] SEC("license") = "Dual BSD/GPL";
