/* weftd's BGP transport (bgp_session.h). The FSM calls out through fsm_ops below; events that
 * arise while the FSM is running (a connect that fails at once, a write error) are queued and
 * fed back from a zero-delay timer, since the FSM refuses re-entrant events. Everything else
 * (readable, writable, timers) comes straight from the loop. */
#include "bgp_session.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct sconn {
	int fd;
	bool connecting;          /* outgoing, waiting for the handshake */
	ev_io rio, wio;
	uint8_t rbuf[2 * BGP_MAX_LEN];
	size_t rlen;
	uint8_t *wbuf;            /* queued output: wbuf[woff..wlen) */
	size_t woff, wlen, wcap;
};

struct bgp_session {
	struct ev_loop *loop;
	struct bgp_session_conf conf;
	const struct bgp_session_ops *ops;
	void *ctx;
	struct bgp_fsm fsm;
	struct sconn conn[2];
	ev_timer timer[3][BGP_TIMER_COUNT]; /* [conn + 1][timer] */
	ev_timer defer;
	bool pending_acked, pending_fail[2];
	int accepting;            /* fd being accepted, until its OPEN goes out */
	char name[INET_ADDRSTR];
	char logged_error[sizeof(((struct bgp_fsm *)0)->last_error)];
};

static socklen_t sockaddr_of(const struct inet_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->bytes, 16);
	return sizeof(*sin6);
}

/* RFC 2385 through the kernel: the key for segments to and from peer on fd. */
static int set_md5(int fd, const struct inet_addr *peer, const char *key)
{
	struct tcp_md5sig md;
	size_t klen = strlen(key);

	if (klen > TCP_MD5SIG_MAXKEYLEN)
		return -EINVAL;
	memset(&md, 0, sizeof(md));
	sockaddr_of(peer, 0, &md.tcpm_addr);
	md.tcpm_keylen = (uint16_t)klen;
	memcpy(md.tcpm_key, key, klen);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md, sizeof(md)) < 0)
		return -errno;
	return 0;
}

/* RFC 5082 §3: send with TTL 255, accept only TTL >= 256 - hops. */
static int set_gtsm(int fd, int family, unsigned hops)
{
	int ttl = 255, min = 256 - (int)hops;

	if (family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MINTTL, &min, sizeof(min)) < 0)
			return -errno;
	} else {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &min, sizeof(min)) < 0)
			return -errno;
	}
	return 0;
}

/* ---- connections ------------------------------------------------------------------------- */

static void read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void write_cb(struct ev_loop *loop, ev_io *w, int revents);

static void conn_install(struct bgp_session *s, int c, int fd)
{
	struct sconn *k = &s->conn[c];

	k->fd = fd;
	k->rlen = k->woff = k->wlen = 0;
	ev_io_init(&k->rio, read_cb, fd, EV_READ);
	ev_io_init(&k->wio, write_cb, fd, EV_WRITE);
	k->rio.data = k->wio.data = s;
	ev_io_start(s->loop, &k->rio);
}

static void defer(struct bgp_session *s)
{
	if (!ev_is_active(&s->defer))
		ev_timer_start(s->loop, &s->defer);
}

