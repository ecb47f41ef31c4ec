/* Every map of the data path, declared once. Layouts live in weft_shared.h (the daemon's view);
 * libbpf pins each by its name under <bpffs>/weft/<node>/, so the variable names here must stay
 * equal to the WEFT_MAP_* strings there. */
#ifndef WEFT_BPF_MAPS_H
#define WEFT_BPF_MAPS_H

#include "common.h"

/* Pod address -> endpoint: where a destination address is delivered. Up to two addresses (one
 * per family) per endpoint, hence twice WEFT_MAX_ENDPOINTS. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * WEFT_MAX_ENDPOINTS);
	__type(key, struct weft_ip_key);
	__type(value, struct weft_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ep_ip SEC(".maps");

/* Host veth ifindex -> endpoint: who is allowed to send on this veth. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEFT_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct weft_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ep_if SEC(".maps");

/* Host veth ifindex % WEFT_EP_SLOTS -> endpoint: the first place from-pod looks. An array
 * lookup is an index the verifier inlines, where the hash above costs a hash computation and a
 * bucket walk, ~70 ns per packet here (docs/benchmarks.md). weftd keeps it in step with
 * weft_ep_if (daemon/dp_slots.c); a slot whose ifindex is another's sends the lookup on to the
 * hash. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WEFT_EP_SLOTS);
	__type(key, __u32);
	__type(value, struct weft_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ep_slot SEC(".maps");

/* Pod address -> endpoint, direct-mapped (WEFT_IPSLOT): where to-pod lookups look first, and
 * for an address of no local pod the only place, unless the slot is shared. weftd keeps it in
 * step with weft_ep_ip (daemon/dp_slots.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * WEFT_EP_SLOTS);
	__type(key, __u32);
	__type(value, struct weft_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ep_ipslot SEC(".maps");

/* Endpoint id -> counters, one copy per CPU so the fast path needs no atomics. An array indexed
 * by the id (weftd hands out 1..WEFT_MAX_ENDPOINTS; slot 0 stays unused): its lookup is an
 * index the verifier inlines, where the per-CPU hash of weftd 0.3 cost two hash walks per
 * packet, one program on each side of a hop, ~150 ns each here (docs/benchmarks.md). weftd zeroes
 * a slot when it gives the id to a new endpoint. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WEFT_COUNTERS_SLOTS);
	__type(key, __u32);
	__type(value, struct weft_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_counters SEC(".maps");

/* Drop events for the monitor. 256 KiB holds ~4,600 events: a burst of drops between two reads
 * loses events (never packets), and the counters still count every drop. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_events SEC(".maps");

/* Remote pod CIDR -> the node that owns it (the RIB's best paths, written by weftd's fabric).
 * Longest prefix match; no preallocation (LPM tries require it, and entries are few). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, WEFT_MAX_ROUTES);
	__type(key, struct weft_tunnel_key);
	__type(value, struct weft_tunnel);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_tunnel SEC(".maps");

/* weft_tunnel's routes by exact prefix, and the prefix lengths to try (weft_shared.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WEFT_MAX_ROUTES);
	__type(key, struct weft_tunnel_key);
	__type(value, struct weft_tunnel);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_tun_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct weft_tun_lens);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_tun_lens SEC(".maps");

/* The fabric's settings: mode and device. Zero (mode off) until weftd writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct weft_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_config SEC(".maps");

#endif
