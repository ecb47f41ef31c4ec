/* The fabric: what turns the RIB's best paths into forwarding between nodes. Overlay mode owns a
 * collect-metadata VXLAN device and puts each remote pod CIDR in the tunnel map (for pods,
 * encapsulated by BPF) and in a kernel route through the device with an encap to the node (for
 * the node itself); native mode installs kernel routes via the owning node, which BPF follows
 * (straight to the node where the kernel says it is a neighbour on the underlay device, with
 * bpf_fib_lookup otherwise). Also the masquerade of traffic leaving the cluster. docs/fabric.md. */
#ifndef WEFTD_FABRIC_H
#define WEFTD_FABRIC_H

#include <jansson.h>
#include <stddef.h>

#include "conf.h"
#include "dp.h"
#include "rib.h"

struct fabric;

/* Set the node up for c's fabric (the VXLAN device, its addresses and program, the masquerade
 * table, the mode in weft_config) and subscribe to rib's best paths. Routes an earlier weftd
 * left in the data path stay until fabric_sweep (graceful restart keeps forwarding meanwhile).
 * Without nodeAddress the fabric is off: *out is NULL, and whatever an earlier weftd's fabric
 * left (device, routes, tunnel entries, masquerade) is removed. 0, or -1 with err. */
int fabric_open(const struct conf *c, struct dp *dp, struct rib *rib, struct fabric **out, char *err,
		size_t errlen);
/* Release sockets and memory; the data path, routes and device stay. NULL is a no-op. */
void fabric_close(struct fabric *f);

/* The RIB is complete (BGP in sync, or no BGP): remove from the data path every route the RIB
 * has no remote best path for, and install again what is missing. 0, or -errno of the first
 * failure (the others are still tried, and logged). */
int fabric_sweep(struct fabric *f);

/* Native mode: ask the kernel again, for every remote best path, whether its route still goes
 * straight to the next hop on the underlay device, and write the tunnel entries' direct flag
 * to match (fabric_watch calls this when someone else's route changed). Kernel routes are left
 * alone. Returns how many entries are direct; 0 in overlay mode or with f NULL. */
size_t fabric_refresh_direct(struct fabric *f);

/* The node's own pod CIDRs (RIB_SOURCE_LOCAL, next hop nodeAddress) and staticRoutes
 * (RIB_SOURCE_STATIC) into rib. */
void fabric_rib_load(struct rib *rib, const struct fabric_conf *c);
/* SIGHUP: static routes that went are withdrawn, new or changed ones updated. */
void fabric_rib_reload(struct rib *rib, const struct fabric_conf *old, const struct fabric_conf *now);

/* For `weftctl route list`: where the fabric put best (a new reference): "tunnel" (overlay:
 * weft_tunnel and a kernel route), "kernel" (native), "local" (the node's own prefix), or
 * "failed"; NULL when the fabric is off. */
json_t *fabric_installed_json(struct fabric *f, const struct rib_path *best);

/* weftd --purge: remove weftd's routes, its VXLAN device and its masquerade table. */
int fabric_purge(const struct conf *c, char *err, size_t errlen);

#endif
