/* The BGP FSM (daemon/bgp_fsm.c) driven through a mock transport: every transition of RFC 4271
 * §8.2.2 that Weft implements, state by state, with the bytes sent, the timers started and
 * stopped, the connections opened and closed; hold time negotiation, connect-retry backoff,
 * passive mode, collision detection (§6.8), graceful restart (RFC 4724) and re-entrance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/bgp_fsm.h"
#include "test_bgp_util.h"

#define PEER BGP_CONN_PEER
#define OUT BGP_CONN_OUT
#define IN BGP_CONN_IN

static struct harness {
	struct bgp_fsm f;
	uint64_t now;
	unsigned timer[3][BGP_TIMER_COUNT]; /* [conn + 1][timer]: seconds, 0 = stopped */
	unsigned timer_calls;
	uint8_t sent[2][65536];
	size_t sent_len[2];
	int connects, closes[2], established, downs;
	bool keep_stale;
	char updates[4096];
	unsigned n_updates;
	enum bgp_action update_action;
	int refreshes, refresh_af;
	char states[1024];
	bool reset_in_update; /* the update callback asks for a reset (re-entrance) */
	bool send_in_established;
} H;

static void m_send(void *ctx, int c, const uint8_t *msg, size_t len)
{
	assert_true(c == OUT || c == IN);
	assert_true(H.sent_len[c] + len <= sizeof(H.sent[c]));
	memcpy(H.sent[c] + H.sent_len[c], msg, len);
	H.sent_len[c] += len;
}

static void m_connect(void *ctx)
{
	H.connects++;
}

static void m_close(void *ctx, int c)
{
	H.closes[c]++;
}

static void m_timer(void *ctx, int c, enum bgp_timer t, unsigned secs)
{
	H.timer[c + 1][t] = secs;
	H.timer_calls++;
}

static void m_established(void *ctx, struct bgp_fsm *f)
{
	H.established++;
	if (H.send_in_established) {
		uint8_t eor[32];
		int n = bgp_update_encode_eor(BGP_AF_IPV4, eor, sizeof(eor));

		assert_int_equal(bgp_fsm_send(f, eor, (size_t)n), 0);
	}
}

static void m_down(void *ctx, struct bgp_fsm *f, bool keep_stale)
{
	H.downs++;
	H.keep_stale = keep_stale;
}

static void m_update(void *ctx, struct bgp_fsm *f, const struct bgp_update *u, const struct bgp_err *e)
{
	size_t off = strlen(H.updates);

	H.n_updates++;
	H.update_action = e->action;
	for (size_t i = 0; i < u->n_lists; i++)
		for (size_t j = 0; j < u->lists[i].n; j++) {
			char p[INET_PREFIXSTR];

			inet_prefix_fmt(&u->lists[i].pfx[j], p, sizeof(p));
			off += (size_t)snprintf(H.updates + off, sizeof(H.updates) - off, "%s%c%s",
						off ? " " : "", u->lists[i].withdraw ? '-' : '+', p);
		}
	if (H.reset_in_update) {
		bgp_fsm_reset(f, BGP_CEASE_MAX_PREFIX);
		/* Events from a callback are refused; the reset above is deferred. */
		assert_int_equal(bgp_fsm_event(f, PEER, BGP_EV_MANUAL_STOP), -EBUSY);
		assert_int_equal(f->state, BGP_ESTABLISHED);
	}
}

static void m_refresh(void *ctx, struct bgp_fsm *f, enum bgp_af af)
{
	H.refreshes++;
	H.refresh_af = af;
}

static void m_state(void *ctx, struct bgp_fsm *f, enum bgp_state from, enum bgp_state to)
{
	size_t off = strlen(H.states);

	snprintf(H.states + off, sizeof(H.states) - off, "%s%s", off ? " " : "", bgp_state_name(to));
}

static uint64_t m_now(void *ctx)
{
	return H.now;
}

static const struct bgp_fsm_ops ops = {
	.send = m_send, .connect = m_connect, .close = m_close, .timer = m_timer,
	.established = m_established, .down = m_down, .update = m_update, .refresh = m_refresh,
	.state = m_state, .now = m_now,
};

static const struct bgp_fsm_conf ibgp_conf = {
	.local_as = 64512, .peer_as = 64512, .local_id = 0x0a630001, .hold_time = 90,
	.connect_retry_time = 120, .afs = BGP_AF_ALL, .gr = true, .gr_time = 120,
	.enforce_first_as = true,
};

static void setup_conf(const struct bgp_fsm_conf *c)
{
	memset(&H, 0, sizeof(H));
	H.now = 1000;
	bgp_fsm_init(&H.f, c, &ops, &H);
}

static int setup(void **state)
{
	setup_conf(&ibgp_conf);
	return 0;
}

static int teardown(void **state)
{
	bgp_fsm_fini(&H.f);
	return 0;
}

/* What was sent on c since the last call, one word per message ("OPEN KEEPALIVE
 * NOTIFICATION/6/2"); checks the framing of everything we sent. */
static const char *sent(int c)
{
	static char out[4096];
	size_t off = 0, pos = 0;

	out[0] = '\0';
	while (pos < H.sent_len[c]) {
		static const char *const names[] = { "?", "OPEN", "UPDATE", "NOTIFICATION", "KEEPALIVE", "REFRESH" };
		const uint8_t *m = H.sent[c] + pos;
		struct bgp_err e;
		int n = bgp_msg_frame(m, H.sent_len[c] - pos, &e);

		assert_true(n > 0);
		if (m[18] == BGP_MSG_NOTIFICATION)
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%sNOTIFICATION/%u/%u", off ? " " : "", m[19], m[20]);
		else
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", off ? " " : "", names[m[18] <= 5 ? m[18] : 0]);
		pos += (size_t)n;
	}
	H.sent_len[c] = 0;
	return out;
}

