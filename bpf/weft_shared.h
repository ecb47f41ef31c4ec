/* Layouts shared by the BPF programs and weftd: map keys and values, drop reasons and event
 * records. Both sides include this one header; sizes are checked at compile time so a change on
 * one side cannot silently disagree with the other. Explicit padding everywhere: map keys are
 * hashed as raw bytes, so no byte may be left uninitialised. */
#ifndef WEFT_SHARED_H
#define WEFT_SHARED_H

#ifdef __bpf__
#include "vmlinux.h"
#else
#include <linux/types.h>
#endif

#define WEFT_MAX_ENDPOINTS 16384
/* weft_counters slots: one per endpoint id (1..WEFT_MAX_ENDPOINTS), slot 0 unused. */
#define WEFT_COUNTERS_SLOTS (WEFT_MAX_ENDPOINTS + 1)
/* Remote pod CIDRs the data path can hold (weft_tunnel; an LPM trie allocates per entry, so an
 * unused capacity costs nothing). */
#define WEFT_MAX_ROUTES 65536

/* Pinned map names (libbpf pins by name under <bpffs>/weft/<node>/). */
#define WEFT_MAP_EP_IP    "weft_ep_ip"
#define WEFT_MAP_EP_IF    "weft_ep_if"
#define WEFT_MAP_COUNTERS "weft_counters"
#define WEFT_MAP_EVENTS   "weft_events"
#define WEFT_MAP_TUNNEL   "weft_tunnel"
#define WEFT_MAP_CONFIG   "weft_config"
#define WEFT_MAP_EP_SLOT  "weft_ep_slot"

/* weft_ep_slot: a direct-mapped copy of weft_ep_if, slot = host veth ifindex % WEFT_EP_SLOTS (a
 * power of two). A slot is valid for an ifindex only if its value's ifindex is that ifindex; 0
 * marks it free. Endpoints whose slot another veth holds are found in weft_ep_if. */
#define WEFT_EP_SLOTS 16384

/* weft_ep_ipslot: the same for weft_ep_ip, a pod address -> its endpoint. IPv4 addresses sit at
 * their low 14 bits, IPv6 ones at WEFT_EP_SLOTS + the low 14 bits (addr: network order bytes).
 * A slot is valid for an address if its value has the family's WEFT_EP_HAS_* flag and that
 * address. Unlike the ifindex slots, a miss is an answer: the address is no local pod's, unless
 * the slot is marked WEFT_EP_SLOT_SHARED (other local addresses fall in it too, and live in
 * weft_ep_ip only), and then the hash is asked. */
#define WEFT_MAP_EP_IPSLOT "weft_ep_ipslot"
#define WEFT_EP_SLOT_SHARED 0x80000000u /* in weft_ep_ipslot values only */
#define WEFT_IPSLOT(family, addr)                                                                  \
	(((family) == 6 ? WEFT_EP_SLOTS : 0) +                                                     \
	 ((((__u32)(addr)[(family) == 6 ? 14 : 2] << 8) | (addr)[(family) == 6 ? 15 : 3]) & (WEFT_EP_SLOTS - 1)))

/* Why the data path dropped a packet. Shared with userspace: weftctl prints these names. */
enum weft_drop {
	WEFT_DROP_NONE = 0,
	WEFT_DROP_SPOOF_MAC,      /* source MAC is not the pod's */
	WEFT_DROP_SPOOF_IP4,      /* IPv4 source is not the pod's */
	WEFT_DROP_SPOOF_IP6,      /* IPv6 source is not the pod's (nor its link-local) */
	WEFT_DROP_SPOOF_ARP,      /* ARP whose sender is not the pod */
	WEFT_DROP_SPOOF_ND,       /* neighbour solicitation/advertisement claiming another address */
	WEFT_DROP_ROUTER_ADV,     /* a pod sent an IPv6 router advertisement */
	WEFT_DROP_MALFORMED,      /* truncated or inconsistent headers */
	WEFT_DROP_TTL_EXCEEDED,   /* TTL / hop limit would reach 0 on a pod-to-pod hop */
	WEFT_DROP_MAX
};

#define WEFT_DROP_NAMES { "none", "spoofed-mac", "spoofed-ipv4", "spoofed-ipv6", "spoofed-arp", \
			  "spoofed-nd", "router-advertisement", "malformed", "ttl-exceeded" }

/* Key of weft_ep_ip: one pod address. family is 4 or 6; IPv4 uses addr[0..3], rest zero. */
struct weft_ip_key {
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};

#define WEFT_EP_HAS_IPV4 0x1
#define WEFT_EP_HAS_IPV6 0x2

/* A local pod: value of weft_ep_ip (looked up by destination address) and of weft_ep_if
 * (looked up by the ingress ifindex of the pod's host-side veth, for anti-spoofing). */
struct weft_endpoint {
	__u32 id;          /* weftd's endpoint id, key of weft_counters */
	__u32 ifindex;     /* host-side veth; bpf_redirect_peer target */
	__u8 pod_mac[6];
	__u8 host_mac[6];  /* the gateway MAC the pod sends to */
	__u32 flags;       /* WEFT_EP_HAS_* */
	__u8 ipv4[4];
	__u8 ipv6[16];
};

/* Value of weft_counters (per-CPU array indexed by endpoint id; userspace sums the CPUs).
 * from_pod: everything the program saw leave the pod; to_pod: what it delivered into the pod
 * from another local pod. Traffic the kernel delivers (node -> pod) is not counted here. */
struct weft_counters {
	__u64 from_pod_packets;
	__u64 from_pod_bytes;
	__u64 to_pod_packets;
	__u64 to_pod_bytes;
	__u64 drops[WEFT_DROP_MAX];
};