/* Write what is queued; -errno when the connection is broken. */
static int conn_flush(struct bgp_session *s, struct sconn *k)
{
	while (k->woff < k->wlen) {
		ssize_t n = send(k->fd, k->wbuf + k->woff, k->wlen - k->woff, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		k->woff += (size_t)n;
	}
	if (k->woff == k->wlen) {
		k->woff = k->wlen = 0;
		ev_io_stop(s->loop, &k->wio);
	} else {
		ev_io_start(s->loop, &k->wio);
	}
	return 0;
}

static void conn_close(struct bgp_session *s, int c)
{
	struct sconn *k = &s->conn[c];

	if (k->fd >= 0) {
		/* Best effort for what is queued (a NOTIFICATION): what the kernel takes now is
		 * sent before the FIN. */
		if (!k->connecting)
			(void)conn_flush(s, k);
		ev_io_stop(s->loop, &k->rio);
		ev_io_stop(s->loop, &k->wio);
		close(k->fd);
	}
	k->fd = -1;
	k->connecting = false;
	k->rlen = k->woff = k->wlen = 0;
	s->pending_fail[c] = false;
	if (c == BGP_CONN_OUT)
		s->pending_acked = false;
}

/* A connection broke: tell the FSM, and close it ourselves if the FSM no longer knew it. */
static void conn_failed(struct bgp_session *s, int c)
{
	bgp_fsm_event(&s->fsm, c, BGP_EV_TCP_FAILS);
	if (s->conn[c].fd >= 0 && s->fsm.conn[c].state == BGP_IDLE)
		conn_close(s, c);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bgp_session *s = w->data;
	int c = w == &s->conn[BGP_CONN_IN].rio ? BGP_CONN_IN : BGP_CONN_OUT;
	struct sconn *k = &s->conn[c];
	ssize_t n;
	size_t used;

	n = read(k->fd, k->rbuf + k->rlen, sizeof(k->rbuf) - k->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_debug("bgp %s: read: %s", s->name, strerror(errno));
		conn_failed(s, c);
		return;
	}
	k->rlen += (size_t)n;
	used = bgp_fsm_input(&s->fsm, c, k->rbuf, k->rlen);
	if (k->fd < 0)
		return; /* closed while the input was processed */
	/* What is left is less than one message, so the buffer always has room for one. */
	memmove(k->rbuf, k->rbuf + used, k->rlen - used);
	k->rlen -= used;
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bgp_session *s = w->data;
	int c = w == &s->conn[BGP_CONN_IN].wio ? BGP_CONN_IN : BGP_CONN_OUT;
	struct sconn *k = &s->conn[c];

	if (k->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		k->connecting = false;
		ev_io_stop(loop, &k->wio);
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			log_debug("bgp %s: connect: %s", s->name, strerror(err));
			conn_failed(s, c);
			return;
		}
		ev_io_start(loop, &k->rio);
		if (bgp_fsm_event(&s->fsm, c, BGP_EV_TCP_CR_ACKED) < 0)
			conn_close(s, c);
		return;
	}
	if (conn_flush(s, k) < 0)
		conn_failed(s, c);
}

static void defer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bgp_session *s = w->data;

	if (s->pending_acked) {
		s->pending_acked = false;
		ev_io_start(loop, &s->conn[BGP_CONN_OUT].rio);
		if (bgp_fsm_event(&s->fsm, BGP_CONN_OUT, BGP_EV_TCP_CR_ACKED) < 0)
			conn_close(s, BGP_CONN_OUT);
	}
	for (int c = BGP_CONN_OUT; c <= BGP_CONN_IN; c++) {
		if (!s->pending_fail[c])
			continue;
		s->pending_fail[c] = false;
		conn_failed(s, c);
	}
}

/* ---- what the FSM asks for ------------------------------------------------------------------- */

static void fsm_send(void *ctx, int c, const uint8_t *msg, size_t len)
{
	struct bgp_session *s = ctx;
	struct sconn *k = &s->conn[c];

	if (k->fd < 0 && c == BGP_CONN_IN && s->accepting >= 0) {
		conn_install(s, c, s->accepting);
		s->accepting = -1;
	}
	if (k->fd < 0 || s->pending_fail[c])
		return;
	if (k->wlen + len > BGP_SESSION_WBUF_MAX) {
		log_warnx("bgp %s: %zu bytes unsent: the peer does not read, dropping the connection",
			  s->name, k->wlen);
		s->pending_fail[c] = true;
		defer(s);
		return;
	}
	if (k->wlen + len > k->wcap) {
		size_t cap = k->wcap ? k->wcap : 16384;
		uint8_t *p;

		while (cap < k->wlen + len)
			cap *= 2;
		p = realloc(k->wbuf, cap);
		if (!p) {
			s->pending_fail[c] = true;
			defer(s);
			return;
		}
		k->wbuf = p;
		k->wcap = cap;
	}
	memcpy(k->wbuf + k->wlen, msg, len);
	k->wlen += len;
	if (!k->connecting && !ev_is_active(&k->wio) && conn_flush(s, k) < 0) {
		s->pending_fail[c] = true;
		defer(s);
	}
}