/* The last message sent on c (call before sent()). */
static const uint8_t *last_sent(int c, size_t *len)
{
	size_t pos = 0, last = 0;
	struct bgp_err e;

	while (pos < H.sent_len[c]) {
		last = pos;
		pos += (size_t)bgp_msg_frame(H.sent[c] + pos, H.sent_len[c] - pos, &e);
	}
	*len = pos - last;
	return H.sent[c] + last;
}

static void feed(int c, const uint8_t *m, size_t n)
{
	assert_int_equal(bgp_fsm_input(&H.f, c, m, n), n);
}

static void peer_open_caps(int c, uint32_t as, uint16_t hold, uint32_t id, const struct bgp_caps *caps)
{
	uint8_t m[256];
	int n = bgp_open_encode(m, sizeof(m), as, hold, id, caps);

	assert_true(n > 0);
	feed(c, m, (size_t)n);
}

static const struct bgp_caps peer_caps = {
	.afs = BGP_AF_ALL, .mp = true, .as4 = true, .as4_number = 64512, .route_refresh = true,
	.gr = true, .gr_time = 120, .gr_afs = BGP_AF_ALL,
};

static void peer_open(int c, uint16_t hold, uint32_t id)
{
	peer_open_caps(c, H.f.conf.peer_as, hold, id, &peer_caps);
}

static void peer_msg(int c, uint8_t type, const char *body)
{
	uint8_t m[BGP_MAX_LEN];

	feed(c, m, msg_hex(m, sizeof(m), type, body));
}

static void peer_keepalive(int c)
{
	peer_msg(c, BGP_MSG_KEEPALIVE, "");
}

static void ev(int c, enum bgp_event e)
{
	assert_int_equal(bgp_fsm_event(&H.f, c, e), 0);
}

/* Idle -> Connect -> OpenSent -> OpenConfirm -> Established on the outgoing connection. */
static void establish_out(uint16_t peer_hold)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	assert_string_equal(sent(OUT), "OPEN");
	peer_open(OUT, peer_hold, 0x0a630002);
	assert_string_equal(sent(OUT), "KEEPALIVE");
	peer_keepalive(OUT);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
}

/* ---- Idle ----------------------------------------------------------------------------------- */

static void idle_manual_start_connects(void **state)
{
	assert_int_equal(H.f.state, BGP_IDLE);
	/* Idle refuses incoming connections before the start. */
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), -ECONNREFUSED);
	ev(PEER, BGP_EV_MANUAL_START);
	assert_int_equal(H.f.state, BGP_CONNECT);
	assert_int_equal(H.connects, 1);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 120);
	assert_int_equal(H.f.connect_retry_counter, 0);
	/* ManualStart in any other state is ignored. */
	ev(PEER, BGP_EV_MANUAL_START);
	assert_int_equal(H.connects, 1);
	assert_string_equal(H.states, "Connect");
}

static void idle_passive_start_listens(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START_PASSIVE);
	assert_int_equal(H.f.state, BGP_ACTIVE);
	assert_int_equal(H.connects, 0);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
	/* Passive never dials, not even when a stray timer event arrives. */
	assert_int_equal(bgp_fsm_event(&H.f, PEER, BGP_EV_CONNECT_RETRY_EXPIRES), 0);
	assert_int_equal(H.connects, 0);
	/* It accepts. */
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), 0);
	assert_int_equal(H.f.state, BGP_OPENSENT);
	assert_string_equal(sent(IN), "OPEN");
}

static void idle_passive_by_config(void **state)
{
	struct bgp_fsm_conf c = ibgp_conf;

	c.passive = true;
	bgp_fsm_fini(&H.f);
	setup_conf(&c);
	ev(PEER, BGP_EV_MANUAL_START);
	assert_int_equal(H.f.state, BGP_ACTIVE);
	assert_int_equal(H.connects, 0);
	/* A failed session goes back to listening after the backoff, never dialing. */
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), 0);
	ev(IN, BGP_EV_TCP_FAILS);
	assert_int_equal(H.f.state, BGP_ACTIVE);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
	assert_int_equal(H.connects, 0);
}

/* ---- Connect -------------------------------------------------------------------------------- */

static void connect_tcp_acked_sends_open(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	assert_int_equal(H.f.state, BGP_OPENSENT);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], BGP_HOLD_OPENSENT);
	/* Our OPEN: AS, hold, id, and our capabilities with graceful restart. */
	size_t n;
	const uint8_t *m = last_sent(OUT, &n);
	struct bgp_open o;
	struct bgp_err e;
	assert_int_equal(bgp_open_decode(m, n, &o, &e), 0);
	assert_int_equal(o.as, 64512);
	assert_int_equal(o.hold_time, 90);
	assert_int_equal(o.id, 0x0a630001);
	assert_int_equal(o.caps.afs, BGP_AF_ALL);
	assert_true(o.caps.as4 && o.caps.route_refresh && o.caps.gr);
	assert_int_equal(o.caps.gr_flags, 0);
	assert_int_equal(o.caps.gr_time, 120);
	assert_string_equal(sent(OUT), "OPEN");
	/* A late Tcp_CR_Acked for no pending attempt is refused. */
	assert_int_equal(bgp_fsm_event(&H.f, OUT, BGP_EV_TCP_CR_ACKED), -ESTALE);
}