/* Ring-buffer record for each drop (weftctl monitor, later issues). */
struct weft_drop_event {
	__u64 ts_ns;
	__u32 ep_id;
	__u32 ifindex;
	__u16 reason;      /* enum weft_drop */
	__u16 eth_proto;   /* network byte order */
	__u8 src[16];
	__u8 dst[16];
	__u32 len;
};

/* ---- the fabric (docs/fabric.md) ---------------------------------------------------------- */

/* Key of weft_tunnel, an LPM trie: a remote pod CIDR. The trie matches the bits after
 * prefixlen from the start of the data, so family and pad take part: prefixlen is 32 + the
 * CIDR's length, and a lookup uses 32 + 32 (IPv4) or 32 + 128 (IPv6) with the full address.
 * IPv4 uses addr[0..3], the rest zero. */
struct weft_tunnel_key {
	__u32 prefixlen;
	__u8 family;       /* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16];
};

#define WEFT_TUNNEL_KEY_BITS 32 /* family and pad, matched before the address bits */

/* Value of weft_tunnel: the node that owns the CIDR, by its underlay address (the RIB's best
 * next hop). Overlay mode encapsulates to it. Native mode sends to it directly when the entry
 * says WEFT_TUNNEL_NEIGH, and otherwise asks the kernel's FIB, whose route weftd installed too. */
struct weft_tunnel {
	__u8 family;       /* 4 or 6; may differ from the key's (IPv6 pods over an IPv4 underlay) */
	__u8 flags;        /* WEFT_TUNNEL_*; 0 from weftd before 0.4 (this was padding) */
	__u8 pad[2];
	__u8 addr[16];
};

/* Native mode: weftd asked the kernel where its route for the CIDR goes, and it goes to addr, a
 * neighbour on the underlay device (weft_config.ifindex). The program then redirects there
 * itself (bpf_redirect_neigh with addr) instead of repeating that FIB lookup for every packet,
 * which cost ~350 ns here (docs/benchmarks.md). Set only when the key's and addr's families
 * match. */
#define WEFT_TUNNEL_NEIGH 0x1

/* weft_tun_exact: the routes of weft_tunnel again, in a hash keyed by their exact prefix: the
 * same key layout, prefixlen the CIDR's own length (not + 32), the address masked to it. An LPM
 * trie walk grows with the routes (~40 ns with two, ~350 ns more with 10,000 /24s here, most of
 * it cache misses); a hash lookup does not. The programs try the family's prefix lengths of
 * weft_tun_lens longest first, one lookup each, so the first hit is the trie's answer.
 * weft_tun_lens holds one entry per family (0: IPv4, 1: IPv6). weftd keeps its lengths a
 * superset of those in the hash at every moment, and writes it in one 8-byte store (read in one
 * load), so a program never sees half a list. valid 0 (weftd rebuilding the hash, too few routes
 * for the hash to pay, more lengths than fit, or a write that failed) sends lookups to
 * weft_tunnel. */
#define WEFT_MAP_TUN_EXACT "weft_tun_exact"
#define WEFT_MAP_TUN_LENS  "weft_tun_lens"
#define WEFT_TUN_LENS_MAX  6
struct weft_tun_lens {
	__u8 valid;
	__u8 n;                        /* lengths in len[], longest first */
	__u8 len[WEFT_TUN_LENS_MAX];
};

enum weft_fabric_mode {
	WEFT_FABRIC_OFF = 0,     /* no fabric: anything not for a local pod goes to the kernel */
	WEFT_FABRIC_OVERLAY = 1, /* VXLAN through a collect-metadata device */
	WEFT_FABRIC_NATIVE = 2,  /* bpf_redirect_neigh over the underlay, after bpf_fib_lookup
				  * unless the entry is WEFT_TUNNEL_NEIGH */
};

/* Value of weft_config (an array of one, key 0), written by weftd when the fabric starts. */
struct weft_config {
	__u32 mode;            /* enum weft_fabric_mode */
	__u32 ifindex;         /* the fabric's device: overlay, the collect-metadata VXLAN device;
				* native, the underlay device (0 from weftd before 0.4) */
	__u8 vxlan_mac[6];     /* its MAC: the inner source (and destination) of encapsulated frames */
	__be16 vxlan_port;     /* overlay: its UDP port, network order, for the underlay device's
				* program to decapsulate itself; 0 (what weftd before 0.4 left in
				* this former padding): leave every packet to the VXLAN device */
	__u32 vni;             /* VXLAN network identifier put in the tunnel key */
};

#define WEFT_VXLAN_VNI 1
#define WEFT_VXLAN_TTL 64

_Static_assert((WEFT_EP_SLOTS & (WEFT_EP_SLOTS - 1)) == 0, "WEFT_EP_SLOTS is a power of two");
_Static_assert(sizeof(struct weft_tunnel_key) == 24, "weft_tunnel_key layout");
_Static_assert(sizeof(struct weft_tunnel) == 20, "weft_tunnel layout");
_Static_assert(sizeof(struct weft_config) == 20, "weft_config layout");
_Static_assert(sizeof(struct weft_tun_lens) == 8, "weft_tun_lens layout: one 8-byte word");
_Static_assert(sizeof(struct weft_ip_key) == 20, "weft_ip_key layout");
_Static_assert(sizeof(struct weft_endpoint) == 44, "weft_endpoint layout");
_Static_assert(sizeof(struct weft_counters) == 32 + 8 * WEFT_DROP_MAX, "weft_counters layout");
_Static_assert(sizeof(struct weft_drop_event) == 56, "weft_drop_event layout");

#endif