static void fsm_connect(void *ctx)
{
	struct bgp_session *s = ctx;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, r = 0, one = 1;

	conn_close(s, BGP_CONN_OUT);
	fd = socket(s->conf.peer.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s->conf.md5_key[0] && (r = set_md5(fd, &s->conf.peer, s->conf.md5_key)) < 0)
		goto fail;
	if (s->conf.ttl_hops && (r = set_gtsm(fd, s->conf.peer.family, s->conf.ttl_hops)) < 0)
		goto fail;
	if (s->conf.local.family) {
		sl = sockaddr_of(&s->conf.local, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			r = -errno;
			goto fail;
		}
	}
	sl = sockaddr_of(&s->conf.peer, s->conf.port, &ss);
	conn_install(s, BGP_CONN_OUT, fd);
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
		/* Connected at once (loopback can): report it once the FSM is done. */
		ev_io_stop(s->loop, &s->conn[BGP_CONN_OUT].rio);
		s->pending_acked = true;
		defer(s);
		return;
	}
	if (errno != EINPROGRESS) {
		log_debug("bgp %s: connect: %s", s->name, strerror(errno));
		s->pending_fail[BGP_CONN_OUT] = true;
		defer(s);
		return;
	}
	ev_io_stop(s->loop, &s->conn[BGP_CONN_OUT].rio);
	s->conn[BGP_CONN_OUT].connecting = true;
	ev_io_start(s->loop, &s->conn[BGP_CONN_OUT].wio);
	return;
fail:
	log_warnx("bgp %s: cannot open a connection: %s", s->name, strerror(-r));
	if (fd >= 0)
		close(fd);
	/* Reported as a failed connection once the FSM is done: it retries after the backoff. */
	s->pending_fail[BGP_CONN_OUT] = true;
	defer(s);
}

static void fsm_close(void *ctx, int c)
{
	conn_close(ctx, c);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	static const enum bgp_event ev[BGP_TIMER_COUNT] = {
		[BGP_TIMER_CONNECT_RETRY] = BGP_EV_CONNECT_RETRY_EXPIRES,
		[BGP_TIMER_IDLE_HOLD] = BGP_EV_IDLE_HOLD_EXPIRES,
		[BGP_TIMER_HOLD] = BGP_EV_HOLD_EXPIRES,
		[BGP_TIMER_KEEPALIVE] = BGP_EV_KEEPALIVE_EXPIRES,
	};
	struct bgp_session *s = w->data;
	size_t i = (size_t)(w - &s->timer[0][0]);

	bgp_fsm_event(&s->fsm, (int)(i / BGP_TIMER_COUNT) - 1, ev[i % BGP_TIMER_COUNT]);
}

static void fsm_timer(void *ctx, int c, enum bgp_timer t, unsigned secs)
{
	struct bgp_session *s = ctx;
	ev_timer *w = &s->timer[c + 1][t];
	double d = secs;

	ev_timer_stop(s->loop, w);
	if (!secs)
		return;
	/* RFC 4271 §10: ConnectRetry and Keepalive get a random factor of 0.75 to 1 so that
	 * peers do not synchronize; so does our restart backoff. Hold is exact. */
	if (t != BGP_TIMER_HOLD)
		d *= 0.75 + 0.25 * ((double)random() / RAND_MAX);
	ev_timer_set(w, d, 0);
	ev_timer_start(s->loop, w);
}

static void fsm_established(void *ctx, struct bgp_fsm *f)
{
	struct bgp_session *s = ctx;

	log_info("bgp %s: established (AS %u, hold %us, families 0x%x)", s->name, f->peer.as,
		 f->hold_time, f->neg.afs);
	if (s->ops->established)
		s->ops->established(s->ctx, s);
}

static void fsm_down(void *ctx, struct bgp_fsm *f, bool keep_stale)
{
	struct bgp_session *s = ctx;

	log_info("bgp %s: session down%s", s->name, keep_stale ? ", routes kept as stale" : "");
	if (s->ops->down)
		s->ops->down(s->ctx, s, keep_stale);
}