static void connect_fails_goes_active_with_backoff(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	/* Weft: Connect + TcpConnectionFails -> Active (listening), retry after 1, 2, 4 ... s. */
	static const unsigned want[] = { 1, 2, 4, 8, 16, 32, 64, 120, 120 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ev(OUT, BGP_EV_TCP_FAILS);
		assert_int_equal(H.f.state, BGP_ACTIVE);
		assert_int_equal(H.closes[OUT], (int)i + 1);
		assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], want[i]);
		/* Active accepts incoming connections while it waits. */
		ev(PEER, BGP_EV_CONNECT_RETRY_EXPIRES);
		assert_int_equal(H.f.state, BGP_CONNECT);
		assert_int_equal(H.connects, (int)i + 2);
		assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 120);
	}
}

static void connect_retry_expires_redials(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	/* RFC 4271 §8.2.2 Connect, event 9: drop the attempt, restart the timer, dial again. */
	ev(PEER, BGP_EV_CONNECT_RETRY_EXPIRES);
	assert_int_equal(H.f.state, BGP_CONNECT);
	assert_int_equal(H.closes[OUT], 1);
	assert_int_equal(H.connects, 2);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 120);
	/* A stale expiry (timer not running) does nothing. */
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	ev(PEER, BGP_EV_CONNECT_RETRY_EXPIRES);
	assert_int_equal(H.connects, 2);
	assert_int_equal(H.f.state, BGP_OPENSENT);
}

static void connect_manual_stop(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(PEER, BGP_EV_MANUAL_STOP);
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.closes[OUT], 1);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0);
	assert_string_equal(sent(OUT), ""); /* no NOTIFICATION before a connection exists */
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), -ECONNREFUSED);
}

static void connect_incoming_while_dialing(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	/* Event 17 in Connect: OPEN on the incoming connection; our attempt goes on, still
	 * bounded by the ConnectRetryTimer. */
	ev(IN, BGP_EV_TCP_CONFIRMED);
	assert_int_equal(H.f.state, BGP_OPENSENT);
	assert_string_equal(sent(IN), "OPEN");
	assert_int_equal(H.f.conn[OUT].state, BGP_CONNECT);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 120);
	/* The peer's OPEN on the incoming connection gives up our attempt (as BIRD). */
	peer_open(IN, 90, 0x0a630002);
	assert_int_equal(H.f.conn[OUT].state, BGP_IDLE);
	assert_int_equal(H.closes[OUT], 1);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
	assert_int_equal(H.f.state, BGP_OPENCONFIRM);
}

/* ---- Active --------------------------------------------------------------------------------- */

static void active_accepts_and_dials(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.f.state, BGP_ACTIVE);
	/* Event 17 in Active: stop the ConnectRetryTimer, OPEN, OpenSent. */
	ev(IN, BGP_EV_TCP_CONFIRMED);
	assert_int_equal(H.f.state, BGP_OPENSENT);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
	assert_int_equal(H.timer[IN + 1][BGP_TIMER_HOLD], 240);
	/* A third connection is refused while the second is tracked. */
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), -EBUSY);
}

/* ---- OpenSent ------------------------------------------------------------------------------- */

static void opensent_open_negotiates_hold(void **state)
{
	static const struct {
		uint16_t ours, ka, theirs, hold, keepalive;
	} cases[] = {
		{ 90, 0, 240, 90, 30 },  /* the smaller one, a third of it */
		{ 90, 0, 9, 9, 3 },
		{ 90, 0, 3, 3, 1 },
		{ 90, 0, 0, 0, 0 },      /* 0: no keepalives, no hold timer */
		{ 0, 0, 180, 0, 0 },
		{ 90, 10, 240, 90, 10 }, /* a configured keepalive when shorter */
		{ 90, 60, 240, 90, 30 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bgp_fsm_conf c = ibgp_conf;

		c.hold_time = cases[i].ours;
		c.keepalive_time = cases[i].ka;
		bgp_fsm_fini(&H.f);
		setup_conf(&c);
		ev(PEER, BGP_EV_MANUAL_START);
		ev(OUT, BGP_EV_TCP_CR_ACKED);
		sent(OUT);
		peer_open(OUT, cases[i].theirs, 0x0a630002);
		assert_int_equal(H.f.state, BGP_OPENCONFIRM);
		assert_string_equal(sent(OUT), "KEEPALIVE");
		assert_int_equal(H.f.conn[OUT].hold_time, cases[i].hold);
		assert_int_equal(H.f.conn[OUT].keepalive_time, cases[i].keepalive);
		assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], cases[i].hold);
		assert_int_equal(H.timer[OUT + 1][BGP_TIMER_KEEPALIVE], cases[i].keepalive);
		peer_keepalive(OUT);
		assert_int_equal(H.f.state, BGP_ESTABLISHED);
		assert_int_equal(H.f.hold_time, cases[i].hold);
	}
}

static void opensent_bad_open(void **state)
{
	uint8_t m[128];
	size_t n;

	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	/* Event 22: the OPEN Message Error NOTIFICATION, counter + 1, Idle with the IdleHold
	 * backoff, incoming connections refused meanwhile. */
	struct bgp_caps other_as = peer_caps;
	other_as.as4_number = 65001;
	peer_open_caps(OUT, 65001, 90, 0x0a630002, &other_as);
	assert_string_equal(sent(OUT), "NOTIFICATION/2/2");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.f.connect_retry_counter, 1);
	assert_int_equal(H.closes[OUT], 1);
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], 0);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 1);
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), -ECONNREFUSED);
	assert_string_equal(H.f.last_error, "sent OPEN Message Error/Bad Peer AS: peer says AS 65001, configured AS 64512");
	/* IdleHoldTimer_Expires: AutomaticStart, dial again. */
	ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
	assert_int_equal(H.f.state, BGP_CONNECT);
	assert_int_equal(H.connects, 2);
	/* Next failure: a longer hold off. */
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	n = open_hex(m, sizeof(m), 64512, 1, 0x0a630002, "");
	feed(OUT, m, n);
	assert_string_equal(sent(OUT), "NOTIFICATION/2/6");
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 2);
	assert_int_equal(H.f.connect_retry_counter, 2);
	/* Our own BGP Identifier from an internal peer. */
	ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	peer_open(OUT, 90, 0x0a630001);
	assert_string_equal(sent(OUT), "NOTIFICATION/2/3");
}

