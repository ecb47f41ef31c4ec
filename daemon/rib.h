/* The node's routing table: pod CIDRs learned from peers (BGP) and the node's own, keeping every
 * path per prefix and choosing the best one (RFC 4271 9.1, as far as pod routes need it).
 * Producers: the BGP sessions (one source id per peer) and the node's configuration (source 0).
 * Consumers subscribe to best-path changes: the fabric turns them into tunnel-map entries
 * (overlay mode) or kernel routes (native mode). Library code: no I/O, no logging. */
#ifndef WEFT_RIB_H
#define WEFT_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet.h"

#define RIB_SOURCE_LOCAL 0u
/* The operator's staticRoutes (routes to nodes that speak no BGP). Peers use ids in between. */
#define RIB_SOURCE_STATIC UINT32_MAX

struct rib;

struct rib_path {
	struct inet_prefix prefix;  /* canonical (host bits zero) */
	struct inet_addr nexthop;   /* the node that owns the prefix (its underlay address) */
	uint32_t source;            /* RIB_SOURCE_LOCAL or a peer's id */
	/* Decision inputs (RFC 4271 9.1.2.2), as received. */
	uint32_t local_pref;        /* iBGP; 100 when absent */
	uint32_t as_path_len;
	uint8_t origin;             /* 0 IGP, 1 EGP, 2 INCOMPLETE */
	uint32_t med;
	uint32_t neighbor_as;       /* first AS of the path: MED is compared only between equal ones */
	bool ebgp;                  /* learned over eBGP (preferred over iBGP) */
	uint32_t router_id;         /* the peer's BGP identifier (or ORIGINATOR_ID): last tie-breaker */
	bool stale;                 /* kept for a restarting peer (RFC 4724) until its End-of-RIB */
};

/* Choosing the best path: the node's own paths (RIB_SOURCE_LOCAL) win over everything, then
 * static ones, then BGP paths, which are compared as RFC 4271 9.1.2.2 says: highest local_pref,
 * shortest AS path, lowest origin, lowest MED among paths from the same neighbor AS (removal,
 * not pairwise comparison, so the outcome does not depend on order), eBGP over iBGP, lowest
 * router id, and lowest source id (standing in for the peer address of step g). Stale paths
 * compete as usual (RFC 4724 4.2: they keep forwarding). Subscribers must not change the RIB
 * from inside their callback, nor from inside a rib_foreach_best walk. */

/* Called after each change of a prefix's best path; best is NULL when the prefix is gone. The
 * pointer is valid only during the call. */
typedef void (*rib_change_fn)(void *arg, const struct inet_prefix *prefix, const struct rib_path *best);

int rib_new(struct rib **out);            /* 0 or -ENOMEM */
void rib_free(struct rib *rib);           /* NULL is a no-op */
/* At most a few consumers; they are told about every later change (not the current content:
 * walk rib_foreach_best for that). */
int rib_subscribe(struct rib *rib, rib_change_fn fn, void *arg);
/* Stop telling (fn, arg): a consumer calls it before it goes, whoever outlives whom. Not
 * subscribed, or rib NULL, is a no-op. Not from inside a callback. */
void rib_unsubscribe(struct rib *rib, rib_change_fn fn, void *arg);

/* Add or replace the path of (prefix, source). -EINVAL for a non-canonical prefix or a missing
 * next hop; the next hop may be of the other family (IPv6 pod prefixes over an IPv4 underlay). */
int rib_update(struct rib *rib, const struct rib_path *path);
/* Remove the path of (prefix, source); absent is fine. */
int rib_withdraw(struct rib *rib, const struct inet_prefix *prefix, uint32_t source);
/* A session went down: every path of that source goes. */
void rib_withdraw_source(struct rib *rib, uint32_t source);
/* Graceful restart (RFC 4724 4.2): mark a source's paths stale when its session drops with
 * forwarding state preserved; paths it re-announces lose the mark; the rest go on End-of-RIB or
 * when the restart timer expires. */
void rib_mark_stale(struct rib *rib, uint32_t source);
void rib_sweep_stale(struct rib *rib, uint32_t source);

const struct rib_path *rib_best(const struct rib *rib, const struct inet_prefix *prefix);
/* Every prefix's best path, in prefix order; a non-zero return from fn stops the walk. */
int rib_foreach_best(const struct rib *rib, int (*fn)(const struct rib_path *best, void *arg), void *arg);
size_t rib_prefix_count(const struct rib *rib);
size_t rib_path_count(const struct rib *rib, uint32_t source);

#endif
