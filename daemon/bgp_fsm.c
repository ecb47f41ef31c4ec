/* The BGP-4 FSM (bgp_fsm.h), following RFC 4271 §8.2.2 state by state. fsm_notify() is the one
 * place a NOTIFICATION leaves, as BIRD's bgp_error(); conn_drop() the one place a connection
 * ends; settle() decides what the peer does once it has no connection left. Deviations from
 * the RFC's table are marked "Weft:" and listed in docs/bgp.md. */
#include "bgp_fsm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[] = {
	[BGP_IDLE] = "Idle",
	[BGP_CONNECT] = "Connect",
	[BGP_ACTIVE] = "Active",
	[BGP_OPENSENT] = "OpenSent",
	[BGP_OPENCONFIRM] = "OpenConfirm",
	[BGP_ESTABLISHED] = "Established",
};

const char *bgp_state_name(enum bgp_state s)
{
	return (unsigned)s <= BGP_ESTABLISHED ? state_names[s] : "?";
}

const char *bgp_event_name(enum bgp_event e)
{
	switch (e) {
	case BGP_EV_MANUAL_START: return "ManualStart";
	case BGP_EV_MANUAL_STOP: return "ManualStop";
	case BGP_EV_AUTOMATIC_START: return "AutomaticStart";
	case BGP_EV_MANUAL_START_PASSIVE: return "ManualStart_with_PassiveTcpEstablishment";
	case BGP_EV_AUTOMATIC_START_PASSIVE: return "AutomaticStart_with_PassiveTcpEstablishment";
	case BGP_EV_AUTOMATIC_STOP: return "AutomaticStop";
	case BGP_EV_CONNECT_RETRY_EXPIRES: return "ConnectRetryTimer_Expires";
	case BGP_EV_HOLD_EXPIRES: return "HoldTimer_Expires";
	case BGP_EV_KEEPALIVE_EXPIRES: return "KeepaliveTimer_Expires";
	case BGP_EV_IDLE_HOLD_EXPIRES: return "IdleHoldTimer_Expires";
	case BGP_EV_TCP_CR_ACKED: return "Tcp_CR_Acked";
	case BGP_EV_TCP_CONFIRMED: return "TcpConnectionConfirmed";
	case BGP_EV_TCP_FAILS: return "TcpConnectionFails";
	case BGP_EV_BGP_OPEN: return "BGPOpen";
	case BGP_EV_BGP_HEADER_ERR: return "BGPHeaderErr";
	case BGP_EV_BGP_OPEN_MSG_ERR: return "BGPOpenMsgErr";
	case BGP_EV_OPEN_COLLISION_DUMP: return "OpenCollisionDump";
	case BGP_EV_NOTIF_MSG_VER_ERR: return "NotifMsgVerErr";
	case BGP_EV_NOTIF_MSG: return "NotifMsg";
	case BGP_EV_KEEPALIVE_MSG: return "KeepAliveMsg";
	case BGP_EV_UPDATE_MSG: return "UpdateMsg";
	case BGP_EV_UPDATE_MSG_ERR: return "UpdateMsgErr";
	}
	return "?";
}

const char *bgp_timer_name(enum bgp_timer t)
{
	static const char *const names[] = { "ConnectRetry", "IdleHold", "Hold", "Keepalive" };

	return (unsigned)t < BGP_TIMER_COUNT ? names[t] : "?";
}

static uint64_t now(struct bgp_fsm *f)
{
	return f->ops->now ? f->ops->now(f->ctx) : 0;
}

/* ---- timers ------------------------------------------------------------------------------- */

static bool *running(struct bgp_fsm *f, int c, enum bgp_timer t)
{
	return c < 0 ? &f->running[t] : &f->conn[c].running[t];
}

static void timer_start(struct bgp_fsm *f, int c, enum bgp_timer t, unsigned secs)
{
	*running(f, c, t) = true;
	f->ops->timer(f->ctx, c, t, secs);
}

static void timer_stop(struct bgp_fsm *f, int c, enum bgp_timer t)
{
	bool *r = running(f, c, t);

	if (!*r)
		return;
	*r = false;
	f->ops->timer(f->ctx, c, t, 0);
}

static unsigned connect_retry_time(const struct bgp_fsm *f)
{
	return f->conf.connect_retry_time ? f->conf.connect_retry_time : BGP_CONNECT_RETRY_DEFAULT;
}