static void opensent_unexpected_messages(void **state)
{
	static const struct {
		uint8_t type;
		const char *body, *want;
	} cases[] = {
		{ BGP_MSG_KEEPALIVE, "", "NOTIFICATION/5/1" },
		{ BGP_MSG_UPDATE, "0000 0000", "NOTIFICATION/5/1" },
		{ BGP_MSG_ROUTE_REFRESH, "0001 00 01", "NOTIFICATION/5/1" },
	};

	for (size_t i = 0; i < 3; i++) {
		size_t n;

		bgp_fsm_fini(&H.f);
		setup_conf(&ibgp_conf);
		ev(PEER, BGP_EV_MANUAL_START);
		ev(OUT, BGP_EV_TCP_CR_ACKED);
		sent(OUT);
		peer_msg(OUT, cases[i].type, cases[i].body);
		/* RFC 6608: data = the message type. */
		const uint8_t *m = last_sent(OUT, &n);
		assert_int_equal(n, 22);
		assert_int_equal(m[21], cases[i].type);
		assert_string_equal(sent(OUT), cases[i].want);
		assert_int_equal(H.f.state, BGP_IDLE);
		assert_int_equal(H.f.connect_retry_counter, 1);
	}
}

static void opensent_hold_expires(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	ev(OUT, BGP_EV_HOLD_EXPIRES);
	assert_string_equal(sent(OUT), "NOTIFICATION/4/0");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.f.connect_retry_counter, 1);
	/* A second, stale expiry does nothing. */
	ev(OUT, BGP_EV_HOLD_EXPIRES);
	assert_string_equal(sent(OUT), "");
}

static void opensent_tcp_fails_goes_active(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	ev(OUT, BGP_EV_TCP_FAILS);
	/* RFC 4271 §8.2.2 OpenSent, event 18: close, restart ConnectRetryTimer, Active. */
	assert_int_equal(H.f.state, BGP_ACTIVE);
	assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 1);
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], 0);
	assert_int_equal(H.f.connect_retry_counter, 0);
}

static void opensent_notification(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	/* Event 25: close, counter + 1, Idle; Weft sends nothing back. */
	peer_msg(OUT, BGP_MSG_NOTIFICATION, "06 05");
	assert_string_equal(sent(OUT), "");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.f.connect_retry_counter, 1);
	assert_string_equal(H.f.last_error, "received Cease/Connection Rejected");
	/* Event 24 (Unsupported Version): Idle without counting. */
	ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	peer_msg(OUT, BGP_MSG_NOTIFICATION, "02 01 00 04");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.f.connect_retry_counter, 1);
}

static void opensent_manual_stop_and_header_error(void **state)
{
	uint8_t m[64];

	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	ev(PEER, BGP_EV_MANUAL_STOP);
	assert_string_equal(sent(OUT), "NOTIFICATION/6/2");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0);
	assert_int_equal(H.f.connect_retry_counter, 0);
	/* Event 21 BGPHeaderErr: the header NOTIFICATION; bytes after it are dropped. */
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	memset(m, 0, sizeof(m));
	assert_int_equal(bgp_fsm_input(&H.f, OUT, m, sizeof(m)), sizeof(m));
	assert_string_equal(sent(OUT), "NOTIFICATION/1/1");
	assert_int_equal(H.f.state, BGP_IDLE);
}

/* ---- OpenConfirm ----------------------------------------------------------------------------- */

static void to_openconfirm(void)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	peer_open(OUT, 90, 0x0a630002);
	sent(OUT);
	assert_int_equal(H.f.state, BGP_OPENCONFIRM);
}

static void openconfirm_keepalive_establishes(void **state)
{
	to_openconfirm();
	peer_keepalive(OUT);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	assert_int_equal(H.established, 1);
	assert_int_equal(H.f.est, OUT);
	assert_string_equal(H.states, "Connect OpenSent OpenConfirm Established");
	/* What was negotiated. */
	assert_true(H.f.neg.as4);
	assert_false(H.f.neg.ebgp);
	assert_int_equal(H.f.neg.afs, BGP_AF_ALL);
	assert_int_equal(H.f.peer.id, 0x0a630002);
	assert_int_equal(H.f.established_at, 1000);
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], 90);
}

static void openconfirm_timers(void **state)
{
	to_openconfirm();
	/* Event 11: KEEPALIVE, timer restarted. */
	H.timer[OUT + 1][BGP_TIMER_KEEPALIVE] = 0;
	ev(OUT, BGP_EV_KEEPALIVE_EXPIRES);
	assert_string_equal(sent(OUT), "KEEPALIVE");
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_KEEPALIVE], 30);
	/* Event 10: Hold Timer Expired. */
	ev(OUT, BGP_EV_HOLD_EXPIRES);
	assert_string_equal(sent(OUT), "NOTIFICATION/4/0");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_KEEPALIVE], 0);
}

