/* The BGP-4 finite state machine of one peer (RFC 4271 §8), without sockets or timers of its
 * own: the caller feeds it events and received bytes, and it answers through struct
 * bgp_fsm_ops (send these bytes, start or stop a timer, open or close a connection, the
 * session is up or down, here is an UPDATE). It handles an outgoing and an incoming connection
 * at once and resolves their collision by BGP Identifier (RFC 4271 §6.8). */
#ifndef WEFTD_BGP_FSM_H
#define WEFTD_BGP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp_attr.h"
#include "bgp_msg.h"
#include "bgp_update.h"

/* RFC 4271 §8.2.2 names; a peer's state is its most advanced connection's. */
enum bgp_state {
	BGP_IDLE,
	BGP_CONNECT,
	BGP_ACTIVE,
	BGP_OPENSENT,
	BGP_OPENCONFIRM,
	BGP_ESTABLISHED,
};

/* RFC 4271 §8.1 events, with the RFC's numbers. Message events (19-28) come from
 * bgp_fsm_input; the optional DelayOpen and peer-oscillation-damping start events are not
 * implemented. */
enum bgp_event {
	BGP_EV_MANUAL_START = 1,
	BGP_EV_MANUAL_STOP = 2,
	BGP_EV_AUTOMATIC_START = 3,
	BGP_EV_MANUAL_START_PASSIVE = 4,
	BGP_EV_AUTOMATIC_START_PASSIVE = 5,
	BGP_EV_AUTOMATIC_STOP = 8,
	BGP_EV_CONNECT_RETRY_EXPIRES = 9,
	BGP_EV_HOLD_EXPIRES = 10,
	BGP_EV_KEEPALIVE_EXPIRES = 11,
	BGP_EV_IDLE_HOLD_EXPIRES = 13,
	BGP_EV_TCP_CR_ACKED = 16,
	BGP_EV_TCP_CONFIRMED = 17,
	BGP_EV_TCP_FAILS = 18,
	BGP_EV_BGP_OPEN = 19,
	BGP_EV_BGP_HEADER_ERR = 21,
	BGP_EV_BGP_OPEN_MSG_ERR = 22,
	BGP_EV_OPEN_COLLISION_DUMP = 23,
	BGP_EV_NOTIF_MSG_VER_ERR = 24,
	BGP_EV_NOTIF_MSG = 25,
	BGP_EV_KEEPALIVE_MSG = 26,
	BGP_EV_UPDATE_MSG = 27,
	BGP_EV_UPDATE_MSG_ERR = 28,
};

enum bgp_timer {
	BGP_TIMER_CONNECT_RETRY, /* per peer */
	BGP_TIMER_IDLE_HOLD,     /* per peer: the backoff before an automatic restart */
	BGP_TIMER_HOLD,          /* per connection */
	BGP_TIMER_KEEPALIVE,     /* per connection */
	BGP_TIMER_COUNT,
};

/* Connections: the one we open and the one the peer opens. Peer-wide timers use BGP_CONN_PEER. */
enum { BGP_CONN_PEER = -1, BGP_CONN_OUT = 0, BGP_CONN_IN = 1 };

#define BGP_HOLD_DEFAULT 90           /* RFC 4271 §10 */
#define BGP_CONNECT_RETRY_DEFAULT 120 /* RFC 4271 §10 */
#define BGP_HOLD_OPENSENT 240         /* RFC 4271 §8.2.2: "large value", 4 minutes suggested */
#define BGP_FSM_STABLE 60             /* an Established session this old resets the backoff */

struct bgp_fsm_conf {
	uint32_t local_as, peer_as;
	uint32_t local_id;           /* our BGP Identifier, host order */
	uint16_t hold_time;          /* offered: 0 or >= 3 */
	uint16_t keepalive_time;     /* 0: a third of the negotiated hold time */
	uint16_t connect_retry_time; /* ConnectRetryTime: bounds a connection attempt and the backoff */
	bool passive;                /* never connect, only accept */
	uint8_t afs;                 /* BGP_AF_BIT()s to negotiate */
	bool enforce_first_as;
	uint32_t cluster_id;         /* when we reflect routes (RFC 4456), else 0 */
	/* Graceful restart capability (RFC 4724 §3). */
	bool gr;
	uint16_t gr_time;            /* Restart Time, seconds (<= 4095) */
	bool gr_restarting;          /* the R bit: set while we come back from a restart */
	uint8_t gr_fwd;              /* families whose forwarding state we kept (F bits) */
};

struct bgp_fsm;

/* The FSM's way out. Callbacks must not feed events back synchronously (bgp_fsm_send is the
 * exception, e.g. from established); a connect() result, a broken socket or a timer comes
 * back later as an event. */