/* Weft: the wait before retrying after consecutive failures doubles from 1 s up to
 * ConnectRetryTime (RFC 4271 §10 suggests 120 s), so a peer that restarts is back within a
 * second while one that stays away costs a connection attempt every two minutes. */
static unsigned backoff(const struct bgp_fsm *f)
{
	unsigned cap = connect_retry_time(f), n = f->fails ? f->fails - 1 : 0;
	unsigned d = n >= 16 ? cap : 1u << n;

	return d < cap ? d : cap;
}

/* ---- states ------------------------------------------------------------------------------- */

/* The peer's state is its most advanced connection's; without one it is Connect while we
 * dial, Idle when stopped or holding off, Active when listening. */
static void state_update(struct bgp_fsm *f)
{
	enum bgp_state out = f->conn[BGP_CONN_OUT].state, in = f->conn[BGP_CONN_IN].state;
	enum bgp_state best = out > in ? out : in, s, old = f->state;

	if (best >= BGP_OPENSENT)
		s = best;
	else if (out == BGP_CONNECT)
		s = BGP_CONNECT;
	else if (!f->enabled || f->running[BGP_TIMER_IDLE_HOLD])
		s = BGP_IDLE;
	else
		s = BGP_ACTIVE;
	if (s == old)
		return;
	f->state = s;
	f->changed_at = now(f);
	if (f->ops->state)
		f->ops->state(f->ctx, f, old, s);
}

static void conn_send(struct bgp_fsm *f, int c, const uint8_t *msg, size_t len)
{
	f->ops->send(f->ctx, c, msg, len);
	f->msgs_out++;
}

static void send_keepalive(struct bgp_fsm *f, int c)
{
	uint8_t buf[BGP_KEEPALIVE_LEN];

	bgp_keepalive_encode(buf, sizeof(buf));
	conn_send(f, c, buf, sizeof(buf));
}

static void send_open(struct bgp_fsm *f, int c)
{
	const struct bgp_fsm_conf *cf = &f->conf;
	struct bgp_caps caps = {
		.afs = cf->afs,
		.mp = true,
		.as4 = true,
		.as4_number = cf->local_as,
		.route_refresh = true,
		.gr = cf->gr,
		/* RFC 4724 §4.1: R only while we come back from a restart. */
		.gr_flags = cf->gr_restarting ? BGP_GR_RESTART : 0,
		.gr_time = cf->gr_time > BGP_GR_TIME_MAX ? BGP_GR_TIME_MAX : cf->gr_time,
		.gr_afs = cf->afs,
		/* RFC 4724 §4: F only for families whose forwarding state was really kept. */
		.gr_fwd = cf->gr_fwd & cf->afs,
	};
	uint8_t buf[128];
	int n = bgp_open_encode(buf, sizeof(buf), cf->local_as, cf->hold_time, cf->local_id, &caps);

	if (n > 0)
		conn_send(f, c, buf, (size_t)n);
}

/* RFC 4724 §4.2: the peer advertised graceful restart for a family we exchange. */
static bool peer_restarts_gracefully(const struct bgp_fsm *f)
{
	return f->peer.caps.gr && (f->peer.caps.gr_afs & f->neg.afs);
}

enum close_kind {
	CLOSE_ERROR,     /* an error or a NOTIFICATION: ConnectRetryCounter + 1, peer to Idle */
	CLOSE_VER_ERR,   /* a version-error NOTIFICATION before Established: Idle, no count */
	CLOSE_RETRY,     /* TCP failed in Connect or OpenSent: Active, retry on ConnectRetryTimer */
	CLOSE_COLLISION, /* OpenCollisionDump: the other connection carries on */
	CLOSE_REPLACED,  /* a graceful restart's new connection replaces this one */
	CLOSE_STOP,      /* ManualStop */
};