static void fsm_update(void *ctx, struct bgp_fsm *f, const struct bgp_update *u,
		       const struct bgp_err *err)
{
	struct bgp_session *s = ctx;

	/* RFC 7606 §6: a malformed attribute is logged, with what it cost. */
	if (err->action != BGP_ACT_NONE)
		log_warnx("bgp %s: %s", s->name, err->reason);
	if (s->ops->update)
		s->ops->update(s->ctx, s, u, err);
}

static void fsm_refresh(void *ctx, struct bgp_fsm *f, enum bgp_af af)
{
	struct bgp_session *s = ctx;

	if (s->ops->refresh)
		s->ops->refresh(s->ctx, s, af);
}

static void fsm_state(void *ctx, struct bgp_fsm *f, enum bgp_state from, enum bgp_state to)
{
	struct bgp_session *s = ctx;

	log_debug("bgp %s: %s -> %s", s->name, bgp_state_name(from), bgp_state_name(to));
	if (strcmp(s->logged_error, f->last_error) != 0) {
		memcpy(s->logged_error, f->last_error, sizeof(s->logged_error));
		log_warnx("bgp %s: %s", s->name, f->last_error);
	}
}

static uint64_t fsm_now(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static const struct bgp_fsm_ops fsm_ops = {
	.send = fsm_send, .connect = fsm_connect, .close = fsm_close, .timer = fsm_timer,
	.established = fsm_established, .down = fsm_down, .update = fsm_update,
	.refresh = fsm_refresh, .state = fsm_state, .now = fsm_now,
};

/* ---- the session --------------------------------------------------------------------------- */

int bgp_session_new(struct ev_loop *loop, const struct bgp_session_conf *conf,
		    const struct bgp_session_ops *ops, void *ctx, struct bgp_session **out)
{
	struct bgp_session *s;

	*out = NULL;
	if ((conf->peer.family != AF_INET && conf->peer.family != AF_INET6) ||
	    (conf->local.family && conf->local.family != conf->peer.family) ||
	    strnlen(conf->md5_key, sizeof(conf->md5_key)) > BGP_MD5_KEY_MAX ||
	    conf->ttl_hops > 254 || !conf->fsm.local_as || !conf->fsm.peer_as ||
	    !conf->fsm.local_id || conf->fsm.hold_time == 1 || conf->fsm.hold_time == 2)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->conf = *conf;
	if (!s->conf.port)
		s->conf.port = BGP_PORT;
	s->ops = ops;
	s->ctx = ctx;
	s->accepting = -1;
	s->conn[0].fd = s->conn[1].fd = -1;
	inet_addr_fmt(&conf->peer, s->name, sizeof(s->name));
	for (int c = 0; c < 3; c++)
		for (int t = 0; t < BGP_TIMER_COUNT; t++) {
			ev_timer_init(&s->timer[c][t], timer_cb, 0, 0);
			s->timer[c][t].data = s;
		}
	ev_timer_init(&s->defer, defer_cb, 0, 0);
	s->defer.data = s;
	bgp_fsm_init(&s->fsm, &s->conf.fsm, &fsm_ops, s);
	*out = s;
	return 0;
}

void bgp_session_free(struct bgp_session *s)
{
	if (!s)
		return;
	bgp_fsm_fini(&s->fsm);
	for (int c = 0; c < 2; c++) {
		conn_close(s, c);
		free(s->conn[c].wbuf);
	}
	for (int c = 0; c < 3; c++)
		for (int t = 0; t < BGP_TIMER_COUNT; t++)
			ev_timer_stop(s->loop, &s->timer[c][t]);
	ev_timer_stop(s->loop, &s->defer);
	if (s->accepting >= 0)
		close(s->accepting);
	free(s);
}

void bgp_session_start(struct bgp_session *s)
{
	bgp_fsm_event(&s->fsm, BGP_CONN_PEER, BGP_EV_MANUAL_START);
}

void bgp_session_stop(struct bgp_session *s, bool notify, uint8_t subcode, const char *msg)
{
	bgp_fsm_stop(&s->fsm, notify, subcode, msg);
}

int bgp_session_send(struct bgp_session *s, const uint8_t *msg, size_t len)
{
	return bgp_fsm_send(&s->fsm, msg, len);
}

struct bgp_fsm *bgp_session_fsm(struct bgp_session *s)
{
	return &s->fsm;
}

const struct bgp_session_conf *bgp_session_conf(const struct bgp_session *s)
{
	return &s->conf;
}

int bgp_session_accept(struct bgp_session *s, int fd)
{
	int r, one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s->conf.ttl_hops && (r = set_gtsm(fd, s->conf.peer.family, s->conf.ttl_hops)) < 0) {
		log_warnx("bgp %s: GTSM on an incoming connection: %s", s->name, strerror(-r));
		close(fd);
		return r;
	}
	s->accepting = fd;
	r = bgp_fsm_event(&s->fsm, BGP_CONN_IN, BGP_EV_TCP_CONFIRMED);
	if (s->accepting >= 0) {
		/* Refused, or accepted without a byte sent (not expected: the OPEN goes out). */
		if (r < 0)
			close(fd);
		else
			conn_install(s, BGP_CONN_IN, fd);
		s->accepting = -1;
	}
	if (r < 0)
		log_debug("bgp %s: incoming connection refused in %s", s->name, bgp_state_name(s->fsm.state));
	return r;
}