static void openconfirm_unexpected_and_failures(void **state)
{
	/* OPEN or UPDATE in OpenConfirm: 5/2 (RFC 6608). */
	to_openconfirm();
	peer_open(OUT, 90, 0x0a630002);
	assert_string_equal(sent(OUT), "NOTIFICATION/5/2");
	assert_int_equal(H.f.state, BGP_IDLE);
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	to_openconfirm();
	peer_msg(OUT, BGP_MSG_UPDATE, "0000 0000");
	assert_string_equal(sent(OUT), "NOTIFICATION/5/2");
	/* TcpConnectionFails and NOTIFICATION: Idle, counted. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	to_openconfirm();
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.f.connect_retry_counter, 1);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 1);
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	to_openconfirm();
	peer_msg(OUT, BGP_MSG_NOTIFICATION, "06 02");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.downs, 0); /* never Established: no routes to drop */
}

/* ---- Established ------------------------------------------------------------------------------ */

static void established_keepalive_update_refresh(void **state)
{
	uint8_t m[BGP_MAX_LEN];

	H.send_in_established = true;
	establish_out(90);
	/* The established callback may send (our End-of-RIB here). */
	assert_string_equal(sent(OUT), "UPDATE");
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_KEEPALIVE], 30);
	/* KEEPALIVE restarts the hold timer. */
	H.timer[OUT + 1][BGP_TIMER_HOLD] = 0;
	peer_keepalive(OUT);
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], 90);
	/* UPDATE: to the RIB, hold timer restarted. */
	H.timer[OUT + 1][BGP_TIMER_HOLD] = 0;
	size_t n = update_hex(m, sizeof(m), "18 0a f4 09",
			      "40 01 01 00 40 02 00 40 03 04 0a 63 00 02", "18 0a f4 02");
	feed(OUT, m, n);
	assert_int_equal(H.n_updates, 1);
	assert_string_equal(H.updates, "-10.244.9.0/24 +10.244.2.0/24");
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], 90);
	assert_int_equal(H.f.updates_in, 1);
	/* Treat-as-withdraw keeps the session. */
	H.updates[0] = '\0';
	n = update_hex(m, sizeof(m), "", "40 01 01 05 40 02 00 40 03 04 0a 63 00 02", "18 0a f4 02");
	feed(OUT, m, n);
	assert_string_equal(H.updates, "-10.244.2.0/24");
	assert_int_equal(H.update_action, BGP_ACT_WITHDRAW);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	/* ROUTE-REFRESH for a negotiated family; others ignored. */
	peer_msg(OUT, BGP_MSG_ROUTE_REFRESH, "0002 00 01");
	assert_int_equal(H.refreshes, 1);
	assert_int_equal(H.refresh_af, BGP_AF_IPV6);
	peer_msg(OUT, BGP_MSG_ROUTE_REFRESH, "0019 00 46");
	peer_msg(OUT, BGP_MSG_ROUTE_REFRESH, "0001 01 01"); /* BoRR without enhanced refresh */
	assert_int_equal(H.refreshes, 1);
	/* Several messages in one read, the last one incomplete. */
	n = msg_hex(m, sizeof(m), BGP_MSG_KEEPALIVE, "");
	n += msg_hex(m + n, sizeof(m) - n, BGP_MSG_KEEPALIVE, "");
	n += msg_hex(m + n, sizeof(m) - n, BGP_MSG_KEEPALIVE, "");
	assert_int_equal(bgp_fsm_input(&H.f, OUT, m, n - 5), 38);
	assert_int_equal(bgp_fsm_input(&H.f, OUT, m + 38, 19), 19);
	assert_string_equal(sent(OUT), "");
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
}

static void established_errors_reset(void **state)
{
	uint8_t m[BGP_MAX_LEN];
	size_t n;

	/* An UPDATE that needs a session reset: event 28, the NOTIFICATION, routes gone. */
	establish_out(90);
	n = update_hex(m, sizeof(m), "", "40 01 01 00 40 63 01 00", "18 0a f4 02");
	feed(OUT, m, n);
	assert_string_equal(sent(OUT), "NOTIFICATION/3/2");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.downs, 1);
	assert_false(H.keep_stale);
	assert_int_equal(H.n_updates, 0);
	/* OPEN in Established: 5/3. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	establish_out(90);
	peer_open(OUT, 90, 0x0a630002);
	assert_string_equal(sent(OUT), "NOTIFICATION/5/3");
	/* A ROUTE-REFRESH of the wrong length: 7/1. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	establish_out(90);
	peer_msg(OUT, BGP_MSG_ROUTE_REFRESH, "0001 00 01 00");
	assert_string_equal(sent(OUT), "NOTIFICATION/7/1");
	/* Hold timer: 4/0, routes dropped (no graceful restart after a NOTIFICATION). */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	establish_out(90);
	ev(OUT, BGP_EV_HOLD_EXPIRES);
	assert_string_equal(sent(OUT), "NOTIFICATION/4/0");
	assert_int_equal(H.downs, 1);
	assert_false(H.keep_stale);
	/* A NOTIFICATION from the peer: routes dropped even with graceful restart (RFC 4724 §4). */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	establish_out(90);
	peer_msg(OUT, BGP_MSG_NOTIFICATION, "06 02 05 62 79 65 2d 21");
	assert_int_equal(H.downs, 1);
	assert_false(H.keep_stale);
	assert_string_equal(H.f.last_error, "received Cease/Administrative Shutdown: \"bye-!\"");
	assert_int_equal(H.f.state, BGP_IDLE);
}