/* What the peer does once a connection closed. */
static void settle(struct bgp_fsm *f, enum close_kind how)
{
	if (how == CLOSE_REPLACED || f->conn[BGP_CONN_OUT].state != BGP_IDLE ||
	    f->conn[BGP_CONN_IN].state != BGP_IDLE) {
		state_update(f);
		return;
	}
	if (!f->enabled) {
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_IDLE_HOLD);
		state_update(f);
		return;
	}
	f->fails++;
	if (how == CLOSE_RETRY) {
		/* RFC 4271 §8.2.2 OpenSent, event 18: restart the ConnectRetryTimer, keep listening,
		 * go to Active. Weft: Connect does the same (as OpenBGPD and FRR) instead of
		 * dropping to Idle, where incoming connections are refused; the timer runs for
		 * the backoff, and not at all for a passive peer, which never dials. */
		if (f->passive)
			timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		else
			timer_start(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY, backoff(f));
	} else {
		/* RFC 4271 §8.2.2: errors lead to Idle. Weft: an IdleHoldTimer (RFC 4271 §8.1.3,
		 * event 13) of the backoff then restarts the peer (AutomaticStart). */
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		timer_start(f, BGP_CONN_PEER, BGP_TIMER_IDLE_HOLD, backoff(f));
	}
	state_update(f);
}

/* The one place a connection ends: timers, socket, the session's routes, then the peer. */
static void conn_drop(struct bgp_fsm *f, int c, enum close_kind how, bool keep_stale)
{
	struct bgp_conn *k = &f->conn[c];
	bool was_est = k->state == BGP_ESTABLISHED;

	timer_stop(f, c, BGP_TIMER_HOLD);
	timer_stop(f, c, BGP_TIMER_KEEPALIVE);
	if (k->state != BGP_IDLE)
		f->ops->close(f->ctx, c);
	k->state = BGP_IDLE;
	/* RFC 4271 §8.2.2: errors increment the ConnectRetryCounter; a stop zeroes it (done by
	 * the caller) and a version NOTIFICATION before Established leaves it. */
	if (how == CLOSE_ERROR || how == CLOSE_COLLISION || (how == CLOSE_VER_ERR && was_est))
		f->connect_retry_counter++;
	if (was_est) {
		f->est = -1;
		if (now(f) - f->established_at >= BGP_FSM_STABLE)
			f->fails = 0;
		f->ops->down(f->ctx, f, keep_stale);
	}
	settle(f, how);
}

/* "sent Cease/Administrative Shutdown: why", cut to fit. */
static void set_last_error(struct bgp_fsm *f, const char *dir, const char *text, const char *why)
{
	const char *parts[] = { dir, text, why[0] ? ": " : "", why };
	size_t off = 0, cap = sizeof(f->last_error) - 1;

	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(parts[i]);

		if (n > cap - off)
			n = cap - off;
		memcpy(f->last_error + off, parts[i], n);
		off += n;
	}
	f->last_error[off] = '\0';
}

/* The one place a NOTIFICATION leaves (as BIRD's bgp_error): sent on c, kept as the peer's
 * last error, then the connection ends. */
static void fsm_notify(struct bgp_fsm *f, int c, const struct bgp_err *e, enum close_kind how)
{
	uint8_t buf[BGP_MAX_LEN];
	char text[160];
	int n = bgp_notify_encode(buf, sizeof(buf), e->code, e->subcode, e->data, e->len);

	if (n > 0)
		conn_send(f, c, buf, (size_t)n);
	bgp_notify_fmt(text, sizeof(text), e->code, e->subcode, e->data, e->len);
	set_last_error(f, "sent ", text, e->reason);
	conn_drop(f, c, how, false);
}

static void notify(struct bgp_fsm *f, int c, uint8_t code, uint8_t subcode, const void *data,
		   size_t len, enum close_kind how, const char *why)
{
	struct bgp_err e;

	bgp_err_clear(&e);
	bgp_err_set(&e, BGP_ACT_RESET, code, subcode, data, len, "%s", why);
	fsm_notify(f, c, &e, how);
}

/* RFC 6608: a message the state does not expect is an FSM Error whose subcode names the
 * state and whose data is the message type. */
static void unexpected(struct bgp_fsm *f, int c, uint8_t type)
{
	enum bgp_state s = f->conn[c].state;
	uint8_t sub = s == BGP_OPENSENT ? BGP_FSM_IN_OPENSENT
		    : s == BGP_OPENCONFIRM ? BGP_FSM_IN_OPENCONFIRM : BGP_FSM_IN_ESTABLISHED;
	char why[64];

	snprintf(why, sizeof(why), "message type %u in %s", type, bgp_state_name(s));
	notify(f, c, BGP_ERR_FSM, sub, &type, 1, CLOSE_ERROR, why);
}

static void connect_out(struct bgp_fsm *f)
{
	f->conn[BGP_CONN_OUT].state = BGP_CONNECT;
	/* RFC 4271 §8.2.2: the ConnectRetryTimer bounds the attempt. */
	timer_start(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY, connect_retry_time(f));
	f->ops->connect(f->ctx);
}

