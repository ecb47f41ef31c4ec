/* weftd's BGP speaker: one bgp_session per configured peer on the daemon's loop, announcing the
 * node's pod CIDRs with the node's address as next hop, feeding what the peers announce into the
 * RIB (rib.h, one source id per peer), and keeping each peer's routes while it restarts
 * gracefully (RFC 4724). Also what `weftctl peer list` and `route list` show. docs/bgp.md says
 * which RFC behaviour lives where. */
#ifndef WEFTD_BGP_H
#define WEFTD_BGP_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp_conf.h"
#include "inet.h"
#include "rib.h"

/* A peer that announces more than this is reset with Cease/Maximum Number of Prefixes Reached
 * (RFC 4486): a bound on the memory one neighbour can take. */
#define BGP_PEER_PREFIX_MAX 100000
/* RFC 4724 §4.2: how long a re-established peer has to send End-of-RIB before its routes still
 * marked stale go (FRR's stalepath-time). */
#define BGP_STALE_TIME 360

/* What this node is, from weftd's configuration (the fabric's keys). */
struct bgp_local {
	struct inet_addr addr4, addr6;     /* the node's addresses: our next hops; family 0 if none */
	size_t n_prefixes;                 /* the node's pod CIDRs (bgp.announce, when set, instead) */
	struct inet_prefix prefixes[BGP_CONF_ANNOUNCE_MAX];
	/* The pinned data path survived from an earlier weftd: we are a restarting speaker (RFC
	 * 4724 §4.1): OPENs carry the R bit and the F bits until every peer has sent End-of-RIB. */
	bool restarting;
};

/* Optional callbacks into the rest of weftd. */
struct bgp_hooks {
	/* Every peer has sent End-of-RIB for its families (or gracefulRestart.restartTime passed
	 * since the start): what the RIB holds is complete, stale data path entries of an earlier
	 * weftd may go. Called once. */
	void (*synced)(void *arg);
	/* For `route list`: where the fabric put a best path (a new reference), or NULL. */
	json_t *(*installed)(void *arg, const struct rib_path *best);
	void *arg;
};

struct bgp;

/* Sessions and listeners for c (c->enabled), feeding rib; nothing moves until bgp_start. c and
 * local are copied. With routeReflectorClient peers b subscribes to rib's best paths, and rib.h
 * has no unsubscribe: change rib no more after bgp_free (free it next). 0, or -1 with a sentence
 * in err (a listener that cannot bind). */
int bgp_new(struct ev_loop *loop, const struct bgp_conf *c, const struct bgp_local *local, struct rib *rib,
	    const struct bgp_hooks *hooks, struct bgp **out, char *err, size_t errlen);
void bgp_start(struct bgp *b);
/* weftd stops. graceful (and gracefulRestart.enabled): close every session without NOTIFICATION,
 * so the peers keep our routes while we restart (RFC 4724 §4); otherwise Cease/Administrative
 * Shutdown with msg (RFC 9003). Either way the RIB and the data path are left as they are. */
void bgp_shutdown(struct bgp *b, bool graceful, const char *msg);
/* Close everything (no NOTIFICATION, no RIB changes) and free; NULL is a no-op. */
void bgp_free(struct bgp *b);

bool bgp_synced(const struct bgp *b);
/* The port a listener of family (AF_INET, AF_INET6) got (bgp.listen.port 0 in tests), or 0. */
uint16_t bgp_listen_port(const struct bgp *b, int family);

/* route.list comes in pages: a table of any size is answered in bounded memory, and in replies
 * that fit in an API message. The rows are in one order (prefix, best first, then source id);
 * a page holds the rows strictly after a key, so a listing walked while routes change misses or
 * repeats no row that existed unchanged throughout (an offset would). */
#define BGP_ROUTES_LIMIT_DEFAULT 1000
#define BGP_ROUTES_LIMIT_MAX 5000
/* "10.244.1.0/24|b|0": prefix, best (b) or not (n), RIB source id. */
#define BGP_ROUTE_KEY_STR (INET_PREFIXSTR + 16)

/* Where a row sits in route.list's order. */
struct bgp_route_key {
	struct inet_prefix prefix;   /* canonical */
	bool best;
	uint32_t source;
};

struct bgp_routes_query {
	bool has_after;
	struct bgp_route_key after;  /* rows after this one (when has_after) */
	size_t limit;                /* rows at most, 1 .. BGP_ROUTES_LIMIT_MAX */
	size_t max_bytes;            /* and their compact JSON at most this (the first row always); 0: no bound */
};

/* The cursor text of key, into buf (BGP_ROUTE_KEY_STR bytes); returns buf. */
char *bgp_route_key_fmt(const struct bgp_route_key *key, char *buf, size_t len);
/* A cursor as bgp_route_key_fmt writes it, and nothing else: true, or false. */
bool bgp_route_key_parse(const char *s, struct bgp_route_key *out);

/* The API's peer.list and route.list results (docs/api.md); new references, NULL when out of
 * memory. b may be NULL (no bgp key): no peers, and the routes the RIB holds. A route.list
 * page is {"routes": [...], "prefixes": N, "next": cursor}, next present only when rows
 * remain after the page; building it takes memory for q->limit rows, whatever the RIB holds. */
json_t *bgp_peers_json(struct bgp *b);
json_t *bgp_routes_json(struct bgp *b, const struct rib *rib, const struct bgp_routes_query *q);

/* weftd's wiring. */
struct conf;
/* Whether weftd's pinned data path (<bpffs>/weft/<node>) is there from an earlier weftd: asked
 * before dp_open creates it, it says whether we restart with forwarding state kept. */
bool bgp_data_path_kept(const struct conf *c);
/* bgp_new with the node's addresses and pod CIDRs from weftd's configuration; *out is NULL and 0
 * is returned when c has no bgp key. */
int bgp_new_from_conf(struct ev_loop *loop, const struct conf *c, bool restarting, struct rib *rib,
		      const struct bgp_hooks *hooks, struct bgp **out, char *err, size_t errlen);

#endif
