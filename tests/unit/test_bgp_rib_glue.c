/* weftd's BGP speaker (daemon/bgp.c) between real sessions and the real RIB (daemon/rib.c), over
 * loopback TCP without root: test peers (bgp_session, the transport weftd itself uses) dial weftd's
 * listener as 127.0.0.2 (internal) and 127.0.0.3 (external), receive our pod CIDRs and End-of-RIB,
 * and send UPDATEs written byte by byte; the RIB must then hold exactly the right paths with their
 * decision inputs. Withdrawals, RFC 7606 treat-as-withdraw and session reset, loops, RFC 8212,
 * graceful restart (stale paths, End-of-RIB sweep, restart timer), route refresh, our own graceful
 * shutdown, the API views, and 10,000 routes from one peer. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ev.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/bgp.h"
#include "daemon/bgp_session.h"
#include "daemon/log.h"
#include "daemon/rib.h"
#include "test_bgp_util.h"

/* A test peer: what it got from weftd, as text ("+10.244.1.0/24@192.0.2.1 eor:ipv4-unicast"). */
struct tpeer {
	struct bgp_session *s;
	int established, downs;
	bool keep_stale;
	char got[2048];
	char aspath[64];          /* of the last announcement */
	uint32_t originator;      /* its ORIGINATOR_ID, 0 if none */
	uint32_t cluster[4];      /* its CLUSTER_LIST */
	size_t n_cluster;
	size_t announced;         /* prefixes announced to it in total */
};

static struct ev_loop *loop;
static struct rib *rib;
static struct bgp *B;
static struct bgp_conf conf;
static struct bgp_local local;
static struct tpeer T1, T2;
static int synced_calls, rib_changes;

static void t_established(void *ctx, struct bgp_session *s)
{
	((struct tpeer *)ctx)->established++;
}

static void t_down(void *ctx, struct bgp_session *s, bool keep_stale)
{
	struct tpeer *t = ctx;

	t->downs++;
	t->keep_stale = keep_stale;
}

/* Append "<sep><a><b>" to what t got. */
static void got_add(struct tpeer *t, const char *a, const char *b)
{
	size_t off = strlen(t->got);

	snprintf(t->got + off, sizeof(t->got) - off, "%s%s%s", off ? " " : "", a, b);
}

static void t_update(void *ctx, struct bgp_session *s, const struct bgp_update *u, const struct bgp_err *e)
{
	struct tpeer *t = ctx;
	char p[INET_PREFIXSTR], nh[INET_ADDRSTR], w[INET_PREFIXSTR + 2];

	if (u->eor >= 0) {
		got_add(t, "eor:", bgp_af_name((enum bgp_af)u->eor));
		return;
	}
	for (size_t i = 0; i < u->n_lists; i++)
		for (size_t j = 0; j < u->lists[i].n; j++) {
			inet_prefix_fmt(&u->lists[i].pfx[j], p, sizeof(p));
			if (u->lists[i].withdraw) {
				got_add(t, "-", p);
				continue;
			}
			inet_addr_fmt(&u->lists[i].nh, nh, sizeof(nh));
			snprintf(w, sizeof(w), "+%s@", p);
			got_add(t, w, nh);
			t->announced++;
			bgp_aspath_fmt(u->attrs.aspath, u->attrs.aspath_len, t->aspath, sizeof(t->aspath));
			t->originator = bgp_attrs_has(&u->attrs, BGP_ATTR_ORIGINATOR_ID) ? u->attrs.originator_id : 0;
			t->n_cluster = u->attrs.n_cluster_list < 4 ? u->attrs.n_cluster_list : 4;
			if (t->n_cluster)
				memcpy(t->cluster, u->attrs.cluster_list, t->n_cluster * sizeof(uint32_t));
		}
}

static const struct bgp_session_ops tops = { .established = t_established, .down = t_down, .update = t_update };

static void on_synced(void *arg)
{
	synced_calls++;
}

