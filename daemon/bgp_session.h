/* weftd's BGP transport: the TCP connections of one peer on the libev loop, feeding its FSM
 * (bgp_fsm.h): non-blocking connect, a listener shared by all peers, write queues, timers with
 * the jitter of RFC 4271 §10, TCP MD5 signatures (RFC 2385, TCP_MD5SIG) and GTSM (RFC 5082,
 * IP_MINTTL / IPV6_MINHOPCOUNT). One call tears a session down, sockets and timers included. */
#ifndef WEFTD_BGP_SESSION_H
#define WEFTD_BGP_SESSION_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "bgp_fsm.h"
#include "inet.h"

#define BGP_MD5_KEY_MAX 80              /* TCP_MD5SIG_MAXKEYLEN */
#define BGP_SESSION_WBUF_MAX (4u << 20) /* a peer that reads nothing for this long is dropped */

struct bgp_session_conf {
	struct bgp_fsm_conf fsm;
	struct inet_addr peer;              /* the neighbour's address */
	struct inet_addr local;             /* source address; family 0: the kernel's choice */
	uint16_t port;                      /* the neighbour's port, 179 */
	char md5_key[BGP_MD5_KEY_MAX + 1];  /* RFC 2385; "" = none */
	unsigned ttl_hops;                  /* RFC 5082: 0 off; else we send TTL 255 and accept
					     * only packets with TTL >= 256 - ttl_hops */
};

struct bgp_session;

/* What the session reports upward (the RIB); same meaning as in struct bgp_fsm_ops. */
struct bgp_session_ops {
	void (*established)(void *ctx, struct bgp_session *s);
	void (*down)(void *ctx, struct bgp_session *s, bool keep_stale);
	void (*update)(void *ctx, struct bgp_session *s, const struct bgp_update *u,
		       const struct bgp_err *err);
	void (*refresh)(void *ctx, struct bgp_session *s, enum bgp_af af);
};

/* 0 or -errno (-EINVAL for a bad configuration). Nothing happens until bgp_session_start. */
int bgp_session_new(struct ev_loop *loop, const struct bgp_session_conf *conf,
		    const struct bgp_session_ops *ops, void *ctx, struct bgp_session **out);
/* Close everything without NOTIFICATION (no routing callbacks) and free; NULL is a no-op. */
void bgp_session_free(struct bgp_session *s);
void bgp_session_start(struct bgp_session *s);
/* bgp_fsm_stop: with notify a Cease (and an RFC 9003 message), without: our graceful restart. */
void bgp_session_stop(struct bgp_session *s, bool notify, uint8_t subcode, const char *msg);
/* An UPDATE or ROUTE-REFRESH on the Established connection; 0 or -ENOTCONN. */
int bgp_session_send(struct bgp_session *s, const uint8_t *msg, size_t len);
struct bgp_fsm *bgp_session_fsm(struct bgp_session *s);
const struct bgp_session_conf *bgp_session_conf(const struct bgp_session *s);
/* Hand an accepted connection from the peer to the session, which owns fd from now on (it is
 * closed when refused). 0 or -errno. */
int bgp_session_accept(struct bgp_session *s, int fd);

/* A listening socket shared by the sessions of one address family. lookup maps a connecting
 * address to its session (NULL: not a configured peer, the connection is closed). */
struct bgp_listener;
typedef struct bgp_session *(*bgp_listener_lookup_fn)(void *ctx, const struct inet_addr *peer);

/* addr: the address to listen on (its family picks IPv4 or IPv6-only); port 0 picks one. */
int bgp_listener_new(struct ev_loop *loop, const struct inet_addr *addr, uint16_t port,
		     bgp_listener_lookup_fn lookup, void *ctx, struct bgp_listener **out);
void bgp_listener_free(struct bgp_listener *l);
uint16_t bgp_listener_port(const struct bgp_listener *l);
/* Install (key "" removes) the RFC 2385 key for connections from peer on the listening
 * socket: the kernel drops unsigned SYNs from that address. 0 or -errno. */
int bgp_listener_md5(struct bgp_listener *l, const struct inet_addr *peer, const char *key);

#endif
