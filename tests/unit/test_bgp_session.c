/* The BGP transport (daemon/bgp_session.c) over loopback TCP, no root needed: two speakers in one
 * process, each with a listener on 127.0.0.1, find each other (collision included), exchange an
 * UPDATE, stop with a Cease; TCP MD5 keys that match and that don't; GTSM on both sides and on
 * one; a peer that vanishes; a refused connection retried with backoff. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/bgp_session.h"
#include "daemon/log.h"
#include "test_bgp_util.h"

struct side {
	struct bgp_session *s;
	struct bgp_listener *l;
	int established, downs;
	bool keep_stale;
	char updates[512];
};

static struct ev_loop *loop;
static struct side A, B;

static void on_established(void *ctx, struct bgp_session *s)
{
	((struct side *)ctx)->established++;
}

static void on_down(void *ctx, struct bgp_session *s, bool keep_stale)
{
	struct side *x = ctx;

	x->downs++;
	x->keep_stale = keep_stale;
}

static void on_update(void *ctx, struct bgp_session *s, const struct bgp_update *u, const struct bgp_err *e)
{
	struct side *x = ctx;

	for (size_t i = 0; i < u->n_lists; i++)
		for (size_t j = 0; j < u->lists[i].n; j++) {
			char p[INET_PREFIXSTR];
			size_t off = strlen(x->updates);

			inet_prefix_fmt(&u->lists[i].pfx[j], p, sizeof(p));
			snprintf(x->updates + off, sizeof(x->updates) - off, "%s%c%s", off ? " " : "",
				 u->lists[i].withdraw ? '-' : '+', p);
		}
}

static const struct bgp_session_ops ops = {
	.established = on_established, .down = on_down, .update = on_update,
};

static struct bgp_session *lookup(void *ctx, const struct inet_addr *peer)
{
	return ((struct side *)ctx)->s;
}

static int setup(void **state)
{
	struct inet_addr lo = addr("127.0.0.1");

	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	log_set_level(LOG_LEVEL_ERROR);
	assert_int_equal(bgp_listener_new(loop, &lo, 0, lookup, &A, &A.l), 0);
	assert_int_equal(bgp_listener_new(loop, &lo, 0, lookup, &B, &B.l), 0);
	return 0;
}

static int teardown(void **state)
{
	bgp_session_free(A.s);
	bgp_session_free(B.s);
	bgp_listener_free(A.l);
	bgp_listener_free(B.l);
	ev_loop_destroy(loop);
	return 0;
}

/* x's session towards the other side's listener. */
static void make(struct side *x, const struct side *other, uint32_t id, bool passive,
		 const char *md5, unsigned ttl_hops)
{
	struct bgp_session_conf c = {
		.fsm = {
			.local_as = 64512, .peer_as = 64512, .local_id = id, .hold_time = 9,
			.connect_retry_time = 5, .afs = BGP_AF_ALL, .gr = true, .gr_time = 30,
			.passive = passive,
		},
		.peer = addr("127.0.0.1"),
		.port = bgp_listener_port(other->l),
		.ttl_hops = ttl_hops,
	};

	snprintf(c.md5_key, sizeof(c.md5_key), "%s", md5 ? md5 : "");
	assert_int_equal(bgp_session_new(loop, &c, &ops, x, &x->s), 0);
	if (md5)
		assert_int_equal(bgp_listener_md5(x->l, &c.peer, md5), 0);
}

static bool both_established(void)
{
	return bgp_session_fsm(A.s)->state == BGP_ESTABLISHED && bgp_session_fsm(B.s)->state == BGP_ESTABLISHED;
}

static bool b_has_update(void)
{
	return B.updates[0] != '\0';
}

static bool b_down(void)
{
	return B.downs > 0;
}

static bool a_down(void)
{
	return A.downs > 0;
}

static bool never(void)
{
	return false;
}

static bool md5_supported(void)
{
	struct tcp_md5sig md = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	md.tcpm_addr.ss_family = AF_INET;
	md.tcpm_keylen = 1;
	r = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md, sizeof(md));
	close(fd);
	return r == 0;
}

static void both_active_collide_then_talk(void **state)
{
	struct inet_prefix p = pfx("10.244.1.0/24");
	struct bgp_attrs a = { 0 };
	uint8_t m[BGP_MAX_LEN];
	size_t used;
	int n;

	make(&A, &B, 0x0a000001, false, NULL, 0);
	make(&B, &A, 0x0a000002, false, NULL, 0);
	bgp_session_start(A.s);
	bgp_session_start(B.s);
	assert_true(test_ev_run_until(loop, both_established, 5));
	assert_int_equal(A.established, 1);
	assert_int_equal(B.established, 1);
	/* One TCP connection survives: B (the higher identifier) keeps the one it opened. */
	assert_int_equal(bgp_session_fsm(B.s)->est, BGP_CONN_OUT);
	assert_int_equal(bgp_session_fsm(A.s)->est, BGP_CONN_IN);

	/* A announces a prefix; B gets it. */
	a.present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a.nexthop = addr("10.99.0.1"); /* 127/8 is no next hop (RFC 4271 §6.3) */
	n = bgp_update_encode_announce(&bgp_session_fsm(A.s)->neg, &a, BGP_AF_IPV4, &p, 1, m, sizeof(m), &used);
	assert_true(n > 0);
	assert_int_equal(bgp_session_send(A.s, m, (size_t)n), 0);
	assert_true(test_ev_run_until(loop, b_has_update, 5));
	assert_string_equal(B.updates, "+10.244.1.0/24");

	/* A stops with a message: B learns why, its routes go. */
	bgp_session_stop(A.s, true, BGP_CEASE_SHUTDOWN, "test over");
	assert_true(test_ev_run_until(loop, b_down, 5));
	assert_false(B.keep_stale);
	assert_string_equal(bgp_session_fsm(B.s)->last_error,
			    "received Cease/Administrative Shutdown: \"test over\"");
	assert_int_equal(bgp_session_fsm(A.s)->state, BGP_IDLE);
}