static void on_rib_change(void *arg, const struct inet_prefix *prefix, const struct rib_path *best)
{
	rib_changes++;
}

static bool never(void)
{
	return false;
}

/* weftd's side: AS 64512, router id 10.0.0.1, node 192.0.2.1 / 2001:db8::1 with two pod CIDRs;
 * peer 1 is 127.0.0.2 in our AS, peer 2 is 127.0.0.3 in AS 65000 (both passive: they dial). */
static void conf_default(void)
{
	struct bgp_peer_conf *p;

	memset(&conf, 0, sizeof(conf));
	conf.enabled = true;
	conf.asn = 64512;
	conf.router_id = 0x0a000001;
	conf.listen_port = 0;
	conf.n_listen = 1;
	conf.listen[0] = addr("127.0.0.1");
	conf.hold_time = 9;
	conf.connect_retry = 5;
	conf.gr = true;
	conf.gr_time = 30;
	conf.n_peers = 2;
	for (int i = 0; i < 2; i++) {
		p = &conf.peers[i];
		p->address = addr(i ? "127.0.0.3" : "127.0.0.2");
		p->asn = i ? 65000 : 64512;
		p->port = BGP_PORT;
		p->passive = true;
		p->hold_time = 9;
		p->connect_retry = 5;
		p->afs = BGP_AF_ALL;
		p->enforce_first_as = true;
	}
	memset(&local, 0, sizeof(local));
	local.addr4 = addr("192.0.2.1");
	local.addr6 = addr("2001:db8::1");
	local.n_prefixes = 2;
	local.prefixes[0] = pfx("fd00:10:244:1::/64");
	local.prefixes[1] = pfx("10.244.1.0/24");
}

static void bgp_up(void)
{
	struct bgp_hooks hooks = { .synced = on_synced };
	char err[256];

	if (bgp_new(loop, &conf, &local, rib, &hooks, &B, err, sizeof(err)) < 0)
		fail_msg("bgp_new: %s", err);
	bgp_start(B);
}

static int setup(void **state)
{
	memset(&T1, 0, sizeof(T1));
	memset(&T2, 0, sizeof(T2));
	synced_calls = rib_changes = 0;
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(loop);
	log_set_level(LOG_LEVEL_ERROR);
	assert_int_equal(rib_new(&rib), 0);
	assert_int_equal(rib_subscribe(rib, on_rib_change, NULL), 0);
	conf_default();
	return 0;
}

static int teardown(void **state)
{
	bgp_session_free(T1.s);
	bgp_session_free(T2.s);
	bgp_free(B);
	B = NULL;
	rib_free(rib);
	ev_loop_destroy(loop);
	return 0;
}

/* Test peer t from src (AS as) dialling weftd; gr: it advertises graceful restart for gr_time. */
static void tpeer_start(struct tpeer *t, const char *src, uint32_t as, uint32_t id, bool gr, unsigned gr_time)
{
	struct bgp_session_conf c = test_peer_conf(B, src, as, id);

	c.fsm.gr = gr;
	c.fsm.gr_time = (uint16_t)gr_time;
	c.fsm.gr_fwd = gr ? BGP_AF_ALL : 0;
	t->got[0] = '\0';
	t->announced = 0;
	assert_int_equal(bgp_session_new(loop, &c, &tops, t, &t->s), 0);
	bgp_session_start(t->s);
}

static struct tpeer *waiting;
static bool t_has_eors(void)
{
	return strstr(waiting->got, "eor:ipv4-unicast") && strstr(waiting->got, "eor:ipv6-unicast");
}

/* Start t and wait until weftd sent it everything (both End-of-RIB markers). */
static void tpeer_up(struct tpeer *t, const char *src, uint32_t as, uint32_t id, bool gr, unsigned gr_time)
{
	tpeer_start(t, src, as, id, gr, gr_time);
	waiting = t;
	if (!test_ev_run_until(loop, t_has_eors, 5))
		fail_msg("test peer %s: no End-of-RIB from weftd; got \"%s\", state %s", src, t->got,
			 bgp_state_name(bgp_session_fsm(t->s)->state));
}