static void established_tcp_fails_graceful_restart(void **state)
{
	struct bgp_caps no_gr = peer_caps;

	/* RFC 4724 §4.2: the peer advertised graceful restart: its routes stay, stale. */
	establish_out(90);
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.downs, 1);
	assert_true(H.keep_stale);
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.f.connect_retry_counter, 1);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 1);
	/* Without the capability they go. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	no_gr.gr = false;
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	peer_open_caps(OUT, 64512, 90, 0x0a630002, &no_gr);
	peer_keepalive(OUT);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.downs, 1);
	assert_false(H.keep_stale);
}

static void established_new_connection_replaces_gr(void **state)
{
	struct bgp_caps no_gr = peer_caps;

	/* RFC 4724 §4.2: a new connection from a peer with graceful restart ends the old
	 * session (routes kept stale) and carries on. */
	establish_out(90);
	sent(OUT);
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), 0);
	assert_int_equal(H.closes[OUT], 1);
	assert_int_equal(H.downs, 1);
	assert_true(H.keep_stale);
	assert_int_equal(H.f.state, BGP_OPENSENT);
	assert_string_equal(sent(OUT), "");
	assert_string_equal(sent(IN), "OPEN");
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0);
	peer_open(IN, 90, 0x0a630002);
	peer_keepalive(IN);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	assert_int_equal(H.f.est, IN);
	assert_int_equal(H.established, 2);

	/* Without graceful restart the second connection is tracked until its OPEN, then closed
	 * by collision resolution (RFC 4271 §6.8: the Established one stays). */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	no_gr.gr = false;
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	peer_open_caps(OUT, 64512, 90, 0x0a630002, &no_gr);
	peer_keepalive(OUT);
	sent(OUT);
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), 0);
	assert_string_equal(sent(IN), "OPEN");
	peer_open_caps(IN, 64512, 90, 0x0a630002, &no_gr);
	assert_string_equal(sent(IN), "NOTIFICATION/6/7");
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	assert_int_equal(H.f.est, OUT);
	assert_int_equal(H.downs, 0);
	/* When the Established one is the incoming one, a further connection is refused. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	ev(PEER, BGP_EV_MANUAL_START_PASSIVE);
	ev(IN, BGP_EV_TCP_CONFIRMED);
	peer_open_caps(IN, 64512, 90, 0x0a630002, &no_gr);
	peer_keepalive(IN);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	assert_int_equal(bgp_fsm_event(&H.f, IN, BGP_EV_TCP_CONFIRMED), -EBUSY);
}

static void established_stops(void **state)
{
	/* ManualStop with an RFC 9003 message: Cease/2, routes dropped, no restart. */
	establish_out(90);
	sent(OUT);
	bgp_fsm_stop(&H.f, true, BGP_CEASE_SHUTDOWN, "maintenance");
	size_t n;
	const uint8_t *m = last_sent(OUT, &n);
	assert_int_equal(n, 21 + 12);
	assert_memory_equal(m + 21, "\x0bmaintenance", 12);
	assert_string_equal(sent(OUT), "NOTIFICATION/6/2");
	assert_int_equal(H.downs, 1);
	assert_false(H.keep_stale);
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0);
	assert_false(H.f.enabled);
	/* Our own graceful restart: no NOTIFICATION, the peer's routes kept in the data path. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	establish_out(90);
	sent(OUT);
	bgp_fsm_stop(&H.f, false, 0, NULL);
	assert_string_equal(sent(OUT), "");
	assert_int_equal(H.closes[OUT], 1);
	assert_true(H.keep_stale);
	assert_int_equal(H.f.state, BGP_IDLE);
	/* AutomaticStop: Cease, then an automatic restart after the backoff. */
	bgp_fsm_fini(&H.f);
	setup_conf(&ibgp_conf);
	establish_out(90);
	sent(OUT);
	bgp_fsm_reset(&H.f, BGP_CEASE_RESET);
	assert_string_equal(sent(OUT), "NOTIFICATION/6/4");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 1);
	assert_true(H.f.enabled);
	ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
	assert_int_equal(H.f.state, BGP_CONNECT);
	/* The AutomaticStop event itself. */
	ev(PEER, BGP_EV_AUTOMATIC_STOP);
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 2);
	/* An explicit AutomaticStart does not wait for the IdleHoldTimer (which is what
	 * normally issues it); it is ignored in any state but Idle. */
	ev(PEER, BGP_EV_AUTOMATIC_START);
	assert_int_equal(H.f.state, BGP_CONNECT);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0);
	assert_int_equal(H.connects, 3);
	ev(PEER, BGP_EV_AUTOMATIC_START);
	assert_int_equal(H.connects, 3);
}

static void established_send_restarts_keepalive(void **state)
{
	uint8_t m[32];
	int n = bgp_update_encode_eor(BGP_AF_IPV4, m, sizeof(m));

	assert_int_equal(bgp_fsm_send(&H.f, m, (size_t)n), -ENOTCONN);
	establish_out(90);
	sent(OUT);
	H.timer[OUT + 1][BGP_TIMER_KEEPALIVE] = 0;
	assert_int_equal(bgp_fsm_send(&H.f, m, (size_t)n), 0);
	assert_string_equal(sent(OUT), "UPDATE");
	assert_int_equal(H.timer[OUT + 1][BGP_TIMER_KEEPALIVE], 30);
	assert_int_equal(H.f.updates_out, 1);
	ev(OUT, BGP_EV_KEEPALIVE_EXPIRES);
	assert_string_equal(sent(OUT), "KEEPALIVE");
}

static void backoff_resets_after_stable_session(void **state)
{
	establish_out(90);
	/* Dropped quickly: the backoff grows. */
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 1);
	ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	peer_open(OUT, 90, 0x0a630002);
	peer_keepalive(OUT);
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 2);
	/* Up for a minute: the next failure starts again at 1 s. */
	ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	peer_open(OUT, 90, 0x0a630002);
	peer_keepalive(OUT);
	H.now += BGP_FSM_STABLE;
	ev(OUT, BGP_EV_TCP_FAILS);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 1);
	assert_int_equal(H.f.established_count, 3);
}