struct bgp_fsm_ops {
	void (*send)(void *ctx, int conn, const uint8_t *msg, size_t len);
	/* Open the outgoing connection; report BGP_EV_TCP_CR_ACKED or BGP_EV_TCP_FAILS on
	 * BGP_CONN_OUT. */
	void (*connect)(void *ctx);
	/* Drop the connection (after flushing what send queued, best effort). */
	void (*close)(void *ctx, int conn);
	/* (Re)start timer t of conn (BGP_CONN_PEER for peer timers) for secs; 0 stops it. The
	 * caller may add jitter (RFC 4271 §10). Expiry comes back as the matching event. */
	void (*timer)(void *ctx, int conn, enum bgp_timer t, unsigned secs);
	/* The session is Established: f->neg and f->peer hold what was negotiated. */
	void (*established)(void *ctx, struct bgp_fsm *f);
	/* The session left Established. keep_stale: the peer's graceful restart applies (RFC 4724
	 * §4.2) or we stopped without NOTIFICATION for our own restart: keep its routes, marked
	 * stale, for f->peer.caps.gr_time seconds instead of removing them. */
	void (*down)(void *ctx, struct bgp_fsm *f, bool keep_stale);
	/* A decoded UPDATE (withdrawals include treat-as-withdraw and looping routes). err says
	 * what RFC 7606 action was taken, BGP_ACT_NONE if none. */
	void (*update)(void *ctx, struct bgp_fsm *f, const struct bgp_update *u,
		       const struct bgp_err *err);
	/* The peer asks for our routes of af again (RFC 2918). */
	void (*refresh)(void *ctx, struct bgp_fsm *f, enum bgp_af af);
	/* Optional: the peer's state changed. */
	void (*state)(void *ctx, struct bgp_fsm *f, enum bgp_state from, enum bgp_state to);
	/* Monotonic seconds. */
	uint64_t (*now)(void *ctx);
};

struct bgp_conn {
	enum bgp_state state;      /* IDLE, CONNECT (outgoing only), OPENSENT, OPENCONFIRM, ESTABLISHED */
	bool running[BGP_TIMER_COUNT]; /* BGP_TIMER_HOLD, BGP_TIMER_KEEPALIVE */
	uint16_t hold_time, keepalive_time; /* negotiated in OpenConfirm */
	struct bgp_open open;      /* the peer's OPEN on this connection */
};

struct bgp_fsm {
	struct bgp_fsm_conf conf;
	const struct bgp_fsm_ops *ops;
	void *ctx;
	enum bgp_state state;
	bool enabled;              /* started, not stopped (automatic restarts allowed) */
	bool passive;
	struct bgp_conn conn[2];
	int est;                   /* the Established connection, or -1 */
	bool running[BGP_TIMER_COUNT]; /* BGP_TIMER_CONNECT_RETRY, BGP_TIMER_IDLE_HOLD */
	unsigned connect_retry_counter; /* RFC 4271 §8.1.1 ConnectRetryCounter */
	unsigned fails;            /* consecutive failures: the backoff exponent */
	/* Valid while Established (and kept after, for display). */
	struct bgp_neg neg;
	struct bgp_open peer;
	uint16_t hold_time, keepalive_time;
	uint64_t established_at, changed_at;
	unsigned established_count;
	uint64_t msgs_in, msgs_out, updates_in, updates_out;
	char last_error[224];      /* the last NOTIFICATION sent or received, as text */
	/* Re-entrance: stop/reset asked for from a callback run when the event is done. */
	int depth;
	bool pending;
	bool pending_stop, pending_notify;
	uint8_t pending_subcode;
};

const char *bgp_state_name(enum bgp_state s);
const char *bgp_event_name(enum bgp_event e);
const char *bgp_timer_name(enum bgp_timer t);

/* conf is copied; nothing happens until BGP_EV_MANUAL_START. */
void bgp_fsm_init(struct bgp_fsm *f, const struct bgp_fsm_conf *conf,
		  const struct bgp_fsm_ops *ops, void *ctx);
/* Close what is open (no NOTIFICATION, no routing callbacks) and stop every timer. */
void bgp_fsm_fini(struct bgp_fsm *f);

/* Feed one of the events that carry no message. Returns 0; for BGP_EV_TCP_CONFIRMED
 * -ECONNREFUSED / -EBUSY when the incoming connection is refused (Idle refuses, RFC 4271
 * §8.2.2; one incoming connection at a time), for BGP_EV_TCP_CR_ACKED -ESTALE when no
 * connection attempt is pending: the caller then closes that socket itself. -EINVAL for
 * message events, -EBUSY when called from a callback. */
int bgp_fsm_event(struct bgp_fsm *f, int conn, enum bgp_event ev);
/* Received bytes on conn: every complete message is processed. Returns the bytes consumed
 * (the rest is an incomplete message to present again with more bytes); once the connection
 * is closed everything counts as consumed. */
size_t bgp_fsm_input(struct bgp_fsm *f, int conn, const uint8_t *buf, size_t len);

/* ManualStop (event 2): with notify, a Cease NOTIFICATION (subcode, and an RFC 9003 message
 * when msg is not NULL); without, the connections just close so that a peer doing graceful
 * restart keeps our routes (our own restart). No automatic restart follows. */
void bgp_fsm_stop(struct bgp_fsm *f, bool notify, uint8_t subcode, const char *msg);
/* AutomaticStop (event 8): Cease with subcode, then an automatic restart after the backoff. */
void bgp_fsm_reset(struct bgp_fsm *f, uint8_t subcode);
/* Send an UPDATE or ROUTE-REFRESH on the Established connection (restarts the
 * KeepaliveTimer, RFC 4271 §8.2.2). 0 or -ENOTCONN. */
int bgp_fsm_send(struct bgp_fsm *f, const uint8_t *msg, size_t len);

#endif