static void tsend(struct tpeer *t, const uint8_t *m, size_t n)
{
	assert_int_equal(bgp_session_send(t->s, m, n), 0);
}

/* An UPDATE in hex from t; then the loop runs long enough for weftd to have processed it. */
static void tupdate(struct tpeer *t, const char *withdrawn, const char *attrs, const char *nlri)
{
	uint8_t m[BGP_MAX_LEN];

	tsend(t, m, update_hex(m, sizeof(m), withdrawn, attrs, nlri));
	test_ev_run_until(loop, never, 0.15);
}

static const struct rib_path *best(const char *p)
{
	struct inet_prefix x = pfx(p);

	return rib_best(rib, &x);
}

#define ATTRS_IBGP "40 01 01 00  40 02 00  40 03 04 c0 00 02 02"
#define NLRI_2 "18 0a f4 02"                                  /* 10.244.2.0/24 */
#define NLRI_3 "18 0a f4 03"                                  /* 10.244.3.0/24 */
/* MP_REACH IPv6: next hop 2001:db8::2, fd00:10:244:2::/64 */
#define MP_REACH_2 "90 0e 00 1e 00 02 01 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02 00 40 fd 00 00 10 02 44 00 02"
#define MP_UNREACH_2 "90 0f 00 0c 00 02 01 40 fd 00 00 10 02 44 00 02"

static void announce_and_learn(void **state)
{
	const struct rib_path *r;
	char nh[INET_ADDRSTR];

	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	/* Our pod CIDRs with the node's addresses as next hops, then End-of-RIB (RFC 4724 §2). */
	assert_string_equal(T1.got, "+10.244.1.0/24@192.0.2.1 eor:ipv4-unicast +fd00:10:244:1::/64@2001:db8::1 "
				    "eor:ipv6-unicast");
	assert_string_equal(T1.aspath, ""); /* internal peer: empty AS_PATH */

	/* An IPv4 route with LOCAL_PREF 200 and MED 5. */
	tupdate(&T1, "", ATTRS_IBGP " 80 04 04 00 00 00 05  40 05 04 00 00 00 c8", NLRI_2);
	r = best("10.244.2.0/24");
	assert_non_null(r);
	assert_int_equal(r->source, 1);
	assert_string_equal(inet_addr_fmt(&r->nexthop, nh, sizeof(nh)), "192.0.2.2");
	assert_int_equal(r->local_pref, 200);
	assert_int_equal(r->med, 5);
	assert_int_equal(r->as_path_len, 0);
	assert_int_equal(r->neighbor_as, 64512); /* originated in our AS */
	assert_false(r->ebgp);
	assert_int_equal(r->router_id, 0x0a000002);
	assert_false(r->stale);
	/* An IPv6 route in MP_REACH. */
	tupdate(&T1, "", MP_REACH_2 " 40 01 01 00 40 02 00", "");
	r = best("fd00:10:244:2::/64");
	assert_non_null(r);
	assert_string_equal(inet_addr_fmt(&r->nexthop, nh, sizeof(nh)), "2001:db8::2");
	assert_int_equal(r->local_pref, 100);
	/* Withdrawn: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH. */
	tupdate(&T1, NLRI_2, "", "");
	assert_null(best("10.244.2.0/24"));
	assert_non_null(best("fd00:10:244:2::/64"));
	tupdate(&T1, "", MP_UNREACH_2, "");
	assert_null(best("fd00:10:244:2::/64"));
	assert_int_equal(rib_prefix_count(rib), 0);
}

static bool t1_down(void)
{
	return T1.downs > 0;
}