/* ---- collisions (RFC 4271 §6.8) -------------------------------------------------------------- */

/* Both connections up and in OpenSent; the OUT one gets the peer's OPEN first. */
static void both_in_opensent(uint32_t peer_id)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(IN, BGP_EV_TCP_CONFIRMED);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	assert_string_equal(sent(IN), "OPEN");
	assert_string_equal(sent(OUT), "OPEN");
	peer_open(OUT, 90, peer_id);
	assert_string_equal(sent(OUT), "KEEPALIVE");
	assert_int_equal(H.f.conn[OUT].state, BGP_OPENCONFIRM);
	assert_int_equal(H.f.conn[IN].state, BGP_OPENSENT);
}

static void collision_higher_peer_id_keeps_incoming(void **state)
{
	/* The peer's identifier is higher: the connection it opened (IN) wins. */
	both_in_opensent(0x0a630002);
	peer_open(IN, 90, 0x0a630002);
	assert_string_equal(sent(OUT), "NOTIFICATION/6/7");
	assert_string_equal(sent(IN), "KEEPALIVE");
	assert_int_equal(H.f.conn[OUT].state, BGP_IDLE);
	assert_int_equal(H.f.conn[IN].state, BGP_OPENCONFIRM);
	assert_int_equal(H.f.state, BGP_OPENCONFIRM);
	assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0); /* the peer is not idle */
	peer_keepalive(IN);
	assert_int_equal(H.f.state, BGP_ESTABLISHED);
	assert_int_equal(H.f.est, IN);
}

static void collision_lower_peer_id_keeps_outgoing(void **state)
{
	/* Ours is higher: our connection (OUT) wins, the new one is dumped. */
	both_in_opensent(0x0a630000);
	peer_open(IN, 90, 0x0a630000);
	assert_string_equal(sent(IN), "NOTIFICATION/6/7");
	assert_string_equal(sent(OUT), "");
	assert_int_equal(H.f.conn[IN].state, BGP_IDLE);
	assert_int_equal(H.f.conn[OUT].state, BGP_OPENCONFIRM);
	peer_keepalive(OUT);
	assert_int_equal(H.f.est, OUT);
}

static void collision_equal_ids_by_as(void **state)
{
	struct bgp_fsm_conf c = ibgp_conf;
	struct bgp_caps caps = peer_caps;

	/* RFC 6286 §2.3: equal identifiers (external peers only): the higher AS's connection. */
	c.peer_as = 65000;
	bgp_fsm_fini(&H.f);
	setup_conf(&c);
	caps.as4_number = 65000;
	ev(PEER, BGP_EV_MANUAL_START);
	ev(IN, BGP_EV_TCP_CONFIRMED);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(IN);
	sent(OUT);
	peer_open_caps(OUT, 65000, 90, 0x0a630001, &caps);
	peer_open_caps(IN, 65000, 90, 0x0a630001, &caps);
	assert_string_equal(sent(OUT), "KEEPALIVE NOTIFICATION/6/7");
	assert_int_equal(H.f.conn[IN].state, BGP_OPENCONFIRM);
}

/* Bring the peer to state st on the outgoing connection. */
static void reach(enum bgp_state st)
{
	ev(PEER, BGP_EV_MANUAL_START);
	if (st == BGP_ACTIVE)
		ev(OUT, BGP_EV_TCP_FAILS);
	if (st >= BGP_OPENSENT)
		ev(OUT, BGP_EV_TCP_CR_ACKED);
	if (st >= BGP_OPENCONFIRM)
		peer_open(OUT, 90, 0x0a630002);
	if (st >= BGP_ESTABLISHED)
		peer_keepalive(OUT);
	assert_int_equal(H.f.state, st);
	sent(OUT);
}

static void stops_in_every_state(void **state)
{
	for (enum bgp_state st = BGP_CONNECT; st <= BGP_ESTABLISHED; st++) {
		const char *cease = st >= BGP_OPENSENT ? "NOTIFICATION/6/2" : "";

		/* ManualStop: Cease once a connection carries BGP, Idle, counter 0, no restart. */
		bgp_fsm_fini(&H.f);
		setup_conf(&ibgp_conf);
		reach(st);
		ev(PEER, BGP_EV_MANUAL_STOP);
		assert_string_equal(sent(OUT), cease);
		assert_int_equal(H.f.state, BGP_IDLE);
		assert_int_equal(H.f.connect_retry_counter, 0);
		assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], 0);
		assert_int_equal(H.timer[0][BGP_TIMER_CONNECT_RETRY], 0);
		assert_int_equal(H.timer[OUT + 1][BGP_TIMER_HOLD], 0);
		assert_int_equal(H.timer[OUT + 1][BGP_TIMER_KEEPALIVE], 0);
		assert_int_equal(H.downs, st == BGP_ESTABLISHED);

		/* AutomaticStop: the same, but counted, and a restart after the backoff. */
		bgp_fsm_fini(&H.f);
		setup_conf(&ibgp_conf);
		reach(st);
		unsigned before = H.f.connect_retry_counter;
		ev(PEER, BGP_EV_AUTOMATIC_STOP);
		assert_string_equal(sent(OUT), st >= BGP_OPENSENT ? "NOTIFICATION/6/0" : "");
		assert_int_equal(H.f.state, BGP_IDLE);
		assert_int_equal(H.f.connect_retry_counter, before + 1);
		assert_true(H.timer[0][BGP_TIMER_IDLE_HOLD] > 0);
		/* In Idle it is ignored. */
		unsigned hold = H.timer[0][BGP_TIMER_IDLE_HOLD], calls = H.timer_calls;
		ev(PEER, BGP_EV_AUTOMATIC_STOP);
		assert_int_equal(H.f.connect_retry_counter, before + 1);
		assert_int_equal(H.timer[0][BGP_TIMER_IDLE_HOLD], hold);
		assert_int_equal(H.timer_calls, calls);
		ev(PEER, BGP_EV_IDLE_HOLD_EXPIRES);
		assert_int_equal(H.f.state, BGP_CONNECT);
	}
}