/* RFC 4271 §8.2.2 Idle, ManualStart/AutomaticStart: dial and listen (Connect), or only listen
 * (Active) when passive. */
static void auto_start(struct bgp_fsm *f)
{
	timer_stop(f, BGP_CONN_PEER, BGP_TIMER_IDLE_HOLD);
	if (!f->passive && f->conn[BGP_CONN_OUT].state == BGP_IDLE)
		connect_out(f);
	state_update(f);
}

/* A TCP connection is up: send OPEN, HoldTimer to a large value, OpenSent (RFC 4271 §8.2.2
 * Connect and Active, events 16 and 17). */
static void open_sent(struct bgp_fsm *f, int c)
{
	f->conn[c].state = BGP_OPENSENT;
	send_open(f, c);
	timer_start(f, c, BGP_TIMER_HOLD, BGP_HOLD_OPENSENT);
	state_update(f);
}

static int accept_in(struct bgp_fsm *f)
{
	struct bgp_conn *in = &f->conn[BGP_CONN_IN];

	/* RFC 4271 §8.2.2 Idle: "refuses all incoming BGP connections". */
	if (!f->enabled || f->state == BGP_IDLE)
		return -ECONNREFUSED;
	/* RFC 4724 §4.2 (and its erratum to RFC 4271 §8.2.2 Established, events 16/17): a new
	 * connection from a peer that advertised graceful restart means its old session is gone:
	 * that one closes, its routes stay as stale, the new one goes on. */
	if (f->est >= 0 && peer_restarts_gracefully(f))
		conn_drop(f, f->est, CLOSE_REPLACED, true);
	if (in->state != BGP_IDLE)
		return -EBUSY; /* a second connection is tracked until its OPEN; a third is refused */
	/* RFC 4271 §8.2.2 Connect/Active, event 17: stop the ConnectRetryTimer. Weft: unless our
	 * own attempt is still under way, which the timer keeps bounding. */
	if (f->conn[BGP_CONN_OUT].state != BGP_CONNECT)
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
	open_sent(f, BGP_CONN_IN);
	return 0;
}

/* ---- messages ----------------------------------------------------------------------------- */

static void rx_open(struct bgp_fsm *f, int c, const uint8_t *msg, size_t len)
{
	const struct bgp_fsm_conf *cf = &f->conf;
	struct bgp_conn *k = &f->conn[c], *other = &f->conn[!c];
	struct bgp_err err;
	struct bgp_open o;
	unsigned h, ka;

	if (k->state != BGP_OPENSENT) {
		unexpected(f, c, BGP_MSG_OPEN);
		return;
	}
	/* Event 22 BGPOpenMsgErr: NOTIFICATION, ConnectRetryCounter + 1, Idle. */
	if (bgp_open_decode(msg, len, &o, &err) < 0 ||
	    bgp_open_check(&o, cf->peer_as, cf->local_as, cf->local_id, cf->afs, &err) < 0) {
		fsm_notify(f, c, &err, CLOSE_ERROR);
		return;
	}

	/* RFC 4271 §6.8: collision detection against the other connection. */
	switch (other->state) {
	case BGP_CONNECT:
		/* An attempt of ours still under way is given up (as BIRD). */
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		f->ops->close(f->ctx, BGP_CONN_OUT);
		other->state = BGP_IDLE;
		break;
	case BGP_OPENCONFIRM: {
		/* The connection opened by the side with the higher BGP Identifier survives; with
		 * equal Identifiers, the one opened by the higher AS (RFC 6286 §2.3). */
		bool peer_wins = cf->local_id < o.id || (cf->local_id == o.id && cf->local_as < o.as);
		int keep = peer_wins ? BGP_CONN_IN : BGP_CONN_OUT;

		if (keep != c) {
			notify(f, c, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0, CLOSE_COLLISION,
			       "connection collision: the other connection wins");
			return;
		}
		notify(f, !c, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0, CLOSE_COLLISION,
		       "connection collision: the new connection wins");
		break;
	}
	case BGP_ESTABLISHED:
		/* §6.8: a collision with an Established connection closes the new one. */
		notify(f, c, BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0, CLOSE_COLLISION,
		       "connection collision with the established session");
		return;
	default:
		break;
	}

	/* RFC 4271 §4.2, §10: the smaller hold time; keepalive a third of it (or the configured
	 * one if shorter); 0 means neither timer runs. */
	k->open = o;
	h = cf->hold_time < o.hold_time ? cf->hold_time : o.hold_time;
	ka = h / 3;
	if (cf->keepalive_time && cf->keepalive_time < ka)
		ka = cf->keepalive_time;
	k->hold_time = (uint16_t)h;
	k->keepalive_time = (uint16_t)(h && !ka ? 1 : ka);
	send_keepalive(f, c);
	if (h) {
		timer_start(f, c, BGP_TIMER_KEEPALIVE, k->keepalive_time);
		timer_start(f, c, BGP_TIMER_HOLD, h);
	} else {
		timer_stop(f, c, BGP_TIMER_HOLD);
	}
	k->state = BGP_OPENCONFIRM;
	state_update(f);
}