static void rfc7606_and_reset(void **state)
{
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	tpeer_up(&T2, "127.0.0.3", 65000, 0x0a000003, false, 0);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2 NLRI_3);
	assert_non_null(best("10.244.2.0/24"));
	/* ORIGIN 5: treat-as-withdraw (RFC 7606 §7.1): the copy already installed goes, the session
	 * stays. */
	tupdate(&T1, "", "40 01 01 05  40 02 00  40 03 04 c0 00 02 02", NLRI_2);
	assert_null(best("10.244.2.0/24"));
	assert_non_null(best("10.244.3.0/24"));
	assert_int_equal(bgp_session_fsm(T1.s)->state, BGP_ESTABLISHED);
	/* MP_REACH with wrong flags (not optional): session reset with 3/4 and the attribute. */
	tupdate(&T1, "", "40 0e 00 1e 00 02 01 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02 00 40 fd 00 00 10 02 44 00 02"
		     " 40 01 01 00 40 02 00", "");
	assert_true(test_ev_run_until(loop, t1_down, 5));
	assert_non_null(strstr(bgp_session_fsm(T1.s)->last_error, "received UPDATE Message Error/Attribute Flags Error"));
	/* Its routes went with it, and the other peer is still served. */
	assert_null(best("10.244.3.0/24"));
	assert_int_equal(bgp_session_fsm(T2.s)->state, BGP_ESTABLISHED);
}

static void loops_and_own_routes(void **state)
{
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	/* ORIGINATOR_ID is our router id (RFC 4456 §8): a loop, not installed. */
	tupdate(&T1, "", ATTRS_IBGP " 80 09 04 0a 00 00 01", NLRI_2);
	assert_null(best("10.244.2.0/24"));
	/* Next hop is this node. */
	tupdate(&T1, "", "40 01 01 00  40 02 00  40 03 04 c0 00 02 01", NLRI_2);
	assert_null(best("10.244.2.0/24"));
	/* Our own pod CIDR, from someone else. */
	tupdate(&T1, "", ATTRS_IBGP, "18 0a f4 01");
	assert_null(best("10.244.1.0/24"));
	/* Our AS in the path (RFC 4271 §9.1.2). */
	tupdate(&T1, "", "40 01 01 00  40 02 06 02 01 00 00 fc 00  40 03 04 c0 00 02 02", NLRI_2);
	assert_null(best("10.244.2.0/24"));
	/* ORIGINATOR_ID of someone else: installed, and it is the tie-breaker id (RFC 4456 §9). */
	tupdate(&T1, "", ATTRS_IBGP " 80 09 04 0a 00 00 09 80 0a 04 01 01 01 01", NLRI_2);
	assert_non_null(best("10.244.2.0/24"));
	assert_int_equal(best("10.244.2.0/24")->router_id, 0x0a000009);
}

static void ebgp_policy(void **state)
{
	json_t *j, *p;

	/* RFC 8212: neither taken from nor sent to an eBGP peer without policy. */
	bgp_up();
	tpeer_up(&T2, "127.0.0.3", 65000, 0x0a000003, false, 0);
	assert_string_equal(T2.got, "eor:ipv4-unicast eor:ipv6-unicast");
	tupdate(&T2, "", "40 01 01 00  40 02 06 02 01 00 00 fd e8  40 03 04 c0 00 02 03", NLRI_2 NLRI_3);
	assert_int_equal(rib_prefix_count(rib), 0);
	j = bgp_peers_json(B);
	p = json_array_get(json_object_get(j, "peers"), 1);
	assert_string_equal(json_string_value(json_object_get(p, "type")), "ebgp");
	assert_int_equal(json_integer_value(json_object_get(p, "prefixes_filtered")), 2);
	assert_int_equal(json_integer_value(json_object_get(p, "prefixes_received")), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "prefixes_sent")), 0);
	json_decref(j);
	bgp_session_free(T2.s);
	T2.s = NULL;
	bgp_free(B);
	B = NULL;

	/* With acceptAll and exportPodCIDRs: our AS first in the path, the peer's routes taken
	 * with the eBGP decision inputs. */
	conf.peers[1].accept_all = conf.peers[1].export_pod_cidrs = true;
	bgp_up();
	memset(&T2, 0, sizeof(T2));
	tpeer_up(&T2, "127.0.0.3", 65000, 0x0a000003, false, 0);
	assert_string_equal(T2.aspath, "64512");
	assert_int_equal(T2.announced, 2);
	/* LOCAL_PREF from an external peer is discarded (RFC 7606 §7.5). */
	tupdate(&T2, "", "40 01 01 00  40 02 06 02 01 00 00 fd e8  40 03 04 c0 00 02 03  40 05 04 00 00 01 00", NLRI_2);
	assert_non_null(best("10.244.2.0/24"));
	assert_true(best("10.244.2.0/24")->ebgp);
	assert_int_equal(best("10.244.2.0/24")->neighbor_as, 65000);
	assert_int_equal(best("10.244.2.0/24")->as_path_len, 1);
	assert_int_equal(best("10.244.2.0/24")->local_pref, 100);
	/* A path that does not start with the peer's AS: treat-as-withdraw (enforceFirstAs). */
	tupdate(&T2, "", "40 01 01 00  40 02 06 02 01 00 00 fd e9  40 03 04 c0 00 02 03", NLRI_2);
	assert_null(best("10.244.2.0/24"));
}

