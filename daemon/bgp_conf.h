/* weftd's BGP configuration: the top-level `bgp` key of weftd.json (docs/weftd.md, "bgp"),
 * validated as it is parsed with errors naming the field (`bgp.peers[2].asn`) and quoting the
 * value, defaults filled in, and printed back normalised for `weftd -n`. */
#ifndef WEFTD_BGP_CONF_H
#define WEFTD_BGP_CONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp_session.h"
#include "inet.h"

/* Fixed arrays: struct conf is copied by value and never freed. Past a few hundred nodes a full
 * mesh gives way to route reflectors anyway (docs/bgp.md). */
#define BGP_CONF_PEERS_MAX 256
#define BGP_CONF_LISTEN_MAX 8
#define BGP_CONF_ANNOUNCE_MAX 64
#define BGP_CONF_GR_TIME_DEFAULT 120

struct bgp_peer_conf {
	struct inet_addr address;
	uint32_t asn;
	uint16_t port;                     /* the neighbour's port (179) */
	struct inet_addr local;            /* localAddress: source of our connections; family 0 = any */
	bool passive;                      /* never dial, only accept */
	char md5_password[BGP_MD5_KEY_MAX + 1]; /* RFC 2385; "" = none */
	unsigned ttl_security;             /* RFC 5082 GTSM: the peer is at most this many hops away; 0 off */
	uint16_t hold_time, keepalive, connect_retry; /* from the global ones unless set */
	uint8_t afs;                       /* BGP_AF_BIT()s: families to negotiate */
	bool rr_client;                    /* routeReflectorClient: we reflect routes to it (iBGP) */
	bool accept_all;                   /* eBGP import: take the peer's routes (RFC 8212: no by default) */
	bool export_pod_cidrs;             /* eBGP export: announce our pod CIDRs (RFC 8212: no by default) */
	bool enforce_first_as;             /* eBGP: the path must start with the peer's AS (default on) */
};

struct bgp_conf {
	bool enabled;                      /* the `bgp` key is present and not null */
	uint32_t asn;
	uint32_t router_id;                /* host byte order; 0 = from the node's IPv4 address */
	uint16_t listen_port;
	size_t n_listen;                   /* 0: no listening socket (no peer may be passive) */
	struct inet_addr listen[BGP_CONF_LISTEN_MAX];
	bool listen_default;               /* addresses not given: wildcard of each peer family */
	uint16_t hold_time, keepalive, connect_retry;
	bool gr;                           /* gracefulRestart.enabled: restarting speaker and helper */
	uint16_t gr_time;                  /* gracefulRestart.restartTime, seconds */
	uint32_t cluster_id;               /* RFC 4456, when some peer is a routeReflectorClient */
	/* announce: what to announce instead of the node's pod CIDRs; used only when set. */
	bool has_announce;
	size_t n_announce;
	struct inet_prefix announce[BGP_CONF_ANNOUNCE_MAX];
	size_t n_peers;
	struct bgp_peer_conf peers[BGP_CONF_PEERS_MAX];
};

/* Parse v (the value of the top-level `bgp` key; NULL or null: BGP off). 0, or -1 with a
 * sentence in err naming the field. */
int bgp_conf_parse(json_t *v, struct bgp_conf *c, char *err, size_t errlen);
/* The checks that need the rest of weftd's configuration: routerId defaults to node4 (the node's
 * IPv4 address; NULL or family 0 when it has none). 0, or -1 with err. */
int bgp_conf_finish(struct bgp_conf *c, const struct inet_addr *node4, char *err, size_t errlen);
/* Normalised, every field, fixed order; a new reference (json null when BGP is off). */
json_t *bgp_conf_to_json(const struct bgp_conf *c);
/* "10.0.0.1" for a router id in host order; buf at least 16 bytes. */
char *bgp_conf_id_fmt(uint32_t id, char *buf, size_t len);
bool bgp_conf_peer_ebgp(const struct bgp_conf *c, const struct bgp_peer_conf *p);

#endif