static void established(struct bgp_fsm *f, int c)
{
	const struct bgp_fsm_conf *cf = &f->conf;
	struct bgp_conn *k = &f->conn[c];

	k->state = BGP_ESTABLISHED;
	f->est = c;
	f->peer = k->open;
	f->hold_time = k->hold_time;
	f->keepalive_time = k->keepalive_time;
	f->neg = (struct bgp_neg){
		.as4 = k->open.caps.as4, /* we always send the capability */
		.ebgp = cf->peer_as != cf->local_as,
		.enforce_first_as = cf->enforce_first_as,
		.afs = cf->afs & bgp_caps_afs(&k->open.caps),
		.local_as = cf->local_as,
		.peer_as = cf->peer_as,
		.local_id = cf->local_id,
		.cluster_id = cf->cluster_id,
	};
	f->established_at = now(f);
	f->established_count++;
	if (f->conn[!c].state == BGP_CONNECT) {
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		f->ops->close(f->ctx, BGP_CONN_OUT);
		f->conn[!c].state = BGP_IDLE;
	}
	state_update(f);
	f->ops->established(f->ctx, f);
}

static void rx_keepalive(struct bgp_fsm *f, int c)
{
	struct bgp_conn *k = &f->conn[c];

	if (k->state == BGP_OPENSENT) {
		unexpected(f, c, BGP_MSG_KEEPALIVE);
		return;
	}
	/* OpenConfirm, event 26: restart the HoldTimer, Established. Established: restart it. */
	if (k->hold_time)
		timer_start(f, c, BGP_TIMER_HOLD, k->hold_time);
	if (k->state == BGP_OPENCONFIRM)
		established(f, c);
}

static void rx_notification(struct bgp_fsm *f, int c, const uint8_t *msg, size_t len)
{
	struct bgp_conn *k = &f->conn[c];
	struct bgp_notify n;
	char text[200];
	bool ver;

	if (bgp_notify_decode(msg, len, &n) < 0)
		return;
	bgp_notify_fmt(text, sizeof(text), n.code, n.subcode, n.data, n.len);
	set_last_error(f, "received ", text, "");
	/* Event 24 NotifMsgVerErr (Unsupported Version) or 25 NotifMsg. Weft: no FSM Error is
	 * sent back in OpenSent (the RFC lists event 25 there): the peer is already closing. An
	 * Established session that ends with a NOTIFICATION loses its routes (RFC 4724 §4). */
	ver = n.code == BGP_ERR_OPEN && n.subcode == BGP_OPEN_BAD_VERSION;
	conn_drop(f, c, ver && k->state != BGP_ESTABLISHED ? CLOSE_VER_ERR : CLOSE_ERROR, false);
}

static void rx_update(struct bgp_fsm *f, int c, const uint8_t *msg, size_t len)
{
	struct bgp_conn *k = &f->conn[c];
	struct bgp_update u;
	struct bgp_err err;
	int r;

	if (k->state != BGP_ESTABLISHED) {
		unexpected(f, c, BGP_MSG_UPDATE);
		return;
	}
	r = bgp_update_decode(&f->neg, msg, len, &u, &err);
	if (r == -ENOMEM)
		bgp_err_set(&err, BGP_ACT_RESET, BGP_ERR_CEASE, BGP_CEASE_RESOURCES, NULL, 0,
			    "out of memory decoding an UPDATE");
	if (r < 0) {
		/* Event 28 UpdateMsgErr. */
		bgp_update_fini(&u);
		fsm_notify(f, c, &err, CLOSE_ERROR);
		return;
	}
	f->updates_in++;
	if (k->hold_time)
		timer_start(f, c, BGP_TIMER_HOLD, k->hold_time);
	f->ops->update(f->ctx, f, &u, &err);
	bgp_update_fini(&u);
}