static bool t1_eor_again(void)
{
	return strstr(T1.got, "+10.244.1.0/24") != NULL;
}

static void route_refresh(void **state)
{
	uint8_t m[64];
	int n;

	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	T1.got[0] = '\0';
	n = bgp_refresh_encode(m, sizeof(m), BGP_AF_IPV4);
	assert_true(n > 0);
	tsend(&T1, m, (size_t)n);
	assert_true(test_ev_run_until(loop, t1_eor_again, 3));
	assert_string_equal(T1.got, "+10.244.1.0/24@192.0.2.1");
}

static void graceful_restart_helper(void **state)
{
	const struct rib_path *r;
	json_t *j;

	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2 NLRI_3);
	assert_int_equal(rib_prefix_count(rib), 2);
	/* The peer vanishes without NOTIFICATION: it restarts (RFC 4724 §4.2). Its routes stay,
	 * marked stale, and keep forwarding. */
	bgp_session_free(T1.s);
	T1.s = NULL;
	test_ev_run_until(loop, never, 0.3);
	r = best("10.244.2.0/24");
	assert_non_null(r);
	assert_true(r->stale);
	assert_true(best("10.244.3.0/24")->stale);
	j = bgp_peers_json(B);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
				 json_array_get(json_object_get(j, "peers"), 0), "graceful_restart"), "stale_routes")), 2);
	json_decref(j);
	/* It comes back and announces one of the two again: that one is fresh; End-of-RIB sweeps
	 * the other. */
	memset(&T1, 0, sizeof(T1));
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2);
	assert_false(best("10.244.2.0/24")->stale);
	assert_true(best("10.244.3.0/24")->stale);
	tupdate(&T1, "", "", ""); /* End-of-RIB for IPv4 */
	assert_null(best("10.244.3.0/24"));
	assert_non_null(best("10.244.2.0/24"));
}

static bool rib_empty(void)
{
	return rib_prefix_count(rib) == 0;
}

static void graceful_restart_timer(void **state)
{
	bgp_up();
	/* A restart time of 1 s: gone after it. */
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 1);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2);
	bgp_session_free(T1.s);
	T1.s = NULL;
	test_ev_run_until(loop, never, 0.3);
	assert_int_equal(rib_prefix_count(rib), 1);
	assert_true(test_ev_run_until(loop, rib_empty, 3));

	/* Without the capability the routes go at once. */
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2);
	bgp_session_free(T1.s);
	T1.s = NULL;
	assert_true(test_ev_run_until(loop, rib_empty, 1));
}

static void graceful_restart_off(void **state)
{
	/* gracefulRestart.enabled false: no helper either. */
	conf.gr = false;
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2);
	assert_false(bgp_session_fsm(T1.s)->peer.caps.gr);
	bgp_session_free(T1.s);
	T1.s = NULL;
	assert_true(test_ev_run_until(loop, rib_empty, 1));
}

