/* The node's eBPF data path as weftd sees it: load or adopt the pinned programs and maps,
 * attach at pods' host veths, keep the endpoint maps, read counters. Everything it creates is
 * pinned under <bpffs>/weft/<node>/, so a killed daemon leaves traffic flowing and the next one
 * adopts it. Returns 0 or -errno; err buffers get a sentence naming what failed. */
#ifndef WEFT_DP_H
#define WEFT_DP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "inet.h"
#include "weft_shared.h"

struct dp;

enum dp_attach_mode { DP_ATTACH_AUTO, DP_ATTACH_TCX, DP_ATTACH_TC };

struct dp_config {
	const char *bpffs;          /* mount point of bpffs, e.g. /sys/fs/bpf */
	const char *node;           /* node name: pins live in <bpffs>/weft/<node>/ */
	enum dp_attach_mode attach; /* AUTO: tcx where the kernel has it, tc clsact otherwise */
};

/* Open the data path: reuse pinned maps (creating and pinning them the first time), load the
 * programs built into this binary, and atomically replace the programs at every host veth that
 * the pinned endpoint map names (so an upgraded weftd takes over without a gap). */
int dp_open(const struct dp_config *cfg, struct dp **out, char *err, size_t errlen);
/* Release this process's handles. Pinned maps, pinned links and tc filters stay: traffic flows. */
void dp_close(struct dp *dp);
/* Remove everything pinned for this node and detach from every endpoint (weftd --purge). */
int dp_purge(const struct dp_config *cfg, char *err, size_t errlen);

/* Insert or replace an endpoint in both maps and attach the program at ep->ifindex ingress.
 * Idempotent: attaching where our program already is replaces it in place. */
int dp_endpoint_upsert(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
/* Remove an endpoint from the maps and detach from its veth (a veth already gone is fine). */
int dp_endpoint_remove(struct dp *dp, const struct weft_endpoint *ep, char *err, size_t errlen);
/* Call fn for each endpoint in the pinned weft_ep_if map (reconcile at start). */
int dp_endpoint_foreach(struct dp *dp, int (*fn)(const struct weft_endpoint *ep, void *arg), void *arg);
/* Whether our program is attached at ifindex ingress right now. */
bool dp_endpoint_attached(struct dp *dp, unsigned ifindex);

/* Counters of one endpoint, summed over CPUs (dp_counters.c); -ENOENT for an id beyond
 * WEFT_MAX_ENDPOINTS, which has none. */
int dp_counters_get(struct dp *dp, unsigned ep_id, struct weft_counters *out);
/* How many endpoints' counters dp_open carried over from an older weftd's map (an upgrade). */
unsigned dp_counters_carried(const struct dp *dp);
/* How many endpoints dp_open found or put in their weft_ep_slot slot, or the -errno that kept it
 * from checking (pods are then judged through weft_ep_if, as before the slots). */
int dp_slots_synced(const struct dp *dp);
/* How many routes dp_open copied from weft_tunnel into weft_tun_exact, or the -errno that kept
 * it from finishing (remote pods are then looked up in the trie, as before the copy). */
int dp_tunexact_synced(const struct dp *dp);

/* ---- the fabric (docs/fabric.md) ------------------------------------------------------------ */

/* Write the settings every program reads: the fabric's mode and the VXLAN device. */
int dp_fabric_config_set(struct dp *dp, const struct weft_config *cfg, char *err, size_t errlen);
/* The devices packets from other nodes arrive on, each with its program: the VXLAN device in
 * overlay mode (weft_from_overlay), the underlay device in native mode (weft_from_netdev). */
enum dp_fabric_dev { DP_FABRIC_VXLAN, DP_FABRIC_UNDERLAY, DP_FABRIC_DEVS };
/* Attach dev's program at ifindex's ingress, atomically replacing the one an earlier weftd left
 * there; detach it (ifindex 0 when the device is unknown or gone: the pinned link goes, and in
 * tc mode our filter is looked for on every device). */
int dp_fabric_attach(struct dp *dp, enum dp_fabric_dev dev, unsigned ifindex, char *err, size_t errlen);
int dp_fabric_detach(struct dp *dp, enum dp_fabric_dev dev, unsigned ifindex, char *err, size_t errlen);
/* weft_tunnel: a remote pod CIDR and the underlay address of the node that owns it, with
 * WEFT_TUNNEL_* flags. Delete of an absent prefix is fine. -EINVAL for a prefix that is not
 * canonical IPv4/IPv6, or WEFT_TUNNEL_NEIGH where node's family is not the prefix's. */
int dp_tunnel_upsert(struct dp *dp, const struct inet_prefix *prefix, const struct inet_addr *node, unsigned flags);
int dp_tunnel_delete(struct dp *dp, const struct inet_prefix *prefix);
/* Where the data path sends the addresses of prefix (the trie's longest match): -ENOENT if
 * nowhere. */
int dp_tunnel_lookup(struct dp *dp, const struct inet_prefix *prefix, struct inet_addr *node);
/* Every entry (a copy of the keys is taken first, so fn may delete). */
int dp_tunnel_foreach(struct dp *dp, int (*fn)(const struct inet_prefix *prefix, const struct inet_addr *node, void *arg),
		      void *arg);

/* For `weftctl status`: {"programs":[{name,id,attach_mode,attached}], "maps":[{name,type,
 * max_entries,entries}]} as a new reference. */
json_t *dp_status(struct dp *dp);
/* For `weftctl bpf map dump NAME`: the map's entries decoded into JSON (keys and values by
 * field name); -ENOENT for an unknown map name. */
int dp_map_dump(struct dp *dp, const char *name, json_t **out, char *err, size_t errlen);

#endif