static void rx_refresh(struct bgp_fsm *f, int c, const uint8_t *msg, size_t len)
{
	struct bgp_conn *k = &f->conn[c];
	struct bgp_refresh r;
	struct bgp_err err;
	int af;

	if (k->state != BGP_ESTABLISHED) {
		unexpected(f, c, BGP_MSG_ROUTE_REFRESH);
		return;
	}
	if (bgp_refresh_decode(msg, len, &r, &err) < 0) {
		fsm_notify(f, c, &err, CLOSE_ERROR);
		return;
	}
	if (k->hold_time)
		timer_start(f, c, BGP_TIMER_HOLD, k->hold_time);
	/* RFC 2918 §4: a family not negotiated is ignored. RFC 7313 §4: BoRR/EoRR (subtypes 1,
	 * 2) mean nothing without enhanced route refresh, which we do not advertise. */
	af = bgp_af_from_afi(r.afi, r.safi);
	if (af >= 0 && (f->neg.afs & BGP_AF_BIT(af)) && r.subtype == 0)
		f->ops->refresh(f->ctx, f, (enum bgp_af)af);
}

static void rx_message(struct bgp_fsm *f, int c, const uint8_t *msg, size_t len)
{
	f->msgs_in++;
	switch (bgp_msg_type(msg)) {
	case BGP_MSG_OPEN: rx_open(f, c, msg, len); break;
	case BGP_MSG_UPDATE: rx_update(f, c, msg, len); break;
	case BGP_MSG_NOTIFICATION: rx_notification(f, c, msg, len); break;
	case BGP_MSG_KEEPALIVE: rx_keepalive(f, c); break;
	case BGP_MSG_ROUTE_REFRESH: rx_refresh(f, c, msg, len); break;
	}
}

/* ---- stopping ------------------------------------------------------------------------------ */

static void do_stop(struct bgp_fsm *f, bool automatic, bool with_notify, uint8_t subcode,
		    const char *msg)
{
	enum close_kind how = automatic ? CLOSE_ERROR : CLOSE_STOP;
	uint8_t data[256];
	size_t dlen = 0;
	bool dropped = false;

	/* RFC 4271 §8.2.2 Idle: AutomaticStop is ignored. */
	if (automatic && (f->state == BGP_IDLE || !f->enabled))
		return;
	if (msg) {
		/* RFC 9003 §2: a length octet, then up to 255 octets of UTF-8. */
		dlen = strnlen(msg, 255);
		data[0] = (uint8_t)dlen;
		memcpy(data + 1, msg, dlen);
		dlen++;
	}
	if (!automatic) {
		/* RFC 4271 §8.2.2 ManualStop: ConnectRetryCounter to zero, no automatic restart. */
		f->enabled = false;
		f->connect_retry_counter = 0;
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_IDLE_HOLD);
	}
	for (int c = BGP_CONN_OUT; c <= BGP_CONN_IN; c++) {
		enum bgp_state s = f->conn[c].state;

		dropped |= s != BGP_IDLE;
		if (s >= BGP_OPENSENT && with_notify)
			notify(f, c, BGP_ERR_CEASE, subcode, data, dlen, how,
			       automatic ? "automatic stop" : "stopped");
		else if (s != BGP_IDLE)
			/* Weft: closing without NOTIFICATION is our graceful restart (RFC 4724 §4:
			 * a NOTIFICATION would make the peer drop our routes); we keep the peer's
			 * routes, stale, in the data path as the restarting speaker must (§4.1). */
			conn_drop(f, c, how, !with_notify && f->conf.gr);
	}
	if (!automatic) {
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
	} else if (!dropped && f->enabled) {
		/* Active, AutomaticStop: counter + 1, Idle (settle() did not run: no connection). */
		f->connect_retry_counter++;
		f->fails++;
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		timer_start(f, BGP_CONN_PEER, BGP_TIMER_IDLE_HOLD, backoff(f));
	}
	state_update(f);
}

static void run_pending(struct bgp_fsm *f)
{
	while (!f->depth && f->pending) {
		f->pending = false;
		f->depth++;
		do_stop(f, !f->pending_stop, f->pending_notify, f->pending_subcode, NULL);
		f->depth--;
	}
}