static bool t1_down_or_never(void)
{
	return T1.downs > 0;
}

static void our_graceful_shutdown(void **state)
{
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	tupdate(&T1, "", ATTRS_IBGP, NLRI_2);
	/* SIGTERM with graceful restart: no Cease, so the peer keeps our routes; ours stay too. */
	bgp_shutdown(B, true, "weftd stopping");
	assert_true(test_ev_run_until(loop, t1_down_or_never, 3));
	assert_true(T1.keep_stale);
	assert_string_equal(bgp_session_fsm(T1.s)->last_error, "");
	assert_non_null(best("10.244.2.0/24"));
	assert_false(best("10.244.2.0/24")->stale);
}

static void our_shutdown_with_cease(void **state)
{
	conf.gr = false;
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	bgp_shutdown(B, true, "weftd stopping");
	assert_true(test_ev_run_until(loop, t1_down_or_never, 3));
	assert_false(T1.keep_stale);
	assert_string_equal(bgp_session_fsm(T1.s)->last_error,
			    "received Cease/Administrative Shutdown: \"weftd stopping\"");
}

static bool synced(void)
{
	return synced_calls > 0;
}

static void restarting_speaker(void **state)
{
	/* The data path survived: OPEN with the R bit and the F bits until every peer sent
	 * End-of-RIB; then synced, once. */
	local.restarting = true;
	conf.n_peers = 1;
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	assert_true(bgp_session_fsm(T1.s)->peer.caps.gr_flags & BGP_GR_RESTART);
	assert_int_equal(bgp_session_fsm(T1.s)->peer.caps.gr_fwd, BGP_AF_ALL);
	assert_false(bgp_synced(B));
	tupdate(&T1, "", "", "");
	assert_false(bgp_synced(B)); /* IPv6 still to come */
	tupdate(&T1, "", "90 0f 00 03 00 02 01", "");
	assert_true(test_ev_run_until(loop, synced, 1));
	assert_true(bgp_synced(B));
	assert_int_equal(synced_calls, 1);
	/* Later OPENs: no R bit. */
	bgp_session_free(T1.s);
	memset(&T1, 0, sizeof(T1));
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, true, 30);
	assert_false(bgp_session_fsm(T1.s)->peer.caps.gr_flags & BGP_GR_RESTART);
	assert_int_equal(synced_calls, 1);
}