static void md5_keys(void **state)
{
	if (!md5_supported()) {
		skip(); /* kernel without CONFIG_TCP_MD5SIG */
		return;
	}
	make(&A, &B, 0x0a000001, true, "s3cret", 0);
	make(&B, &A, 0x0a000002, false, "s3cret", 0);
	bgp_session_start(A.s);
	bgp_session_start(B.s);
	assert_true(test_ev_run_until(loop, both_established, 5));
}

static void md5_mismatch(void **state)
{
	if (!md5_supported()) {
		skip();
		return;
	}
	/* Segments signed with the wrong key are dropped by the kernel: nothing gets through. */
	make(&A, &B, 0x0a000001, true, "one", 0);
	make(&B, &A, 0x0a000002, false, "two", 0);
	bgp_session_start(A.s);
	bgp_session_start(B.s);
	test_ev_run_until(loop, never, 1.5);
	assert_true(bgp_session_fsm(A.s)->state < BGP_OPENSENT);
	assert_true(bgp_session_fsm(B.s)->state < BGP_OPENCONFIRM);
}

static void gtsm(void **state)
{
	/* Both sides: TTL 255 sent, 255 required: fine over loopback. */
	make(&A, &B, 0x0a000001, true, NULL, 1);
	make(&B, &A, 0x0a000002, false, NULL, 1);
	bgp_session_start(A.s);
	bgp_session_start(B.s);
	assert_true(test_ev_run_until(loop, both_established, 5));
	bgp_session_free(A.s);
	bgp_session_free(B.s);
	A.s = B.s = NULL;
	A.established = B.established = 0;

	/* Only A requires TTL 255; B sends the default TTL. The minimum applies from accept()
	 * on, so B's first segments (its OPEN, already queued) may get through, but its KEEPALIVE
	 * is dropped: A never reaches Established. */
	make(&A, &B, 0x0a000001, true, NULL, 1);
	make(&B, &A, 0x0a000002, false, NULL, 0);
	bgp_session_start(A.s);
	bgp_session_start(B.s);
	test_ev_run_until(loop, never, 1.5);
	assert_true(bgp_session_fsm(A.s)->state == BGP_OPENSENT ||
		    bgp_session_fsm(A.s)->state == BGP_OPENCONFIRM);
	assert_int_equal(A.established, 0);
}

static void peer_vanishes(void **state)
{
	make(&A, &B, 0x0a000001, false, NULL, 0);
	make(&B, &A, 0x0a000002, false, NULL, 0);
	bgp_session_start(A.s);
	bgp_session_start(B.s);
	assert_true(test_ev_run_until(loop, both_established, 5));
	/* B disappears without a NOTIFICATION (kill -9): A sees the TCP close and, since B
	 * advertised graceful restart, keeps its routes as stale (RFC 4724 §4.2). */
	bgp_session_free(B.s);
	B.s = NULL;
	assert_true(test_ev_run_until(loop, a_down, 5));
	assert_true(A.keep_stale);
	assert_int_equal(bgp_session_fsm(A.s)->state, BGP_IDLE);
}

static bool a_retried(void)
{
	return bgp_session_fsm(A.s)->fails >= 2;
}

static void refused_connection_retries(void **state)
{
	/* Nothing listens on B's port: A is refused, waits ~1 s (jittered), tries again. */
	make(&A, &B, 0x0a000001, false, NULL, 0);
	bgp_listener_free(B.l);
	B.l = NULL;
	bgp_session_start(A.s);
	assert_true(test_ev_run_until(loop, a_retried, 5));
	assert_true(bgp_session_fsm(A.s)->state == BGP_ACTIVE || bgp_session_fsm(A.s)->state == BGP_CONNECT);
}

static void bad_configuration(void **state)
{
	struct bgp_session_conf c = { .fsm = { .local_as = 1, .peer_as = 2, .local_id = 3 } };
	struct bgp_session *s;
	struct inet_addr none = { 0 };
	struct bgp_listener *l;

	/* No peer address. */
	assert_int_equal(bgp_session_new(loop, &c, &ops, NULL, &s), -EINVAL);
	assert_null(s);
	c.peer = addr("127.0.0.1");
	c.local = addr("::1");
	assert_int_equal(bgp_session_new(loop, &c, &ops, NULL, &s), -EINVAL);
	c.local.family = 0;
	c.fsm.hold_time = 2;
	assert_int_equal(bgp_session_new(loop, &c, &ops, NULL, &s), -EINVAL);
	c.fsm.hold_time = 90;
	c.ttl_hops = 255;
	assert_int_equal(bgp_session_new(loop, &c, &ops, NULL, &s), -EINVAL);
	c.ttl_hops = 0;
	assert_int_equal(bgp_session_new(loop, &c, &ops, NULL, &s), 0);
	assert_int_equal(bgp_session_conf(s)->port, BGP_PORT);
	bgp_session_free(s);
	bgp_session_free(NULL);
	assert_int_equal(bgp_listener_new(loop, &none, 0, lookup, NULL, &l), -EINVAL);
	bgp_listener_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(both_active_collide_then_talk),
		T(md5_keys),
		T(md5_mismatch),
		T(gtsm),
		T(peer_vanishes),
		T(refused_connection_retries),
		T(bad_configuration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