void bgp_fsm_stop(struct bgp_fsm *f, bool with_notify, uint8_t subcode, const char *msg)
{
	if (f->depth) {
		f->pending = f->pending_stop = true;
		f->pending_notify = with_notify;
		f->pending_subcode = subcode;
		return;
	}
	f->depth++;
	do_stop(f, false, with_notify, subcode, msg);
	f->depth--;
	run_pending(f);
}

void bgp_fsm_reset(struct bgp_fsm *f, uint8_t subcode)
{
	if (f->depth) {
		if (!f->pending) {
			f->pending = true;
			f->pending_stop = false;
			f->pending_notify = true;
			f->pending_subcode = subcode;
		}
		return;
	}
	if (!f->enabled)
		return;
	f->depth++;
	do_stop(f, true, true, subcode, NULL);
	f->depth--;
	run_pending(f);
}

/* ---- the entry points ----------------------------------------------------------------------- */

void bgp_fsm_init(struct bgp_fsm *f, const struct bgp_fsm_conf *conf,
		  const struct bgp_fsm_ops *ops, void *ctx)
{
	memset(f, 0, sizeof(*f));
	f->conf = *conf;
	f->ops = ops;
	f->ctx = ctx;
	f->est = -1;
	f->state = BGP_IDLE;
}

void bgp_fsm_fini(struct bgp_fsm *f)
{
	if (!f || !f->ops)
		return;
	for (int c = BGP_CONN_OUT; c <= BGP_CONN_IN; c++) {
		timer_stop(f, c, BGP_TIMER_HOLD);
		timer_stop(f, c, BGP_TIMER_KEEPALIVE);
		if (f->conn[c].state != BGP_IDLE)
			f->ops->close(f->ctx, c);
		f->conn[c].state = BGP_IDLE;
	}
	timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
	timer_stop(f, BGP_CONN_PEER, BGP_TIMER_IDLE_HOLD);
	f->est = -1;
	f->enabled = false;
	f->state = BGP_IDLE;
}