static void api_views(void **state)
{
	/* One page of them all (test_bgp_routes.c walks the pages). */
	static const struct bgp_routes_query all_routes = { .limit = BGP_ROUTES_LIMIT_MAX };
	json_t *j, *routes, *r, *peers, *p;

	conf.peers[1].accept_all = true;
	bgp_up();
	/* Nothing yet; and without BGP, the RIB alone. */
	j = bgp_routes_json(B, rib, &all_routes);
	assert_int_equal(json_array_size(json_object_get(j, "routes")), 0);
	json_decref(j);
	j = bgp_routes_json(NULL, rib, &all_routes);
	assert_int_equal(json_integer_value(json_object_get(j, "prefixes")), 0);
	json_decref(j);
	j = bgp_peers_json(NULL);
	assert_true(json_is_null(json_object_get(j, "local")));
	json_decref(j);
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	tpeer_up(&T2, "127.0.0.3", 65000, 0x0a000003, false, 0);
	/* The same prefix from both, with paths of two ASes and one: the shorter wins (RFC 4271
	 * 9.1.2.2 a). */
	tupdate(&T1, "", "40 01 01 00  40 02 0a 02 02 00 00 fd e9 00 00 fd ea  40 03 04 c0 00 02 02", NLRI_2);
	tupdate(&T2, "", "40 01 01 00  40 02 06 02 01 00 00 fd e8  40 03 04 c0 00 02 03  80 04 04 00 00 00 07"
		     "  c0 08 04 fd e8 00 64", NLRI_2);
	j = bgp_routes_json(B, rib, &all_routes);
	assert_non_null(j);
	routes = json_object_get(j, "routes");
	assert_int_equal(json_array_size(routes), 2);
	r = json_array_get(routes, 0);
	assert_string_equal(json_string_value(json_object_get(r, "prefix")), "10.244.2.0/24");
	assert_string_equal(json_string_value(json_object_get(r, "from")), "127.0.0.3");
	assert_string_equal(json_string_value(json_object_get(r, "next_hop")), "192.0.2.3");
	assert_true(json_is_true(json_object_get(r, "best")));
	assert_string_equal(json_string_value(json_object_get(r, "as_path")), "65000");
	assert_int_equal(json_integer_value(json_object_get(r, "med")), 7);
	assert_string_equal(json_string_value(json_object_get(r, "origin")), "igp");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "communities"), 0)), "65000:100");
	r = json_array_get(routes, 1);
	assert_string_equal(json_string_value(json_object_get(r, "from")), "127.0.0.2");
	assert_true(json_is_false(json_object_get(r, "best")));
	assert_string_equal(json_string_value(json_object_get(r, "next_hop")), "192.0.2.2");
	assert_string_equal(json_string_value(json_object_get(r, "as_path")), "65001 65002");
	json_decref(j);

	j = bgp_peers_json(B);
	peers = json_object_get(j, "peers");
	assert_int_equal(json_array_size(peers), 2);
	p = json_array_get(peers, 0);
	assert_string_equal(json_string_value(json_object_get(p, "address")), "127.0.0.2");
	assert_string_equal(json_string_value(json_object_get(p, "state")), "Established");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "ibgp");
	assert_string_equal(json_string_value(json_object_get(p, "router_id")), "10.0.0.2");
	assert_int_equal(json_integer_value(json_object_get(p, "prefixes_received")), 1);
	assert_int_equal(json_integer_value(json_object_get(p, "prefixes_sent")), 2);
	assert_int_equal(json_integer_value(json_object_get(p, "hold_time")), 9);
	assert_int_equal(json_array_size(json_object_get(p, "end_of_rib_sent")), 2);
	assert_true(json_is_integer(json_object_get(p, "uptime_s")));
	p = json_object_get(j, "local");
	assert_string_equal(json_string_value(json_object_get(p, "router_id")), "10.0.0.1");
	assert_int_equal(json_array_size(json_object_get(p, "announced")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "announced"), 0)), "10.244.1.0/24");
	json_decref(j);
}

static bool t2_got_2(void)
{
	return strstr(T2.got, "10.244.2.0/24") != NULL;
}

static bool t1_got_3(void)
{
	return strstr(T1.got, "10.244.3.0/24") != NULL;
}

