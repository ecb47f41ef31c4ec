/* Helpers shared by the BGP unit tests: messages written as hex the way a capture shows them,
 * with the header (and OPEN's parameter length, UPDATE's two length fields) filled in; running
 * an event loop until a condition holds. */
#ifndef TEST_BGP_UTIL_H
#define TEST_BGP_UTIL_H

#include <ctype.h>
#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/bgp.h"
#include "daemon/bgp_msg.h"
#include "daemon/bgp_session.h"

/* Hex digits (spaces and newlines ignored) into out; returns the byte count. */
static inline size_t hexbytes(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		v = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
		if (v < 0 || v > 15) {
			fprintf(stderr, "bad hex digit '%c'\n", *s);
			abort();
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

/* A message of type with the body given in hex. */
static inline size_t msg_hex(uint8_t *buf, size_t cap, uint8_t type, const char *body)
{
	size_t n = hexbytes(body, buf + BGP_HDR_LEN, cap - BGP_HDR_LEN);

	bgp_msg_header(buf, BGP_HDR_LEN + n, type);
	return BGP_HDR_LEN + n;
}

/* An OPEN: version 4, my_as, hold, id, then the optional parameters given in hex. */
static inline size_t open_hex(uint8_t *buf, size_t cap, uint16_t my_as, uint16_t hold,
			      uint32_t id, const char *params)
{
	size_t n = hexbytes(params, buf + 29, cap - 29);

	buf[19] = 4;
	bgp_put16(buf + 20, my_as);
	bgp_put16(buf + 22, hold);
	bgp_put32(buf + 24, id);
	buf[28] = (uint8_t)n;
	bgp_msg_header(buf, 29 + n, BGP_MSG_OPEN);
	return 29 + n;
}

/* An UPDATE from its three parts in hex (withdrawn routes, path attributes, NLRI). */
static inline size_t update_hex(uint8_t *buf, size_t cap, const char *withdrawn,
				const char *attrs, const char *nlri)
{
	size_t w = hexbytes(withdrawn, buf + 21, cap - 21), a, n;

	bgp_put16(buf + 19, (uint16_t)w);
	a = hexbytes(attrs, buf + 23 + w, cap - 23 - w);
	bgp_put16(buf + 21 + w, (uint16_t)a);
	n = hexbytes(nlri, buf + 23 + w + a, cap - 23 - w - a);
	bgp_msg_header(buf, 23 + w + a + n, BGP_MSG_UPDATE);
	return 23 + w + a + n;
}

/* err must hold exactly (action, code, subcode, data). Needs cmocka.h included first. */
static inline void err_is(const struct bgp_err *e, enum bgp_action a, uint8_t code, uint8_t sub,
			  const char *data_hex)
{
	uint8_t want[BGP_MAX_LEN];
	size_t n = hexbytes(data_hex, want, sizeof(want));

	if (e->action != a || e->code != code || e->subcode != sub)
		fail_msg("got action %d %u/%u (%s), want action %d %u/%u", e->action, e->code,
			 e->subcode, e->reason, a, code, sub);
	assert_int_equal(e->len, n);
	assert_memory_equal(e->data, want, n);
	assert_true(e->reason[0] != '\0');
}

static inline struct inet_prefix pfx(const char *s)
{
	struct inet_prefix p;

	if (!inet_prefix_parse(s, &p))
		abort();
	return p;
}

static inline struct inet_addr addr(const char *s)
{
	struct inet_addr a;

	if (!inet_addr_parse(s, &a))
		abort();
	return a;
}

static inline void test_ev_tick_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ONE);
}

/* Run loop until cond() or secs pass (a 10 ms tick wakes it to look); returns cond(). */
static inline bool test_ev_run_until(struct ev_loop *loop, bool (*cond)(void), double secs)
{
	ev_timer tick;
	double end = ev_time() + secs;

	ev_timer_init(&tick, test_ev_tick_cb, 0.01, 0.01);
	ev_timer_start(loop, &tick);
	while (!cond() && ev_time() < end)
		ev_run(loop, 0);
	ev_timer_stop(loop, &tick);
	return cond();
}

/* The session of a test peer dialling the weftd b (AS 64512, listening on 127.0.0.1): from src,
 * AS as, router id id, every family, hold time 9 s. Callers add graceful restart. */
static inline struct bgp_session_conf test_peer_conf(const struct bgp *b, const char *src, uint32_t as, uint32_t id)
{
	struct bgp_session_conf c = {
		.fsm = { .local_as = as, .peer_as = 64512, .local_id = id, .hold_time = 9, .connect_retry_time = 5,
			 .afs = BGP_AF_ALL },
		.peer = addr("127.0.0.1"),
		.local = addr(src),
		.port = bgp_listen_port(b, AF_INET),
	};

	return c;
}

#endif