static int dispatch(struct bgp_fsm *f, int c, enum bgp_event ev)
{
	struct bgp_conn *k = c == BGP_CONN_OUT || c == BGP_CONN_IN ? &f->conn[c] : NULL;

	switch (ev) {
	case BGP_EV_MANUAL_START:
	case BGP_EV_MANUAL_START_PASSIVE:
		/* RFC 4271 §8.2.2: ignored in every state but Idle. */
		if (f->enabled)
			return 0;
		f->enabled = true;
		f->passive = f->conf.passive || ev == BGP_EV_MANUAL_START_PASSIVE;
		f->connect_retry_counter = 0;
		f->fails = 0;
		auto_start(f);
		return 0;
	case BGP_EV_AUTOMATIC_START:
	case BGP_EV_AUTOMATIC_START_PASSIVE:
		if (!f->enabled || f->state != BGP_IDLE || f->conn[0].state || f->conn[1].state)
			return 0;
		auto_start(f);
		return 0;
	case BGP_EV_MANUAL_STOP:
		do_stop(f, false, true, BGP_CEASE_SHUTDOWN, NULL);
		return 0;
	case BGP_EV_AUTOMATIC_STOP:
		if (f->enabled)
			do_stop(f, true, true, 0, NULL);
		return 0;
	case BGP_EV_CONNECT_RETRY_EXPIRES:
		if (c != BGP_CONN_PEER || !f->running[BGP_TIMER_CONNECT_RETRY])
			return 0;
		f->running[BGP_TIMER_CONNECT_RETRY] = false;
		if (f->conn[BGP_CONN_OUT].state == BGP_CONNECT) {
			/* Connect, event 9: drop the attempt, restart the timer, dial again. */
			f->ops->close(f->ctx, BGP_CONN_OUT);
			f->conn[BGP_CONN_OUT].state = BGP_IDLE;
			f->fails++;
			if (f->conn[BGP_CONN_IN].state < BGP_OPENSENT)
				connect_out(f);
		} else if (f->state == BGP_ACTIVE && !f->passive) {
			/* Active, event 9: dial, Connect. */
			connect_out(f);
		}
		state_update(f);
		return 0;
	case BGP_EV_IDLE_HOLD_EXPIRES:
		if (c != BGP_CONN_PEER || !f->running[BGP_TIMER_IDLE_HOLD])
			return 0;
		f->running[BGP_TIMER_IDLE_HOLD] = false;
		if (f->enabled && !f->conn[0].state && !f->conn[1].state)
			auto_start(f); /* AutomaticStart (event 3) */
		else
			state_update(f);
		return 0;
	case BGP_EV_HOLD_EXPIRES:
		if (!k || !k->running[BGP_TIMER_HOLD])
			return 0;
		k->running[BGP_TIMER_HOLD] = false;
		/* OpenSent, OpenConfirm, Established, event 10: NOTIFICATION Hold Timer Expired,
		 * ConnectRetryCounter + 1, Idle. */
		if (k->state >= BGP_OPENSENT)
			notify(f, c, BGP_ERR_HOLD, 0, NULL, 0, CLOSE_ERROR, "hold timer expired");
		return 0;
	case BGP_EV_KEEPALIVE_EXPIRES:
		if (!k || !k->running[BGP_TIMER_KEEPALIVE])
			return 0;
		k->running[BGP_TIMER_KEEPALIVE] = false;
		/* OpenConfirm and Established, event 11: send KEEPALIVE, restart the timer. */
		if (k->state == BGP_OPENCONFIRM || k->state == BGP_ESTABLISHED) {
			send_keepalive(f, c);
			timer_start(f, c, BGP_TIMER_KEEPALIVE, k->keepalive_time);
		}
		return 0;
	case BGP_EV_TCP_CR_ACKED:
		if (c != BGP_CONN_OUT || k->state != BGP_CONNECT)
			return -ESTALE;
		/* Connect, event 16: stop the ConnectRetryTimer, OPEN, OpenSent. */
		timer_stop(f, BGP_CONN_PEER, BGP_TIMER_CONNECT_RETRY);
		open_sent(f, c);
		return 0;
	case BGP_EV_TCP_CONFIRMED:
		if (c != BGP_CONN_IN)
			return -EINVAL;
		return accept_in(f);
	case BGP_EV_TCP_FAILS:
		if (!k || k->state == BGP_IDLE)
			return 0;
		switch (k->state) {
		case BGP_CONNECT:
		case BGP_OPENSENT:
			conn_drop(f, c, CLOSE_RETRY, false);
			break;
		case BGP_ESTABLISHED:
			/* RFC 4724 §4.2: a TCP failure (no NOTIFICATION) keeps a restarting
			 * peer's routes. */
			conn_drop(f, c, CLOSE_ERROR, peer_restarts_gracefully(f));
			break;
		default:
			conn_drop(f, c, CLOSE_ERROR, false);
			break;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

int bgp_fsm_event(struct bgp_fsm *f, int conn, enum bgp_event ev)
{
	int r;

	if (f->depth)
		return -EBUSY;
	f->depth++;
	r = dispatch(f, conn, ev);
	f->depth--;
	run_pending(f);
	return r;
}

size_t bgp_fsm_input(struct bgp_fsm *f, int c, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (c != BGP_CONN_OUT && c != BGP_CONN_IN)
		return len;
	if (f->depth)
		return 0;
	f->depth++;
	while (f->conn[c].state >= BGP_OPENSENT && off < len) {
		struct bgp_err err;
		int n;

		bgp_err_clear(&err);
		n = bgp_msg_frame(buf + off, len - off, &err);
		if (n == 0)
			break;
		if (n < 0) {
			/* Event 21 BGPHeaderErr. */
			fsm_notify(f, c, &err, CLOSE_ERROR);
			break;
		}
		rx_message(f, c, buf + off, (size_t)n);
		off += (size_t)n;
	}
	if (f->conn[c].state < BGP_OPENSENT)
		off = len;
	f->depth--;
	run_pending(f);
	return off;
}

int bgp_fsm_send(struct bgp_fsm *f, const uint8_t *msg, size_t len)
{
	int c = f->est;

	if (c < 0)
		return -ENOTCONN;
	conn_send(f, c, msg, len);
	if (bgp_msg_type(msg) == BGP_MSG_UPDATE)
		f->updates_out++;
	/* RFC 4271 §8.2.2 Established: sending a KEEPALIVE or UPDATE restarts the KeepaliveTimer
	 * unless the hold time is zero. */
	if (f->conn[c].keepalive_time)
		timer_start(f, c, BGP_TIMER_KEEPALIVE, f->conn[c].keepalive_time);
	return 0;
}