/* ---- the listener ------------------------------------------------------------------------- */

struct bgp_listener {
	struct ev_loop *loop;
	int fd;
	uint16_t port;
	ev_io io;
	bgp_listener_lookup_fn lookup;
	void *ctx;
};

static void listen_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bgp_listener *l = w->data;

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct inet_addr peer = { 0 };
		struct bgp_session *s;
		char name[INET_ADDRSTR];
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("bgp: accept");
			return;
		}
		if (ss.ss_family == AF_INET) {
			peer.family = AF_INET;
			memcpy(peer.bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		} else {
			peer.family = AF_INET6;
			memcpy(peer.bytes, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		}
		s = l->lookup(l->ctx, &peer);
		if (!s) {
			log_info("bgp: connection from %s, not a configured peer: closed",
				 inet_addr_fmt(&peer, name, sizeof(name)));
			close(fd);
			continue;
		}
		bgp_session_accept(s, fd);
	}
}

int bgp_listener_new(struct ev_loop *loop, const struct inet_addr *addr, uint16_t port,
		     bgp_listener_lookup_fn lookup, void *ctx, struct bgp_listener **out)
{
	struct bgp_listener *l = NULL;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = -1, one = 1, ttl = 255, r;

	*out = NULL;
	if (addr->family != AF_INET && addr->family != AF_INET6)
		return -EINVAL;
	fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (addr->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0))
		goto err;
	/* RFC 5082: the SYN-ACK comes from the listening socket, so it goes out with TTL 255 for
	 * GTSM peers to accept it (harmless for the others). The minimum TTL is set per peer on
	 * the accepted socket: a peer that does not comply completes the handshake, then its
	 * segments are dropped and the session never gets past OpenSent. */
	if (addr->family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0
				    : setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0)
		goto err;
	sl = sockaddr_of(addr, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0)
		goto err;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto err;
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		goto err;
	}
	l->loop = loop;
	l->fd = fd;
	l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						: ((struct sockaddr_in6 *)&ss)->sin6_port);
	l->lookup = lookup;
	l->ctx = ctx;
	ev_io_init(&l->io, listen_cb, fd, EV_READ);
	l->io.data = l;
	ev_io_start(loop, &l->io);
	*out = l;
	return 0;
err:
	r = -errno;
	close(fd);
	return r;
}

void bgp_listener_free(struct bgp_listener *l)
{
	if (!l)
		return;
	ev_io_stop(l->loop, &l->io);
	close(l->fd);
	free(l);
}

uint16_t bgp_listener_port(const struct bgp_listener *l)
{
	return l->port;
}

int bgp_listener_md5(struct bgp_listener *l, const struct inet_addr *peer, const char *key)
{
	return set_md5(l->fd, peer, key);
}