/* ---- odds and ends -------------------------------------------------------------------------------- */

static void reentrant_reset_is_deferred(void **state)
{
	uint8_t m[128];
	size_t n = update_hex(m, sizeof(m), "", "40 01 01 00 40 02 00 40 03 04 0a 63 00 02", "18 0a f4 02");

	establish_out(90);
	sent(OUT);
	H.reset_in_update = true;
	feed(OUT, m, n);
	/* The reset asked for inside the callback ran once the UPDATE was done. */
	assert_int_equal(H.n_updates, 1);
	assert_string_equal(sent(OUT), "NOTIFICATION/6/1");
	assert_int_equal(H.f.state, BGP_IDLE);
	assert_true(H.f.enabled);
}

static void restarting_speaker_sets_r_bit(void **state)
{
	struct bgp_fsm_conf c = ibgp_conf;
	struct bgp_open o;
	struct bgp_err e;
	size_t n;

	c.gr_restarting = true;
	c.gr_fwd = BGP_AF_ALL;
	c.gr_time = 9999; /* capped at 4095 */
	bgp_fsm_fini(&H.f);
	setup_conf(&c);
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	const uint8_t *m = last_sent(OUT, &n);
	assert_int_equal(bgp_open_decode(m, n, &o, &e), 0);
	assert_int_equal(o.caps.gr_flags, BGP_GR_RESTART);
	assert_int_equal(o.caps.gr_fwd, BGP_AF_ALL);
	assert_int_equal(o.caps.gr_time, 4095);
}

static void no_common_family(void **state)
{
	struct bgp_caps v6 = peer_caps;

	v6.afs = BGP_AF_BIT(BGP_AF_IPV6);
	bgp_fsm_fini(&H.f);
	struct bgp_fsm_conf c = ibgp_conf;
	c.afs = BGP_AF_BIT(BGP_AF_IPV4);
	setup_conf(&c);
	ev(PEER, BGP_EV_MANUAL_START);
	ev(OUT, BGP_EV_TCP_CR_ACKED);
	sent(OUT);
	peer_open_caps(OUT, 64512, 90, 0x0a630002, &v6);
	assert_string_equal(sent(OUT), "NOTIFICATION/2/7");
}

static void fini_closes_everything(void **state)
{
	ev(PEER, BGP_EV_MANUAL_START);
	ev(IN, BGP_EV_TCP_CONFIRMED);
	bgp_fsm_fini(&H.f);
	assert_int_equal(H.closes[OUT], 1);
	assert_int_equal(H.closes[IN], 1);
	for (int c = 0; c < 3; c++)
		for (int t = 0; t < BGP_TIMER_COUNT; t++)
			assert_int_equal(H.timer[c][t], 0);
	assert_int_equal(H.f.state, BGP_IDLE);
	/* Events outside the table are refused. */
	assert_int_equal(bgp_fsm_event(&H.f, OUT, BGP_EV_BGP_OPEN), -EINVAL);
	assert_int_equal(bgp_fsm_event(&H.f, OUT, BGP_EV_TCP_CONFIRMED), -EINVAL);
	/* Input on a closed connection is dropped. */
	uint8_t m[19];
	bgp_keepalive_encode(m, sizeof(m));
	assert_int_equal(bgp_fsm_input(&H.f, OUT, m, sizeof(m)), sizeof(m));
	assert_int_equal(bgp_fsm_input(&H.f, 7, m, sizeof(m)), sizeof(m));
	assert_string_equal(bgp_event_name(BGP_EV_OPEN_COLLISION_DUMP), "OpenCollisionDump");
	assert_string_equal(bgp_timer_name(BGP_TIMER_IDLE_HOLD), "IdleHold");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(idle_manual_start_connects),
		T(idle_passive_start_listens),
		T(idle_passive_by_config),
		T(connect_tcp_acked_sends_open),
		T(connect_fails_goes_active_with_backoff),
		T(connect_retry_expires_redials),
		T(connect_manual_stop),
		T(connect_incoming_while_dialing),
		T(active_accepts_and_dials),
		T(opensent_open_negotiates_hold),
		T(opensent_bad_open),
		T(opensent_unexpected_messages),
		T(opensent_hold_expires),
		T(opensent_tcp_fails_goes_active),
		T(opensent_notification),
		T(opensent_manual_stop_and_header_error),
		T(openconfirm_keepalive_establishes),
		T(openconfirm_timers),
		T(openconfirm_unexpected_and_failures),
		T(established_keepalive_update_refresh),
		T(established_errors_reset),
		T(established_tcp_fails_graceful_restart),
		T(established_new_connection_replaces_gr),
		T(established_stops),
		T(established_send_restarts_keepalive),
		T(backoff_resets_after_stable_session),
		T(collision_higher_peer_id_keeps_incoming),
		T(collision_lower_peer_id_keeps_outgoing),
		T(collision_equal_ids_by_as),
		T(stops_in_every_state),
		T(reentrant_reset_is_deferred),
		T(restarting_speaker_sets_r_bit),
		T(no_common_family),
		T(fini_closes_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
