/* Inside the BGP speaker: the state behind struct bgp, shared by bgp.c (the speaker) and
 * bgp_view.c (the API's peer.list and route.list views). Nothing else includes this; weftd
 * uses bgp.h. */
#ifndef WEFTD_BGP_PRIV_H
#define WEFTD_BGP_PRIV_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp.h"
#include "bgp_attr.h"
#include "bgp_session.h"
#include "rib.h"

/* ---- the Adj-RIB-In ----------------------------------------------------------------------- */

/* The path attributes of one UPDATE, shared by the prefixes it announced. */
struct bgp_pattrs {
	unsigned refs;
	struct bgp_attrs a;
};

struct bgp_route {
	struct bgp_route *next;    /* hash chain */
	struct inet_prefix prefix; /* canonical, bytes past the family's size zero */
	uint32_t source;           /* the peer's RIB source id */
	struct inet_addr nh;
	struct bgp_pattrs *attrs;
	uint64_t since;            /* monotonic seconds */
	bool stale;                /* kept while the peer restarts (RFC 4724 §4.2) */
};

struct bgp_adj {
	struct bgp_route **buckets;
	size_t nbuckets;           /* a power of two */
	size_t count;
};

/* The path peer source gave for pfx, or NULL. */
struct bgp_route *bgp_adj_find(const struct bgp_adj *t, uint32_t source, const struct inet_prefix *pfx);

/* ---- the speaker ------------------------------------------------------------------------- */

struct bgp_peer {
	struct bgp *b;
	uint32_t source;              /* RIB source id: index + 1 */
	struct bgp_peer_conf conf;
	bool ebgp;
	struct bgp_session *s;
	char name[INET_ADDRSTR];
	struct inet_addr nh4, nh6;    /* our next hops towards this peer */
	size_t received;              /* its paths in the Adj-RIB-In */
	size_t stale;                 /* of those, the ones kept for its restart */
	uint64_t filtered, sent;      /* since the session came up */
	uint8_t eor_rcvd, eor_sent;   /* BGP_AF_BIT()s */
	ev_timer stale_timer;         /* restart time, then BGP_STALE_TIME (RFC 4724 §4.2) */
	char update_error[160];       /* the last RFC 7606 fault in its UPDATEs */
};

struct bgp {
	struct ev_loop *loop;
	struct bgp_conf conf;
	struct bgp_local local;
	struct rib *rib;
	struct bgp_hooks hooks;
	struct bgp_listener *listeners[BGP_CONF_LISTEN_MAX];
	struct inet_addr listen_addr[BGP_CONF_LISTEN_MAX]; /* of each listener */
	size_t n_listeners;
	struct bgp_peer *peers;
	size_t n_peers;
	struct bgp_adj adj;
	bool rr;                      /* some peer is a route reflector client (RFC 4456) */
	struct bgp_adj out;           /* what we reflected to each peer (prefixes only) */
	struct inet_prefix own[BGP_CONF_ANNOUNCE_MAX]; /* what we announce, IPv4 first */
	size_t n_own[BGP_AF_COUNT];
	bool synced, closing;
	ev_timer sync_timer;
};

/* Monotonic seconds: ages and uptimes. */
uint64_t bgp_mono_now(void);

#endif