static void route_reflection(void **state)
{
	/* Peer 1 is our route reflector client, peer 2 an internal non-client (RFC 4456). */
	conf.peers[0].rr_client = true;
	conf.peers[1].asn = 64512;
	conf.cluster_id = 0x0a0000ff;
	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	tpeer_up(&T2, "127.0.0.3", 64512, 0x0a000003, false, 0);
	T1.got[0] = T2.got[0] = '\0';
	/* The client's route goes to the non-client, next hop unchanged, ORIGINATOR_ID the client,
	 * our cluster id in CLUSTER_LIST; not back to the client. */
	tupdate(&T1, "", ATTRS_IBGP " 40 05 04 00 00 00 c8", NLRI_2);
	assert_true(test_ev_run_until(loop, t2_got_2, 2));
	assert_string_equal(T2.got, "+10.244.2.0/24@192.0.2.2");
	assert_int_equal(T2.originator, 0x0a000002);
	assert_int_equal(T2.n_cluster, 1);
	assert_int_equal(T2.cluster[0], 0x0a0000ff);
	assert_string_equal(T1.got, "");
	/* The non-client's route goes to the client. */
	tupdate(&T2, "", "40 01 01 00  40 02 00  40 03 04 c0 00 02 03", NLRI_3);
	assert_true(test_ev_run_until(loop, t1_got_3, 2));
	assert_string_equal(T1.got, "+10.244.3.0/24@192.0.2.3");
	assert_int_equal(T1.originator, 0x0a000003);
	assert_string_equal(T2.got, "+10.244.2.0/24@192.0.2.2");
	/* Withdrawn at the source: withdrawn where it was reflected. */
	tupdate(&T1, NLRI_2, "", "");
	assert_string_equal(T2.got, "+10.244.2.0/24@192.0.2.2 -10.244.2.0/24");
	/* A client that comes back gets what is reflected to it before its End-of-RIB. */
	bgp_session_free(T1.s);
	T1.s = NULL;
	test_ev_run_until(loop, never, 0.3);
	memset(&T1, 0, sizeof(T1));
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	assert_string_equal(T1.got, "+10.244.1.0/24@192.0.2.1 +10.244.3.0/24@192.0.2.3 eor:ipv4-unicast "
				    "+fd00:10:244:1::/64@2001:db8::1 eor:ipv6-unicast");
}

static size_t many_expected;
static bool many_in_rib(void)
{
	return rib_prefix_count(rib) == many_expected;
}

static void ten_thousand_routes(void **state)
{
	static struct inet_prefix v[10000];
	struct bgp_attrs a = { 0 };
	uint8_t m[BGP_MAX_LEN];
	size_t off = 0, used;
	struct timespec t0, t1;
	double secs;

	bgp_up();
	tpeer_up(&T1, "127.0.0.2", 64512, 0x0a000002, false, 0);
	for (int i = 0; i < 10000; i++) {
		v[i].addr.family = AF_INET;
		v[i].addr.bytes[0] = 10;
		v[i].addr.bytes[1] = (uint8_t)(100 + i / 256);
		v[i].addr.bytes[2] = (uint8_t)(i % 256);
		v[i].len = 24;
	}
	a.present = BGP_ATTR_BIT(BGP_ATTR_ORIGIN) | BGP_ATTR_BIT(BGP_ATTR_AS_PATH);
	a.nexthop = addr("192.0.2.2");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (off < 10000) {
		int n = bgp_update_encode_announce(&bgp_session_fsm(T1.s)->neg, &a, BGP_AF_IPV4, v + off, 10000 - off, m,
						   sizeof(m), &used);

		assert_true(n > 0);
		tsend(&T1, m, (size_t)n);
		off += used;
	}
	many_expected = 10000;
	assert_true(test_ev_run_until(loop, many_in_rib, 5));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("10,000 routes from one peer in the RIB after %.3f s\n", secs);
	assert_true(secs < 2.0);
	/* The session goes: all of them go. */
	bgp_session_stop(T1.s, true, BGP_CEASE_SHUTDOWN, NULL);
	assert_true(test_ev_run_until(loop, rib_empty, 2));
}

static void bad_listener(void **state)
{
	struct bgp *b2;
	char err[256];

	bgp_up();
	/* The same port again: refused with a sentence naming it. */
	conf.listen_port = bgp_listen_port(B, AF_INET);
	assert_int_equal(bgp_new(loop, &conf, &local, rib, NULL, &b2, err, sizeof(err)), -1);
	assert_null(b2);
	assert_non_null(strstr(err, "bgp: cannot listen on 127.0.0.1 port"));
	bgp_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(announce_and_learn),
		T(rfc7606_and_reset),
		T(loops_and_own_routes),
		T(ebgp_policy),
		T(route_refresh),
		T(graceful_restart_helper),
		T(graceful_restart_timer),
		T(graceful_restart_off),
		T(our_graceful_shutdown),
		T(our_shutdown_with_cease),
		T(restarting_speaker),
		T(api_views),
		T(route_reflection),
		T(ten_thousand_routes),
		T(bad_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
